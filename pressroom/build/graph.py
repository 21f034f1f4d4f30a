"""The build as a task graph: a plan made before anything is rendered (what the caches hold, what
must be made), then typed tasks that follow from one another as their results come in, run by an
executor (pressroom.build.workers locally, pressroom.build.dask_executor on a cluster)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from ..errors import BuildError, Problem
from ..model import Edition, Manuscript, RenderedHTML
from ..pdf import patches
from ..pdf.layout import release_fonts
from .cache import OutputCache, PartCache, edition_key, parts_common_key
from .make import (
    EditionResult,
    ReportJob,
    _from_cache,
    _meta_of,
    _prepare_renderer,
    _prepare_rest,
    _scratch,
    _source,
    assemble_task,
    build_brief_pdf,
    build_web,
    layout_unit_task,
    print_page,
)
from .workers import Task, at_worker_exit


class Kind(str, enum.Enum):
    """What a task makes."""

    PAGE = "page"
    """A report's print HTML page (then cut into parts)."""
    PART = "part"
    """Some parts of a report, laid out (one PDF)."""
    JOIN = "join"
    """A report's parts joined into its PDF, checked."""
    WEB = "web"
    """A report's web edition."""
    BRIEF = "brief"
    """A brief, laid out against its page budget and checked."""


class Executor(Protocol):
    """Runs tasks: `on_done(task, outcome)` returns the tasks a finished one makes possible, which run
    next; `idle()` is called in this process while workers run. Outcomes are ("ok", value) or
    ("error", [Problem, ...])."""

    shares_memory: bool
    """True when workers are forked from this process, so that what it loads before forking (WeasyPrint
    warmed up, stylesheets parsed) is theirs too; False when they are processes of their own."""
    parallel: bool
    """True when tasks run side by side (then a report's HTML is made by a worker, not here)."""

    def run(self, tasks: list[Task], on_start: Callable, on_done: Callable, idle: Callable | None) -> None: ...


@dataclass(frozen=True)
class Plan:
    """What a build will do, decided from the manuscript, the editions and the output cache, before
    anything is rendered."""

    reused: tuple[EditionResult, ...]
    """Editions whose inputs have not changed, taken from the cache as they are."""
    reports: tuple[Edition, ...]
    """Reports to build."""
    briefs_now: tuple[Edition, ...]
    """Briefs to build at once (their report was reused, or none is built in their language)."""
    briefs_later: tuple[Edition, ...]
    """Briefs that cite a report being built: made (or reused) once its page numbers are known."""
    keys: dict = field(hash=False, default_factory=dict)
    """Cache key of each edition to build, by edition id (those of later briefs are added then)."""
    report_pages: dict = field(hash=False, default_factory=dict)
    """Printed page of each anchor of the reused reports, by language."""


def _lookup(m: Manuscript, e: Edition, cache: OutputCache | None, pages: dict | None) -> tuple[str, EditionResult | None]:
    key = edition_key(m, e, pages)
    hit = cache.load(key) if cache is not None else None
    try:
        return key, (_from_cache(e, *hit) if hit is not None else None)
    except (KeyError, TypeError, ValueError):  # an entry without what a result needs: made again
        return key, None


def plan_build(m: Manuscript, editions: list[Edition], cache: OutputCache | None) -> Plan:
    """Which editions the cache holds and which must be made (`cache` None: all of them)."""
    reused: list[EditionResult] = []
    keys: dict[str, str] = {}
    pages: dict[str, dict] = {}
    reports: list[Edition] = []
    for e in (e for e in editions if e.spec.kind == "report"):
        key, hit = _lookup(m, e, cache, None)
        if hit is None:
            keys[e.id] = key
            reports.append(e)
        else:
            reused.append(hit)
            pages[e.language] = hit.anchors
    building = {e.language for e in reports}
    now: list[Edition] = []
    later: list[Edition] = []
    for e in (e for e in editions if e.spec.kind == "brief"):
        if e.language in building:
            later.append(e)
            continue
        key, hit = _lookup(m, e, cache, pages.get(e.language, {}))
        if hit is None:
            keys[e.id] = key
            now.append(e)
        else:
            reused.append(hit)
    return Plan(tuple(reused), tuple(reports), tuple(now), tuple(later), keys, pages)


class BuildGraph:
    """The tasks of one build and what each finished one leads to: a report's page, then its parts
    (those with others' page numbers once the rest are laid out), then its join beside its web
    edition; then the briefs of its language, which cite its page numbers. What others wait on runs
    first (Task.priority)."""

    def __init__(self, m: Manuscript, editions: list[Edition], plan: Plan, out: Path, cache: OutputCache,
                 part_cache: PartCache | None, use_cache: bool, allow_overflow: bool, executor: Executor,
                 progress=None):
        self.m, self.editions, self.plan, self.out = m, editions, plan, out
        self.cache, self.part_cache, self.use_cache = cache, part_cache, use_cache
        self.allow_overflow, self.executor, self.progress = allow_overflow, executor, progress
        self.by_id = {e.id: e for e in editions}
        self.keys = dict(plan.keys)
        self.report_pages = dict(plan.report_pages)
        self.results: list[EditionResult] = list(plan.reused)
        self.problems: list[Problem] = []
        self.jobs: dict[str, ReportJob] = {}
        self.web_issued: set[str] = set()
        self.started_editions: set[str] = set()
        self.waiting: dict[str, int] = {}  # reports still being built, by language
        for e in plan.reports:
            self.waiting[e.language] = self.waiting.get(e.language, 0) + 1
        self.common = parts_common_key(m) if plan.reports else ""
        self.prepared = 0
        self.handlers = {Kind.PAGE: self._page_done, Kind.PART: self._part_done, Kind.JOIN: self._join_done,
                         Kind.WEB: self._web_done, Kind.BRIEF: self._brief_done}

    # What runs first -------------------------------------------------------------------------------

    def initial(self) -> list[Task]:
        """The first tasks: each report's page (made by a worker while this process warms WeasyPrint
        up) or, without parallel workers, its first parts; and the briefs that can be made at once."""
        if self.progress:
            for r in self.plan.reused:
                self.progress(r.edition, "reused", r)
        tasks: list[Task] = []
        for e in self.plan.reports:
            if self.executor.parallel:
                tasks.append(Task(f"{e.id}:page", _source(self.m, e), print_page, (self.m, e), e.id, "HTML page",
                                  priority=0, kind=Kind.PAGE))
            else:
                tasks += self._start_report(ReportJob(self.m, e, self.common, self.part_cache, _scratch(self.out)))
        briefs = [self._brief_task(e) for e in self.plan.briefs_now]
        if self.executor.shares_memory and ((briefs and not self.waiting) or (self.waiting and not self.executor.parallel)):
            _prepare_renderer(self.out, self.m, self.editions)
            _prepare_rest(self.m, self.editions)
        return tasks + briefs

    def _brief_task(self, e: Edition) -> Task:
        pages = self.report_pages.get(e.language, {})
        return Task(e.id, _source(self.m, e), build_brief_pdf,
                    (self.m, e, pages, _scratch(self.out), self.allow_overflow), priority=2, kind=Kind.BRIEF)

    def _later_briefs(self, language: str) -> list[Task]:
        """The briefs of `language`, once its reports are built: from the cache, or to make."""
        tasks = []
        for e in self.plan.briefs_later:
            if e.language != language:
                continue
            key, hit = _lookup(self.m, e, self.cache if self.use_cache else None, self.report_pages.get(language, {}))
            if hit is None:
                self.keys[e.id] = key
                tasks.append(self._brief_task(e))
            else:
                self.results.append(hit)
                if self.progress:
                    self.progress(e, "reused", hit)
        return tasks

    # A report's tasks ------------------------------------------------------------------------------

    def _start_report(self, job: ReportJob) -> list[Task]:
        self.jobs[job.edition.id] = job
        return self._report_tasks(job)

    def _report_tasks(self, job: ReportJob) -> list[Task]:
        """What the report needs next: parts to lay out, or, once all are, the join."""
        e = job.edition
        if job.laying_out:
            return []  # the next parts (or the join) wait for these
        try:
            units = job.units()
        except BuildError as exc:
            self.problems.extend(exc.problems)
            return []
        if units:
            late = bool(job.late & {p.name for p in units[0]})
            tasks = [Task(f"{e.id}:part:{chosen[0].name}:{job.rounds}", job.source, layout_unit_task,
                          job.unit_args(chosen), e.id, f"part '{chosen[0].name}'", priority=0 if late else 1,
                          kind=Kind.PART)
                     for chosen in units]
            return tasks + (self._web_task(job, priority=1) if late else [])
        return self._web_task(job, priority=0) + [
            Task(f"{e.id}:join", job.source, assemble_task, (job,), e.id, "joining the parts", priority=0,
                 here=True, pooled=False, kind=Kind.JOIN)]

    def _web_task(self, job: ReportJob, priority: int) -> list[Task]:
        """The report's web edition, once: it needs no layout, so it waits until only the parts that
        number pages are left (a worker is then free) or, if none is, is made while this process
        joins the parts."""
        e = job.edition
        if job.web is not None or e.id in self.web_issued:
            return []
        self.web_issued.add(e.id)
        return [Task(f"{e.id}:web", job.source, build_web, (self.m, e), e.id, "web edition", priority=priority,
                     kind=Kind.WEB)]

    # Results, by kind ------------------------------------------------------------------------------

    def started(self, t: Task) -> None:
        e = self.by_id[t.edition or t.name]
        if e.id not in self.started_editions:
            self.started_editions.add(e.id)
            if self.progress:
                self.progress(e, "start")

    def finished(self, t: Task, outcome) -> list[Task]:
        e = self.by_id[t.edition or t.name]
        if outcome[0] != "ok":
            self.problems.extend(outcome[1])
            if self.progress:
                self.progress(e, "failed")
            return []
        return self.handlers[Kind(t.kind)](e, outcome[1])

    def _page_done(self, e: Edition, value) -> list[Task]:
        html, sheets = value
        page = RenderedHTML(e, html, sheets, "print")
        return self._start_report(ReportJob(self.m, e, self.common, self.part_cache, _scratch(self.out), page))

    def _part_done(self, e: Edition, unit) -> list[Task]:
        job = self.jobs[e.id]
        job.add_unit(unit)
        if self.progress:
            self.progress(e, "step", job.progress())
        return self._report_tasks(job)

    def _web_done(self, e: Edition, outputs) -> list[Task]:
        job = self.jobs[e.id]
        job.set_web(outputs)
        return self._complete(job.result()) if job.done else []

    def _join_done(self, e: Edition, joined: EditionResult) -> list[Task]:
        job = self.jobs[e.id]
        job.set_joined(joined)
        return self._complete(job.result()) if job.done else []

    def _brief_done(self, e: Edition, value: EditionResult) -> list[Task]:
        return self._complete(value)

    def _complete(self, value: EditionResult) -> list[Task]:
        e = value.edition
        self.cache.store(self.keys[e.id], _meta_of(value), {o.rel: o.data for o in value.outputs})
        self.results.append(value)
        if self.progress:
            self.progress(e, "done", value)
        if e.spec.kind != "report":
            return []
        self.jobs[e.id].keep_new_parts()
        self.report_pages[e.language] = value.anchors
        self.waiting[e.language] -= 1
        if self.waiting[e.language]:
            return []
        del self.waiting[e.language]
        # Briefs cite their report: no point laying them out against a failed one.
        return [] if self.problems else self._later_briefs(e.language)

    # While workers run -----------------------------------------------------------------------------

    def idle(self) -> None:
        """While the first workers make the reports' HTML: load and warm WeasyPrint up, once, for
        every worker forked afterwards (then, once the first parts are out, the rest: briefs'
        stylesheet, the join). Later, while parts are laid out: parse those laid out so far, so
        that the join does not have to."""
        if self.waiting and self.prepared < 2 and self.executor.shares_memory:
            self.prepared += 1
            if self.prepared == 1:  # what the first parts need
                _prepare_renderer(self.out, self.m, self.editions)
            else:  # what can wait until they are dispatched
                _prepare_rest(self.m, self.editions)
        for job in self.jobs.values():
            if not job.done_joining:
                job.read_parts()


def render_all(m: Manuscript, editions: list[Edition], out: Path, executor: Executor, use_cache: bool = True,
               allow_overflow: bool = False, progress=None) -> list[EditionResult]:
    """Plan, then run the graph: every edition that changed is made, unchanged ones come from the
    cache without anything being laid out. Results in the order of `editions`."""
    cache = OutputCache(out)
    plan = plan_build(m, editions, cache if use_cache else None)
    if plan.reports or plan.briefs_now:
        patches.install()  # before any worker is forked, so that they share them; never for an unchanged build
    if progress:
        progress(None, "plan", len(editions))
    graph = BuildGraph(m, editions, plan, out, cache, PartCache(out) if use_cache else None, use_cache,
                       allow_overflow, executor, progress)
    initial = graph.initial()
    if initial:
        at_worker_exit(release_fonts)  # workers leave without atexit: their font folders go then
        executor.run(initial, graph.started, graph.finished, graph.idle)
    if graph.problems:
        raise BuildError(graph.problems)
    order = {(e.spec.id, e.language): i for i, e in enumerate(editions)}
    return sorted(graph.results, key=lambda r: order[(r.edition.spec.id, r.edition.language)])
