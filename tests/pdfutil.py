"""Reading built PDFs in tests."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader


def reader(path: Path) -> PdfReader:
    """Open a PDF."""
    return PdfReader(str(path))


def page_texts(path: Path) -> list[str]:
    """Extracted text of each page."""
    return [p.extract_text() or "" for p in reader(path).pages]


def normalise(text: str) -> str:
    """Collapse whitespace (text extraction breaks lines where the layout does)."""
    return " ".join(text.replace("\u00ad", "").split())


def outline_titles(path: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark."""
    return outline(reader(path))


def outline(r: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark of an open PDF."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, r.get_destination_page_number(item)))
    walk(r.outline, 0)
    return out


def find_page(texts: list[str], needle: str) -> int:
    """Index of the first page whose text holds `needle` (whitespace-insensitive)."""
    n = normalise(needle)
    for i, t in enumerate(texts):
        if n in normalise(t):
            return i
    raise AssertionError(f"{needle!r} is on no page")
