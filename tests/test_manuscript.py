"""The real manuscript as the issue asks for it: chapters, words, footnotes, tables, recommendations."""

from __future__ import annotations

import re
from pathlib import Path

from pressroom.load.manuscript import load_manuscript

ROOT = Path(__file__).resolve().parent.parent


def test_the_report_is_complete():
    m = load_manuscript(ROOT / "manuscript", ROOT / "styles")
    en = m.texts["en"]
    chapters = [s for s in en.sections if s.kind == "chapter"]
    assert len(chapters) >= 8
    words = sum(len(re.sub(r"\[\^[^\]]+\]:.*", "", s.body).split()) for s in chapters)
    assert words >= 12000, words
    footnotes = sum(len(re.findall(r"^\[\^[^\]]+\]:", s.body, re.M)) for s in en.sections)
    assert footnotes >= 40, footnotes
    tables = sum(len(re.findall(r"^Table: ", s.body, re.M)) for s in en.sections)
    assert tables >= 2
    assert any("generated:recommendation-matrix" in s.body for s in chapters)
    kinds = {s.rel for s in en.sections if s.kind == "front"}
    assert {"front/01-preface.md", "front/02-executive-summary.md"} <= kinds
    assert m.publication.epigraph is not None


def test_recommendations_cover_every_rubric_and_audience_with_stable_ids():
    m = load_manuscript(ROOT / "manuscript", ROOT / "styles")
    recs = m.texts["en"].recommendations
    assert len(recs) >= 30
    assert {r.rubric for r in recs} == {"leadership", "coordination", "capacity", "knowledge"}
    assert {a for r in recs for a in r.audiences} == {"us-executive", "us-congress", "ca-government",
                                                      "ca-parliament", "civil-society", "media"}
    ids = {r.id for r in recs}
    assert {f"US-{n}" for n in range(1, 11)} <= ids
    assert all(re.match(r"^(US|CA|CS|MD)-\d+$", i) for i in ids)
    assert [r.id for r in m.texts["fr"].recommendations] == [r.id for r in recs]
