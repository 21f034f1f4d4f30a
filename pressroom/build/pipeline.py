"""The build, stage by stage: load, select, render, lay out, post-process, then write everything at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation, suggest
from ..load.editions import editions_to_build
from ..load.manuscript import load_manuscript
from ..load.project import default_theme
from ..model import Manuscript
from ..pdf.layout import font_files
from .graph import render_all
from .make import EditionResult, Output, sha256
from .output import commit, recover
from .workers import LocalExecutor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """How to build."""

    manuscript: Path
    """Manuscript folder."""
    out: Path
    """Output folder."""
    styles: Path = field(default_factory=default_theme)
    """The theme: stylesheets and templates/ (default: the one that comes with pressroom)."""
    edition: str | None = None
    """Build only this edition (and the report it cites)."""
    languages: tuple[str, ...] | None = None
    """Build only these languages."""
    allow_overflow: bool = False
    """Turn over-budget briefs into warnings."""
    strict: bool = False
    """Treat warnings as errors."""
    jobs: int = 0
    """Renders at once (0: one per core)."""
    timeout: float = 600.0
    """Seconds a single edition may take before its render is stopped."""
    use_cache: bool = True
    """Reuse outputs whose inputs have not changed."""
    executor: str = "local"
    """Where tasks run: `local` (forked workers on this machine) or `dask` (a dask.distributed cluster)."""
    scheduler: str | None = None
    """With `dask`: the scheduler's address (`tcp://host:8786`); None starts a local cluster of `jobs` workers."""


def web_support_files(styles: Path, results: list[EditionResult]) -> tuple[Output, ...]:
    """The web edition's stylesheet and fonts, when the build made a web edition."""
    if not any(r.edition.spec.web for r in results):
        return ()
    css = Output("web.css", (styles / "screen.css").read_bytes(), None)
    return (css,) + tuple(Output(f"fonts/{f.name}", f.read_bytes(), None) for f in font_files())


def inclusion_report(results: list[EditionResult]) -> list[dict]:
    """What went into each edition and what was left out."""
    out = []
    for r in results:
        e = r.edition
        out.append({
            "edition": e.spec.id, "language": e.language, "audience": e.audience,
            "sections": [s.rel for s in e.sections], "sections_left_out": list(e.left_out_sections),
            "recommendations": [x.id for x in e.recommendations],
            "recommendations_left_out": list(e.left_out_recommendations),
        })
    return out


def commit_outputs(out: Path, outputs: list[Output], manifest: dict, inclusion: list[dict],
                   partial: bool = False) -> None:
    """Write every output as one transaction (see pressroom.build.output), the manifest last, and
    remove the outputs the build no longer makes (`partial`: only some editions or languages built)."""
    files = {o.rel: o.data for o in outputs}
    files["inclusion.json"] = (json.dumps(inclusion, indent=2, ensure_ascii=False) + "\n").encode()
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    commit(out, files, partial)


@dataclass(frozen=True)
class BuildResult:
    """What a build made."""

    results: tuple[EditionResult, ...]
    """Per edition and language."""
    manifest: dict
    """The manifest written."""
    warnings: tuple[Problem, ...]
    """Warnings from loading and rendering."""


@contextmanager
def pinned_timestamps(date: str):
    """Font subsetting stamps fonts with the current time unless SOURCE_DATE_EPOCH is set:
    pin it to the publication date while rendering, so that the same sources give the same bytes."""
    import os
    if os.environ.get("SOURCE_DATE_EPOCH"):
        yield
        return
    day = dt.datetime.combine(dt.date.fromisoformat(date), dt.time(), dt.timezone.utc)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(day.timestamp()))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def build(opts: BuildOptions, progress=None) -> BuildResult:
    """Load and validate everything, render what changed, then write all outputs at once."""
    prepare_output_folder(opts.out)
    manuscript = load_manuscript(opts.manuscript, opts.styles, opts.languages)  # only the languages asked for
    check_request(manuscript, opts)
    if opts.strict and manuscript.warnings:
        raise BuildError(manuscript.warnings)
    editions = editions_to_build(manuscript, opts.edition, opts.languages)
    with make_executor(opts) as executor, pinned_timestamps(manuscript.publication.date):
        results = render_all(manuscript, editions, opts.out, executor, opts.use_cache, opts.allow_overflow, progress)
    outputs = [o for r in results for o in r.outputs] + list(web_support_files(manuscript.styles, results))
    manifest = {"outputs": manifest_entries(opts, outputs, manuscript)}
    warnings = tuple(manuscript.warnings) + tuple(w for r in results for w in r.warnings)
    if opts.strict and warnings:
        raise BuildError(warnings)
    commit_outputs(opts.out, outputs, manifest, inclusion_report(results), bool(opts.edition or opts.languages))
    return BuildResult(tuple(results), manifest, warnings)


def prepare_output_folder(out: Path) -> None:
    """A build killed while committing is finished before anything else; an output path that is a
    file is refused."""
    if out.is_dir():
        recover(out)
    elif out.exists():
        raise BuildError([Problem(SourceLocation.of(out), "cannot write the output: it is a file "
                                  "(expected a folder, or a path where one can be made)")])


@contextmanager
def make_executor(opts: BuildOptions):
    """The executor the options ask for, closed (a local cluster stopped) when the build is done."""
    if opts.executor == "dask":
        from .dask_executor import DaskExecutor
        with DaskExecutor.connect(opts.scheduler, opts.jobs or os.cpu_count() or 1, opts.timeout) as executor:
            yield executor
        return
    yield LocalExecutor(opts.jobs or os.cpu_count() or 1, opts.timeout)


def manifest_entries(opts: BuildOptions, outputs: list[Output], m: Manuscript) -> list[dict]:
    """The manifest's entries: those of this build's outputs, and, for a partial build, those of
    earlier outputs it did not touch that are still on disk and still made by an edition."""
    entries = [o.entry for o in outputs if o.entry]
    if opts.edition or opts.languages:
        entries = _keep_previous_entries(opts.out, entries, m)
    return entries


def check_request(m: Manuscript, opts: BuildOptions) -> None:
    """`--edition` must name a declared edition, `--language` a declared language, and one the
    chosen edition is made in."""
    known = [e.id for e in m.editions]
    if opts.edition and opts.edition not in known:
        raise BuildError([Problem(SourceLocation("--edition"), f"unknown edition '{opts.edition}'"
                                  f"{suggest(opts.edition, known)} (expected one of: {', '.join(known)})")])
    declared = m.publication.languages
    problems = [Problem(SourceLocation("--language"), f"unknown language '{lang}'{suggest(lang, declared)} "
                        f"(expected one of: {', '.join(declared)})")
                for lang in opts.languages or () if lang not in declared]
    if opts.edition and opts.languages and not problems:
        spec = m.edition(opts.edition)
        if not set(opts.languages) & set(spec.languages):
            problems.append(Problem(SourceLocation("--language"), f"edition '{spec.id}' is made in "
                                    f"{', '.join(spec.languages)} only (asked for {', '.join(opts.languages)})"))
    if problems:
        raise BuildError(problems)


def _keep_previous_entries(out: Path, entries: list[dict], m: Manuscript) -> list[dict]:
    """A partial build keeps the manifest entries of outputs it did not touch, if still on disk and
    still made by the manuscript's editions (the others are removed: pressroom.build.output)."""
    built = {e["path"] for e in entries}
    made = {(s.id, lang, fmt) for s in m.editions for lang in s.languages
            for fmt in (("pdf", "html") if s.web else ("pdf",))}
    try:
        previous = json.loads((out / "manifest.json").read_text())["outputs"]
    except (OSError, ValueError, KeyError):
        previous = []
    kept = [e for e in previous if e.get("path") not in built and (out / e.get("path", "")).is_file()
            and (e.get("edition"), e.get("language"), e.get("format")) in made
            and sha256((out / e["path"]).read_bytes()) == e.get("sha256")]
    order = {(e["edition"], e["language"], e["format"]): i for i, e in enumerate(previous)}
    return sorted(kept + entries, key=lambda e: order.get((e["edition"], e["language"], e["format"]), 10**6))

