"""How each edition is made: the report part by part, a brief held to its page budget, the web
edition; and the results they give (files held in memory until the whole build has succeeded)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation, display_path
from ..model import Edition, Manuscript, RenderedHTML
from ..pdf.layout import (
    UrlLocator,
    configure_fontconfig,
    layout,
    pango_available,
    scratch_dir,
    shared_stylesheets,
    warm_up,
    write_pdf,
)
from .cache import parts_common_key


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
        self.locator = url_locator(m, edition)
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
                [self.m.root, self.m.styles], self.source, self.scratch, self.locator)

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

    def set_web(self, outputs: tuple[Output, ...]) -> None:
        """The web edition, once made."""
        self.web = outputs

    def set_joined(self, joined: EditionResult) -> None:
        """The joined PDF, once made."""
        self.joined = joined

    @property
    def done_joining(self) -> bool:
        return self.joined is not None

    @property
    def done(self) -> bool:
        """Joined, and its web edition made (when it has one)."""
        return self.joined is not None and self.web is not None

    def result(self) -> EditionResult:
        """The report: the joined PDF and the web edition."""
        r = self.joined
        return EditionResult(r.edition, r.outputs + self.web, r.pages, time.perf_counter() - self.t0, r.anchors)


def build_brief_pdf(m: Manuscript, edition: Edition, report_pages: dict, cache: Path,
                    allow_overflow: bool) -> EditionResult:
    """Render one brief, citing the report's printed pages, and hold it to its page budget."""
    from ..pdf.postpass import add_page_labels
    from ..render.html import outline_titles, render_page
    t0 = time.perf_counter()
    page = render_page(edition, m.styles, "print", report_pages=report_pages)
    laid = layout(page.html, m.root, page.stylesheets, [m.root, m.styles], _source(m, edition), cache,
                  url_locator(m, edition))
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
    report = next((e.id for e in m.editions if e.kind == "report"), None)
    data = add_page_labels(raw, None, report_file=f"{report}.pdf" if report else None)
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


def url_locator(m: Manuscript, edition: Edition) -> UrlLocator:
    """Where an edition's sources (its Markdown and the stylesheets) name each URL, for the fetcher's
    refusals."""
    sources = tuple((str(s.path), s.body_line, s.body) for s in list(edition.sections) + list(edition.recommendations))
    sources += tuple((str(css), 1, css.read_text(errors="replace")) for css in sorted(m.styles.glob("*.css")))
    return UrlLocator(sources, (str(m.root), str(m.styles)))


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
    return f"{display_path(m.root / 'editions.yml')}:{edition.spec.line or 1} (edition '{edition.id}')"


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
    return scratch_dir(out)


def _prepare_renderer(out: Path, m: Manuscript, editions: list[Edition]) -> None:
    """Point fontconfig at the project's fonts, warm WeasyPrint up and parse the first edition's
    stylesheet once, before forking workers (the rest: _prepare_rest)."""
    if pango_available():
        configure_fontconfig(_scratch(out))
        languages = tuple(dict.fromkeys(e.language for e in editions))
        warm_up(m.root, (m.styles / editions[0].spec.stylesheet,), [m.root, m.styles], languages, _scratch(out))


def _prepare_rest(m: Manuscript, editions: list[Edition]) -> None:
    """What later tasks share but the first parts do not need: the other stylesheets (the briefs'),
    the join's folio font and accessibility check."""
    from ..pdf.join import (
        warm_up as warm_up_join,  # loads pypdf: only when something is to be joined
    )
    if pango_available():
        for sheet in dict.fromkeys(e.spec.stylesheet for e in editions[1:]):
            shared_stylesheets((m.styles / sheet,), [m.root, m.styles])
    warm_up_join()


def _meta_of(r: EditionResult) -> dict:
    return {"pages": r.pages, "seconds": r.seconds, "anchors": r.anchors,
            "entries": {o.rel: o.entry for o in r.outputs},
            "warnings": [[w.location.path, w.location.line, w.message, w.severity] for w in r.warnings]}


def _from_cache(edition: Edition, meta: dict, files: dict[str, bytes]) -> EditionResult:
    outputs = tuple(Output(rel, files[rel], meta["entries"].get(rel)) for rel in meta["files"])
    warnings = tuple(Problem(SourceLocation(p, l), msg, sev) for p, l, msg, sev in meta.get("warnings", []))
    return EditionResult(edition, outputs, meta["pages"], 0.0, meta["anchors"], warnings, reused=True)
