"""An accessibility check of a written PDF (read with pypdf): the promises of PDF/UA that pressroom keeps."""

from __future__ import annotations

import re
from io import BytesIO

from pypdf import PdfReader

from . import patches
from .tagcheck import check_tags

LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

def check_pdf(data: bytes) -> list[str]:
    """Problems found in a PDF's bytes (empty when it passes every check)."""
    r = PdfReader(BytesIO(data))
    return check_document(r.trailer["/Root"], r.metadata, r.pages)


def check_writer(writer) -> list[str]:
    """The same checks on a pypdf writer's objects, just before they are written (saves reading
    back a file whose every object the writer holds)."""
    return check_document(patches.root_object(writer), writer.metadata, writer.pages)


def check_document(root, metadata, pages) -> list[str]:
    """Problems found in a document's catalogue, information and pages."""
    problems: list[str] = []
    mark = root.get("/MarkInfo")
    if not mark or not bool(mark.get_object().get("/Marked")):
        problems.append("not tagged (/MarkInfo /Marked is not true)")
    if "/StructTreeRoot" not in root:
        problems.append("no structure tree (/StructTreeRoot)")
    lang = str(root.get("/Lang", ""))
    if not LANG_RE.match(lang):
        problems.append(f"document language missing or invalid (/Lang {lang!r})")
    info_title = (metadata or {}).get("/Title")
    if not info_title:
        problems.append("no document title (/Title)")
    prefs = root.get("/ViewerPreferences")
    if not prefs or not bool(prefs.get_object().get("/DisplayDocTitle")):
        problems.append("the title is not shown in the window (/DisplayDocTitle is not true)")
    if "/Metadata" not in root:
        problems.append("no XMP metadata")
    elif "dc:title" not in root["/Metadata"].get_object().get_data().decode("utf-8", "replace"):
        problems.append("no dc:title in the XMP metadata")
    problems += _check_fonts_and_links(pages)
    problems += check_tags(root, pages)  # the structure tree, annotations and marked content
    return problems


def _check_fonts_and_links(pages) -> list[str]:
    problems: list[str] = []
    seen_fonts: set = set()
    for number, page in enumerate(pages, 1):
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font", {}) if resources else {}
        for font in fonts.get_object().values() if hasattr(fonts, "get_object") else fonts.values():
            ref = getattr(font, "idnum", None)
            if ref in seen_fonts:
                continue
            seen_fonts.add(ref)
            f = font.get_object()
            name = str(f.get("/BaseFont", "?"))
            desc = f["/DescendantFonts"][0].get_object().get("/FontDescriptor") if "/DescendantFonts" in f \
                else f.get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else None
            if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"font {name} is not embedded")
            # Simple fonts with a standard encoding map to Unicode through it; others need /ToUnicode.
            standard = f.get("/Subtype") in ("/TrueType", "/Type1") and \
                str(f.get("/Encoding", "")) in ("/WinAnsiEncoding", "/MacRomanEncoding", "/StandardEncoding")
            if "/ToUnicode" not in f and not standard:
                problems.append(f"font {name} has no /ToUnicode map")
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/Link" and "/StructParent" not in a:
                problems.append(f"a link on page {number} is not in the structure tree")
    return problems
