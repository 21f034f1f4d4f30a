"""Page images of the built editions against reference images, with a tolerance.

    python tests/visual.py --update             build the real manuscript, write the references
    python tests/visual.py --update --dist DIR  write the references from a build already in DIR
    python tests/visual.py --dist DIR           compare a build with the references (as the test does)

The references are small PNGs (40 dpi, greyscale) under tests/visual/, one per page checked: the
cover, the title page, the colophon, the contents, a chapter opening, a page with footnotes, both
pages of a table broken across pages, the summary of recommendations, the appendix opening, the
back cover, and every page of every brief. Pages are found by what they hold (the table's caption,
the chapter's title), so a page that moves is still compared with its reference, and the move
shows as a difference only if its layout changed.

A page passes when its image has the reference's size, the mean difference of its pixels is at most
MEAN_TOLERANCE grey levels, and at most CHANGED_TOLERANCE of its pixels differ by more than a
quarter of the grey scale: anti-aliasing may move, a line of text may not. A failure writes the
page, the reference and their difference to the folder named in the message.
tests/test_visual.py runs the comparison on the build the other tests make.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCES = HERE / "visual"
DPI = 40
MEAN_TOLERANCE = 1.5
"""Greatest mean absolute difference of the pixels, in grey levels (0-255)."""
CHANGED_TOLERANCE = 0.004
"""Greatest share of pixels differing by more than 64 grey levels."""
BRIEFS = ("us-executive", "us-congress", "ca-government", "ca-parliament", "civil-society", "media")


@dataclass(frozen=True)
class Shot:
    """One page to check: the reference's name, the PDF and how to find the page in it."""

    name: str
    pdf: str
    find: str | int
    """A text the page holds (its first page holding it), or a 1-based page number (negative from the end)."""
    offset: int = 0
    """Pages after the one found (the second page of a broken table)."""


def shots(dist: Path) -> list[Shot]:
    """Every page checked, for the build in `dist` (which tells how many pages each brief has)."""
    from pypdf import PdfReader
    out = [
        Shot("report-cover", "en/report.pdf", 1),
        Shot("report-title-page", "en/report.pdf", 3),
        Shot("report-colophon", "en/report.pdf", 4),
        Shot("report-contents", "en/report.pdf", "Contents"),
        Shot("report-chapter-opening", "en/report.pdf", "After the Second World War, states adopted a convention"),
        Shot("report-footnotes", "en/report.pdf", "Warnings before April"),
        Shot("report-table-broken-1", "en/report.pdf", "Key decisions and events, October 1993"),
        Shot("report-table-broken-2", "en/report.pdf", "Key decisions and events, October 1993", 1),
        Shot("report-summary", "en/report.pdf", "ENABLING LEADERSHIP"),
        Shot("report-appendix", "en/report.pdf", "Each recommendation is listed under its rubric"),
        Shot("report-back-cover", "en/report.pdf", -1),
        Shot("report-fr-chapter-opening", "fr/report.pdf", "Après la Seconde Guerre mondiale, les États ont adopté"),
    ]
    for lang in ("en", "fr"):
        for brief in BRIEFS:
            path = dist / lang / f"{brief}.pdf"
            if path.is_file():
                for n in range(1, len(PdfReader(str(path)).pages) + 1):
                    out.append(Shot(f"brief-{lang}-{brief}-{n}", f"{lang}/{brief}.pdf", n))
    return out


def page_number(pdf: Path, shot: Shot) -> int:
    """1-based number of the page the shot checks."""
    from pypdf import PdfReader
    pages = PdfReader(str(pdf)).pages
    if isinstance(shot.find, int):
        n = shot.find if shot.find > 0 else len(pages) + 1 + shot.find
    else:
        wanted = " ".join(shot.find.split())
        found = [i for i, p in enumerate(pages, 1) if wanted in " ".join((p.extract_text() or "").split())]
        if not found:
            raise LookupError(f"{shot.name}: no page of {shot.pdf} holds {shot.find!r}")
        n = found[0]
    return n + shot.offset


def render(pdf: Path, page: int) -> Image.Image:
    """The page as a greyscale image at DPI (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), f"{tmp}/page"], check=True, capture_output=True)
        with Image.open(f"{tmp}/page.png") as im:
            return im.convert("L").copy()


def difference(actual: Image.Image, reference: Image.Image) -> tuple[float, float]:
    """(mean absolute difference in grey levels, share of pixels differing by more than 64)."""
    diff = ImageChops.difference(actual, reference)
    histogram = diff.histogram()
    total = sum(histogram)
    mean = sum(i * n for i, n in enumerate(histogram)) / total
    changed = sum(histogram[65:]) / total
    return mean, changed


def compare(dist: Path, report_dir: Path) -> list[str]:
    """Each page that differs from its reference beyond the tolerance, or has none, described;
    the images of each failure are written to `report_dir`."""
    failures = []
    wanted = shots(dist)
    for shot in wanted:
        ref_path = REFERENCES / f"{shot.name}.png"
        try:
            actual = render(dist / shot.pdf, page_number(dist / shot.pdf, shot))
        except (LookupError, subprocess.CalledProcessError) as exc:
            failures.append(f"{shot.name}: {exc}")
            continue
        if not ref_path.is_file():
            failures.append(f"{shot.name}: no reference image (run: python tests/visual.py --update)")
            continue
        with Image.open(ref_path) as im:
            reference = im.convert("L").copy()
        if actual.size != reference.size:
            failures.append(f"{shot.name}: page size {actual.size} differs from the reference's {reference.size}")
            continue
        mean, changed = difference(actual, reference)
        if mean > MEAN_TOLERANCE or changed > CHANGED_TOLERANCE:
            report_dir.mkdir(parents=True, exist_ok=True)
            actual.save(report_dir / f"{shot.name}.actual.png")
            reference.save(report_dir / f"{shot.name}.reference.png")
            ImageChops.invert(ImageChops.difference(actual, reference)).save(report_dir / f"{shot.name}.diff.png")
            failures.append(f"{shot.name}: mean difference {mean:.2f} grey levels (at most {MEAN_TOLERANCE}), "
                            f"{changed:.2%} of pixels changed (at most {CHANGED_TOLERANCE:.2%}); "
                            f"images in {report_dir}")
    names = {s.name for s in wanted}
    for stale in sorted(REFERENCES.glob("*.png")):
        if stale.stem not in names:
            failures.append(f"{stale.stem}: reference for a page no longer checked (run: python tests/visual.py --update)")
    return failures


def update(dist: Path) -> list[Path]:
    """Write the reference image of every page checked; remove references no longer used."""
    REFERENCES.mkdir(exist_ok=True)
    written = []
    wanted = shots(dist)
    for shot in wanted:
        path = REFERENCES / f"{shot.name}.png"
        render(dist / shot.pdf, page_number(dist / shot.pdf, shot)).save(path, optimize=True)
        written.append(path)
    for stale in REFERENCES.glob("*.png"):
        if stale not in written:
            stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare page images with the references, or write them.")
    parser.add_argument("--update", action="store_true", help="write the reference images")
    parser.add_argument("--dist", type=Path, help="a build to use (default: build the real manuscript now)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        dist = args.dist
        if dist is None:
            dist = Path(tmp) / "dist"
            subprocess.run([sys.executable, str(ROOT / "build.py"), "--manuscript", str(ROOT / "manuscript"),
                            "--out", str(dist), "--quiet"], check=True)
        if args.update:
            written = update(dist)
            print(f"wrote {len(written)} reference images to {REFERENCES}")
            return 0
        failures = compare(dist, Path(tempfile.gettempdir()) / "pressroom-visual")
        print("\n".join(failures) or f"all {len(shots(dist))} pages match their references")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
