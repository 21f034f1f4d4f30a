"""The report in parts: the front matter, each chapter, the appendix and each back-matter section are
laid out apart and cached by what they contain (each opens on a right-hand page and restarts its
footnotes, so none depends on where the one before it ended); pressroom.assemble joins them.

A build lays out only the parts that changed, each alone and in parallel, and the front matter
last, once the chapters' page numbers are known for its contents.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, Problem, SourceLocation
from .html import PAGE_PLACEHOLDER, roman

PART_MARK = re.compile(r"<!--pressroom:part ([^ >]+)-->\n?")
ID_ATTR = re.compile(r'\bid="([^"]+)"')
HREF_LOCAL = re.compile(r'\bhref="#([^"]+)"')
UNNUMBERED_PAGES = ("cover", "quiet")
"""Named pages (styles/print.css) that show no folio; blank pages show none either."""


@dataclass(frozen=True)
class Part:
    """One part of the report's print page."""

    name: str
    """`front`, or the id of the section the part is."""
    html: str
    """Its body fragment, links to the other parts made external (see link_outside)."""


@dataclass(frozen=True)
class ReportParts:
    """The report's print page cut into parts."""

    head: str
    """Everything up to and including `<body ...>`."""
    front: Part
    """Cover, colophon, epigraph, contents and front matter (page numbers still to fill in)."""
    body: tuple[Part, ...]
    """Chapters, appendix and back matter, in order."""

    def document(self, parts: list[Part]) -> str:
        """A complete HTML document of some parts, in order."""
        return self.head + "".join(p.html for p in parts) + "\n</body>\n</html>\n"


def split_report(page_html: str) -> ReportParts:
    """Cut the report's print page at the marks its template puts between parts."""
    start = page_html.index("<body")
    head_end = page_html.index(">", start) + 1
    end = page_html.rindex("</body>")
    body = page_html[head_end:end]
    pieces = PART_MARK.split(body)
    front = Part("front", link_outside(pieces[0]))
    parts = tuple(Part(pieces[i], link_outside(pieces[i + 1])) for i in range(1, len(pieces), 2))
    return ReportParts(page_html[:head_end], front, parts)


def link_outside(fragment: str) -> str:
    """Links to anchors that are not in this fragment point to `pressroom-anchor:<id>`: laid out
    alone, the part cannot resolve them; the join turns them into links to the named destination."""
    from .assemble import EXTERNAL_ANCHOR
    ids = set(ID_ATTR.findall(fragment))
    return HREF_LOCAL.sub(lambda m: m.group(0) if m.group(1) in ids else f'href="{EXTERNAL_ANCHOR}{m.group(1)}"',
                          fragment)


def fill_page_numbers(fragment: str, labels: dict[str, str], source: str) -> str:
    """Put the printed page numbers of the chapters' anchors where the template left placeholders."""
    missing = sorted({m.group(1) for m in PAGE_PLACEHOLDER.finditer(fragment) if m.group(1) not in labels})
    if missing:
        raise BuildError([Problem(SourceLocation(source), f"no page number for '{a}' (the contents or the "
                                                          "summary of recommendations refer to it)")
                          for a in missing])
    return PAGE_PLACEHOLDER.sub(lambda m: htmllib.escape(labels[m.group(1)]), fragment)


@dataclass(frozen=True)
class LaidPart:
    """Where a laid-out part is: which PDF, which pages."""

    name: str
    """Part name."""
    key: str
    """Its build key."""
    unit: str
    """SHA-256 of the PDF it was laid out in."""
    first: int
    """Its first page in that PDF."""
    count: int
    """Its number of pages (without a blank page after it)."""
    anchors: dict
    """Anchor id to page index within the part."""
    numbered: tuple
    """For each page, whether it shows a folio."""

    def meta(self) -> dict:
        """JSON form, for the cache."""
        return {"name": self.name, "key": self.key, "unit": self.unit, "first": self.first, "count": self.count,
                "anchors": self.anchors, "numbered": list(self.numbered)}

    @classmethod
    def from_meta(cls, d: dict) -> "LaidPart":
        """Back from the JSON form."""
        return cls(d["name"], d["key"], d["unit"], d["first"], d["count"], d["anchors"], tuple(d["numbered"]))


@dataclass(frozen=True)
class Unit:
    """Parts laid out together, in one WeasyPrint document."""

    pdf: bytes
    """Its PDF."""
    parts: tuple[LaidPart, ...]
    """Where each part is in it."""


def part_key(common: str, head: str, part: Part) -> str:
    """Build key of a part: what every part depends on (code, styles, fonts, versions), the page's
    head (language, title, stylesheets) and the part's own HTML."""
    h = hashlib.sha256()
    for piece in (common, head, part.name, part.html):
        h.update(piece.encode() + b"\0")
    return h.hexdigest()


def layout_unit(parts: ReportParts, chosen: list[Part], keys: dict[str, str], root: Path,
                stylesheets: tuple[Path, ...], allowed: list[Path], source: str, cache_dir: Path) -> Unit:
    """Lay out consecutive parts in one document and write its PDF."""
    from .pdf import layout, write_pdf
    html = parts.document(chosen)
    laid = layout(html, root, stylesheets, allowed, source, cache_dir)
    starts = []
    for p in chosen:
        anchor = None if p.name == "front" else p.name
        first = 0 if anchor is None else laid.anchor_pages.get(anchor)
        if first is None:
            raise BuildError([Problem(SourceLocation(source), f"part '{p.name}' has no anchor '{p.name}' "
                                                              "(each part must open with a section of that id)")])
        starts.append(first)
    data = write_pdf(laid, html)
    digest = hashlib.sha256(data).hexdigest()
    out = []
    for i, p in enumerate(chosen):
        first = starts[i]
        end = starts[i + 1] if i + 1 < len(chosen) else laid.pages
        while end - 1 > first and laid.page_kinds[end - 1][1]:
            end -= 1  # the blank page WeasyPrint put before the next part is not the part's
        anchors = {a: page - first for a, page in laid.anchor_pages.items() if first <= page < end}
        numbered = tuple(not blank and name not in UNNUMBERED_PAGES for name, blank in laid.page_kinds[first:end])
        out.append(LaidPart(p.name, keys[p.name], digest, first, end - first, anchors, numbered))
    return Unit(data, tuple(out))


def body_labels(body: list[LaidPart]) -> dict[str, str]:
    """Printed page numbers of the body's anchors: arabic from 1, each part on a right-hand page."""
    from .assemble import recto_starts
    labels: dict[str, str] = {}
    for part, start in zip(body, recto_starts([p.count for p in body])):
        for anchor, offset in part.anchors.items():
            labels.setdefault(anchor, str(start + offset + 1))
    return labels


def front_labels(front: LaidPart) -> dict[str, str]:
    """Printed page numbers of the front matter's anchors: roman from the cover."""
    return {anchor: roman(offset + 1) for anchor, offset in front.anchors.items()}


def group_units(missing: list[Part]) -> list[list[Part]]:
    """Parts to lay out, one document each, the largest first (so that the workers finish together).

    Each part is always laid out alone, never with its neighbours: its PDF then depends on its own
    HTML only, so a report joined from parts laid out in different builds is byte for byte the one
    a cold build makes (laying neighbours out together would save WeasyPrint's per-document work,
    mostly font subsetting, but make the bytes depend on which parts changed together)."""
    return [[p] for p in sorted(missing, key=lambda p: -len(p.html))]
