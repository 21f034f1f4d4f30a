"""Personalised copies, packages, and sending them to recipients, never twice."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from ..errors import display_path

if TYPE_CHECKING:

    pass

from .batch import Batch, check_templates, load_batch
from .options import Options, options_from
from .packages import make_packages
from .send import Outcome, _by_recipient, batch_lock, dry_run, send_all

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- packages


# ---------------------------------------------------------------------------------------------- sending


# ---------------------------------------------------------------------------------------------- command


def _progress(opts: Options):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    console = Console(stderr=True, quiet=opts.quiet)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=opts.quiet)


def _report(batch: Batch, outcomes: list[Outcome], opts: Options) -> None:
    from rich.console import Console
    from rich.table import Table
    console = Console(quiet=opts.quiet, soft_wrap=True)
    rel = display_path(batch.folder)
    title = "Would send (dry run)" if not opts.send else "Distribution"
    t = Table(title=title, title_justify="left")
    for col in ("#", "recipient", "e-mail", "copy", "n/N", "status"):
        t.add_column(col, justify="right" if col in ("#", "n/N") else "left")
    for o in outcomes:
        p = o.made.plan
        t.add_row(str(p.recipient.index), p.recipient.name, p.recipient.email, p.file, f"{p.copy}/{p.copies}",
                  o.status)
    console.print(t)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    if not opts.send:
        n = len({o.made.plan.recipient.index for o in outcomes if o.status == "would send"})
        console.print(f"Dry run: {n} message{'s' if n != 1 else ''} would be sent "
                      f"({counts.get('would send', 0)} copies; {counts.get('already sent', 0)} already sent). "
                      f"Packages in {rel}/. Add --send to send them.")
        return
    order = ("sent", "already sent", "changed", "uncertain", "failed", "not attempted")
    console.print("Summary: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in order) + f" (copies; batch {rel}/)")


def _print_problems(batch: Batch, outcomes: list[Outcome]) -> None:
    where = display_path(batch.recipients.path)
    for o in outcomes:
        if o.status in ("failed", "not attempted", "changed", "uncertain"):
            p = o.made.plan
            print(f"{where}:{p.recipient.line}: {p.file} {o.status}: {o.response}", file=sys.stderr)


def run(args) -> int:
    """Run the distribute command: validate, make the packages, then (with --send) send; the exit code."""
    opts = options_from(args)
    batch = load_batch(opts)
    for w in batch.recipients.warnings:
        print(w.format(with_severity=True), file=sys.stderr)
    check_templates(batch, opts.manuscript)
    with batch_lock(batch.folder):
        with _progress(opts) as progress:
            task = progress.add_task("Stamping copies", total=len(batch.plans))
            copies = make_packages(batch, opts, lambda: progress.advance(task))
        if not opts.send:
            _report(batch, dry_run(batch, copies), opts)
            return 0
        with _progress(opts) as progress:
            task = progress.add_task("Sending", total=len(_by_recipient(copies)))
            outcomes = send_all(batch, copies, opts, opts.manuscript, lambda: progress.advance(task))
    _report(batch, outcomes, opts)
    _print_problems(batch, outcomes)
    return 0 if all(o.status in ("sent", "already sent") for o in outcomes) else 1
