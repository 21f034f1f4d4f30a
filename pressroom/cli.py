"""Command line: parse arguments, set up logging and progress, run the pipeline, print located errors."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import BuildError, shorten
from .load.project import find_project_file, load_project, theme_problem
from .load.scaffold import new_book
from .load.translations import sign_off
from .pdf import layout as pdf_layout

log = logging.getLogger("pressroom")

def _common(p: argparse.ArgumentParser) -> None:
    # No defaults here: a flag left out is taken from pressroom.yml, else from the defaults
    # (pressroom.load.project).
    p.add_argument("--manuscript", type=Path, metavar="DIR",
                   help="manuscript folder (default: from pressroom.yml, else manuscript/)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: from pressroom.yml, else dist/)")
    p.add_argument("--theme", "--styles", dest="styles", type=Path, metavar="DIR",
                   help="folder with the stylesheets and templates/ (default: from pressroom.yml, "
                        "else the theme that comes with pressroom)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    p.add_argument("--quiet", action="store_true", help="print errors only")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (the options of `distribute` are only loaded for that command or for
    help, not to start a build)."""
    ap = argparse.ArgumentParser(prog="pressroom", description="Build a publication (PDF and web editions, "
                                 "briefs and personalised copies) from a Markdown manuscript.",
                                 epilog="Settings come from pressroom.yml in this folder or the nearest one above "
                                        "it. Exit codes: 0 done, 1 problems with the input (each printed as "
                                        "path:line: message), 2 usage errors.")
    ap.add_argument("--version", action="version", version=f"pressroom {__version__}")
    sub = ap.add_subparsers(dest="command")
    b = sub.add_parser("build", help="build every edition (the default)")
    _common(b)
    b.add_argument("--edition", metavar="ID", help="build one edition (and the report it cites)")
    b.add_argument("--language", action="append", metavar="LANG", help="build only this language (repeatable)")
    b.add_argument("--allow-overflow", action="store_true", help="warn instead of failing when a brief is over budget")
    b.add_argument("--jobs", type=int, default=0, metavar="N", help="editions rendered at once (default: one per core)")
    b.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="stop an edition whose rendering takes longer (default: 600)")
    b.add_argument("--no-cache", action="store_true", help="render every edition again, even if unchanged")
    b.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="where tasks run: forked workers here (default), or a dask.distributed cluster")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --executor dask: the scheduler (tcp://host:8786); default: a local cluster of --jobs workers")
    ls = sub.add_parser("list", help="list the editions")
    _common(ls)
    c = sub.add_parser("check", help="check the manuscript without rendering")
    _common(c)
    so = sub.add_parser("sign-off", help="record that translations match their current English source")
    _common(so)
    so.add_argument("files", nargs="+", type=Path, help="translated files (manuscript/fr/...)")
    pv = sub.add_parser("preview", help="serve the web edition with live reload; PDFs rebuilt in the background")
    _common(pv)
    pv.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")
    n = sub.add_parser("new", help="make a new book (a project file, a publication and a chapter) that builds at once")
    n.add_argument("folder", type=Path, metavar="DIR", help="folder to create (or an empty one)")
    n.add_argument("--title", help="the book's title (default: from the folder's name)")
    n.add_argument("--language", default="en", metavar="LANG", help="two-letter language code (default: en)")
    n.add_argument("--theme", action="store_true",
                   help="also copy the default theme into DIR/theme, to change it (pressroom.yml then uses it)")
    n.add_argument("--quiet", action="store_true", help="print errors only")
    n.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    d = sub.add_parser("distribute", help="make personalised copies for recipients and (with --send) e-mail them")
    _common(d)
    if command in (None, "distribute", "-h", "--help"):
        from .distribute.options import add_arguments as add_distribute_arguments
        add_distribute_arguments(d)
    return ap


COMMAND_WORDS = {"build", "list", "check", "sign-off", "distribute", "preview", "new", "-h", "--help", "--version"}
PROJECT_COMMANDS = {"build", "list", "check", "sign-off", "distribute", "preview"}
"""The commands that work on a project (pressroom.yml, or the flags)."""


def _with_command(argv: list[str]) -> list[str]:
    """The arguments with the command first (`build` when none is given)."""
    return argv if argv and argv[0] in COMMAND_WORDS else ["build", *argv]


def run() -> NoReturn:
    """build.py: run the command line and exit with its code.

    After a build the process leaves at once (os._exit), once its output is flushed, logging shut
    down and its temporary font folders removed: the interpreter's own teardown would free the
    build's objects one by one, some 0.2 s of a 5 s build that nobody waits for."""
    argv = _with_command(sys.argv[1:])
    code = main(argv)
    if argv[0] == "build":
        pdf_layout.release_fonts()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 built, 1 content errors, 2 usage errors)."""
    argv = _with_command(list(sys.argv[1:] if argv is None else argv))
    args = parser(argv[0]).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else (logging.ERROR if args.quiet else logging.WARNING),
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command in PROJECT_COMMANDS:
            _resolve_project(args)
        return COMMANDS[args.command](args)
    except BuildError as exc:
        if args.debug:
            import traceback
            traceback.print_exc()
        for problem in exc.problems:
            print(problem.format(with_severity=False), file=sys.stderr)
        n = len(exc.problems)
        print(f"build failed: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so briefly unless --debug
        if args.debug:
            raise
        print(shorten(f"internal error: {type(exc).__name__}: {exc}") + " (a bug in pressroom: run again with "
              "--debug for a traceback, and report it)", file=sys.stderr)
        return 1


def _resolve_project(args) -> None:
    """Fill in the folders the command line left out from pressroom.yml (found in the working folder
    or above it), else from the defaults."""
    if args.styles is not None and theme_problem(args.styles):
        raise BuildError.at("--theme", None, f"theme '{args.styles}' {theme_problem(args.styles)}")
    project = load_project(find_project_file(), args.manuscript, args.out, args.styles)
    args.manuscript, args.out, args.styles = project.manuscript, project.out, project.theme


def _console(args):
    from rich.console import Console
    return Console(stderr=True, quiet=args.quiet)


def cmd_build(args) -> int:
    """Build every edition (or one) into the output folder."""
    from .build.pipeline import BuildOptions, build
    if not pdf_layout.pango_available():
        print(pdf_layout.PANGO_HELP, file=sys.stderr)
        return 1
    console = _console(args)
    opts = BuildOptions(manuscript=args.manuscript, out=args.out, styles=args.styles, edition=args.edition,
                        languages=tuple(args.language) if args.language else None,
                        allow_overflow=args.allow_overflow, strict=args.strict, jobs=args.jobs,
                        timeout=args.timeout, use_cache=not args.no_cache, executor=args.executor,
                        scheduler=args.scheduler)
    t0 = time.perf_counter()
    status = None
    active: set[str] = set()
    steps: dict[str, str] = {}
    counts = {"done": 0, "total": 0}
    if not args.quiet:
        status = console.status("Reading the manuscript…")
        status.start()

    def progress(edition, state, result=None):
        if status is None:
            return
        if state == "plan":
            counts["total"] = result
            return
        if state in ("done", "reused", "failed"):
            counts["done"] += 1
        if state == "start":
            active.add(edition.id)
        elif state == "step":  # parts of the report laid out so far
            steps[edition.id] = f" {result[0]}/{result[1]} parts"
        elif state == "done":
            active.discard(edition.id)
            console.print(f"  [green]✓[/] {edition.id:<22} {result.pages:>4} pages  {result.seconds:6.1f} s")
        elif state == "reused":
            console.print(f"  [dim]=[/] {edition.id:<22} {result.pages:>4} pages  unchanged")
        elif state == "failed":
            active.discard(edition.id)
            console.print(f"  [red]✗[/] {edition.id}")
        where = f" ({counts['done']} of {counts['total']} editions done)"
        status.update("Rendering " + ", ".join(a + steps.get(a, "") for a in sorted(active)) + "…" + where
                      if active else "Writing…")

    try:
        result = build(opts, progress)
    finally:
        if status is not None:
            status.stop()
    for w in result.warnings:
        print(w.format(with_severity=True), file=sys.stderr)
    if not args.quiet:
        _print_summary(console, result, args.out, time.perf_counter() - t0)
    return 0


def _print_summary(console, result, out: Path, seconds: float) -> None:
    from rich.table import Table
    t = Table(title="Editions", title_justify="left")
    for col, right in (("edition", False), ("language", False), ("pages", True), ("seconds", True),
                       ("status", False)):
        t.add_column(col, justify="right" if right else "left")
    for r in result.results:
        t.add_row(r.edition.spec.id, r.edition.language, str(r.pages), f"{r.seconds:.1f}",
                  "reused" if r.reused else "rendered")
    console.print(t)
    inc = Table(title="What each edition holds (inclusion.json has the full lists)", title_justify="left")
    for col in ("edition", "language", "sections in", "left out", "recommendations in", "left out "):
        inc.add_column(col)
    for r in result.results:
        e = r.edition
        recs = [x.id for x in e.recommendations]
        shown = "all " + str(len(recs)) if not e.left_out_recommendations and recs else ", ".join(recs) or "none"
        inc.add_row(e.spec.id, e.language, str(len(e.sections)), str(len(e.left_out_sections)), shown,
                    str(len(e.left_out_recommendations)))
    console.print(inc)
    console.print(f"Built {len(result.manifest['outputs'])} files into {out}/ in {seconds:.1f} s "
                  f"(manifest: {out}/manifest.json, inclusion report: {out}/inclusion.json)")


def cmd_list(args) -> int:
    """Print the editions with audience, languages and page budget."""
    from rich.table import Table

    from .load.config import load_editions, load_publication
    pub = load_publication(args.manuscript / "publication.yml")
    editions = load_editions(args.manuscript / "editions.yml", pub)
    t = Table(title=None)
    for col in ("edition", "kind", "audience", "languages", "page budget"):
        t.add_column(col)
    for e in editions:
        t.add_row(e.id, e.kind, e.audience or "all readers", ", ".join(e.languages),
                  str(e.page_budget) if e.page_budget else "none")
    from rich.console import Console
    Console().print(t)
    return 0


def cmd_check(args) -> int:
    """Validate everything without rendering; print `path:line: severity: message`, sorted."""
    from .build.check import run_check
    problems = run_check(args.manuscript, args.styles)
    for p in problems:
        print(p.format(with_severity=True))
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if not args.quiet:
        print(f"{len(errors)} error{'s' if len(errors) != 1 else ''}, "
              f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def cmd_sign_off(args) -> int:
    """Record the current English source hash in each named translation."""
    for f in args.files:
        digest = sign_off(args.manuscript, f)
        if not args.quiet:
            print(f"{f}: signed off against source {digest[:12]}")
    return 0


def cmd_distribute(args) -> int:
    """Personalised copies, packages, and sending (see pressroom.distribute.run)."""
    from .distribute.run import run as run_distribute
    return run_distribute(args)


def cmd_preview(args) -> int:
    """Serve the web edition with live reload until Ctrl-C."""
    from .build.preview import Preview
    Preview(args.manuscript, args.styles, args.out, args.port).serve()
    return 0


def cmd_new(args) -> int:
    """Make a new book that builds at once (see pressroom.load.scaffold)."""
    made = new_book(args.folder, title=args.title, language=args.language, theme=args.theme)
    if not args.quiet:
        print(f"Made a new book in {args.folder}/: " + ", ".join(str(p) for p in made))
        print(f"Build it with:  cd {args.folder} && pressroom    (outputs in {args.folder}/dist/)")
    return 0


COMMANDS = {"new": cmd_new, "preview": cmd_preview, "build": cmd_build, "list": cmd_list, "check": cmd_check, "sign-off": cmd_sign_off,
            "distribute": cmd_distribute}
