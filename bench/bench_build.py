#!/usr/bin/env python3
"""How fast pressroom builds, measured side by side with the peer a user would pick instead
(`pandoc --pdf-engine=weasyprint`) and with WeasyPrint on its own.

    .venv/bin/python bench/bench_build.py [--quick] [--reps N] [--no-readme] [--report-only]

One run measures, interleaving the compared commands repetition by repetition (A B C, then B C A,
then C A B: this machine is shared and noisy, so a slow spell hits every side alike) and reports
medians and the ratios of the medians:

1. the stages of the full English report, in-process (a fresh process per repetition, as a build's
   worker is): load, select, Markdown+Jinja2 page cut into parts, WeasyPrint layout and PDF write of
   each part, the pypdf join;
2. a cold build of the English report vs pandoc+WeasyPrint on the same Markdown and stylesheet;
3. every edition in both languages, cold, vs the peer building the same PDFs one after another,
   and pressroom with `--jobs 1` vs the default (one job per core);
4. a rebuild with nothing changed vs the cold build;
5. a rebuild after one chapter is edited vs the cold build (English);
6. the peak memory of the full build (the build process, and its largest forked worker) vs
   WeasyPrint's own peak rendering the largest edition's HTML;
7. a synthetic manuscript four times the size (bench/synth.py): time per page vs the real report.

It prints the table and writes it, with the commands, between `<!-- build:start -->` and
`<!-- build:end -->` in bench/README.md (the rest of the file is left as it is). Everything it
makes goes under bench/out/build/ (the synthetic manuscript: bench/out/synth4/). Targets are reported as met or not; the exit code is 0 either way
(performance is measured, not asserted).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out" / "build"
README = BENCH / "README.md"
SRC = OUT / "src"
"""A snapshot of the code, styles and manuscript, taken at the start: others edit the working tree while
the benchmark runs, and a change to a rendering module or a stylesheet would change every build key
half-way (and mix versions between repetitions)."""
MANUSCRIPT = SRC / "manuscript"
STYLES = SRC / "styles"
PY = sys.executable
VENV_BIN = Path(sys.executable).parent
START, END = "<!-- build:start -->", "<!-- build:end -->"
EDITED_CHAPTER = "chapters/03-kosovo.md"
SENTENCE = ("The benchmark appended this sentence to measure a rebuild after one chapter is edited.")

sys.path.insert(0, str(BENCH))

# Runs a Python script or module in this very process (so that it is the build process itself),
# then records its own peak RSS and that of its largest waited-for child (a forked worker).
RSS_WRAPPER = r"""
import json, os, resource, runpy, sys
report, target, sys.argv = sys.argv[1], sys.argv[2], sys.argv[2:]


def record(code):
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(report, "w") as f:
        json.dump({"rc": code, "self_kb": me.ru_maxrss, "children_kb": kids.ru_maxrss}, f)


leave = os._exit


def record_and_leave(code):  # build.py leaves with os._exit after a build, skipping the teardown
    record(code)
    leave(code)


os._exit = record_and_leave
code = 0
try:
    if target.startswith("-m:"):
        sys.argv[0] = target[3:]
        runpy.run_module(target[3:], run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
record(code)
sys.exit(code)
"""

# ----------------------------------------------------------------------------------------------
# Running and timing commands


@dataclass
class Run:
    """One timed command."""

    wall: float
    """Elapsed seconds."""
    cpu: float
    """User + system seconds of the command and every process it waited for."""
    self_kb: int | None = None
    """Peak RSS of the process itself (KiB), when run under the RSS wrapper."""
    children_kb: int | None = None
    """Peak RSS of its largest child (KiB), when run under the RSS wrapper."""
    extra: dict = field(default_factory=dict)


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], cwd: Path = SRC, env: dict | None = None, rss: bool = False) -> Run:
    """Run a command, timing it from here (interpreter start-up included); fail loudly if it fails.

    With `rss`, `cmd` must be `[python, script-or-"-m:module", args...]`: the script runs inside a
    small wrapper that reports its peak memory and that of its largest child."""
    report = None
    if rss:
        fd, report = tempfile.mkstemp(prefix="rss-", suffix=".json", dir=OUT)
        os.close(fd)
        cmd = [cmd[0], "-c", RSS_WRAPPER, report] + cmd[1:]
    before = _cpu_children()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    cpu = _cpu_children() - before
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {shlex.join(cmd)}\n{p.stdout[-2000:]}{p.stderr[-4000:]}")
    r = Run(wall, cpu)
    if report:
        data = json.loads(Path(report).read_text())
        os.unlink(report)
        r.self_kb, r.children_kb = data["self_kb"], data["children_kb"]
    return r


def build_cmd(*args: str) -> list[str]:
    """`python build.py ARGS --quiet` (run from the snapshot of the project folder)."""
    return [PY, "build.py", *args, "--quiet"]


def fresh(path: Path) -> Path:
    """An empty folder."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def interleave(reps: int, named: dict) -> dict[str, list]:
    """Run every callable once per repetition, rotating the order each time; {name: [results]}."""
    names = list(named)
    out: dict[str, list] = {n: [] for n in names}
    for i in range(reps):
        order = names[i % len(names):] + names[:i % len(names)]
        for n in order:
            out[n].append(named[n](i))
            log(f"    rep {i + 1}/{reps} {n}: {_short(out[n][-1])}")
    return out


def snapshot() -> dict:
    """Copy the code, styles, build.py and manuscript to SRC; every pressroom run uses that copy."""
    fresh(SRC)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pressroom", "styles", "manuscript"):
        shutil.copytree(ROOT / name, SRC / name, ignore=skip)
    shutil.copy2(ROOT / "build.py", SRC / "build.py")
    os.environ["PYTHONPATH"] = str(SRC) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    sys.path.insert(0, str(SRC))

    def git(*args: str) -> str:
        p = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return p.stdout.rstrip() if p.returncode == 0 else ""
    changed = [line[3:] for line in git("status", "--porcelain", "--", "pressroom", "styles", "manuscript",
                                        "build.py").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD"), "changed": changed}


SPIN = """
import time
t = time.perf_counter()
for _ in range(6):
    d = {str(i): [i, str(i) * 3, {"a": i}] for i in range(100_000)}
    sorted(d, key=lambda k: d[k][1])
print(time.perf_counter() - t)
"""


def cpu_check() -> dict:
    """How much of the machine is ours: an allocation-heavy Python loop (like layout work) alone, then
    two at once (2 free cores give the same time; a saturated machine up to twice as long)."""
    def spin(k: int) -> list[float]:
        procs = [subprocess.Popen([PY, "-c", SPIN], stdout=subprocess.PIPE, text=True) for _ in range(k)]
        return [float(p.communicate()[0]) for p in procs]
    alone = spin(1)[0]
    pair = spin(2)
    return {"alone": alone, "pair": med(pair), "cores": round(2 * alone / med(pair), 2),
            "load": os.getloadavg()[0]}


def _short(r) -> str:
    if isinstance(r, Run):
        return f"{r.wall:.2f} s wall, {r.cpu:.2f} s cpu"
    if isinstance(r, dict) and "total" in r:
        return f"{r['total']:.2f} s"
    return str(r)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def med(values) -> float:
    return statistics.median(values)


def manifest_pages(out: Path) -> dict[str, int]:
    """{output path: pages} from a build's manifest."""
    data = json.loads((out / "manifest.json").read_text())
    return {e["path"]: e["pages"] for e in data["outputs"] if e["pages"]}


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(str(path)).pages)


# ----------------------------------------------------------------------------------------------
# 1. Stages, in a fresh process


STAGES = (("load", "load manuscript"), ("select", "select edition"),
          ("page", "Markdown + Jinja2 page, cut into parts (pipeline.ReportJob)"),
          ("layout", "WeasyPrint layout of the 12 parts, one after another (pdf.layout)"),
          ("write", "PDF write of the 12 parts (pdf.write_pdf)"),
          ("post", "pypdf join, folios, labels, accessibility check (assemble.join)"))
WEASYPRINT_STAGES = ("layout", "write")


def stages_worker(report: Path, scratch: Path) -> None:
    """Time each stage of the English report in this process, one part after another (a build lays
    the parts out in parallel workers), and note the process's peak RSS (MB) after each."""
    t: dict = {}
    rss: dict = {}

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    import weasyprint  # noqa: F401 - the build imports it once before forking its workers

    import pressroom.pdf.layout as pdfmod
    from pressroom.build.cache import parts_common_key
    from pressroom.build.make import ReportJob
    from pressroom.build.pipeline import pinned_timestamps
    from pressroom.build.workers import layout_gc
    from pressroom.load.editions import editions_to_build
    from pressroom.load.manuscript import load_manuscript
    from pressroom.pdf.layout import configure_fontconfig
    from pressroom.pdf.parts import layout_unit
    from pressroom.render.html import render_page
    configure_fontconfig(scratch)
    t["import"] = time.perf_counter() - t0
    rss["import"] = peak()

    spent = {"layout": 0.0, "write": 0.0}
    real_layout, real_write = pdfmod.layout, pdfmod.write_pdf

    def timed(name, fn):
        def wrapper(*a, **k):
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - s
        return wrapper
    pdfmod.layout, pdfmod.write_pdf = timed("layout", real_layout), timed("write", real_write)

    t0 = time.perf_counter()
    m = load_manuscript(MANUSCRIPT, STYLES, ("en",))
    t["load"] = time.perf_counter() - t0
    rss["load"] = peak()
    t0 = time.perf_counter()
    edition = editions_to_build(m, "report", ("en",))[0]
    t["select"] = time.perf_counter() - t0
    rss["select"] = peak()
    with pinned_timestamps(m.publication.date), layout_gc():  # the collector tuned as in a build's workers
        t0 = time.perf_counter()
        job = ReportJob(m, edition, parts_common_key(m), None, scratch)
        t["page"] = time.perf_counter() - t0
        rss["page"] = peak()
        t0 = time.perf_counter()
        while units := job.units():
            for chosen in units:
                job.add_unit(layout_unit(*job.unit_args(chosen)))
        parts_total = time.perf_counter() - t0
        t["layout"], t["write"] = spent["layout"], spent["write"]
        t["page"] += parts_total - spent["layout"] - spent["write"]  # splitting, page numbers: ours
        rss["layout"] = rss["write"] = peak()
        t0 = time.perf_counter()
        result = job.assemble()
        t["post"] = time.perf_counter() - t0
        rss["post"] = peak()
        t0 = time.perf_counter()
        render_page(edition, m.styles, "screen", pdf_name="report.pdf")
        t["web"] = time.perf_counter() - t0
        rss["web"] = peak()
    t["pages"] = result.pages
    t["total"] = sum(t[k] for k, _ in STAGES)
    t["rss"] = rss
    report.write_text(json.dumps(t))


def stages_run(scratch: Path) -> dict:
    report = OUT / "stages.json"
    r = run([PY, str(Path(__file__).resolve()), "--stages-worker", str(report), str(scratch)])
    data = json.loads(report.read_text())
    data["process_wall"] = r.wall
    return data


# ----------------------------------------------------------------------------------------------
# The peer and WeasyPrint on its own


def peer_env() -> dict:
    """pandoc finds `weasyprint` on PATH: the venv's first."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_peer(jobs) -> Run:
    """The peer's PDFs, one pandoc run after another; one Run for them all."""
    from peer.prepare import command
    env = peer_env()
    wall = cpu = 0.0
    for job in jobs:
        r = run(command(job), cwd=job.folder, env=env)
        wall, cpu = wall + r.wall, cpu + r.cpu
    return Run(wall, cpu)


def weasyprint_inputs(language: str) -> tuple[Path, list[str], dict]:
    """The report's print HTML (pressroom.render.html.render_page), the WeasyPrint command line for it with
    pressroom's stylesheets and PDF options, and an environment with pressroom's fontconfig file."""
    from pressroom.load.editions import editions_to_build
    from pressroom.load.manuscript import load_manuscript
    from pressroom.pdf.layout import font_face_css
    from pressroom.render.html import render_page
    folder = fresh(OUT / "weasyprint")
    m = load_manuscript(MANUSCRIPT, STYLES, (language,))
    edition = editions_to_build(m, "report", (language,))[0]
    page = render_page(edition, m.styles, "print")
    html = folder / f"report.{language}.html"
    html.write_text(page.html, encoding="utf-8")
    fonts = folder / "fonts.css"
    fonts.write_text(font_face_css(), encoding="utf-8")
    conf = folder / "fonts.conf"
    dirs = sorted({str(Path(p).parent) for p in re.findall(r'url\("file://([^"]+)"\)', font_face_css())})
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    + "".join(f"  <dir>{d}</dir>\n" for d in dirs)
                    + f"  <cachedir>{folder / 'fontconfig'}</cachedir>\n</fontconfig>\n")
    args = ["-q", "-s", str(fonts)] + [a for s in page.stylesheets for a in ("-s", str(s))] + [
        "-u", MANUSCRIPT.resolve().as_uri() + "/", "--pdf-variant", "pdf/ua-1", "--pdf-tags",
        str(html), str(folder / f"report.{language}.pdf")]
    return html, args, {**os.environ, "FONTCONFIG_FILE": str(conf)}


# ----------------------------------------------------------------------------------------------
# The measurements


def measure(reps: int) -> dict:
    import synth
    from peer.prepare import prepare, shell_command

    res: dict = {"reps": reps, "load_before": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    fresh(OUT)
    log("preparing: snapshot, CPU check, peer inputs, synthetic manuscript")
    res["snapshot"] = snapshot()
    res["cpu_before"] = cpu_check()
    peer_jobs = prepare(MANUSCRIPT, STYLES, OUT / "peer")
    res["peer_jobs"] = [j.name for j in peer_jobs]
    res["peer_report_cmd"] = shell_command(peer_jobs[0])
    res["synth"] = synth.make(BENCH / "out" / "synth4", 4.0, MANUSCRIPT)
    synth_ms = Path(res["synth"]["manuscript"])
    report_en = [j for j in peer_jobs if j.name == "report.en"]

    # 2 and 7: the English report, the peer on it, and the synthetic report 4x the size.
    log("2/7. English report cold: pressroom, pandoc+weasyprint, synthetic 4x")
    counter = {"n": 0}

    def out_dir(kind: str) -> Path:
        counter["n"] += 1
        return fresh(OUT / "runs" / f"{kind}-{counter['n']}")

    pages: dict = {}

    def pressroom_report(i):
        out = out_dir("report-en")
        r = run(build_cmd("--edition", "report", "--language", "en", "--no-cache", "--out", str(out)), rss=True)
        pages["report"] = manifest_pages(out)["en/report.pdf"]
        return r

    def synthetic_report(i):
        out = out_dir("synth4")
        r = run(build_cmd("--manuscript", str(synth_ms), "--edition", "report", "--language", "en",
                          "--no-cache", "--out", str(out)), rss=True)
        pages["synth"] = manifest_pages(out)["en/report.pdf"]
        return r

    res["report"] = interleave(reps, {"pressroom": pressroom_report, "peer": lambda i: run_peer(report_en),
                                      "synth": synthetic_report})
    res["pages_report"], res["pages_synth"] = pages["report"], pages["synth"]
    res["pages_peer_report"] = pdf_pages(report_en[0].folder / report_en[0].output)

    # 3, 4 and 6 (the build's side): every edition, cold; rebuild unchanged; --jobs 1; the peer.
    log("3/4/6. every edition: pressroom (default jobs, then unchanged rebuild), --jobs 1, peer")
    cold_outs = []

    def pressroom_all(i):
        out = out_dir("all")
        cold = run(build_cmd("--no-cache", "--out", str(out)), rss=True)
        cold.extra["noop"] = run(build_cmd("--out", str(out)), rss=True)
        cold_outs.append(out)
        return cold

    def pressroom_jobs1(i):
        return run(build_cmd("--no-cache", "--jobs", "1", "--out", str(out_dir("all-jobs1"))), rss=True)

    res["all"] = interleave(reps, {"pressroom": pressroom_all, "jobs1": pressroom_jobs1,
                                   "peer": lambda i: run_peer(peer_jobs)})
    all_pages = manifest_pages(cold_outs[0])
    res["all_outputs"] = json.loads((cold_outs[0] / "manifest.json").read_text())["outputs"]
    res["all_pages"] = all_pages
    res["peer_pages"] = {j.name: pdf_pages(j.folder / j.output) for j in peer_jobs}
    largest = max((p for p in all_pages if p.endswith("/report.pdf")), key=lambda p: all_pages[p])
    largest_lang = largest.split("/")[0]
    res["largest"] = largest

    # 1 and 6 (WeasyPrint's side): stages in a fresh process; WeasyPrint alone on the largest edition.
    log(f"1/6. stages of the English report; WeasyPrint alone on {largest}")
    _, wp_args, wp_env = weasyprint_inputs(largest_lang)
    res["weasyprint_cmd"] = f"FONTCONFIG_FILE={wp_env['FONTCONFIG_FILE']} weasyprint " + \
        " ".join(shlex.quote(a) for a in wp_args)
    stages_scratch = fresh(OUT / "stages")
    res["stages_wp"] = interleave(reps, {
        "stages": lambda i: stages_run(stages_scratch),
        "weasyprint": lambda i: run([PY, "-m:weasyprint", *wp_args], env=wp_env, rss=True)})

    # 5: one chapter edited (English only, so that the French translation does not go stale).
    log("5. one chapter edited (English)")

    def edit_cycle(i):
        folder = fresh(OUT / "runs" / f"edit-{i + 1}")
        ms = folder / "manuscript"
        shutil.copytree(MANUSCRIPT, ms)
        out = folder / "dist"
        cold = run(build_cmd("--manuscript", str(ms), "--language", "en", "--out", str(out)), rss=True)
        cache = out / ".cache" / "editions"
        before = {p.name for p in cache.iterdir()}
        chapter = ms / EDITED_CHAPTER
        chapter.write_text(append_sentence(chapter.read_text(encoding="utf-8")), encoding="utf-8")
        edited = run(build_cmd("--manuscript", str(ms), "--language", "en", "--out", str(out)), rss=True)
        rendered = len({p.name for p in cache.iterdir()} - before)
        return {"cold": cold, "edited": edited, "rendered": rendered, "editions": len(before)}

    res["edit"] = interleave(reps, {"cycle": edit_cycle})
    res["load_after"] = os.getloadavg()
    res["cpu_after"] = cpu_check()
    return res


def append_sentence(text: str) -> str:
    """The edit: one sentence added at the end of the chapter's first paragraph."""
    m = re.match(r"\A---\n.*?\n---\n\s*", text, re.S)
    i = m.end() if m else 0
    end = text.find("\n\n", i)
    end = len(text.rstrip("\n")) if end < 0 else end
    return text[:end] + " " + SENTENCE + text[end:]


# ----------------------------------------------------------------------------------------------
# Figures, table, README


def mb(kb: float | None) -> float:
    return (kb or 0) / 1024


def fmt_s(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"{med(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def figures(res: dict) -> dict:
    """Medians, ratios and verdicts from the raw runs."""
    f: dict = {}
    st = res["stages_wp"]["stages"]
    f["stages"] = {k: med([s[k] for s in st]) for k in [k for k, _ in STAGES] + ["web", "import", "total",
                                                                               "process_wall"]}
    f["stage_pages"] = st[0]["pages"]
    f["stage_rss"] = {k: med([x["rss"][k] for x in st]) for k in st[0]["rss"]}
    total = f["stages"]["total"]
    own = total - sum(f["stages"][k] for k in WEASYPRINT_STAGES)
    f["own_share"] = own / total
    f["own_share_with_web"] = (own + f["stages"]["web"]) / (total + f["stages"]["web"])
    wp = sum(f["stages"][k] for k in WEASYPRINT_STAGES)
    f["own_share_build"] = (med([r.wall for r in res["report"]["pressroom"]]) - wp) / \
        med([r.wall for r in res["report"]["pressroom"]])
    f["pages_per_s"] = f["stage_pages"] / total

    rp = res["report"]
    f["report_pr"] = [r.wall for r in rp["pressroom"]]
    f["report_peer"] = [r.wall for r in rp["peer"]]
    f["report_ratio"] = med(f["report_pr"]) / med(f["report_peer"])
    f["report_cpu_ratio"] = med([r.cpu for r in rp["pressroom"]]) / med([r.cpu for r in rp["peer"]])

    al = res["all"]
    f["all_pr"] = [r.wall for r in al["pressroom"]]
    f["all_j1"] = [r.wall for r in al["jobs1"]]
    f["all_peer"] = [r.wall for r in al["peer"]]
    f["all_ratio"] = med(f["all_pr"]) / med(f["all_peer"])
    f["all_cpu_ratio"] = med([r.cpu for r in al["pressroom"]]) / med([r.cpu for r in al["peer"]])
    f["speedup"] = med(f["all_j1"]) / med(f["all_pr"])

    f["noop"] = [r.extra["noop"].wall for r in al["pressroom"]]
    f["noop_ratio"] = med(f["noop"]) / med(f["all_pr"])

    ed = res["edit"]["cycle"]
    f["edit_cold"] = [c["cold"].wall for c in ed]
    f["edit_after"] = [c["edited"].wall for c in ed]
    f["edit_ratio"] = med(f["edit_after"]) / med(f["edit_cold"])
    f["edit_rendered"] = [c["rendered"] for c in ed]
    f["edit_editions"] = ed[0]["editions"]

    f["rss_parent"] = med([mb(r.self_kb) for r in al["pressroom"]])
    f["rss_child"] = med([mb(r.children_kb) for r in al["pressroom"]])
    f["rss_report_parent"] = med([mb(r.self_kb) for r in rp["pressroom"]])
    f["rss_report_child"] = med([mb(r.children_kb) for r in rp["pressroom"]])
    f["rss_j1"] = med([mb(r.self_kb) for r in al["jobs1"]])
    f["rss_wp"] = med([mb(r.self_kb) for r in res["stages_wp"]["weasyprint"]])
    f["rss_wp_wall"] = [r.wall for r in res["stages_wp"]["weasyprint"]]
    f["rss_ratio"] = max(f["rss_parent"], f["rss_child"]) / f["rss_wp"]

    f["synth_wall"] = [r.wall for r in rp["synth"]]
    f["synth_per_page"] = med(f["synth_wall"]) / res["pages_synth"]
    f["real_per_page"] = med(f["report_pr"]) / res["pages_report"]
    f["scale_ratio"] = f["synth_per_page"] / f["real_per_page"]
    f["scale_cpu_ratio"] = (med([r.cpu for r in rp["synth"]]) / res["pages_synth"]) / \
                           (med([r.cpu for r in rp["pressroom"]]) / res["pages_report"])
    return f


def render_section(res: dict, f: dict, command: str, seconds: float) -> str:
    import pypdf
    import weasyprint
    pandoc = subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    reps = res["reps"]
    s = f["stages"]
    L = []
    a = L.append
    a("## Build performance")
    a("")
    a("Made by `bench/bench_build.py` (do not edit between the markers: the next run replaces it). "
      "Reproduce with:")
    a("")
    a("```sh")
    a(command)
    a("```")
    a("")
    a(f"Measured {res['date']} with Python {platform.python_version()}, WeasyPrint "
      f"{weasyprint.__version__}, pypdf {pypdf.__version__}, {pandoc}, on {os.cpu_count()} cores "
      f"({platform.machine()}, Linux); the whole run took {seconds / 60:.1f} min. "
      f"Load average {res['load_before'][0]:.1f} at the start and {res['load_after'][0]:.1f} at the end: "
      "the machine is shared, so the compared commands are interleaved repetition by repetition "
      "(the order rotates) and the figures are medians, with the range in brackets; ratios are "
      f"ratios of medians. Repetitions: {reps} of each.")
    a("")
    cb, ca = res["cpu_before"], res["cpu_after"]
    a(f"How much of the machine was ours: an allocation-heavy Python loop took {cb['alone']:.2f} s alone and "
      f"{cb['pair']:.2f} s with a second copy running beside it at the start ({cb['cores']:.1f} of "
      f"{os.cpu_count()} cores effectively free), {ca['alone']:.2f} s and {ca['pair']:.2f} s at the end "
      f"({ca['cores']:.1f}). Parallel figures (3) depend on it.")
    a("")
    snap = res["snapshot"]
    changed = snap["changed"]
    a(f"Every pressroom run used a snapshot of `pressroom/`, `styles/`, `manuscript/` and `build.py` taken "
      f"at the start (`bench/out/build/src/`, imported first through `PYTHONPATH`): commit {snap['commit']}"
      + (f" plus the uncommitted changes then in the working tree ({len(changed)} files: "
         f"{', '.join(f'`{c}`' for c in changed[:8])}{', …' if len(changed) > 8 else ''})" if changed else "")
      + ". Others edit the tree while this runs; a change to a rendering module or a stylesheet changes "
      "every build key, which would turn a no-change rebuild into a full one half-way through.")
    a("")
    a("| # | measurement | pressroom | compared with | ratio | target | |")
    a("|---|---|---:|---:|---:|---:|---|")
    a(f"| 1 | pipeline's own work, share of the English report's stages | "
      f"{s['total'] - s['layout'] - s['write']:.2f} s of {s['total']:.2f} s | WeasyPrint layout + write "
      f"{s['layout'] + s['write']:.2f} s | {f['own_share']:.1%} | < 10% | {verdict(f['own_share'] < 0.10)} |")
    a(f"| 2 | cold build, English report | {fmt_s(f['report_pr'])} | pandoc + WeasyPrint "
      f"{fmt_s(f['report_peer'])} | {f['report_ratio']:.2f} (CPU {f['report_cpu_ratio']:.2f}) | ≤ 0.85 | "
      f"{verdict(f['report_ratio'] <= 0.85)} |")
    a(f"| 3 | cold build, every edition, both languages ({len(res['peer_jobs'])} PDFs) | {fmt_s(f['all_pr'])} | "
      f"pandoc + WeasyPrint, one after another {fmt_s(f['all_peer'])} | {f['all_ratio']:.2f} "
      f"(CPU {f['all_cpu_ratio']:.2f}) | ≤ 0.5 | {verdict(f['all_ratio'] <= 0.5)} |")
    a(f"| 3 | parallel speed-up, `--jobs 1` / default ({os.cpu_count()} jobs) | {fmt_s(f['all_pr'])} | "
      f"`--jobs 1` {fmt_s(f['all_j1'])} | {f['speedup']:.2f}× | (none) | |")
    a(f"| 4 | rebuild, nothing changed | {fmt_s(f['noop'])} | cold {med(f['all_pr']):.2f} s | "
      f"{f['noop_ratio']:.3f} | ≤ 0.05 | {verdict(f['noop_ratio'] <= 0.05)} |")
    a(f"| 5 | rebuild after editing one chapter (English) | {fmt_s(f['edit_after'])} | cold "
      f"{fmt_s(f['edit_cold'])} | {f['edit_ratio']:.2f} | ≤ 0.4 | {verdict(f['edit_ratio'] <= 0.4)} |")
    a(f"| 6 | peak memory, full build | parent {f['rss_parent']:.0f} MB, largest worker "
      f"{f['rss_child']:.0f} MB | WeasyPrint alone, {res['largest']} {f['rss_wp']:.0f} MB | "
      f"{f['rss_ratio']:.3f} | ≤ 1.2 | {verdict(f['rss_ratio'] <= 1.2)} |")
    a(f"| 7 | time per page, synthetic {res['synth']['ratio']:.1f}× manuscript ({res['pages_synth']} pages) | "
      f"{f['synth_per_page'] * 1000:.0f} ms/page; {fmt_s(f['synth_wall'])} | real report "
      f"({res['pages_report']} pages) {f['real_per_page'] * 1000:.0f} ms/page | {f['scale_ratio']:.2f} "
      f"(CPU {f['scale_cpu_ratio']:.2f}) | ≤ 1.2 | {verdict(f['scale_ratio'] <= 1.2)} |")
    a("")
    a("Ratios are wall-clock times, as the targets are; \"CPU\" is the same ratio in user + system "
      "seconds of every process involved, which the other load on the machine disturbs less "
      "(it does not show parallelism, so none is given for the speed-up).")
    a("")
    a(f"### 1. Stages of the English report ({f['stage_pages']} pages), in-process")
    a("")
    r = f["stage_rss"]
    a("| stage | seconds | share | peak RSS so far |")
    a("|---|---:|---:|---:|")
    a(f"| (before the stages: importing WeasyPrint and pressroom, fontconfig) | {s['import']:.3f} | | "
      f"{r['import']:.0f} MB |")
    for k, label in STAGES:
        a(f"| {label} | {s[k]:.3f} | {s[k] / s['total']:.1%} | {r[k]:.0f} MB |")
    a(f"| **total** | **{s['total']:.2f}** | | |")
    a(f"| (also in the report's worker: the web edition's page, `render_page(..., \"screen\")`) | {s['web']:.3f} | | "
      f"{r['web']:.0f} MB |")
    a("")
    a(f"{f['pages_per_s']:.1f} pages per second over the six stages. The pipeline's own work (everything "
      f"but WeasyPrint's layout and PDF write) is {f['own_share']:.1%} of the total "
      f"({f['own_share_with_web']:.1%} counting the web page too). Each repetition is a fresh Python "
      "process, as each of a build's workers is (they are forked after WeasyPrint is imported). "
      + (f"Measured against the whole cold build of 2 instead, everything but WeasyPrint's layout and write "
         f"is about {f['own_share_build']:.0%} of its {med(f['report_pr']):.2f} s (start-up, imports, build keys, "
         "the cache and writing the outputs, the web edition, and the stages above; approximate, as the two "
         "come from different runs)." if f['own_share_build'] > 0 else
         f"The whole cold build of 2 takes {med(f['report_pr']):.2f} s, less than WeasyPrint's layout and "
         f"write of the parts one after another here ({s['layout'] + s['write']:.2f} s): in a build they run "
         "in parallel workers, and the pipeline's own stages mostly overlap them (the HTML page while "
         "WeasyPrint loads, the join's parsing while parts are laid out)."))
    a("")
    wp, peer = s["layout"] + s["write"], med(f["report_peer"])
    own = s["total"] - wp
    a("### Notes")
    a("")
    a("* **2.** pressroom: `build.py --edition report --language en --no-cache --out <fresh folder>`. It also "
      "writes the web edition (`en/report.html`, `web.css` and the fonts) and renders a tagged PDF/UA-1. "
      "The peer, run in a folder holding the same Markdown (`bench/peer/prepare.py`: front matter, chapters, "
      "the recommendations appendix and back matter, one file per source with its front matter replaced by "
      "a heading carrying its id; `::: audience` blocks as fenced divs; the generated figure as an SVG file) "
      "and the same stylesheet (the @font-face rules of `pressroom.pdf.layout.font_face_css()` and `styles/print.css` "
      "with `base.css` inlined), with the venv's `bin/` on `PATH`:")
    a("")
    a("  ```sh")
    a(f"  {res['peer_report_cmd']}")
    a("  ```")
    a("")
    a(f"  The peer's PDF is untagged, has no cover, contents page numbers or page-foot footnotes "
      f"(pandoc makes them endnotes): {res['pages_peer_report']} pages against pressroom's {res['pages_report']}. "
      + f"Roughly (figures from 1): WeasyPrint's layout and PDF write of pressroom's larger, tagged "
        f"document alone take {wp:.2f} s, against the peer's {peer:.2f} s for everything, and the "
        f"pipeline's own stages add {own:.2f} s; start-up, imports ({s['import']:.2f} s in 1), the web "
        "page, build keys, the cache and writing the outputs make up the rest.")
    outputs = res["all_outputs"]
    pdfs = [o["path"] for o in outputs if o["format"] == "pdf"]
    a(f"* **3.** pressroom: `build.py --no-cache --out <fresh folder>` ({len(pdfs)} PDFs and 2 web editions), and "
      "the same with `--jobs 1`. The peer: the same pandoc command for each of the same "
      f"{len(res['peer_jobs'])} PDFs, one after another (a brief: its text, its recommendations' titles "
      "and summaries, the back page, with `styles/brief.css`); it makes no web editions.")
    a("* **4.** `build.py --out <folder>` run again right after each cold build of 3, into the same folder; "
      "compared with that cold build.")
    ed = res["edit"]["cycle"]
    a(f"* **5.** The manuscript copied to `bench/out/build/runs/edit-N/`, built with `build.py --manuscript <copy> "
      f"--language en --out <folder>` (cold: empty output folder and cache; {f['edit_editions']} editions), then "
      f"one sentence appended to the first paragraph of `{EDITED_CHAPTER}` and the same command run again. "
      f"Editions rendered again: {', '.join(str(n) for n in f['edit_rendered'])} (per repetition) of "
      f"{f['edit_editions']} ("
      + ("the report alone: no brief's cited report pages moved" if set(f["edit_rendered"]) == {1} else
         "the report, and the briefs whose cited report pages moved")
      + "); the rest came from the cache.")
    a("  Within the report, only the edited chapter is laid out again (each part is cached by its own HTML "
      "in `.cache/parts/`; the contents and the summary of recommendations are laid out again only if a "
      "page number they print moved), then the parts are joined with pypdf. What remains is start-up and imports, the "
      "Markdown and Jinja2 page, one chapter's layout (while the main process parses the cached parts for "
      "the join), the join (pypdf clones and writes every object of the report) and the web edition.")
    a(f"* **6.** Peak RSS via `resource.getrusage`: the build runs inside a small wrapper that executes "
      f"`build.py` in its own process (`runpy`), then reads `RUSAGE_SELF` (the build process: loading, "
      f"keys, holding every output until the atomic write) and `RUSAGE_CHILDREN` (the largest forked "
      f"worker, which lays out one edition; its RSS includes the pages it shares with the build process "
      f"it was forked from, WeasyPrint already imported). Median over the cold full builds of 3. The ratio "
      f"takes the larger of the two. WeasyPrint alone: the print HTML of `{res['largest']}` (the edition with the "
      f"most pages) from `pressroom.render.html.render_page`, rendered by WeasyPrint's own command line, in "
      f"the same wrapper, with pressroom's stylesheets, PDF options and fontconfig file "
      f"({fmt_s(f['rss_wp_wall'])}):")
    a("")
    a("  ```sh")
    a(f"  {res['weasyprint_cmd']}")
    a("  ```")
    a("")
    r = f["stage_rss"]
    order = ["import"] + [k for k, _ in STAGES] + ["web"]
    top = next(k for k in order if r[k] >= r["web"] - 1)
    labels = {**dict(STAGES), "web": "web page", "import": "imports"}
    a("  Where a worker's peak comes from (stages, 1, English report in a fresh process): "
      + ", ".join(f"{labels[k].split(' (')[0]} {r[k]:.0f} MB" for k in order)
      + f" (peak RSS after each stage); the peak is reached in: {labels[top].split(' (')[0]}.")
    a(f"  Also measured: the English report alone (2) peaks at {f['rss_report_parent']:.0f} MB in the build "
      f"process and {f['rss_report_child']:.0f} MB in its worker; with `--jobs 1` (no workers) the full "
      f"build peaks at {f['rss_j1']:.0f} MB.")
    sy = res["synth"]
    a(f"* **7.** `bench/synth.py` (run by this benchmark; alone: `.venv/bin/python bench/synth.py`) copies the "
      f"manuscript to `bench/out/synth4/` with the "
      f"chapters repeated {sy['chapter_copies']} times ({sy['chapters']} chapters, new file names, ids and "
      f"titles; links still point at the originals), English only: {sy['words_synthetic']} words against "
      f"{sy['words_real']} ({sy['ratio']:.1f}×; recommendations, front and back matter are not repeated). "
      f"Built with `build.py --manuscript bench/out/synth4/manuscript --edition report --language en "
      f"--no-cache --out <fresh folder>`, interleaved with the real report's builds of 2.")
    return "\n".join(L)


def write_readme(section: str, path: Path = README) -> None:
    """Replace (or add) this benchmark's section of bench/README.md, leaving the rest as it is."""
    block = f"{START}\n{section.rstrip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text and text.index(START) < text.index(END):
        before, rest = text.split(START, 1)
        text = before + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".README.md.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def console_table(res: dict, f: dict) -> str:
    s = f["stages"]
    rows = [("measurement", "pressroom", "compared with", "ratio", "target", "met")]
    rows.append(("1 own work share (stages)", f"{s['total'] - s['layout'] - s['write']:.2f} s",
                 f"total {s['total']:.2f} s", f"{f['own_share']:.1%}", "< 10%", f['own_share'] < 0.10))
    rows.append(("  pages per second", f"{f['pages_per_s']:.1f}", "", "", "", ""))
    rows.append(("2 cold, English report", f"{med(f['report_pr']):.2f} s", f"peer {med(f['report_peer']):.2f} s",
                 f"{f['report_ratio']:.2f}", "≤ 0.85", f["report_ratio"] <= 0.85))
    rows.append(("3 cold, all editions", f"{med(f['all_pr']):.2f} s", f"peer {med(f['all_peer']):.2f} s",
                 f"{f['all_ratio']:.2f}", "≤ 0.5", f["all_ratio"] <= 0.5))
    rows.append(("3 speed-up jobs 1 / default", f"{med(f['all_pr']):.2f} s", f"jobs 1 {med(f['all_j1']):.2f} s",
                 f"{f['speedup']:.2f}x", "", ""))
    rows.append(("4 rebuild, no change", f"{med(f['noop']):.2f} s", f"cold {med(f['all_pr']):.2f} s",
                 f"{f['noop_ratio']:.3f}", "≤ 0.05", f["noop_ratio"] <= 0.05))
    rows.append(("5 rebuild, one chapter edited", f"{med(f['edit_after']):.2f} s",
                 f"cold {med(f['edit_cold']):.2f} s", f"{f['edit_ratio']:.2f}", "≤ 0.4", f["edit_ratio"] <= 0.4))
    rows.append(("6 peak RSS, full build", f"{f['rss_parent']:.0f}/{f['rss_child']:.0f} MB",
                 f"weasyprint {f['rss_wp']:.0f} MB", f"{f['rss_ratio']:.3f}", "≤ 1.2", f["rss_ratio"] <= 1.2))
    rows.append(("7 time/page, synthetic 4x", f"{f['synth_per_page'] * 1000:.0f} ms",
                 f"real {f['real_per_page'] * 1000:.0f} ms", f"{f['scale_ratio']:.2f}", "≤ 1.2",
                 f["scale_ratio"] <= 1.2))
    rows = [tuple("yes" if c is True else "NO" if c is False else c for c in r) for r in rows]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--stages-worker"]:
        stages_worker(Path(argv[1]), Path(argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repetition of each measurement (to try the script)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3; 1 with --quick)")
    ap.add_argument("--no-readme", action="store_true", help="print only; leave bench/README.md alone")
    ap.add_argument("--report-only", action="store_true",
                    help="no measuring: print (and write) the figures of the last run again, from bench/out/build/results.pickle")
    args = ap.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    if shutil.which("pandoc") is None:
        raise SystemExit("pandoc is not installed (it is the peer compared with)")
    saved = OUT / "results.pickle"
    if args.report_only:
        res = pickle.loads(saved.read_bytes())
        sys.path.insert(0, str(SRC))
    else:
        t0 = time.perf_counter()
        res = measure(reps)
        res["seconds"] = time.perf_counter() - t0
        res["command"] = ".venv/bin/python bench/bench_build.py" + (" --quick" if args.quick else "") + \
            (f" --reps {args.reps}" if args.reps else "")
        saved.write_bytes(pickle.dumps(res))
    f = figures(res)
    print(console_table(res, f))
    if not args.no_readme:
        write_readme(render_section(res, f, res["command"], res["seconds"]))
        print(f"\nwritten to {README.relative_to(ROOT)} (build section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
