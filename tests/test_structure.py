"""The structure post-pass (pressroom.pdf.structure) on WeasyPrint's own tagging of a page that has
what the report has: running heads and folios, tables, links holding other boxes, a flex link,
footnotes and lists. Before it, the build's check and the independent checkers find the same kinds
of fault; after it, neither finds any."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from checkers import check
from pressroom.pdf.accessibility import check_pdf
from pressroom.pdf.postpass import add_page_labels
from pressroom.pdf import patches

HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Post-pass</title><style>
@page { size: A5; margin: 20mm 15mm; @top-center { content: "Running head of the test"; }
        @bottom-center { content: counter(page); } }
.footnote { float: footnote; } a.flex { display: flex; } a.flex::after { content: "12"; }
ul { list-style-position: inside; } h2 { break-before: page; }
</style></head><body>
<h1>A document</h1>
<p>Text with a note<pr-footnote class="footnote">The first note, at the foot of the page.</pr-footnote>
and a <a href="#second"><em>link holding an emphasis</em> and text</a>.</p>
<table><thead><tr><th>Aspect</th><th>Value</th></tr></thead>
<tbody><tr><td>One</td><td>1</td></tr><tr><td>Two</td><td>2</td></tr></tbody></table>
<table><tr><th>Row head</th><td>a</td></tr><tr><th>Other head</th><td>b</td></tr></table>
<p><a class="flex" href="#second">An entry of a contents</a></p>
<ul><li>First item</li><li>Second item</li></ul>
<h2 id="second">Second page</h2>
<p>More text<pr-footnote class="footnote">The second note.</pr-footnote> and <a href="https://example.org/">a site</a>.</p>
<p>{filler}</p>
<h2>Third page</h2><p>{filler}</p>
</body></html>""".replace("{filler}", "Words to fill the page. " * 40)


def write(margins_as_artifacts: bool) -> bytes:
    """The page through WeasyPrint, footnotes tagged as notes; margin boxes painted as artifacts as
    in a build, or left as WeasyPrint tags them (for the post-pass to repair)."""
    import weasyprint
    import weasyprint.pdf as wpdf
    assert patches.notes_and_margins()
    patched = wpdf.add_tags
    if not margins_as_artifacts:
        wpdf.add_tags = patched.pressroom_original
    try:
        return weasyprint.HTML(string=HTML).write_pdf(pdf_tags=True, pdf_variant="pdf/ua-1")
    finally:
        wpdf.add_tags = patched


@pytest.fixture(scope="module")
def raw() -> bytes:
    return write(margins_as_artifacts=False)


def test_in_a_build_weasyprint_paints_the_margin_boxes_as_artifacts():
    problems = check_pdf(write(margins_as_artifacts=True))
    assert not any("not in the structure tree" in p for p in problems), problems
    assert any("has no /Scope" in p for p in problems)  # the rest is the post-pass's


@pytest.fixture(scope="module")
def repaired(raw) -> bytes:
    return add_page_labels(raw, None)


def roles(data: bytes) -> list[tuple[str, object]]:
    out = []
    root = PdfReader(BytesIO(data)).trailer["/Root"]["/StructTreeRoot"]
    stack = [root]
    while stack:
        node = stack.pop()
        node = node.get_object()
        if isinstance(node, list):
            stack += reversed(node)
            continue
        if not hasattr(node, "get") or node.get("/Type") in ("/OBJR", "/MCR"):
            continue
        if "/S" in node:
            out.append((str(node["/S"]), node))
        if "/K" in node:
            stack.append(node["/K"])
    return out


def test_weasyprint_alone_falls_short_and_the_build_check_says_where(raw):
    problems = check_pdf(raw)
    text = "\n".join(problems)
    for expected in ("has no /Scope", "lacks the Print flag", "not in a /Link structure element",
                     "a /Note has no /ID", "element is not in the structure tree", "has no /LBody"):
        assert expected in text, problems


def test_the_independent_checkers_find_faults_in_weasyprint_alone(raw, tmp_path):
    path = tmp_path / "raw.pdf"
    path.write_bytes(raw)
    verdict = check(path)
    assert any("LNK-001" in e for e in verdict.errors), verdict
    assert any("NOTE-001" in e for e in verdict.errors), verdict
    assert "outloud LNK-004" in verdict.warnings and "outloud PAG-001" in verdict.warnings, verdict


def test_after_the_post_pass_neither_the_build_nor_the_checkers_find_anything(repaired, tmp_path):
    assert check_pdf(repaired) == []
    path = tmp_path / "repaired.pdf"
    path.write_bytes(repaired)
    verdict = check(path)
    assert verdict.errors == [] and verdict.warnings == {}, verdict


def test_what_the_post_pass_made(repaired):
    found = roles(repaired)
    kinds = [r for r, _ in found]
    notes = [n for r, n in found if r == "/Note"]
    assert len(notes) == 2 and len({str(n["/ID"]) for n in notes}) == 2
    assert kinds.count("/Lbl") >= 4 and kinds.count("/Reference") == 2  # note markers and bullets; calls
    scopes = [str(n["/A"]["/Scope"]) for r, n in found if r == "/TH"]
    assert scopes == ["/Column", "/Column", "/Column", "/Row"]  # first row of the second table heads columns
    links = [n for r, n in found if r == "/Link"]
    assert len(links) >= 3  # the three links, one element per line a link is broken over
    for link in links:  # every annotation of a link under the link itself
        assert any(k.get_object().get("/Type") == "/OBJR" for k in link["/K"] if hasattr(k.get_object(), "get"))
    reader = PdfReader(BytesIO(repaired))
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            assert int(a["/F"]) & 4 and str(a["/Contents"])
        assert page.get("/Tabs") == "/S" or not page.get("/Annots")
        data = page.get_contents().get_data()
        assert b"/Artifact\n<</Type /Pagination>>\nBDC" in data  # the running head and the folio


def test_the_post_pass_is_deterministic(raw, repaired):
    assert add_page_labels(raw, None) == repaired
