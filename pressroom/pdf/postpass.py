"""pypdf pass over a rendered PDF: page labels and metadata, keeping tags, language, XMP and bookmarks."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject

from . import patches
from .structure import repair


REPORT_LINK = "pressroom-report:"
"""A brief's link to a recommendation in the full report (`pressroom-report:US-2`, from the brief
template): made a link to that named destination in the report beside the brief (PDF /GoToR)."""


def add_page_labels(data: bytes, first_body_page: int | None, extra_info: dict | None = None,
                    report_file: str | None = None) -> bytes:
    """Label pages i, ii, ... up to the first chapter, then 1, 2, ...; or 1, 2, ... throughout.

    The writer is cloned from the whole document (not `append`ed page by page), so the structure
    tree, /Lang, /MarkInfo, XMP metadata and outlines are carried over as they are."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(data)))
    fix_identifier(writer)
    repair(writer)
    label_pages(writer, first_body_page)
    report_links(writer, report_file)
    if extra_info:
        info = patches.info_dictionary(writer)
        if info is not None:
            for key, value in extra_info.items():
                info[NameObject(key)] = TextStringObject(value)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def label_pages(writer: PdfWriter, first_body_page: int | None) -> None:
    """Page labels i, ii, ... before the first body page, then 1, 2, ...; or 1, 2, ... throughout
    (the numbers the CSS counters print, see page_label)."""
    count = len(writer.pages)
    if first_body_page and 0 < first_body_page < count:
        writer.set_page_label(0, first_body_page - 1, style="/r", start=1)
        writer.set_page_label(first_body_page, count - 1, style="/D", start=1)
    else:
        writer.set_page_label(0, count - 1, style="/D", start=1)


def report_links(writer: PdfWriter, report_file: str | None) -> None:
    """Links to `pressroom-report:<id>` open the report file beside this one (`report.pdf` in the
    same folder of dist/) at that recommendation's named destination."""
    for page in writer.pages:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            uri = str(action.get("/URI", "")) if action is not None else ""
            if action is None or action.get("/S") != "/URI" or not uri.startswith(REPORT_LINK) or not report_file:
                continue
            name = uri[len(REPORT_LINK):]
            annot[NameObject("/A")] = DictionaryObject({
                NameObject("/S"): NameObject("/GoToR"), NameObject("/F"): TextStringObject(report_file),
                NameObject("/D"): TextStringObject(name), NameObject("/NewWindow"): BooleanObject(True)})
            annot[NameObject("/Contents")] = TextStringObject(f"{report_file}, {name}")


def fix_identifier(writer: PdfWriter) -> None:
    """Both file identifiers equal to the first, which is derived from the sources: a file first
    written has two equal identifiers (PDF 14.4), and the renderer draws the second at random."""
    identifier = patches.file_identifier(writer)
    if identifier:
        first = identifier[0]
        patches.set_file_identifier(writer, bytes(first.original_bytes if hasattr(first, "original_bytes") else first))


def page_label(index: int, first_body_page: int | None) -> str:
    """The printed number of a 0-based page index, as the page labels and the CSS counters give it."""
    from ..render.html import roman
    if first_body_page is None:
        return str(index + 1)
    if index < first_body_page:
        return roman(index + 1)
    return str(index - first_body_page + 1)
