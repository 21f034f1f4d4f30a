"""Personalise a built edition with pypdf: an artifact stamp on the cover and in every footer, tags kept."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.constants import UserAccessPermissions
from pypdf.generic import DecodedStreamObject

from ..pdf import patches
from ..pdf.content import (
    ENCODING,
    FONT_NAME,
    StampFont,
    font_resource,
    font_source,
    in_winansi,
    num,
    page_box,
    rgb,
    sans_font,
    text_op,
    wrap_contents,
)

log = logging.getLogger(__name__)

FONT_RESOURCE = "/PRStamp"
"""Name of the stamp font in each page's /Font resources."""

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


def printable(text: str) -> str:
    """`text` as the stamp prints it: Western European letters kept, others transliterated (`Ł` -> `L`).

    Raises UnprintableError for a character with no Latin equivalent (Greek, Cyrillic, CJK...)."""
    out = []
    for char in text:
        if in_winansi(char):
            out.append(char)
            continue
        if char in TRANSLITERATIONS:
            out.append(TRANSLITERATIONS[char])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base and all(in_winansi(c) for c in base):
            out.append(base)
            continue
        raise UnprintableError(char)
    return "".join(out)


@lru_cache(maxsize=1)
def stamper_fingerprint() -> str:
    """What, besides its inputs, a copy's bytes depend on: stamp version, font file and library versions."""
    import fontTools
    import pypdf
    with open(font_source(), "rb") as f:
        font = hashlib.file_digest(f, "sha256").hexdigest()
    return f"stamp {STAMP_VERSION}; font {font}; fontTools {fontTools.version}; pypdf {pypdf.__version__}"


def stamp_font() -> StampFont:
    """Source Sans 3 Regular, subset to the WinAnsi characters (made once per process, deterministic)."""
    chars = "".join(sorted(c for c in bytes(range(32, 256)).decode(ENCODING, errors="ignore") if in_winansi(c)))
    return sans_font(400, chars, FONT_NAME)


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
        out += rgb((1, 1, 1), b"rg") + b"%s %s %s %s re f\n" % (
            num(x - 2), num(y - size * 0.3), num(w + 4), num(size * 1.25))
        out += rgb(MUTED, b"rg") + text_op(font_name, size, x, y, line)
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
    out = rgb((1, 1, 1), b"rg") + rgb(NAVY, b"RG") + b"0.6 w\n"
    out += b"%s %s %s %s re B\n" % (num(left), num(top - height), num(w + 2 * pad + 2), num(height))
    out += rgb(NAVY, b"rg")
    for i, line in enumerate(lines):
        out += text_op(font_name, size, left + pad + 1, top - pad - size * 0.8 - i * leading, line)
    return out


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
        font_ref = patches.add_object(self.writer, self.font.font_dict(self.writer))
        save = DecodedStreamObject()
        save.set_data(b"q\n")
        save_ref = patches.add_object(self.writer, save)
        self.pages: list[tuple[tuple[float, float, float, float], DecodedStreamObject, bytes]] = []
        done: dict[int, bytes] = {}
        for page in self.writer.pages:
            font_name = font_resource(page, font_ref, FONT_RESOURCE, done)
            stamp = DecodedStreamObject()
            stamp.set_data(b"Q\n")
            wrap_contents(self.writer, page, save_ref, stamp)
            self.pages.append((page_box(page), stamp, font_name))

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
        elif patches.info_dictionary(self.writer) is not None:  # a previous copy's number must not linger
            patches.info_dictionary(self.writer).pop("/CopyNumber", None)
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



def stamping_problems(data: bytes) -> list[str]:
    """What stamping can change in a copy, checked: the document still tagged, titled and in its
    language, and on every page the stamp drawn as an artifact with an embedded font that maps to
    Unicode. Stamping touches nothing else (the structure tree, the edition's fonts and links are the
    edition's own objects, written again as they were), so the copies of one edition after the first
    are checked for this, the first in full (pressroom.pdf.accessibility.check_pdf)."""
    reader = PdfReader(BytesIO(data))
    root = reader.trailer["/Root"]
    problems = []
    if (root.get("/MarkInfo") or {}).get("/Marked") != True:  # noqa: E712 - a pypdf BooleanObject is always truthy
        problems.append("not marked as tagged (/MarkInfo /Marked true)")
    if "/StructTreeRoot" not in root:
        problems.append("no structure tree")
    if not root.get("/Lang"):
        problems.append("no /Lang")
    if (root.get("/ViewerPreferences") or {}).get("/DisplayDocTitle") != True:  # noqa: E712
        problems.append("the title is not shown (/DisplayDocTitle)")
    if not (reader.metadata and reader.metadata.title):
        problems.append("no /Title")
    for number, page in enumerate(reader.pages, 1):
        contents = page.get("/Contents")
        last = contents.get_object()[-1].get_object().get_data() if contents is not None else b""
        if not (last.startswith(b"Q\n/Artifact BMC\n") and last.rstrip().endswith(b"EMC")):
            problems.append(f"page {number}: the stamp is not marked as an artifact")
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in (f.get_object() for f in fonts.values()):
            if str(font.get("/BaseFont", "")).endswith("+" + FONT_NAME):
                descriptor = font["/FontDescriptor"].get_object()
                if "/FontFile2" not in descriptor or not ("/ToUnicode" in font or "/Encoding" in font):
                    problems.append(f"page {number}: the stamp's font is not embedded with a Unicode mapping")
    return problems
