"""The real manuscript, built once in every edition and language: briefs, page references, French, web."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pdfutil import normalise, page_texts, reader
from pressroom.load.manuscript import load_manuscript

ROOT = Path(__file__).resolve().parent.parent
ID_RE = re.compile(r"\b(?:US|CA|CS|MD)-\d+\b")


@pytest.fixture(scope="module")
def manuscript():
    return load_manuscript(ROOT / "manuscript", ROOT / "styles")


def rec_pages(report: Path) -> dict[str, str]:
    """Printed page label of the page where each recommendation's box stands in the report.

    A box reads "RECOMMENDATION US-2" (then "ILLUSTRATIVE" if it is) then the title's first words; running text that merely
    mentions "recommendation US-2" is not followed by the title."""
    lang = report.parent.name
    titles = {r.id: r.title for r in load_manuscript(ROOT / "manuscript", ROOT / "styles").texts[lang].recommendations}
    texts = [normalise(t).upper().replace("'", "’") for t in page_texts(report)]
    labels = reader(report).page_labels
    word = "RECOMMANDATION" if lang == "fr" else "RECOMMENDATION"
    out = {}
    for rid, title in titles.items():
        head = " ".join(title.replace("'", "’").split()[:3]).upper()
        for i, t in enumerate(texts):
            if re.search(word + r" " + re.escape(rid) + r" (?:ILLUSTRATIVE )?" + re.escape(head), t):
                out[rid] = labels[i]
                break
    return out


def test_every_edition_and_language_is_built(real_build, manuscript):
    manifest = json.loads((real_build / "manifest.json").read_text())
    built = {(e["edition"], e["language"], e["format"]) for e in manifest["outputs"]}
    for spec in manuscript.editions:
        for lang in spec.languages:
            assert (spec.id, lang, "pdf") in built
    assert ("report", "en", "html") in built and ("report", "fr", "html") in built
    assert ("us-congress", "fr", "pdf") not in built  # US briefs are English only


@pytest.mark.parametrize("audience", ["us-executive", "us-congress", "ca-government", "ca-parliament",
                                      "civil-society", "media"])
def test_each_brief_holds_exactly_its_audiences_recommendations(real_build, manuscript, audience):
    spec = manuscript.edition(audience)
    expected = {r.id for r in manuscript.texts["en"].recommendations if audience in r.audiences}
    assert expected
    for lang in spec.languages:
        path = real_build / lang / f"{audience}.pdf"
        ids = set(ID_RE.findall(" ".join(page_texts(path))))
        assert ids == expected, (lang, ids ^ expected)
        assert len(reader(path).pages) <= spec.page_budget
        entry = next(e for e in json.loads((real_build / "manifest.json").read_text())["outputs"]
                     if e["path"] == f"{lang}/{audience}.pdf")
        assert entry["audience"] == audience and entry["page_budget"] == spec.page_budget
        assert set(entry["recommendations"]) == expected


@pytest.mark.parametrize("lang,phrase", [("en", "Full report, p."), ("fr", "Rapport complet, p.")])
def test_brief_page_references_match_the_report(real_build, lang, phrase):
    pages = rec_pages(real_build / lang / "report.pdf")
    assert len(pages) == 34
    checked = 0
    for brief in sorted((real_build / lang).glob("*.pdf")):
        if brief.name == "report.pdf":
            continue
        text = normalise(" ".join(page_texts(brief)))
        refs = re.findall(r"((?:US|CA|CS|MD)-\d+) (?:ILLUSTRATIVE )?" + re.escape(phrase) + r" (\w+)", text)
        assert refs, brief
        for rid, page in refs:
            assert pages[rid] == page, f"{brief.name}: {rid} cites p. {page}, report has it on p. {pages[rid]}"
            checked += 1
    assert checked >= 20


def test_report_summary_page_numbers_match_the_appendix(real_build):
    path = real_build / "en/report.pdf"
    pages = rec_pages(path)
    texts = page_texts(path)
    summary = normalise(" ".join(t for t in texts if "Summary of recommendations" in t or "ENSURING KNOWLEDGE" in t.upper()[:400]))
    m = re.search(r"US-2 Create a congressional Caucus for the Prevention of Mass Atrocities (\w+)", summary)
    assert m and m.group(1) == pages["US-2"]


def test_audience_passages_reach_only_their_briefs(real_build):
    # 05-leadership.md holds a passage for us-congress and ca-parliament; the back page none.
    report = normalise(" ".join(page_texts(real_build / "en/report.pdf")))
    assert "FOR US CONGRESS, PARLIAMENT OF CANADA" in report


def test_french_report_is_french(real_build):
    path = real_build / "fr/report.pdf"
    r = reader(path)
    assert r.trailer["/Root"]["/Lang"] == "fr-CA"
    assert r.metadata.title.startswith("Mobiliser la volonté d’intervenir")
    text = " ".join(page_texts(path))
    assert "Table des matières" in text
    for english in ("Contents", "Full report", "Addressed to", "Summary of recommendations", "Enabling leadership"):
        assert english not in text, english
    assert "\u202f:" in text or "\u202f;" in text  # narrow no-break space before French punctuation
    assert "«\u202f" in text and "\u202f»" in text
    labels = r.page_labels
    assert labels[0] == "i" and "1" in labels


def test_fonts_are_embedded_and_only_the_projects(real_build):
    for path in (real_build / "en/report.pdf", real_build / "fr/report.pdf", real_build / "fr/media.pdf"):
        fonts = set()
        for page in reader(path).pages:
            for f in (page["/Resources"].get("/Font") or {}).values():
                f = f.get_object()
                fonts.add(str(f["/BaseFont"]).split("+", 1)[-1])
                desc = f["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in f else f.get("/FontDescriptor")
                assert desc is not None and any(k in desc for k in ("/FontFile2", "/FontFile3", "/FontFile")), f
                # Text fonts map to Unicode; the folios' simple font does through its standard encoding.
                assert "/ToUnicode" in f or (f["/Subtype"] == "/TrueType" and f["/Encoding"] == "/WinAnsiEncoding"), f
        assert fonts and all(name.startswith(("Source-Serif-4", "Source-Sans-3", "SourceSerif4", "SourceSans3"))
                             for name in fonts), fonts


def test_web_edition(real_build, manuscript):
    html = (real_build / "en/report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-CA"' in html
    assert 'name="viewport"' in html
    for r in manuscript.texts["en"].recommendations:
        assert f'id="{r.id}"' in html
    assert 'class="footnote-ref"' in html and 'role="doc-endnotes"' in html
    assert '<nav class="toc"' in html
    fr = (real_build / "fr/report.html").read_text()
    assert '<html lang="fr-CA"' in fr
    assert (real_build / "web.css").is_file() and list((real_build / "fonts").glob("*.ttf"))


ILLUSTRATIVE = {"CA-8", "CA-12", "CS-1", "CS-2", "CS-3", "CS-4", "CS-5", "CS-6",
                "MD-1", "MD-2", "MD-3", "MD-4", "MD-5", "MD-6"}
"""Recommendations whose wording ../shared/w2i-facts.md does not attest (issue 16)."""


def test_unattested_recommendations_are_marked_illustrative_everywhere(real_build, manuscript):
    assert {r.id for r in manuscript.texts["en"].recommendations if r.illustrative} == ILLUSTRATIVE
    assert {r.id for r in manuscript.texts["fr"].recommendations if r.illustrative} == ILLUSTRATIVE
    for lang, word in (("en", "RECOMMENDATION"), ("fr", "RECOMMANDATION")):
        report = normalise(" ".join(page_texts(real_build / lang / "report.pdf"))).upper()
        for rid in ILLUSTRATIVE:
            assert f"{word} {rid} ILLUSTRATIVE" in report, (lang, rid)      # the appendix
            assert re.search(rf"\b{rid} [^0-9]+? ILLUSTRATIVE", report), (lang, rid)  # the summary
        for rid in {r.id for r in manuscript.texts["en"].recommendations} - ILLUSTRATIVE:
            assert f"{word} {rid} ILLUSTRATIVE" not in report, (lang, rid)
        # the colophon says what the edition is
        assert ("RECONSTRUCTION OF THE REPORT FROM PUBLIC SOURCES" if lang == "en"
                else "RECONSTITUTION DU RAPPORT À PARTIR DE SOURCES PUBLIQUES") in report
        html = (real_build / lang / "report.html").read_text()
        assert html.count('class="illustrative-tag"') == 2 * len(ILLUSTRATIVE)  # summary and appendix
    media = normalise(" ".join(page_texts(real_build / "en/media.pdf")))
    # "What this brief asks of you" and the recommendation
    assert "MD-1 Keep foreign correspondents in regions at risk, sharing bureaus where necessary ILLUSTRATIVE" in media
    assert "MD-1 ILLUSTRATIVE Full report" in media


def test_briefs_ask_only_what_their_audience_can_do(real_build):
    # CS-2 asks NGOs to brief legislators: it is in the civil-society brief only.
    for brief in ("us-congress", "ca-parliament"):
        assert "CS-2" not in " ".join(page_texts(real_build / "en" / f"{brief}.pdf"))
    assert "CS-2" in " ".join(page_texts(real_build / "en/civil-society.pdf"))


def test_brief_links_open_the_report_and_the_website(real_build):
    r = reader(real_build / "en/us-congress.pdf")
    actions = [a.get_object()["/A"].get_object() for p in r.pages for a in (p.get("/Annots") or [])
               if "/A" in a.get_object()]
    goto = [a for a in actions if a["/S"] == "/GoToR"]
    assert goto and all(a["/F"] == "report.pdf" for a in goto)
    assert {str(a["/D"]) for a in goto} == {"US-2", "US-3", "US-4", "US-8", "US-9"}
    assert any(a["/S"] == "/URI" and a["/URI"] == "https://migs.concordia.ca" for a in actions)
    # every page numbered "n / N", the last too
    texts = page_texts(real_build / "en/us-congress.pdf")
    for i, t in enumerate(texts, 1):
        assert f"{i} / {len(texts)}" in normalise(t), i


def test_french_spacing_stays_out_of_english_titles(real_build):
    text = " ".join(page_texts(real_build / "fr/report.pdf"))
    assert "Waging Modern War: Bosnia" in normalise(text)
    assert "Waging Modern War\u202f:" not in text
    assert "“A Problem from Hell”" in text
