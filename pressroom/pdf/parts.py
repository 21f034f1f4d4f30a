"""The report in parts: the cover pages, the contents, each front-matter section, the summary of
recommendations, each chapter, the appendix and each back-matter section are laid out apart and
cached by what they contain (each opens on a right-hand page and restarts its footnotes, so none
depends on where the one before it ended); pressroom.pdf.join joins them.

A build lays out only the parts that changed, each alone and in parallel. The parts that print
page numbers of others (the contents, the summary of recommendations) wait until those are laid
out; they are short, so little waits on them.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation
from ..render.html import PAGE_PLACEHOLDER, roman
from .layout import UrlLocator, layout, write_pdf

PART_MARK = re.compile(r"<!--pressroom:part ([^ >]+)( front)?-->\n?")
FIRST_PART = "cover"
"""Name of the part before the first mark: the cover and what follows it up to the contents."""
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
    front: tuple[Part, ...]
    """Cover pages, contents, front-matter sections, summary of recommendations (numbered i, ii...)."""
    body: tuple[Part, ...]
    """Chapters, appendix and back matter, in order (numbered 1, 2...)."""

    @property
    def parts(self) -> tuple[Part, ...]:
        """Every part, in order."""
        return self.front + self.body

    def document(self, parts: list[Part]) -> str:
        """A complete HTML document of some parts, in order."""
        return self.head + "".join(p.html for p in parts) + "\n</body>\n</html>\n"


def split_report(page_html: str) -> ReportParts:
    """Cut the report's print page at the marks its template puts between parts
    (pressroom.render.html.part_break); the parts marked `front` and the first one are the front matter."""
    start = page_html.index("<body")
    head_end = page_html.index(">", start) + 1
    end = page_html.rindex("</body>")
    body = page_html[head_end:end]
    pieces = PART_MARK.split(body)
    front = [Part(FIRST_PART, link_outside(pieces[0]))]
    rest = []
    for i in range(1, len(pieces), 3):
        (front if pieces[i + 1] and not rest else rest).append(Part(pieces[i], link_outside(pieces[i + 2])))
    return ReportParts(page_html[:head_end], tuple(front), tuple(rest))


def numbered_by_others(part: Part) -> bool:
    """Whether the part prints page numbers of anchors (and so waits for the parts they are in)."""
    return PAGE_PLACEHOLDER.search(part.html) is not None


def link_outside(fragment: str) -> str:
    """Links to anchors that are not in this fragment point to `pressroom-anchor:<id>`: laid out
    alone, the part cannot resolve them; the join turns them into links to the named destination."""
    from .join import EXTERNAL_ANCHOR
    ids = set(ID_ATTR.findall(fragment))
    return HREF_LOCAL.sub(lambda m: m.group(0) if m.group(1) in ids else f'href="{EXTERNAL_ANCHOR}{m.group(1)}"',
                          fragment)


def fill_page_numbers(part: Part, labels: dict[str, str], source: str, provisional: bool = False) -> Part:
    """The part with the printed page numbers of anchors where the template left placeholders.

    `provisional`: some parts are not laid out yet; an anchor whose page is not known yet gets an
    empty number for now (the part is laid out again once it is)."""
    missing = sorted({m.group(1) for m in PAGE_PLACEHOLDER.finditer(part.html) if m.group(1) not in labels})
    if missing and not provisional:
        raise BuildError([Problem(SourceLocation(source), f"no page number for '{a}' (the contents or the "
                                                          "summary of recommendations refer to it)")
                          for a in missing])
    return Part(part.name, PAGE_PLACEHOLDER.sub(lambda m: htmllib.escape(labels.get(m.group(1), "")), part.html))


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
                stylesheets: tuple[Path, ...], allowed: list[Path], source: str, cache_dir: Path,
                locate: UrlLocator | None = None) -> Unit:
    """Lay out consecutive parts in one document and write its PDF."""
    html = parts.document(chosen)
    laid = layout(html, root, stylesheets, allowed, source, cache_dir, locate)
    starts = []
    for p in chosen:
        first = laid.anchor_pages.get(p.name)
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


def page_labels(front: list[tuple[str, LaidPart | None]], body: list[tuple[str, LaidPart | None]]) -> dict[str, str]:
    """Printed page numbers of the anchors of the parts (name, laid-out part), each part opening on
    a right-hand page: roman from the cover in the front matter, arabic from 1 in the body. A part
    not laid out yet (None) counts as one page, with only its opening anchor known."""
    from .join import recto_starts
    labels: dict[str, str] = {}
    for parts, label in ((front, roman), (body, str)):
        for (name, part), start in zip(parts, recto_starts([p.count if p else 1 for _, p in parts])):
            for anchor, offset in (part.anchors.items() if part else ((name, 0),)):
                labels.setdefault(anchor, label(start + offset + 1))
    return labels


def group_units(missing: list[Part]) -> list[list[Part]]:
    """Parts to lay out, one document each, the largest first (so that the workers finish together).

    Each part is always laid out alone, never with its neighbours: its PDF then depends on its own
    HTML only, so a report joined from parts laid out in different builds is byte for byte the one
    a cold build makes (laying neighbours out together would save WeasyPrint's per-document work,
    mostly font subsetting, but make the bytes depend on which parts changed together)."""
    return [[p] for p in sorted(missing, key=lambda p: -len(p.html))]
