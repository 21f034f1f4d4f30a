#!/usr/bin/env python3
"""Personalised copies per second: stamping the built edition (pypdf) against rendering it again (WeasyPrint).

Usage: .venv/bin/python bench/bench_stamp.py [--copies 500] [--renders 3] [--brief us-congress]

For a 4-page brief and for the full report, it renders the edition `--renders` times through pressroom's
own pipeline (HTML, layout, PDF, page labels: what making each copy by rendering would cost, without
even the personalisation), then makes `--copies` personalised copies by stamping the rendered PDF as
`build.py distribute` does (one clone per edition, then one stamp and one serialisation per copy; the
font subset, the clone and the hashing are counted). It prints a table, writes it to bench/README.md
between the markers `<!-- stamp:start -->` and `<!-- stamp:end -->` (the rest of the file is left as it
is), and exits 1 if stamping is not at least 20 times faster than rendering for every edition."""

from __future__ import annotations

import argparse
import hashlib
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START, END = "<!-- stamp:start -->", "<!-- stamp:end -->"
REQUIRED_SPEEDUP = 20.0


@dataclass(frozen=True)
class Row:
    """Figures for one edition."""

    edition: str
    """Edition id."""
    pages: int
    """Page count."""
    copies: int
    """Copies stamped."""
    stamp_total: float
    """Seconds to stamp every copy (font, clone and hashing included)."""
    render_each: float
    """Median seconds of one rendering."""
    renders: int
    """Renderings measured."""

    @property
    def stamp_each(self) -> float:
        """Seconds per stamped copy."""
        return self.stamp_total / self.copies

    @property
    def speedup(self) -> float:
        """How many times faster stamping is."""
        return self.render_each / self.stamp_each


def render_times(manuscript, edition, renders: int, cache: Path, report_pages: dict) -> tuple[list[float], object]:
    """Seconds of each rendering of the edition, and the last result."""
    from pressroom.build.make import build_brief_pdf, build_report_pdf
    times, result = [], None
    for _ in range(renders):
        t0 = time.perf_counter()
        if edition.spec.kind == "report":
            result = build_report_pdf(manuscript, edition, cache)
        else:
            result = build_brief_pdf(manuscript, edition, report_pages, cache, allow_overflow=True)
        times.append(time.perf_counter() - t0)
    return times, result


def stamp_time(pdf: bytes, copies: int, language: str, locale: str, date: str) -> float:
    """Seconds to make `copies` personalised copies of `pdf`, from a cold start of the stamp font."""
    from pressroom.distribute.stamp import Stamper, StampText, stamp_font
    from pressroom.render.i18n import format_long_date, labels_for
    stamp_font.cache_clear()
    labels = labels_for(language)
    when = format_long_date(date, locale)
    t0 = time.perf_counter()
    stamper = Stamper(pdf, stamp_font())
    for n in range(1, copies + 1):
        name = f"Recipient Number{n}"
        text = StampText(labels["prepared_for"].format(name=name, title="Senior Policy Adviser",
                                                       office="Office of Example Affairs"),
                         labels["copy_of"].format(n=n, total=copies), when, name, f"{n}/{copies}")
        hashlib.sha256(stamper.copy(text)).hexdigest()
    return time.perf_counter() - t0


def table(rows: list[Row]) -> str:
    """The figures as a Markdown table."""
    lines = ["| edition | pages | stamped copies | stamping, per copy | stamping, copies/s | rendering, per copy "
             "| rendering, copies/s | stamping is |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.edition} | {r.pages} | {r.copies} | {r.stamp_each * 1000:.1f} ms | "
                     f"{1 / r.stamp_each:.1f} | {r.render_each:.2f} s (median of {r.renders}) | "
                     f"{1 / r.render_each:.2f} | {r.speedup:.0f}× faster |")
    return "\n".join(lines)


def write_readme(path: Path, section: str) -> None:
    """Replace (or append) this benchmark's section of bench/README.md, leaving the rest alone."""
    from pressroom.files import atomic_write
    block = f"{START}\n{section.rstrip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text and text.index(START) < text.index(END):
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    atomic_write(path, text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when stamping is fast enough everywhere."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manuscript", type=Path, default=ROOT / "manuscript")
    ap.add_argument("--copies", type=int, default=500, help="personalised copies per edition (default 500)")
    ap.add_argument("--renders", type=int, default=3, help="renderings measured per edition (default 3)")
    ap.add_argument("--brief", default="us-congress", help="brief edition to measure (default us-congress)")
    ap.add_argument("--language", default="en")
    ap.add_argument("--readme", type=Path, default=ROOT / "bench" / "README.md")
    ap.add_argument("--no-readme", action="store_true", help="print only")
    args = ap.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from pressroom.load.editions import editions_to_build
    from pressroom.load.manuscript import load_manuscript

    console = Console(stderr=True)
    manuscript = load_manuscript(args.manuscript, ROOT / "styles", (args.language,))
    editions = {e.spec.id: e for e in editions_to_build(manuscript, args.brief, (args.language,))}
    report, brief = editions["report"], editions[args.brief]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-stamp-") as tmp:
        cache = Path(tmp)
        report_pages: dict = {}
        for edition in (report, brief):
            console.print(f"Rendering {edition.id} {args.renders} times…")
            times, result = render_times(manuscript, edition, args.renders, cache, report_pages)
            if edition.spec.kind == "report":
                report_pages = result.anchors
            pdf = result.outputs[0].data
            console.print(f"Stamping {args.copies} copies of {edition.id} ({result.pages} pages)…")
            seconds = stamp_time(pdf, args.copies, edition.language, edition.publication.locale,
                                 edition.publication.date)
            rows.append(Row(edition.id, result.pages, args.copies, seconds, statistics.median(times), args.renders))
    rows.reverse()  # brief first

    t = Table(title="Personalised copies: stamping vs rendering again", title_justify="left")
    for col in ("edition", "pages", "copies", "stamp ms/copy", "stamp copies/s", "render s/copy",
                "render copies/s", "speed-up"):
        t.add_column(col, justify="left" if col == "edition" else "right")
    for r in rows:
        t.add_row(r.edition, str(r.pages), str(r.copies), f"{r.stamp_each * 1000:.1f}", f"{1 / r.stamp_each:.1f}",
                  f"{r.render_each:.2f}", f"{1 / r.render_each:.2f}", f"{r.speedup:.0f}×")
    Console().print(t)

    import pypdf
    import weasyprint
    ok = all(r.speedup >= REQUIRED_SPEEDUP for r in rows)
    section = "\n".join([
        "## Stamping vs rendering",
        "",
        "Made by `bench/bench_stamp.py` (do not edit between the markers: the next run replaces it).",
        "A personalised copy is made by stamping the built edition with pypdf (`pressroom/distribute/stamp.py`);",
        "the alternative would be to render the edition again for each recipient with WeasyPrint.",
        f"Stamping: {rows[0].copies} copies per edition, from a cold start (font subset and clone counted).",
        "Rendering: the edition through pressroom's pipeline (HTML, layout, PDF, page labels), without",
        "even the personalisation, so the real cost of rendering per copy would be a little higher.",
        "",
        table(rows),
        "",
        f"Required: stamping at least {REQUIRED_SPEEDUP:.0f}× faster than rendering: "
        f"{'met' if ok else 'NOT MET'}.",
        f"Measured with Python {platform.python_version()}, pypdf {pypdf.__version__}, "
        f"WeasyPrint {weasyprint.__version__}, on {platform.machine()} ({platform.system()}).",
    ])
    if not args.no_readme:
        write_readme(args.readme, section)
        console.print(f"Wrote the figures to {args.readme}")
    if not ok:
        console.print(f"[red]stamping is not {REQUIRED_SPEEDUP:.0f} times faster than rendering[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
