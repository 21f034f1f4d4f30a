"""Hyphenation and widow/orphan counts of built PDFs, read from the pages themselves.

    python bench/typesetting.py dist/                 every PDF under dist/, a table per file
    python bench/typesetting.py dist/en/report.pdf    one file
    python bench/typesetting.py --list dist/en/report.pdf   also print each case (page, line)

It reads the PDFs (not the HTML), so a build from any commit can be measured the same way: the
figures in the README compare a build before issue 16 with one after it. Lines and their positions
come from poppler's `pdftotext -bbox-layout` (Debian's poppler-utils).

What is counted, per file:

* hyphenated line ends: lines whose last word ends in a hyphen after a letter (a word hyphenated by
  the renderer, or a compound such as "decision-makers" broken at its own hyphen: a reader sees
  both as a hyphen at the end of a line);
* consecutive: pairs of such lines one after the other in the same paragraph, and runs of three
  or more (the house rule allows at most two in a row);
* split across pages: the last line of a page's text ends in a hyphen (the word's end is overleaf);
* orphans: a paragraph that leaves a single line at the foot of a page and goes on overleaf;
* widows: a paragraph that goes on from the page before and ends with a single line at the head
  of the page.

Text lines are told from running heads, folios and footnotes by their place and height: running
heads and folios lie in the top and bottom margins; a line of running text (10.5 pt, 14.4 pt from
baseline to baseline here) is at least 12.5 pt high, a footnote's line (8 pt) less. A line of a
paragraph that goes on is set full measure (justified); a paragraph's last line is shorter: that
tells a paragraph that continues overleaf from one that ends at the foot of the page.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

NS = "{http://www.w3.org/1999/xhtml}"
HYPHEN_END = re.compile(r"[^\W\d_][\u2010\-\u00ad]$")
MARGIN_TOP = 50.0
"""Points from the top of the page above which a line is a running head."""
MARGIN_BOTTOM = 48.0
"""Points from the bottom of the page below which a line is a folio."""
TEXT_HEIGHT = 12.5
"""The least height of a line of running text (footnotes and captions are smaller)."""
FULL_MEASURE = 4.0
"""A line ending within this many points of the column's right edge is set full measure."""


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    left: float
    right: float

    @property
    def hyphenated(self) -> bool:
        return bool(HYPHEN_END.search(self.text))


@dataclass
class Block:
    lines: list[Line]


@dataclass
class Page:
    number: int
    height: float
    blocks: list[Block]

    def text_blocks(self) -> list[Block]:
        """Blocks of running text, in reading order (running heads, folios and footnotes left out)."""
        out = []
        for b in self.blocks:
            lines = [ln for ln in b.lines if ln.top > MARGIN_TOP and ln.bottom < self.height - MARGIN_BOTTOM
                     and ln.bottom - ln.top >= TEXT_HEIGHT]
            if lines:
                out.append(Block(lines))
        return out


@dataclass
class Counts:
    pages: int = 0
    hyphenated: int = 0
    consecutive_pairs: int = 0
    runs_of_three: int = 0
    split_across_pages: int = 0
    orphans: int = 0
    widows: int = 0
    cases: list[str] = field(default_factory=list)


def read_pages(pdf: Path) -> list[Page]:
    """Every page's blocks and lines, with positions, from pdftotext -bbox-layout."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    root = ET.fromstring(xml)
    pages = []
    for n, page in enumerate(root.iter(f"{NS}page"), 1):
        blocks = []
        for block in page.iter(f"{NS}block"):
            lines = []
            for line in block.iter(f"{NS}line"):
                words = [w.text or "" for w in line.iter(f"{NS}word")]
                lines.append(Line(" ".join(words), float(line.get("yMin")), float(line.get("yMax")),
                                  float(line.get("xMin")), float(line.get("xMax"))))
            if lines:
                blocks.append(Block(lines))
        pages.append(Page(n, float(page.get("height")), blocks))
    return pages


def count(pdf: Path) -> Counts:
    pages = read_pages(pdf)
    c = Counts(pages=len(pages))
    for page in pages:
        for block in page.blocks:
            run = 0
            for line in block.lines:
                if line.top <= MARGIN_TOP or line.bottom >= page.height - MARGIN_BOTTOM:
                    continue
                if line.hyphenated:
                    c.hyphenated += 1
                    run += 1
                    if run == 2:
                        c.consecutive_pairs += 1
                        c.cases.append(f"p. {page.number}: two in a row, ending '{line.text[-30:]}'")
                    if run == 3:
                        c.runs_of_three += 1
                        c.cases.append(f"p. {page.number}: three in a row, ending '{line.text[-30:]}'")
                else:
                    run = 0
    right = max((ln.right for p in pages for b in p.text_blocks() for ln in b.lines), default=0.0)
    for this, following in zip(pages, pages[1:] + [None]):
        blocks = this.text_blocks()
        if not blocks:
            continue
        last_block = max(blocks, key=lambda b: b.lines[-1].bottom)
        last = last_block.lines[-1]
        if last.hyphenated:
            c.split_across_pages += 1
            c.cases.append(f"p. {this.number}: word split across pages: '{last.text[-30:]}'")
        goes_on = last.right >= right - FULL_MEASURE and not re.search(r"[.:;!?»”)]$", last.text) \
            and re.search(r"[^\W\d_]", last.text) is not None
        if not goes_on or following is None:
            continue
        if len(last_block.lines) == 1:
            c.orphans += 1
            c.cases.append(f"p. {this.number}: orphan '{last.text[:40]}'")
        nxt = following.text_blocks()
        if nxt:
            first_block = min(nxt, key=lambda b: b.lines[0].top)
            if len(first_block.lines) == 1 and first_block.lines[0].right < right - FULL_MEASURE \
                    and first_block.lines[0].text[:1].islower():
                c.widows += 1
                c.cases.append(f"p. {following.number}: widow '{first_block.lines[0].text[:40]}'")
    return c


HEADERS = ("file", "pages", "hyphenated line ends", "two in a row", "three or more in a row",
           "words split across pages", "orphans", "widows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="PDF files, or folders to search for them")
    parser.add_argument("--list", action="store_true", help="print each case found")
    args = parser.parse_args(argv)
    files = []
    for p in args.paths:
        files += sorted(p.rglob("*.pdf")) if p.is_dir() else [p]
    files = [f for f in files if ".cache" not in f.parts]
    if not files:
        print("no PDF found", file=sys.stderr)
        return 2
    base = args.paths[0] if args.paths[0].is_dir() else args.paths[0].parent
    print("| " + " | ".join(HEADERS) + " |")
    print("|---|" + "---:|" * (len(HEADERS) - 1))
    total = Counts()
    for f in files:
        c = count(f)
        name = f.relative_to(base) if f.is_relative_to(base) else f
        print(f"| {name} | {c.pages} | {c.hyphenated} | {c.consecutive_pairs} | {c.runs_of_three} | "
              f"{c.split_across_pages} | {c.orphans} | {c.widows} |")
        for k in ("pages", "hyphenated", "consecutive_pairs", "runs_of_three", "split_across_pages", "orphans", "widows"):
            setattr(total, k, getattr(total, k) + getattr(c, k))
        if args.list:
            for case in c.cases:
                print(f"    {name} {case}")
    if len(files) > 1:
        print(f"| all | {total.pages} | {total.hyphenated} | {total.consecutive_pairs} | {total.runs_of_three} | "
              f"{total.split_across_pages} | {total.orphans} | {total.widows} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
