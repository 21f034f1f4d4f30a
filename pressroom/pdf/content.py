"""PDF content-stream helpers shared by the folios and the copies' stamp: numbers, colours, embedded
subset fonts, font resources, and wrapping a page's contents."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from . import patches

FONT_NAME = "SourceSans3-Regular"
"""PostScript name of the embedded stamp font."""


ENCODING = "cp1252"
"""Python codec of the PDF's /WinAnsiEncoding (the stamp font's encoding)."""


def in_winansi(char: str) -> bool:
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return char >= " " and char != "\x7f"


@dataclass(frozen=True)
class StampFont:
    """The project's sans-serif, subset to WinAnsi and embedded once per copy."""

    program: bytes
    """TrueType program (static instance, WinAnsi glyphs only)."""
    widths: tuple[int, ...]
    """Advance widths of codes 32 to 255, in thousandths of an em."""
    bbox: tuple[int, int, int, int]
    """Font bounding box, in thousandths of an em."""
    ascent: int
    """Ascender, in thousandths of an em."""
    descent: int
    """Descender (negative), in thousandths of an em."""
    cap_height: int
    """Height of capitals, in thousandths of an em."""
    name: str = FONT_NAME
    """PostScript name (after the subset tag)."""

    def width(self, text: str, size: float) -> float:
        """Width in points of text at `size` (text already made printable)."""
        return sum(self.widths[b - 32] if b >= 32 else 0 for b in text.encode(ENCODING)) * size / 1000

    def font_dict(self, writer: PdfWriter) -> DictionaryObject:
        """The /Font dictionary (with descriptor and program) added to `writer`."""
        program = StreamObject()
        patches.set_encoded_data(program, zlib.compress(self.program, 9))
        program[NameObject("/Filter")] = NameObject("/FlateDecode")
        program[NameObject("/Length1")] = NumberObject(len(self.program))
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(self.program).digest()[:6])
        name = self.name
        descriptor = DictionaryObject({
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(f"/{tag}+{name}"),
            NameObject("/Flags"): NumberObject(32),  # nonsymbolic
            NameObject("/FontBBox"): ArrayObject(NumberObject(v) for v in self.bbox),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(self.ascent),
            NameObject("/Descent"): NumberObject(self.descent),
            NameObject("/CapHeight"): NumberObject(self.cap_height),
            NameObject("/StemV"): NumberObject(80),
            NameObject("/FontFile2"): patches.add_object(writer, program),
        })
        return DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): NameObject(f"/{tag}+{name}"),
            NameObject("/FirstChar"): NumberObject(32),
            NameObject("/LastChar"): NumberObject(255),
            NameObject("/Widths"): ArrayObject(NumberObject(w) for w in self.widths),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            NameObject("/FontDescriptor"): patches.add_object(writer, descriptor),
        })


def font_source():
    from .layout import font_files
    return next(f for f in font_files() if f.name.startswith("SourceSans3[") and "Italic" not in f.name)


@lru_cache(maxsize=4)
def sans_font(weight: int, chars: str, name: str) -> StampFont:
    """Source Sans 3 at `weight`, subset to `chars`, as a simple WinAnsi TrueType font."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    font = TTFont(str(font_source()), recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "STAT", "DSIG", "BASE"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in chars})
    subsetter.subset(font)
    if "fvar" in font:
        font = instantiateVariableFont(font, {"wght": weight})
    font.recalcTimestamp = False
    buf = BytesIO()
    font.save(buf)
    return _stamp_font(font, buf.getvalue(), name)


@lru_cache(maxsize=1)
def folio_font(weight: int, chars: str, name: str) -> StampFont:
    """Like sans_font, made by HarfBuzz in a few milliseconds instead of fontTools' half second
    (the report's folios; the copies' stamp keeps sans_font, whose bytes copies already sent have)."""
    from fontTools.ttLib import TTFont

    from .fontembed import static_subset
    program = static_subset(font_source().read_bytes(), 0, (), lambda axes: {"wght": float(weight)}, False, True,
                            unicodes={ord(c) for c in chars},
                            drop=("GSUB", "GPOS", "GDEF", "STAT", "DSIG", "BASE", "HVAR", "MVAR"))
    if program is None:
        return sans_font(weight, chars, name)
    return _stamp_font(TTFont(BytesIO(program)), program, name)


def _stamp_font(font, program: bytes, name: str) -> StampFont:
    """The StampFont of a static TrueType font (`font`, parsed) and its bytes."""
    scale = 1000 / font["head"].unitsPerEm
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    widths = []
    for code in range(32, 256):
        char = bytes([code]).decode(ENCODING, errors="ignore")
        glyph = cmap.get(ord(char)) if char else None
        widths.append(round(hmtx[glyph][0] * scale) if glyph else 0)
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    return StampFont(program, tuple(widths),
                     tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
                     round(hhea.ascent * scale), round(hhea.descent * scale),
                     round(getattr(os2, "sCapHeight", 0) * scale) or 660, name)


def literal(text: str) -> bytes:
    data = text.encode(ENCODING)
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def num(v: float) -> bytes:
    return (f"{v:.2f}".rstrip("0").rstrip(".") or "0").encode()


def text_op(font_name: bytes, size: float, x: float, y: float, line: str) -> bytes:
    return b"BT %s %s Tf 1 0 0 1 %s %s Tm %s Tj ET\n" % (font_name, num(size), num(x), num(y), literal(line))


def rgb(c: tuple[float, float, float], op: bytes) -> bytes:
    return b"%s %s %s %s\n" % (num(c[0]), num(c[1]), num(c[2]), op)


def page_box(page) -> tuple[float, float, float, float]:
    box = page.cropbox
    return (float(box.left), float(box.bottom), float(box.right), float(box.top))


def _resources(page) -> DictionaryObject:
    """The page's own /Resources (an inherited one is copied onto the page first)."""
    if "/Resources" not in page:
        inherited = page.get_inherited("/Resources", DictionaryObject())
        page[NameObject("/Resources")] = DictionaryObject(inherited.get_object())
    return page["/Resources"].get_object()


def font_resource(page, font_ref, base: str, done: dict[int, bytes]) -> bytes:
    """The name under which `font_ref` is in the page's /Font resources, added under `base` (or
    `base1`, `base2`... if taken) the first time a resources dictionary is met (`done` remembers)."""
    resources = _resources(page)
    key = id(resources)
    if key not in done:
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = DictionaryObject()
            resources[NameObject("/Font")] = fonts
        fonts = fonts.get_object()
        name, n = base, 0
        while name in fonts and fonts.raw_get(name) != font_ref:
            n += 1
            name = f"{base}{n}"
        fonts[NameObject(name)] = font_ref
        done[key] = name.encode()
    return done[key]


def wrap_contents(writer: PdfWriter, page, save_ref, stamp: StreamObject) -> None:
    """The page's content becomes `[save] + original + [stamp]`: `save` is a shared `q` stream and
    `stamp` starts with `Q`, so the stamp draws in the page's own coordinates whatever the original
    left behind."""
    original = page.raw_get("/Contents") if "/Contents" in page else None
    resolved = original.get_object() if original is not None else None
    if isinstance(resolved, ArrayObject):
        parts = list(resolved)
    else:
        parts = [original] if original is not None else []
    page[NameObject("/Contents")] = ArrayObject([save_ref, *parts, patches.add_object(writer, stamp)])
