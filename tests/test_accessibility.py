"""The accessibility check: it passes the build's PDFs and catches what an untagged PDF lacks."""

from __future__ import annotations

from pressroom.pdf.accessibility import check_pdf


def test_every_built_pdf_passes(mini_build):
    pdfs = sorted(mini_build.glob("*/*.pdf"))
    assert len(pdfs) == 5
    for pdf in pdfs:
        assert check_pdf(pdf.read_bytes()) == [], pdf


def test_an_untagged_pdf_without_language_or_alt_text_fails():
    import weasyprint
    html = ('<html><head><title>T</title></head><body><h1>A</h1><h3>Skipped</h3>'
            '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPg=="></body></html>')
    untagged = weasyprint.HTML(string=html).write_pdf()
    problems = check_pdf(untagged)
    assert "not tagged (/MarkInfo /Marked is not true)" in problems
    assert "no structure tree (/StructTreeRoot)" in problems
    assert "document language missing or invalid (/Lang '')" in problems
    assert "the title is not shown in the window (/DisplayDocTitle is not true)" in problems
    tagged = weasyprint.HTML(string=html.replace("<html>", '<html lang="en">')).write_pdf(pdf_tags=True)
    problems = check_pdf(tagged)
    assert "heading level skips from H1 to H3" in problems
    assert any(p.startswith("a figure has no alternative text") for p in problems)
