"""Briefs from the fixture: audience passages reach their editions only; ids kept; budget respected."""

from __future__ import annotations

from pdfutil import normalise, page_texts, reader


def text(path) -> str:
    return normalise(" ".join(page_texts(path)))


def test_audience_passages_appear_in_their_editions_only(mini_build):
    assert "BACKPAGE-LAWMAKERS-ONLY" in text(mini_build / "en/lawmakers.pdf")
    assert "BACKPAGE-LAWMAKERS-ONLY" in text(mini_build / "fr/lawmakers.pdf")
    assert "BACKPAGE-LAWMAKERS-ONLY" not in text(mini_build / "en/press.pdf")
    report = text(mini_build / "en/report.pdf")
    assert "ASSEMBLY-ONLY-PASSAGE" in report and "PRESS-ONLY-PASSAGE" in report


def test_brief_cover_names_its_audience_and_pages_are_labelled(mini_build):
    path = mini_build / "en/lawmakers.pdf"
    first = normalise(page_texts(path)[0])
    assert "Briefing for Members of the Assembly" in first
    assert "WHAT THIS BRIEF ASKS OF YOU" in first and "LM-1 Hold a hearing every year" in first
    r = reader(path)
    assert r.page_labels == [str(i) for i in range(1, len(r.pages) + 1)]
    assert r.metadata.title == "Briefing for Members of the Assembly"
    assert len(r.pages) <= 4


def test_french_brief_uses_french_labels_and_typography(mini_build):
    t = " ".join(page_texts(mini_build / "fr/lawmakers.pdf"))
    assert "Rapport complet, p." in t and "Full report" not in t
    assert "Note d’information" in t
    assert "\u202f:" in t or "\u202f;" in t
