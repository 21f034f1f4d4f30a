"""Joining parts laid out apart (pressroom.pdf.join), on three tiny documents laid out here: pages
and right-hand openings, the structure tree, page labels, bookmarks, named destinations, links from
one part to another, folios, metadata and deterministic bytes."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO

import pytest
from pdfutil import outline
from pypdf import PdfReader

from pressroom.pdf.join import EXTERNAL_ANCHOR, Piece, join, read_part, recto_starts
from pressroom.pdf.layout import layout, write_pdf
from pressroom.pdf.parts import link_outside


def document(title: str, body: str) -> str:
    return f'<html lang="en"><head><title>{title}</title></head><body>{body}</body></html>'


# Three parts, as the build cuts the report: a front-matter part of one page, a chapter of two
# pages, a chapter of one page; links to the other parts made external as the build makes them.
PARTS = [
    document("A Small Report", link_outside(
        '<section id="preface"><h1>Preface</h1><p>See <a href="#two">the second chapter</a>.</p></section>')),
    document("One", link_outside(
        '<section id="one"><h1>Chapter one</h1><p>One.</p>'
        '<h2 id="one-b" style="break-before: page">Later</h2><p>Back <a href="#one">to the start</a>.</p></section>')),
    document("Two", link_outside(
        '<section id="two"><h1>Chapter two</h1><p>Two, see <a href="#one-b">later</a>.</p></section>')),
]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> list[bytes]:
    tmp = tmp_path_factory.mktemp("join")
    out = []
    for i, html in enumerate(PARTS):
        laid = layout(html, tmp, (), [tmp], f"part-{i}", tmp / "scratch")
        out.append(write_pdf(laid, html))
    return out


def pieces(pdfs, numbered=True) -> list[Piece]:
    return [Piece(pdfs[0], 0, 1, (numbered,)), Piece(pdfs[1], 0, 2, (True, True)), Piece(pdfs[2], 0, 1, (True,))]


@pytest.fixture(scope="module")
def joined(pdfs):
    return join(pieces(pdfs), 1, {"/Subject": "A test of the join"})


def read(data: bytes) -> PdfReader:
    return PdfReader(BytesIO(data))


def page_index(reader: PdfReader, ref) -> int:
    return next(i for i, p in enumerate(reader.pages) if p.indirect_reference.idnum == ref.idnum)


def contents(page) -> bytes:
    c = page.get("/Contents")
    if c is None:
        return b""
    c = c.get_object()
    return b"".join(s.get_object().get_data() for s in (c if isinstance(c, list) else [c]))


def folio(page) -> tuple[str, float] | None:
    """The folio stamped on a page: its text and x, or None."""
    m = re.search(rb"/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq\n[^\n]*\n"
                  rb"BT /PRFolio [\d.]+ Tf 1 0 0 1 ([\d.]+) [\d.]+ Tm \((\w+)\) Tj ET\nQ\nEMC\n", contents(page))
    return (m.group(2).decode(), float(m.group(1))) if m else None


def all_objects(reader: PdfReader) -> list:
    numbers = set(reader.xref_objStm)
    for table in reader.xref.values():
        numbers.update(table)
    return [reader.get_object(n) for n in sorted(numbers) if n]


def test_the_parts_are_what_the_tests_expect(pdfs):
    assert [len(read(p).pages) for p in pdfs] == [1, 2, 1]
    # the links out of a part point at the scheme the join resolves
    assert f'href="{EXTERNAL_ANCHOR}two"' in PARTS[0] and f'href="{EXTERNAL_ANCHOR}one-b"' in PARTS[2]
    assert 'href="#one"' in PARTS[1]


@pytest.mark.parametrize("counts, starts", [
    ([], []),
    ([1], [0]),
    ([1, 2, 1], [0, 2, 4]),
    ([2, 2, 2], [0, 2, 4]),
    ([3, 1, 1], [0, 4, 6]),
    ([2, 3, 1, 5], [0, 2, 6, 8]),
])
def test_recto_starts(counts, starts):
    assert recto_starts(counts) == starts


def test_each_part_opens_on_a_right_hand_page(joined):
    r = read(joined.pdf)
    assert joined.starts == (0, 2, 4)
    assert joined.pages == 5 == len(r.pages)
    assert joined.problems == ()
    # page 1 is the blank left-hand page put before the chapter, of the same size as the others
    assert "/Contents" not in r.pages[1]
    assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in r.pages} == {(595.275591, 841.889764)}
    texts = [p.extract_text() for p in r.pages]
    assert [("Preface" in t, "Chapter one" in t, "Later" in t, "Chapter two" in t) for t in texts] == [
        (True, False, False, False), (False, False, False, False), (False, True, False, False),
        (False, False, True, False), (False, False, False, True)]


def test_page_labels_roman_in_the_front_arabic_in_the_body(pdfs, joined):
    assert read(joined.pdf).page_labels == ["i", "ii", "1", "2", "3"]
    # the body starting at the third part
    assert read(join(pieces(pdfs), 2, {}).pdf).page_labels == ["i", "ii", "iii", "iv", "1"]
    # no front matter: arabic throughout
    assert read(join(pieces(pdfs), None, {}).pdf).page_labels == ["1", "2", "3", "4", "5"]


def test_one_document_element_holding_the_parts_elements_in_page_order(pdfs, joined):
    r = read(joined.pdf)
    tree = r.trailer["/Root"]["/StructTreeRoot"]
    assert tree["/Type"] == "/StructTreeRoot"
    assert len(tree["/K"]) == 1
    doc = tree["/K"][0].get_object()
    assert doc["/S"] == "/Document"
    assert doc.raw_get("/P").idnum == tree.indirect_reference.idnum
    # as many children as the parts' /Document elements have, each on its page of the joined file
    in_parts = [len(read(p).trailer["/Root"]["/StructTreeRoot"]["/K"][0].get_object()["/K"]) for p in pdfs]
    assert in_parts == [1, 2, 1]
    kids = [k.get_object() for k in doc["/K"]]
    assert [k["/S"] for k in kids] == ["/Sect"] * 4
    assert [page_index(r, k.raw_get("/Pg")) for k in kids] == [0, 2, 3, 4]
    assert all(k.raw_get("/P").idnum == doc.indirect_reference.idnum for k in kids)
    # no part's own /Document element was carried over
    documents = [o for o in all_objects(r) if isinstance(o, dict) and o.get("/S") == "/Document"]
    assert len(documents) == 1


def test_the_parent_tree_maps_each_page_and_each_link(joined):
    r = read(joined.pdf)
    tree = r.trailer["/Root"]["/StructTreeRoot"]
    nums = tree["/ParentTree"].get_object()["/Nums"]
    entries = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    # pages 0, 2, 3, 4 carry content (the blank page none); then one entry per link
    assert [(i, p.get("/StructParents")) for i, p in enumerate(r.pages)] == [(0, 0), (1, None), (2, 2), (3, 3),
                                                                            (4, 4)]
    assert sorted(entries) == [0, 2, 3, 4, 5, 6, 7]
    assert tree["/ParentTreeNextKey"] == 8
    for page_number in (0, 2, 3, 4):
        marked = entries[page_number]
        assert {page_index(r, e.get_object().raw_get("/Pg")) for e in marked} == {page_number}
    for i, page in enumerate(r.pages):
        for annot in page.get("/Annots") or []:
            element = entries[annot.get_object()["/StructParent"]]
            assert element["/S"] == "/Link"
            assert page_index(r, element.raw_get("/Pg")) == i
            objr = next(k.get_object() for k in element["/K"] if not isinstance(k, int))
            assert objr["/Type"] == "/OBJR"
            assert objr.raw_get("/Obj").idnum == annot.idnum


def test_named_destinations_of_every_part_point_at_the_joined_pages(joined):
    r = read(joined.pdf)
    dests = {name: r.get_destination_page_number(d) for name, d in r.named_destinations.items()}
    assert dests == {"preface": 0, "one": 2, "one-b": 3, "two": 4}


def test_links_to_other_parts_become_links_to_their_named_destinations(joined):
    r = read(joined.pdf)
    links = [(i, a.get_object()) for i, p in enumerate(r.pages) for a in p.get("/Annots") or []]
    assert [(i, str(a["/Dest"])) for i, a in links] == [(0, "two"), (3, "one"), (4, "one-b")]
    assert all("/A" not in a for _, a in links)  # no URI left with the part scheme
    assert EXTERNAL_ANCHOR.encode() not in joined.pdf
    # where they lead
    dests = r.named_destinations
    assert [r.get_destination_page_number(dests[str(a["/Dest"])]) for _, a in links] == [4, 2, 3]


def test_bookmarks_of_every_part_in_page_order_with_their_levels(joined):
    assert outline(read(joined.pdf)) == [(0, "Preface", 0), (0, "Chapter one", 2), (1, "Later", 3),
                                         (0, "Chapter two", 4)]


def test_folios_are_stamped_as_artifacts_matching_the_page_labels(joined):
    r = read(joined.pdf)
    folios = [folio(p) for p in r.pages]
    assert [f[0] if f else None for f in folios] == ["i", None, "1", "2", "3"]
    width = float(r.pages[0].mediabox.width)
    # at the outer corner: right on right-hand (even) pages, left on left-hand ones
    assert [f[1] > width / 2 if f else None for f in folios] == [True, None, True, False, True]
    assert folios[3][1] == pytest.approx(22 * 72 / 25.4, abs=0.01)
    # the page's own content comes first, in its own saved state
    data = contents(r.pages[0])
    assert data.startswith(b"q\n") and data.index(b"/Artifact") > data.index(b"/MCID 0")
    assert "/PRFolio" in r.pages[0]["/Resources"]["/Font"]


def test_pages_that_show_no_folio_get_none(pdfs):
    r = read(join(pieces(pdfs, numbered=False), None, {}).pdf)
    assert [folio(p)[0] if folio(p) else None for p in r.pages] == [None, None, "3", "4", "5"]
    assert b"/Artifact" not in contents(r.pages[0])


def test_metadata_and_catalogue_come_from_the_first_part(pdfs, joined):
    r = read(joined.pdf)
    assert r.metadata["/Title"] == "A Small Report"
    assert r.metadata["/Subject"] == "A test of the join"
    root = r.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    first = read(pdfs[0]).trailer["/Root"]
    assert ("/Metadata" in root) == ("/Metadata" in first)


def test_joining_is_deterministic_and_the_same_with_parts_read_ahead(pdfs, joined):
    again = join(pieces(pdfs), 1, {"/Subject": "A test of the join"})
    assert again.pdf == joined.pdf
    readers = {hashlib.sha256(p).hexdigest(): read_part(p) for p in pdfs}
    assert join(pieces(pdfs), 1, {"/Subject": "A test of the join"}, readers).pdf == joined.pdf
    # the file identifier is derived from the parts, and both halves are equal
    ids = read(joined.pdf).trailer["/ID"]
    expected = hashlib.md5(b"".join(hashlib.sha256(p).digest() for p in pdfs)).digest()  # noqa: S324
    assert bytes(ids[0].original_bytes) == bytes(ids[1].original_bytes) == expected


def test_the_output_depends_on_the_parts(pdfs, joined):
    other = join([pieces(pdfs)[i] for i in (0, 2, 1)], 1, {"/Subject": "A test of the join"})
    assert other.pdf != joined.pdf
    assert other.starts == (0, 2, 4) and other.pages == 6
    assert outline(read(other.pdf)) == [(0, "Preface", 0), (0, "Chapter two", 2), (0, "Chapter one", 4),
                                        (1, "Later", 5)]


def test_a_piece_can_be_some_pages_of_a_pdf_shared_with_another_piece(pdfs):
    # two parts laid out in one document: the chapter's first page, then its second
    j = join([Piece(pdfs[1], 0, 1, (True,)), Piece(pdfs[1], 1, 1, (True,))], None, {})
    r = read(j.pdf)
    assert j.starts == (0, 2) and j.pages == 3
    assert {n: r.get_destination_page_number(d) for n, d in r.named_destinations.items()} == {"one": 0, "one-b": 2}
    assert outline(r) == [(0, "Chapter one", 0), (1, "Later", 2)]
    assert [folio(p)[0] if folio(p) else None for p in r.pages] == ["1", None, "3"]
    doc = r.trailer["/Root"]["/StructTreeRoot"]["/K"][0].get_object()
    assert [page_index(r, k.get_object().raw_get("/Pg")) for k in doc["/K"]] == [0, 2]
    assert j.problems == ()


def test_pages_left_out_take_their_destinations_bookmarks_and_elements_with_them(pdfs):
    # only the second page of the chapter: its heading's bookmark (and so its child) and the
    # chapter's opening destination are not in the joined file
    j = join([Piece(pdfs[0], 0, 1, (True,)), Piece(pdfs[1], 1, 1, (True,))], 1, {})
    r = read(j.pdf)
    assert {n: r.get_destination_page_number(d) for n, d in r.named_destinations.items()} == {"preface": 0,
                                                                                               "one-b": 2}
    assert outline(r) == [(0, "Preface", 0)]
    doc = r.trailer["/Root"]["/StructTreeRoot"]["/K"][0].get_object()
    assert [page_index(r, k.get_object().raw_get("/Pg")) for k in doc["/K"]] == [0, 2]
    assert r.page_labels == ["i", "ii", "1"]
