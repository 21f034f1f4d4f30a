"""Distribution at scale: personalised copies per second for N recipients (default 10,000), stamped
by the local executor's two forked workers and on a local dask cluster of two workers (and, with
--with-serial, in one process), measured one after another in one run; the figures go into
bench/README.md.

    python bench/bench_distribute.py [--recipients 10000] [--edition us-congress] [--no-readme]

Each run is `pressroom distribute` (a dry run: copies, folders, zips and the batch manifest, no
e-mail) on a fresh batch, timed from start to exit, start-up and the cluster's start included."""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
START, END = "<!-- bench_distribute:start -->", "<!-- bench_distribute:end -->"


def recipients_file(path: Path, count: int, audience: str, country: str, language: str) -> None:
    """`count` fictional recipients of one audience (one copy each)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "title", "office", "country", "audience", "language", "email"])
        for n in range(1, count + 1):
            w.writerow([f"Recipient Number{n}", "Senior Policy Adviser", "Office of Example Affairs (fictional)",
                        country, audience, language, f"recipient{n}@example.org"])


def run(args: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([PY, str(ROOT / "build.py"), *args], cwd=cwd, check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipients", type=int, default=10_000)
    ap.add_argument("--edition", default="us-congress", help="the audience's brief (default us-congress)")
    ap.add_argument("--country", default="US")
    ap.add_argument("--language", default="en")
    ap.add_argument("--readme", type=Path, default=ROOT / "bench" / "README.md")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--with-serial", action="store_true", help="also time one process (`--jobs 1`)")
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-distribute-"))
    try:
        shutil.copytree(ROOT / "manuscript", work / "manuscript")
        print("building the editions ...", flush=True)
        run(["build", "--manuscript", "manuscript", "--out", "dist", "--quiet", "--language", a.language], work)
        recipients_file(work / "recipients.csv", a.recipients, a.edition, a.country, a.language)
        common = ["distribute", "--manuscript", "manuscript", "--out", "dist", "--recipients", "recipients.csv",
                  "--quiet"]
        runs = [("one process (`--jobs 1`)", ["--jobs", "1"])] if a.with_serial else []
        runs += [("local executor, 2 forked workers (`--jobs 2`)", ["--jobs", "2"]),
                ("dask, local cluster of 2 workers (`--executor dask --jobs 2`)", ["--executor", "dask", "--jobs", "2"])]
        rows = []
        for i, (label, extra) in enumerate(runs):
            print(f"{label} ...", flush=True)
            seconds = run(common + ["--batch", f"run{i}"] + extra, work)
            copies = len(json.loads((work / "dist" / "distribution" / f"run{i}" / "manifest.json").read_text())["copies"])
            rows.append((label, copies, seconds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0][2]
    lines = [f"Personalised copies of the {a.language} `{a.edition}` brief for {a.recipients:,} recipients "
             f"(`python bench/bench_distribute.py`), one run after another on the same machine "
             f"({os.cpu_count()} cores); each time is the whole command (start-up, stamping, checking each copy, "
             "folders, zips, manifest):", "",
             "| executor | copies | seconds | copies per second | time against the first row |",
             "|---|---:|---:|---:|---:|"]
    for label, copies, seconds in rows:
        lines.append(f"| {label} | {copies:,} | {seconds:.1f} | {copies / seconds:.0f} | {seconds / base:.2f} |")
    section = "\n".join(lines)
    print(section)
    if not a.no_readme:
        text = a.readme.read_text(encoding="utf-8")
        block = f"{START}\n## Distribution at scale\n\n{section}\n{END}"
        if START in text and END in text:
            text = text.split(START)[0] + block + text.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        a.readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
