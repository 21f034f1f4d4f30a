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
    from .fontembed import static_location, static_subset

    def clean(self, to_unicode, hinting):
        plain = "fvar" not in self.tables or not to_unicode or self.png or self.svg or self.colr
        data = None if plain else static_subset(
            self.file_content, self.index, sorted(to_unicode),
            lambda axes: static_location(self, axes), hinting, bool(self.missing))
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
    for name in ("_add_object", "_root_object", "_info", "_ID", "_id_translated"):
        if not hasattr(writer, name):
            missing.append(f"pypdf.PdfWriter.{name}")
    if "_data" not in vars(StreamObject()):
        missing.append("pypdf.generic.StreamObject._data")
    from weasyprint.text import line_break
    if not hasattr(line_break, "pyphen") or "pyphen.Pyphen(" not in inspect.getsource(line_break):
        missing.append("weasyprint.text.line_break asking pyphen.Pyphen for hyphenation points")
    from weasyprint.layout.page import PageType  # noqa: F401 - what _page_box.page_type holds
    return missing
