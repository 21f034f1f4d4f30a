"""Personalise a built edition with pypdf: an artifact stamp on the cover and in every footer, tags kept."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.constants import UserAccessPermissions
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject, StreamObject

log = logging.getLogger(__name__)

FONT_RESOURCE = "/PRStamp"
"""Name of the stamp font in each page's /Font resources."""
FONT_NAME = "SourceSans3-Regular"
"""PostScript name of the embedded stamp font."""
ENCODING = "cp1252"
"""Python codec of the PDF's /WinAnsiEncoding (the stamp font's encoding)."""

MM = 72 / 25.4
NAVY = (0.121569, 0.164706, 0.266667)  # #1f2a44, the styles' --navy
MUTED = (0.356863, 0.372549, 0.4)  # #5b5f66, the styles' footer grey
COVER_LEFT = 22 * MM  # left margin of the briefs' cover
COVER_BAND = 14 * MM  # height of the briefs' navy cover band; the label sits inside it
STAMP_VERSION = "1"
"""Bump when the stamp's layout or text changes, so that copies made before are made again."""
COVER_SIZES = (9.0, 8.0, 7.0)
FOOTER_SIZES = (6.5, 6.0, 5.5, 5.0)
FOOTER_BASELINE = 10.0  # points above the page's bottom edge, below the styles' footers
FOOTER_SIDE = 36.0  # points kept clear on each side of a footer line

# Letters outside WinAnsi that Unicode decomposition does not reduce to one inside it.
TRANSLITERATIONS = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŋ": "n", "Ŋ": "N",
    "ŧ": "t", "Ŧ": "T", "ĸ": "k", "ſ": "s", "ə": "e", "Ə": "E", "ʻ": "‘", "ʼ": "’", "ʹ": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "–", "\u2212": "-", "\u2015": "—",
    "\u202f": "\u00a0", "\u2007": "\u00a0", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
}


class UnprintableError(ValueError):
    """A character the stamp font cannot show, even transliterated."""

    def __init__(self, char: str):
        self.char = char
        super().__init__(f"'{char}' (U+{ord(char):04X})")


def _in_winansi(char: str) -> bool:
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return char >= " " and char != "\x7f"


def printable(text: str) -> str:
    """`text` as the stamp prints it: Western European letters kept, others transliterated (`Ł` -> `L`).

    Raises UnprintableError for a character with no Latin equivalent (Greek, Cyrillic, CJK...)."""
    out = []
    for char in text:
        if _in_winansi(char):
            out.append(char)
            continue
        if char in TRANSLITERATIONS:
            out.append(TRANSLITERATIONS[char])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base and all(_in_winansi(c) for c in base):
            out.append(base)
            continue
        raise UnprintableError(char)
    return "".join(out)


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
        program._data = zlib.compress(self.program, 9)  # noqa: SLF001 - pypdf has no public setter for encoded data
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
            NameObject("/FontFile2"): writer._add_object(program),  # noqa: SLF001
        })
        return DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): NameObject(f"/{tag}+{name}"),
            NameObject("/FirstChar"): NumberObject(32),
            NameObject("/LastChar"): NumberObject(255),
            NameObject("/Widths"): ArrayObject(NumberObject(w) for w in self.widths),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),  # noqa: SLF001
        })


def _font_source():
    from .pdf import font_files
    return next(f for f in font_files() if f.name.startswith("SourceSans3[") and "Italic" not in f.name)


@lru_cache(maxsize=1)
def stamper_fingerprint() -> str:
    """What, besides its inputs, a copy's bytes depend on: stamp version, font file and library versions."""
    import fontTools
    import pypdf
    with open(_font_source(), "rb") as f:
        font = hashlib.file_digest(f, "sha256").hexdigest()
    return f"stamp {STAMP_VERSION}; font {font}; fontTools {fontTools.version}; pypdf {pypdf.__version__}"


def stamp_font() -> StampFont:
    """Source Sans 3 Regular, subset to the WinAnsi characters (made once per process, deterministic)."""
    chars = "".join(sorted(c for c in bytes(range(32, 256)).decode(ENCODING, errors="ignore") if _in_winansi(c)))
    return sans_font(400, chars, FONT_NAME)


@lru_cache(maxsize=4)
def sans_font(weight: int, chars: str, name: str) -> StampFont:
    """Source Sans 3 at `weight`, subset to `chars`, as a simple WinAnsi TrueType font."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    font = TTFont(str(_font_source()), recalcTimestamp=False)
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
    program = static_subset(_font_source().read_bytes(), 0, (), lambda axes: {"wght": float(weight)}, False, True,
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


@dataclass(frozen=True)
class StampText:
    """What one personalised copy says about whom it is for."""

    prepared_for: str
    """`Prepared for Jane Doe, Director, Office` (already in the copy's language)."""
    copy: str
    """`Copy 2 of 5`."""
    date: str
    """The batch date, long form (`September 21, 2009`)."""
    recipient: str
    """Recipient as written in the PDF metadata (/Recipient): full Unicode."""
    copy_number: str = ""
    """`2/5`, written to the metadata as /CopyNumber."""

    @property
    def line(self) -> str:
        """The one-line form: `Prepared for ... · Copy n of N · date`."""
        return " · ".join(p for p in (self.prepared_for, self.copy, self.date) if p)


def _literal(text: str) -> bytes:
    data = text.encode(ENCODING)
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _wrap(font: StampFont, text: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a single word longer than the line is kept whole (it is shrunk elsewhere)."""
    lines, current = [], ""
    for word in text.split(" "):
        trial = f"{current} {word}" if current else word
        if current and font.width(trial, size) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _fit(font: StampFont, paragraphs: list[str], sizes: tuple[float, ...], width: float,
         max_lines: int) -> tuple[float, list[str]]:
    """The largest size at which the paragraphs fit `width` in at most `max_lines` lines."""
    for size in sizes:
        lines = [line for p in paragraphs for line in _wrap(font, p, size, width)]
        if len(lines) <= max_lines and all(font.width(line, size) <= width for line in lines):
            return size, lines
    size = sizes[-1]
    lines = [line for p in paragraphs for line in _wrap(font, p, size, width)]
    return size, lines


def _num(v: float) -> bytes:
    return (f"{v:.2f}".rstrip("0").rstrip(".") or "0").encode()


def _text(font_name: bytes, size: float, x: float, y: float, line: str) -> bytes:
    return b"BT %s %s Tf 1 0 0 1 %s %s Tm %s Tj ET\n" % (font_name, _num(size), _num(x), _num(y), _literal(line))


def _rgb(c: tuple[float, float, float], op: bytes) -> bytes:
    return b"%s %s %s %s\n" % (_num(c[0]), _num(c[1]), _num(c[2]), op)


def footer_ops(font: StampFont, font_name: bytes, box: tuple[float, float, float, float], stamp: StampText) -> bytes:
    """Content operators of the footer line, centred under the page's own footer, on a white ground."""
    x0, y0, x1, _ = box
    width = (x1 - x0) - 2 * FOOTER_SIDE
    size, lines = _fit(font, [stamp.line], FOOTER_SIZES, width, 2)
    out = b""
    leading = size * 1.25
    for i, line in enumerate(lines):
        y = y0 + FOOTER_BASELINE + (len(lines) - 1 - i) * leading
        w = font.width(line, size)
        x = x0 + ((x1 - x0) - w) / 2
        out += _rgb((1, 1, 1), b"rg") + b"%s %s %s %s re f\n" % (
            _num(x - 2), _num(y - size * 0.3), _num(w + 4), _num(size * 1.25))
        out += _rgb(MUTED, b"rg") + _text(font_name, size, x, y, line)
    return out


def cover_ops(font: StampFont, font_name: bytes, box: tuple[float, float, float, float], stamp: StampText) -> bytes:
    """Content operators of the cover label: who the copy is for, its number and date, top left."""
    x0, _, x1, y1 = box
    left = x0 + COVER_LEFT
    width = (x1 - left) - COVER_LEFT - 8
    size, lines = _fit(font, [stamp.prepared_for, " · ".join(p for p in (stamp.copy, stamp.date) if p)],
                       COVER_SIZES, width, 4)
    leading = size * 1.25
    pad = 4.0
    height = 2 * pad + size + (len(lines) - 1) * leading + size * 0.25
    top = y1 - (COVER_BAND - height) / 2 if height <= COVER_BAND - 4 else y1 - 2
    w = max(font.width(line, size) for line in lines)
    out = _rgb((1, 1, 1), b"rg") + _rgb(NAVY, b"RG") + b"0.6 w\n"
    out += b"%s %s %s %s re B\n" % (_num(left), _num(top - height), _num(w + 2 * pad + 2), _num(height))
    out += _rgb(NAVY, b"rg")
    for i, line in enumerate(lines):
        out += _text(font_name, size, left + pad + 1, top - pad - size * 0.8 - i * leading, line)
    return out


def _page_box(page) -> tuple[float, float, float, float]:
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
    page[NameObject("/Contents")] = ArrayObject([save_ref, *parts, writer._add_object(stamp)])  # noqa: SLF001


class Stamper:
    """One built edition, cloned once, from which any number of personalised copies are written.

    `PdfWriter(clone_from=...)` carries the whole document over: structure tree, /MarkInfo, /Lang,
    outlines, page labels, names and XMP metadata. Each page's content becomes
    `[q] + original + [Q + stamp]`, where the stamp is one `/Artifact BMC ... EMC` sequence drawn with
    an embedded font added to the page's resources. Only the stamp streams and the /Recipient entry
    change from one copy to the next, so writing a copy costs one serialisation, not a clone."""

    def __init__(self, pdf: bytes, font: StampFont | None = None):
        self.font = font or stamp_font()
        self.writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
        font_ref = self.writer._add_object(self.font.font_dict(self.writer))  # noqa: SLF001
        save = DecodedStreamObject()
        save.set_data(b"q\n")
        save_ref = self.writer._add_object(save)  # noqa: SLF001
        self.pages: list[tuple[tuple[float, float, float, float], DecodedStreamObject, bytes]] = []
        done: dict[int, bytes] = {}
        for page in self.writer.pages:
            font_name = font_resource(page, font_ref, FONT_RESOURCE, done)
            stamp = DecodedStreamObject()
            stamp.set_data(b"Q\n")
            wrap_contents(self.writer, page, save_ref, stamp)
            self.pages.append((_page_box(page), stamp, font_name))

    def copy(self, stamp: StampText, owner_password: str | None = None) -> bytes:
        """The PDF of one personalised copy; with `owner_password`, editing is restricted."""
        shown = replace(stamp, prepared_for=printable(stamp.prepared_for), copy=printable(stamp.copy),
                        date=printable(stamp.date))
        for i, (box, stream, font_name) in enumerate(self.pages):
            ops = cover_ops(self.font, font_name, box, shown) if i == 0 else b""
            ops += footer_ops(self.font, font_name, box, shown)
            stream.set_data(b"Q\n/Artifact BMC\nq\n" + ops + b"Q\nEMC\n")
        self.writer.add_metadata({"/Recipient": stamp.recipient})
        if stamp.copy_number:
            self.writer.add_metadata({"/CopyNumber": stamp.copy_number})
        elif self.writer._info is not None:  # noqa: SLF001 - a previous copy's number must not linger
            self.writer._info.get_object().pop("/CopyNumber", None)  # noqa: SLF001
        out = BytesIO()
        self.writer.write(out)
        data = out.getvalue()
        return restrict(data, owner_password) if owner_password else data


RESTRICTED_PERMISSIONS = (UserAccessPermissions.all()
                          & ~UserAccessPermissions.MODIFY & ~UserAccessPermissions.ADD_OR_MODIFY
                          & ~UserAccessPermissions.FILL_FORM_FIELDS & ~UserAccessPermissions.ASSEMBLE_DOC)
"""Print, copy and accessibility extraction allowed (PDF/UA needs the last); editing, annotating,
form filling and assembling not."""


def restrict(pdf: bytes, owner_password: str) -> bytes:
    """`pdf` encrypted with AES-256, no user password, editing reserved to the owner password.

    Encryption uses random salts and IVs (as the standard requires), so restricted copies are not
    byte-for-byte reproducible; the distribution keeps the copy it already made instead."""
    if not owner_password:
        raise ValueError("an owner password is required to restrict a copy")
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    writer.encrypt(user_password="", owner_password=owner_password, permissions_flag=RESTRICTED_PERMISSIONS,
                   algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def stamp_pdf(pdf: bytes, stamp: StampText, owner_password: str | None = None) -> bytes:
    """One personalised copy of `pdf` (see Stamper)."""
    return Stamper(pdf).copy(stamp, owner_password)

