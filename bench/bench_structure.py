"""The structure post-pass's cost (pressroom.pdf.structure and the checks of pressroom.pdf.tagcheck),
side by side on the English report: its parts are laid out once, then joined again and again, with
the post-pass and its checks and without them, alternately.

    .venv/bin/python bench/bench_structure.py [--reps 7]

Prints the medians and writes bench/out/structure.json."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    import pressroom.pdf.accessibility as accessibility
    import pressroom.pdf.structure as structure
    from pressroom.build.cache import parts_common_key
    from pressroom.build.make import ReportJob
    from pressroom.build.pipeline import pinned_timestamps
    from pressroom.load.editions import editions_to_build
    from pressroom.load.manuscript import load_manuscript
    from pressroom.pdf.layout import configure_fontconfig
    from pressroom.pdf.parts import layout_unit

    scratch = Path(tempfile.mkdtemp(prefix="bench-structure-"))
    configure_fontconfig(scratch)
    m = load_manuscript(ROOT / "manuscript", ROOT / "styles", ("en",))
    edition = editions_to_build(m, "report", ("en",))[0]
    real_repair, real_tags = structure.repair, accessibility.check_tags
    timings: dict[str, list[float]] = {"with": [], "without": [], "repair": [], "check_tags": []}

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                timings[name][-1] += time.perf_counter() - t0
        return wrapper

    with pinned_timestamps(m.publication.date):
        job = ReportJob(m, edition, parts_common_key(m), None, scratch)
        while units := job.units():
            for chosen in units:
                job.add_unit(layout_unit(*job.unit_args(chosen)))
        job.read_parts()
        pages = 0
        for _ in range(args.reps):
            for mode in ("without", "with"):
                if mode == "with":
                    timings["repair"].append(0.0)
                    timings["check_tags"].append(0.0)
                    structure.repair = timed("repair", real_repair)
                    accessibility.check_tags = timed("check_tags", real_tags)
                else:
                    structure.repair = lambda writer: {}
                    accessibility.check_tags = lambda root, pages: []
                t0 = time.perf_counter()
                result = job.assemble()
                timings[mode].append(time.perf_counter() - t0)
                pages = result.pages
    structure.repair, accessibility.check_tags = real_repair, real_tags
    med = {k: statistics.median(v) for k, v in timings.items()}
    out = {"pages": pages, "reps": args.reps, "median_s": med, "all_s": timings}
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "structure.json").write_text(json.dumps(out, indent=1))
    print(f"English report, {pages} pages, median of {args.reps} joins each:")
    print(f"  join without the post-pass and its checks  {med['without']:.3f} s")
    print(f"  join with them                             {med['with']:.3f} s  (+{med['with'] - med['without']:.3f} s)")
    print(f"    of which the post-pass (structure.repair) {med['repair']:.3f} s")
    print(f"    and the new checks (tagcheck.check_tags)  {med['check_tags']:.3f} s")


if __name__ == "__main__":
    main()
