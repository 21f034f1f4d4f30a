"""Every use of another library's internals, in one place: four changes to how WeasyPrint, pydyf and
pypdf work (installed explicitly by the build, never on import), and the private attributes of
pypdf and WeasyPrint that pressroom reads or sets. `expectations()` lists what each relies on;
tests/test_patches.py fails loudly when a library changes under it."""

from __future__ import annotations

import functools
import logging
import types
import zlib

log = logging.getLogger(__name__)

STREAM_COMPRESSION = 6
"""zlib level of the streams WeasyPrint writes. Its PDF writer, pydyf, asks for 9: on the English
report that took 0.49 s of some 5.6 s of layout and writing, for streams 1.5% smaller than level 6
(zlib's default) makes in 0.17 s."""


# The changes -------------------------------------------------------------------------------------

def install() -> dict[str, bool]:
    """Install every change (once per process; workers forked afterwards have them; the dask
    executor's workers install them before a task). Which were installed: a change whose target is
    not as expected is left out, and the build goes the library's own way."""
    return {"variable fonts by HarfBuzz": variable_fonts_by_harfbuzz(),
            "stream compression": stream_compression(),
            "names written once": names_written_once(),
            "footnotes as notes, margins as artifacts": notes_and_margins(),
            "proper nouns not hyphenated": proper_nouns_not_hyphenated()}


@functools.cache
def variable_fonts_by_harfbuzz() -> bool:
    """Have WeasyPrint embed variable fonts through pressroom.pdf.fontembed.static_subset (same glyph
    ids, same location on every axis as its own instancer, the same outlines give or take a rounding
    of 1/1000 em); other fonts, and any font HarfBuzz refuses, go WeasyPrint's own way."""
    try:
        import uharfbuzz  # noqa: F401
        from weasyprint.pdf import fonts
        original = fonts.Font.clean
    except (ImportError, AttributeError) as exc:
        log.debug("variable fonts are instanced by WeasyPrint (%s)", exc)
        return False
    from . import fontembed  # its functions looked up at each call (a test can watch them)

    def clean(self, to_unicode, hinting):
        plain = "fvar" not in self.tables or not to_unicode or self.png or self.svg or self.colr
        data = None if plain else fontembed.static_subset(
            self.file_content, self.index, sorted(to_unicode),
            lambda axes: fontembed.static_location(self, axes), hinting, bool(self.missing))
        if data is None:
            return original(self, to_unicode, hinting)
        self.file_content = data
        return None

    clean.__doc__ = original.__doc__
    clean.pressroom_original = original
    fonts.Font.clean = clean
    return True


class _Zlib:
    """zlib as pydyf sees it: the same, at STREAM_COMPRESSION."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level=-1, *args, **kwargs):
        return zlib.compressobj(STREAM_COMPRESSION, *args, **kwargs)

    @staticmethod
    def compress(data, level=-1, **kwargs):
        return zlib.compress(data, STREAM_COMPRESSION)


@functools.cache
def stream_compression() -> bool:
    """pydyf compresses WeasyPrint's streams at STREAM_COMPRESSION instead of 9."""
    import pydyf
    if getattr(pydyf, "zlib", None) is not zlib:
        return isinstance(getattr(pydyf, "zlib", None), _Zlib)
    pydyf.zlib = _Zlib()
    return True


@functools.cache
def names_written_once() -> bool:
    """pypdf writes each name (/Type, /StructElem, /K...) character by character, each time: some
    60,000 times in a report, a quarter of the join. The bytes of a name do not change: keep them."""
    from pypdf.generic import NameObject
    original = getattr(NameObject, "renumber", None)
    if original is None:
        return False
    if not hasattr(original, "cache_info"):
        NameObject.renumber = functools.lru_cache(maxsize=4096)(original)
    return True


@functools.cache
def notes_and_margins() -> bool:
    """Have WeasyPrint tag footnotes as notes (the footnote element of pressroom.render.markdown as
    /Note, its marker /Lbl, its call /Reference), and paint its margin boxes (running heads, the
    briefs' page numbers) as pagination artifacts, which it tags as text whose elements hang from
    no tree: done here, in each worker as its PDF is written, no content stream has to be decoded
    and compressed again by the post-pass (which still repairs any it finds). Once per process;
    False (and nothing changed) when WeasyPrint's tagging is not where it was, in which case the
    post-pass does it all."""
    try:
        import weasyprint.pdf as wpdf
        from weasyprint.formatting_structure import boxes
        from weasyprint.pdf import tags
        original_tag, original_add = tags._get_pdf_tag, wpdf.add_tags  # noqa: SLF001
    except (ImportError, AttributeError):
        return False
    from ..render.markdown import FOOTNOTE_ELEMENT
    roles = {FOOTNOTE_ELEMENT: "Note", f"{FOOTNOTE_ELEMENT}::footnote-marker": "Lbl",
             f"{FOOTNOTE_ELEMENT}::footnote-call": "Reference"}  # WeasyPrint tags what it does not know /NonStruct

    def get_pdf_tag(tag):
        return roles.get(tag) or original_tag(tag)

    def add_tags(pdf, document, pdf_version, page_streams):
        margins = [_margin_mcids(page, stream, boxes) for page, stream in zip(document.pages, page_streams)]
        original_add(pdf, document, pdf_version, page_streams)
        try:
            _margins_as_artifacts(pdf, page_streams, margins)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            pass  # not as expected: the post-pass repairs the PDF instead

    get_pdf_tag.pressroom_original = original_tag
    add_tags.pressroom_original = original_add
    tags._get_pdf_tag = get_pdf_tag  # noqa: SLF001
    wpdf.add_tags = add_tags
    return True


def _margin_mcids(page, stream, boxes) -> set[int]:
    """The MCIDs WeasyPrint gave to what its margin boxes paint on a page."""
    tagged = getattr(stream, "_tags", None)  # noqa: SLF001
    page_box = getattr(page, "_page_box", None)  # noqa: SLF001
    if not tagged or page_box is None:
        return set()
    out = set()
    todo = [b for b in page_box.children if isinstance(b, boxes.MarginBox)]
    while todo:
        box = todo.pop()
        kid = tagged.get(box)
        if kid is not None:
            out.add(kid["mcid"])
        todo += getattr(box, "children", ())
    return out


def _margins_as_artifacts(pdf, page_streams, margins) -> None:
    import pydyf
    root = pdf.objects[int(pdf.catalog["StructTreeRoot"].split()[0])]
    nums = pdf.objects[int(root["ParentTree"].split()[0])]["Nums"]
    for number, (stream, mcids) in enumerate(zip(page_streams, margins)):
        if not mcids:
            continue
        items = stream.stream
        for i in range(1, len(items) - 1):
            item = items[i]
            if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids and items[i + 1] == b"BDC":
                items[i - 1] = "/Artifact"
                items[i] = pydyf.Dictionary({"Type": "/Pagination"})
        entries = nums[2 * number + 1]
        for mcid in mcids:
            entries[mcid] = "null"


@functools.cache
def proper_nouns_not_hyphenated() -> bool:
    """Words that start with a capital letter (proper nouns, and titles used as names: Washington,
    Canada, the President) are never hyphenated. CSS has no property for it; WeasyPrint asks pyphen
    for the break points of each word it would hyphenate (weasyprint.text.line_break, through its
    module attribute `pyphen`), so it is given a dictionary that offers none in a capitalised word.
    The other rules (at least three letters each side) are CSS: hyphenate-limit-chars."""
    try:
        import pyphen
        from weasyprint.text import line_break
    except ImportError:
        return False
    current = getattr(line_break, "pyphen", None)
    if getattr(current, "pressroom", False):
        return True
    if current is not pyphen or not hasattr(pyphen, "Pyphen") or not hasattr(pyphen, "language_fallback"):
        return False

    class Dictionary(pyphen.Pyphen):
        def iterate(self, word):
            return iter(()) if word[:1].isupper() else super().iterate(word)

    line_break.pyphen = types.SimpleNamespace(Pyphen=Dictionary, language_fallback=pyphen.language_fallback,
                                              pressroom=True)
    return True


# pypdf's and WeasyPrint's private attributes -----------------------------------------------------

def add_object(writer, obj):
    """Add a free object to a pypdf writer; its indirect reference (pypdf has no public way)."""
    return writer._add_object(obj)  # noqa: SLF001


def writer_object(writer, number: int):
    """The object a pypdf writer holds under an object number (None when freed)."""
    return writer._objects[number - 1]  # noqa: SLF001


def free_object(writer, number: int) -> None:
    """Free an object of a pypdf writer: it is written as a free entry of the cross-reference table."""
    writer._objects[number - 1] = None  # noqa: SLF001


def root_object(writer):
    """A pypdf writer's document catalogue."""
    return writer._root_object  # noqa: SLF001


def info_dictionary(writer):
    """A pypdf writer's /Info dictionary, or None."""
    return writer._info.get_object() if writer._info is not None else None  # noqa: SLF001


def file_identifier(writer):
    """The trailer's /ID array of a pypdf writer (None when it has none)."""
    return writer._ID  # noqa: SLF001


def set_file_identifier(writer, first: bytes, second: bytes | None = None) -> None:
    """Set the trailer's /ID (both equal unless told otherwise: PDF 14.4, a file first written)."""
    from pypdf.generic import ArrayObject, ByteStringObject
    writer._ID = ArrayObject([ByteStringObject(first), ByteStringObject(first if second is None else second)])  # noqa: SLF001


def translated_objects(writer, reader) -> dict:
    """pypdf's map of a reader's object numbers to the writer's, for objects already copied over."""
    return writer._id_translated.setdefault(id(reader), {"PreventGC": reader})  # noqa: SLF001


def set_encoded_data(stream, data: bytes) -> None:
    """Set a pypdf stream's encoded bytes (pypdf has no public setter for already encoded data)."""
    stream._data = data  # noqa: SLF001


def page_type(page):
    """The @page type of a WeasyPrint page (name, blank...): the only place WeasyPrint keeps it."""
    return page._page_box.page_type  # noqa: SLF001


# What each relies on ------------------------------------------------------------------------------

def expectations() -> list[str]:
    """What the libraries no longer offer of what the changes and helpers above use (empty: all is
    as expected)."""
    import inspect

    import pydyf
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject
    from weasyprint.pdf import fonts
    missing = []
    clean = getattr(fonts.Font.clean, "pressroom_original", fonts.Font.clean)
    if list(inspect.signature(clean).parameters) != ["self", "to_unicode", "hinting"]:
        missing.append("weasyprint.pdf.fonts.Font.clean(self, to_unicode, hinting)")
    for name in ("file_content", "index", "tables", "png", "svg", "colr", "missing"):
        if name not in inspect.getsource(fonts.Font.__init__):
            missing.append(f"weasyprint.pdf.fonts.Font.{name}")
    if not (getattr(pydyf, "zlib", None) is zlib or isinstance(getattr(pydyf, "zlib", None), _Zlib)):
        missing.append("pydyf.zlib (the module pydyf compresses streams with)")
    if "zlib.compressobj" not in inspect.getsource(pydyf) and "zlib.compress" not in inspect.getsource(pydyf):
        missing.append("pydyf compressing with zlib.compress or zlib.compressobj")
    if not callable(getattr(NameObject, "renumber", None)):
        missing.append("pypdf.generic.NameObject.renumber")
    writer = PdfWriter()
    for name in ("_add_object", "_root_object", "_info", "_ID", "_id_translated", "_objects"):
        if not hasattr(writer, name):
            missing.append(f"pypdf.PdfWriter.{name}")
    if "_data" not in vars(StreamObject()):
        missing.append("pypdf.generic.StreamObject._data")
    from weasyprint.text import line_break
    if not hasattr(line_break, "pyphen") or "pyphen.Pyphen(" not in inspect.getsource(line_break):
        missing.append("weasyprint.text.line_break asking pyphen.Pyphen for hyphenation points")
    from weasyprint.layout.page import PageType  # noqa: F401 - what _page_box.page_type holds
    import weasyprint.pdf as wpdf
    from weasyprint.pdf import tags
    from weasyprint.pdf.stream import Stream
    if not callable(getattr(tags, "_get_pdf_tag", None)):
        missing.append("weasyprint.pdf.tags._get_pdf_tag")
    add_tags = getattr(getattr(wpdf, "add_tags", None), "pressroom_original", getattr(wpdf, "add_tags", None))
    if not callable(add_tags) or list(inspect.signature(add_tags).parameters) != \
            ["pdf", "document", "pdf_version", "page_streams"]:
        missing.append("weasyprint.pdf.add_tags(pdf, document, pdf_version, page_streams)")
    if "self._tags" not in inspect.getsource(Stream):
        missing.append("weasyprint.pdf.stream.Stream._tags")
    if "MarginBox" not in inspect.getsource(tags):
        missing.append("weasyprint.pdf.tags leaving margin boxes out of the tree")
    return missing
