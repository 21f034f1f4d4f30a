"""The build, stage by stage: load, select, render, lay out, post-process, then write everything at once."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation
from ..load.editions import editions_to_build
from ..load.manuscript import load_manuscript
from ..model import Edition, Manuscript, RenderedHTML

log = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Output:
    """One file the build produces, held in memory until every edition has succeeded."""

    rel: str
    """Path relative to the output folder."""
    data: bytes
    """File contents."""
    entry: dict | None
    """Manifest entry, or None for support files (fonts)."""


@dataclass(frozen=True)
class EditionResult:
    """What building one edition in one language gave."""

    edition: Edition
    """The edition."""
    outputs: tuple[Output, ...]
    """Its files."""
    pages: int
    """PDF page count."""
    seconds: float
    """Time spent."""
    anchors: dict = field(hash=False, default_factory=dict)
    """Anchor id to printed page label."""
    warnings: tuple[Problem, ...] = ()
    """Non-fatal problems (overflow with --allow-overflow)."""
    reused: bool = False
    """True when the output came from the cache, unchanged inputs, not rendered again."""


@dataclass(frozen=True)
class BuildOptions:
    """How to build."""

    manuscript: Path
    """Manuscript folder."""
    out: Path
    """Output folder."""
    styles: Path = PROJECT / "styles"
    """Styles folder."""
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


def sha256(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def output_name(edition: Edition, ext: str) -> str:
    """`en/report.pdf`, `fr/ca-parliament.pdf`."""
    return f"{edition.language}/{edition.spec.id}.{ext}"


def build_report_pdf(m: Manuscript, edition: Edition, cache: Path) -> EditionResult:
    """Render the full report here, part after part, without the part cache (see ReportJob for the
    build's way: parts in parallel, cached)."""
    from ..pdf.parts import layout_unit
    from .cache import parts_common_key
    t0 = time.perf_counter()
    job = ReportJob(m, edition, parts_common_key(m), None, cache)
    while units := job.units():
        for chosen in units:
            job.add_unit(layout_unit(*job.unit_args(chosen)))
    r = job.assemble()
    return EditionResult(r.edition, r.outputs, r.pages, time.perf_counter() - t0, r.anchors)


class ReportJob:
    """The full report, built part by part: the parts whose key is cached are taken as they are,
    the others laid out (each alone, in parallel); the parts that print others' page numbers (the
    contents, the summary of recommendations) once those are laid out; then everything joined
    (pressroom.pdf.parts, pressroom.pdf.join)."""

    ROUNDS = 4
    """How many times the parts with page numbers may be laid out again before giving up (their own
    length can move the pages after them; in practice the second round is never needed)."""

    def __init__(self, m: Manuscript, edition: Edition, common_key: str, part_cache, scratch: Path,
                 page: RenderedHTML | None = None):
        from ..pdf.parts import numbered_by_others, part_key, split_report
        self.m, self.edition, self.scratch, self.part_cache = m, edition, scratch, part_cache
        self.t0 = time.perf_counter()
        if page is None:
            from ..render.html import render_page
            page = render_page(edition, m.styles, "print")
        self.page = page
        self.split = split_report(self.page.html)
        self.common = common_key
        self.late = {p.name for p in self.split.parts if numbered_by_others(p)}
        self.keys = {p.name: part_key(common_key, self.split.head, p) for p in self.split.parts if p.name not in self.late}
        self.laid: dict[str, object] = {}
        self.pdfs: dict[str, bytes] = {}
        self.new_units: list = []
        self.readers: dict[str, object] = {}  # parsed PDFs of parts, by SHA-256 (read_parts)
        self.rounds = 0
        self.laying_out = 0  # units handed out by units() and not yet back (add_unit)
        self.web: tuple[Output, ...] | None = None if edition.spec.web else ()  # once made; () when none
        self.joined: EditionResult | None = None  # the joined PDF, once made
        if part_cache is not None:
            for name, key in self.keys.items():
                hit = part_cache.load(key)
                if hit is not None:
                    self._keep(*hit)

    def _keep(self, part, pdf: bytes) -> None:
        self.laid[part.name] = part
        self.pdfs[part.unit] = pdf

    @property
    def source(self) -> str:
        return _source(self.m, self.edition)

    def labels(self) -> dict[str, str]:
        """Printed page numbers of the anchors, as far as the parts laid out tell."""
        from ..pdf.parts import page_labels
        return page_labels([(p.name, self.laid.get(p.name)) for p in self.split.front],
                           [(p.name, self.laid.get(p.name)) for p in self.split.body])

    def units(self) -> list:
        """Parts to lay out now, one document each: those without others' page numbers that are not
        laid out; once all are, those with page numbers that are not laid out with the right ones."""
        from ..pdf.parts import group_units
        early = [p for p in self.split.parts if p.name not in self.late and p.name not in self.laid]
        if early:
            units = group_units(early)
        else:
            late = self._late_parts()
            if late:
                self.rounds += 1
                if self.rounds > self.ROUNDS:
                    raise BuildError([Problem(SourceLocation(self.source), "the page numbers of the contents do "
                                      f"not settle after {self.ROUNDS} layouts (each layout moves the pages it "
                                      "numbers)")])
            units = group_units(late)
        self.laying_out += len(units)
        return units

    def _late_parts(self, depth: int = 0) -> list:
        """The parts with page numbers whose numbers are not yet the right ones (taken from the
        cache when it has them with these numbers)."""
        from ..pdf.parts import fill_page_numbers, part_key
        labels = self.labels()
        provisional = any(name not in self.laid for name in self.late)
        todo = []
        cached = False
        for p in self.split.parts:
            if p.name not in self.late:
                continue
            filled = fill_page_numbers(p, labels, self.source, provisional)
            key = self.keys[p.name] = part_key(self.common, self.split.head, filled)
            done = self.laid.get(p.name)
            if done is not None and done.key == key:
                continue
            hit = self.part_cache.load(key) if self.part_cache is not None else None
            if hit is not None:
                self._keep(*hit)
                cached = True
                continue
            todo.append(filled)
        if cached and not todo and depth < self.ROUNDS and self.labels() != labels:
            return self._late_parts(depth + 1)  # a part taken from the cache moved the others' numbers
        return todo

    def unit_args(self, chosen) -> tuple:
        """Arguments of pressroom.pdf.parts.layout_unit for some parts."""
        from ..pdf.parts import ReportParts
        only = ReportParts(self.split.head, (), tuple(chosen))  # what layout_unit needs of the page
        return (only, chosen, {p.name: self.keys[p.name] for p in chosen}, self.m.root, self.page.stylesheets,
                [self.m.root, self.m.styles], self.source, self.scratch)

    def add_unit(self, unit) -> None:
        """Take a laid-out unit's parts (cached by keep_new_parts once the report is built)."""
        for part in unit.parts:
            self._keep(part, unit.pdf)
        self.new_units.append(unit)
        self.laying_out = max(0, self.laying_out - 1)

    def keep_new_parts(self) -> None:
        """Cache the parts laid out for this report, once it has been built: a failed build leaves
        nothing in the output folder, not even in the cache."""
        if self.part_cache is not None:
            for unit in self.new_units:
                self.part_cache.store(unit)

    def read_parts(self) -> None:
        """Parse the PDFs of the parts laid out so far, for the join (pressroom.pdf.join.read_part)."""
        from ..pdf.join import read_part
        for digest, pdf in self.pdfs.items():
            if digest not in self.readers:
                self.readers[digest] = read_part(pdf)

    def progress(self) -> tuple[int, int]:
        """Parts laid out, of all."""
        return len([p for p in self.split.parts if p.name in self.laid]), len(self.split.parts)

    def assemble(self) -> EditionResult:
        """Join the parts and check the result (the web edition is made apart: build_web)."""
        from ..pdf.join import Piece, join
        laid = [self.laid[p.name] for p in self.split.parts]
        pieces = [Piece(self.pdfs[lp.unit], lp.first, lp.count, lp.numbered) for lp in laid]
        joined = join(pieces, len(self.split.front) if self.split.body else None, {}, self.readers)
        anchors = self.labels()
        if joined.problems:
            raise BuildError([Problem(SourceLocation(self.source), f"accessibility: {p}") for p in joined.problems])
        entry = _entry(self.edition, "pdf", output_name(self.edition, "pdf"), joined.pdf, joined.pages)
        outputs = (Output(entry["path"], joined.pdf, entry),)
        return EditionResult(self.edition, outputs, joined.pages, time.perf_counter() - self.t0, anchors)

    def result(self) -> EditionResult:
        """The report: the joined PDF and the web edition."""
        r = self.joined
        return EditionResult(r.edition, r.outputs + self.web, r.pages, time.perf_counter() - self.t0, r.anchors)


def build_brief_pdf(m: Manuscript, edition: Edition, report_pages: dict, cache: Path,
                    allow_overflow: bool) -> EditionResult:
    """Render one brief, citing the report's printed pages, and hold it to its page budget."""
    from ..pdf.layout import layout, write_pdf
    from ..pdf.postpass import add_page_labels
    from ..render.html import outline_titles, render_page
    t0 = time.perf_counter()
    page = render_page(edition, m.styles, "print", report_pages=report_pages)
    laid = layout(page.html, m.root, page.stylesheets, [m.root, m.styles], _source(m, edition), cache)
    warnings: list[Problem] = []
    budget = edition.spec.page_budget
    if budget and laid.pages > budget:
        titles = outline_titles(page.html)
        where = _overflow_point(laid.page_anchors, budget, titles)
        problem = Problem(SourceLocation.of(m.root / "editions.yml", edition.spec.line),
                          f"edition '{edition.id}' takes {laid.pages} pages, over its budget of {budget}; "
                          f"the budget ran out at {where} (shorten the brief texts or raise page_budget)",
                          "warning" if allow_overflow else "error")
        if not allow_overflow:
            raise BuildError([problem])
        warnings.append(problem)
    raw, pages = write_pdf(laid, page.html), laid.pages
    del laid
    data = add_page_labels(raw, None)
    ensure_accessible(data, _source(m, edition))
    entry = _entry(edition, "pdf", output_name(edition, "pdf"), data, pages)
    return EditionResult(edition, (Output(entry["path"], data, entry),), pages,
                         time.perf_counter() - t0, {}, tuple(warnings))


def ensure_accessible(data: bytes, source: str) -> None:
    """Fail the build when a PDF about to be written misses an accessibility promise."""
    from ..pdf.accessibility import check_pdf
    problems = check_pdf(data)
    if problems:
        raise BuildError([Problem(SourceLocation(source), f"accessibility: {p}") for p in problems])


def locate_refusals(problems, edition: Edition, m: Manuscript | None = None) -> list[Problem]:
    """Point a refused URL at the Markdown (or stylesheet) line that asked for it, when one did."""
    import os
    import re
    from urllib.parse import unquote, urlparse
    out = []
    for p in problems:
        found = re.search(r"refused to load '([^']+)'", p.message)
        if found:
            url = found.group(1)
            needles = [url, url.replace("file://", "")]
            if url.startswith("file:") and m is not None:
                path = unquote(urlparse(url).path)
                needles += [os.path.relpath(path, m.root), os.path.relpath(path, m.styles)]
            sources = [(src.path, src.body_line, src.body) for src in list(edition.sections) + list(edition.recommendations)]
            if m is not None:
                sources += [(css, 1, css.read_text(errors="replace")) for css in sorted(m.styles.glob("*.css"))]
            p = next((Problem(SourceLocation.of(path, first + i), p.message, p.severity)
                      for needle in needles for path, first, text in sources
                      for i, line in enumerate(text.split("\n")) if needle and needle in line), p)
        out.append(p)
    return out


def _overflow_point(page_anchors: tuple, budget: int, titles: dict) -> str:
    """The heading or recommendation standing where the last allowed page ends."""
    for i in range(budget, -1, -1):
        named = [a for a in page_anchors[i] if a in titles] if i < len(page_anchors) else []
        if i == budget and named:
            return f"'{titles[named[0]]}'"
        if i < budget and named:
            return f"'{titles[named[-1]]}'"
    return "the start of the brief"


def build_web(m: Manuscript, edition: Edition) -> tuple[Output, ...]:
    """The web edition: one self-contained HTML page."""
    from ..render.html import render_page
    page = render_page(edition, m.styles, "screen", pdf_name=f"{edition.spec.id}.pdf")
    data = page.html.encode("utf-8")
    entry = _entry(edition, "html", output_name(edition, "html"), data, None)
    return (Output(entry["path"], data, entry),)


def _entry(edition: Edition, fmt: str, rel: str, data: bytes, pages: int | None) -> dict:
    entry = {
        "edition": edition.spec.id,
        "audience": edition.audience,
        "language": edition.language,
        "format": fmt,
        "path": rel,
        "pages": pages,
        "bytes": len(data),
        "sha256": sha256(data),
        "recommendations": [r.id for r in edition.recommendations],
    }
    if edition.spec.kind == "brief":
        entry["page_budget"] = edition.spec.page_budget
    return entry


def _source(m: Manuscript, edition: Edition) -> str:
    from ..errors import display_path
    return f"{display_path(m.root / 'editions.yml')}:{edition.spec.line or 1} (edition '{edition.id}')"


def web_support_files(styles: Path) -> tuple[Output, ...]:
    """The web edition's stylesheet and fonts."""
    from ..pdf.layout import font_files
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


def commit_outputs(out: Path, outputs: list[Output], manifest: dict, inclusion: list[dict]) -> None:
    """Write every output as one transaction (see pressroom.build.output), the manifest last."""
    from .output import commit
    files = {o.rel: o.data for o in outputs}
    files["inclusion.json"] = (json.dumps(inclusion, indent=2, ensure_ascii=False) + "\n").encode()
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    commit(out, files)


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
    import datetime as dt
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
    from .output import recover
    if opts.out.is_dir():
        recover(opts.out)  # a build killed while committing is finished before anything else
    elif opts.out.exists():
        raise BuildError([Problem(SourceLocation.of(opts.out), "cannot write the output: it is a file "
                                  "(expected a folder, or a path where one can be made)")])
    # Only the languages asked for must load (all when none is).
    manuscript = load_manuscript(opts.manuscript, opts.styles, opts.languages)
    check_request(manuscript, opts)
    if opts.strict and manuscript.warnings:
        raise BuildError(manuscript.warnings)
    editions = editions_to_build(manuscript, opts.edition, opts.languages)
    with pinned_timestamps(manuscript.publication.date):
        results = render_all(manuscript, editions, opts, progress)
    outputs = [o for r in results for o in r.outputs]
    if any(r.edition.spec.web for r in results):
        outputs += list(web_support_files(manuscript.styles))
    entries = [o.entry for o in outputs if o.entry]
    if opts.edition or opts.languages:
        entries = _keep_previous_entries(opts.out, entries)
    manifest = {"outputs": entries}
    warnings = tuple(manuscript.warnings) + tuple(w for r in results for w in r.warnings)
    if opts.strict and warnings:
        raise BuildError(warnings)
    commit_outputs(opts.out, outputs, manifest, inclusion_report(results))
    return BuildResult(tuple(results), manifest, warnings)


def check_request(m: Manuscript, opts: BuildOptions) -> None:
    """`--edition` must name a declared edition, `--language` a declared language, and one the
    chosen edition is made in."""
    from ..errors import suggest
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


def _keep_previous_entries(out: Path, entries: list[dict]) -> list[dict]:
    """A partial build keeps the manifest entries of outputs it did not touch, if still on disk."""
    built = {e["path"] for e in entries}
    try:
        previous = json.loads((out / "manifest.json").read_text())["outputs"]
    except (OSError, ValueError, KeyError):
        previous = []
    kept = [e for e in previous if e.get("path") not in built and (out / e.get("path", "")).is_file()
            and sha256((out / e["path"]).read_bytes()) == e.get("sha256")]
    order = {(e["edition"], e["language"], e["format"]): i for i, e in enumerate(previous)}
    return sorted(kept + entries, key=lambda e: order.get((e["edition"], e["language"], e["format"]), 10**6))


def render_all(m: Manuscript, editions: list[Edition], opts: BuildOptions, progress=None) -> list[EditionResult]:
    """Every edition that changed, in parallel workers: each report's HTML page (while this process
    loads WeasyPrint), its parts that changed (while this process parses those laid out, for the
    join), its contents and summary of recommendations once the pages they number are laid out,
    the report joined beside its web edition, then the briefs of its language (which cite its page
    numbers). What others wait on runs first (pressroom.build.workers.Task.priority). Unchanged editions
    come from the cache without anything being laid out."""
    import os

    from .cache import OutputCache, PartCache, edition_key, parts_common_key
    from .workers import Task, at_worker_exit, run_tasks
    cache = OutputCache(opts.out)
    part_cache = PartCache(opts.out) if opts.use_cache else None
    jobs = opts.jobs or os.cpu_count() or 1
    problems: list[Problem] = []
    results: list[EditionResult] = []
    report_pages: dict[str, dict] = {}
    if progress:
        progress(None, "plan", len(editions))
    keys: dict[str, str] = {}
    started_editions: set[str] = set()
    by_id = {e.id: e for e in editions}
    reports = [e for e in editions if e.spec.kind == "report"]
    briefs = [e for e in editions if e.spec.kind == "brief"]
    jobs_of: dict[str, ReportJob] = {}
    web_issued: set[str] = set()  # reports whose web edition is under way
    waiting: dict[str, int] = {}  # reports still being built, by language

    def reuse(e: Edition, pages: dict | None = None) -> bool:
        key = edition_key(m, e, pages)
        hit = cache.load(key) if opts.use_cache else None
        if hit is None:
            keys[e.id] = key
            return False
        r = _from_cache(e, *hit)
        results.append(r)
        if e.spec.kind == "report":
            report_pages[e.language] = r.anchors
        if progress:
            progress(e, "reused", r)
        return True

    def brief_tasks(language: str | None = None) -> list[Task]:
        """The briefs (of `language`, or of every language) whose report is known."""
        out = []
        for e in briefs:
            if e.language in waiting or language not in (None, e.language):
                continue
            pages = report_pages.get(e.language, {})
            if not reuse(e, pages):
                out.append(Task(e.id, _source(m, e), build_brief_pdf,
                                (m, e, pages, _scratch(opts.out), opts.allow_overflow), priority=2))
        return out

    def report_tasks(job: ReportJob) -> list[Task]:
        """What the report needs next: parts to lay out, or, once all are, the join."""
        e = job.edition
        if job.laying_out:
            return []  # the next parts (or the join) wait for these
        try:
            units = job.units()
        except BuildError as exc:
            problems.extend(exc.problems)
            return []
        if units:
            late = bool(job.late & {p.name for p in units[0]})
            tasks = [Task(f"{e.id}:part:{chosen[0].name}:{job.rounds}", job.source, layout_unit_task,
                          job.unit_args(chosen), e.id, f"part '{chosen[0].name}'", priority=0 if late else 1)
                     for chosen in units]
            return tasks + (web_task(job, priority=1) if late else [])
        return web_task(job, priority=0) + [Task(f"{e.id}:join", job.source, assemble_task, (job,), e.id,
                                                 "joining the parts", priority=0, here=True, pooled=False)]

    def web_task(job: ReportJob, priority: int) -> list[Task]:
        """The report's web edition, once: it needs no layout, so it waits until only the parts that
        number pages are left (a worker is then free) or, if none is, is made while this process
        joins the parts."""
        e = job.edition
        if job.web is not None or e.id in web_issued:
            return []
        web_issued.add(e.id)
        return [Task(f"{e.id}:web", job.source, build_web, (m, e), e.id, "web edition", priority=priority)]

    from .workers import can_fork
    parallel = jobs > 1 and can_fork()
    common = ""

    def start_report(job: ReportJob) -> list[Task]:
        e = job.edition
        jobs_of[e.id] = job
        return report_tasks(job)

    initial: list[Task] = []
    for e in reports:
        if reuse(e):
            continue
        waiting[e.language] = waiting.get(e.language, 0) + 1
        common = common or parts_common_key(m)
        if parallel:  # its HTML made by a worker while this process loads WeasyPrint (see idle)
            initial.append(Task(f"{e.id}:page", _source(m, e), print_page, (m, e), e.id, "HTML page", priority=0))
        else:
            initial += start_report(ReportJob(m, e, common, part_cache, _scratch(opts.out)))
    briefs_now = brief_tasks()
    if (briefs_now and not waiting) or (waiting and not parallel):
        _prepare_renderer(opts.out, m, editions)
        _prepare_rest(m, editions)
    initial += briefs_now

    prepared: list[bool] = []

    def idle() -> None:
        """While the first workers make the reports' HTML: load and warm WeasyPrint up, once, for
        every worker forked afterwards (then, once the first parts are out, the rest: briefs'
        stylesheet, the join). Later, while parts are laid out: parse those laid out so far, so
        that the join does not have to."""
        if waiting and len(prepared) < 2:
            prepared.append(True)
            if len(prepared) == 1:  # what the first parts need
                _prepare_renderer(opts.out, m, editions)
            else:  # what can wait until they are dispatched
                _prepare_rest(m, editions)
        for job in jobs_of.values():
            if job.joined is None:
                job.read_parts()

    def started(t: Task):
        e = by_id[t.edition or t.name]
        if e.id not in started_editions:
            started_editions.add(e.id)
            if progress:
                progress(e, "start")

    def complete(value: EditionResult) -> list[Task]:
        e = value.edition
        cache.store(keys[e.id], _meta_of(value), {o.rel: o.data for o in value.outputs})
        results.append(value)
        if progress:
            progress(e, "done", value)
        if e.spec.kind == "report":
            jobs_of[e.id].keep_new_parts()
            report_pages[e.language] = value.anchors
            waiting[e.language] -= 1
            if not waiting[e.language]:
                del waiting[e.language]
                if not problems:  # briefs cite their report: no point laying them out against a failed one
                    return brief_tasks(e.language)
        return []

    def finished(t: Task, outcome) -> list[Task]:
        e = by_id[t.edition or t.name]
        if outcome[0] != "ok":
            problems.extend(locate_refusals(outcome[1], e, m))
            if progress:
                progress(e, "failed")
            return []
        value = outcome[1]
        if t.name.endswith(":page"):
            html, sheets = value
            page = RenderedHTML(e, html, sheets, "print")
            return start_report(ReportJob(m, e, common, part_cache, _scratch(opts.out), page))
        if t.name.endswith(":web"):
            job = jobs_of[e.id]
            job.web = value
            return complete(job.result()) if job.joined is not None else []
        if isinstance(value, EditionResult):
            if e.spec.kind == "report":
                job = jobs_of[e.id]
                job.joined = value
                return complete(job.result()) if job.web is not None else []
            return complete(value)
        job = jobs_of[e.id]
        job.add_unit(value)
        if progress:
            progress(e, "step", job.progress())
        return report_tasks(job)

    if initial:
        from ..pdf.layout import release_fonts
        at_worker_exit(release_fonts)  # workers leave without atexit: their font folders go then
        run_tasks(initial, jobs, opts.timeout, started, finished, idle)
    if problems:
        raise BuildError(problems)
    order = {(e.spec.id, e.language): i for i, e in enumerate(editions)}
    return sorted(results, key=lambda r: order[(r.edition.spec.id, r.edition.language)])


def print_page(m: Manuscript, edition: Edition) -> tuple[str, tuple[Path, ...]]:
    """Worker side of a report's first step: its print HTML page and stylesheets."""
    from ..render.html import render_page
    page = render_page(edition, m.styles, "print")
    return page.html, page.stylesheets


def layout_unit_task(*args):
    """Worker side of a report part: lay out some parts (see pressroom.pdf.parts.layout_unit)."""
    from ..pdf.parts import layout_unit
    return layout_unit(*args)


def assemble_task(job: "ReportJob") -> EditionResult:
    """The join task: the report's PDF, checked (its web edition is a task of its own). It runs in
    this process when no other task waits to start (Task.here), else in a worker forked for it."""
    return job.assemble()


def _scratch(out: Path) -> Path:
    from ..pdf.layout import scratch_dir
    return scratch_dir(out)


def _prepare_renderer(out: Path, m: Manuscript, editions: list[Edition]) -> None:
    """Point fontconfig at the project's fonts, warm WeasyPrint up and parse the first edition's
    stylesheet once, before forking workers (the rest: _prepare_rest)."""
    from ..pdf.layout import configure_fontconfig, pango_available, warm_up
    if pango_available():
        configure_fontconfig(_scratch(out))
        languages = tuple(dict.fromkeys(e.language for e in editions))
        warm_up(m.root, (m.styles / editions[0].spec.stylesheet,), [m.root, m.styles], languages, _scratch(out))


def _prepare_rest(m: Manuscript, editions: list[Edition]) -> None:
    """What later tasks share but the first parts do not need: the other stylesheets (the briefs'),
    the join's folio font and accessibility check."""
    from ..pdf.join import warm_up
    from ..pdf.layout import pango_available, shared_stylesheets
    if pango_available():
        for sheet in dict.fromkeys(e.spec.stylesheet for e in editions[1:]):
            shared_stylesheets((m.styles / sheet,), [m.root, m.styles])
    warm_up()


def _meta_of(r: EditionResult) -> dict:
    return {"pages": r.pages, "seconds": r.seconds, "anchors": r.anchors,
            "entries": {o.rel: o.entry for o in r.outputs},
            "warnings": [[w.location.path, w.location.line, w.message, w.severity] for w in r.warnings]}


def _from_cache(edition: Edition, meta: dict, files: dict[str, bytes]) -> EditionResult:
    outputs = tuple(Output(rel, files[rel], meta["entries"].get(rel)) for rel in meta["files"])
    warnings = tuple(Problem(SourceLocation(p, l), msg, sev) for p, l, msg, sev in meta.get("warnings", []))
    return EditionResult(edition, outputs, meta["pages"], 0.0, meta["anchors"], warnings, reused=True)
