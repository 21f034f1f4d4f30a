"""Render tasks in parallel worker processes, each under a watchdog that stops a render that hangs."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable

from .errors import BuildError, Problem, SourceLocation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One render to run."""

    name: str
    """Unique name (`report.fr`, `report.fr:part:rwanda`)."""
    source: str
    """Where it is declared, for messages."""
    fn: Callable[..., Any]
    """The function to call."""
    args: tuple
    """Its arguments."""
    edition: str = ""
    """The edition it renders, for messages (default: the name)."""
    detail: str = ""
    """Which piece of the edition (`part 'rwanda'`), for messages."""
    priority: int = 1
    """Lower runs first (in the order given among equals): what others wait for goes first."""
    here: bool = False
    """May run in this process (under the same watchdog) when it is the only task left: no fork,
    no result to send back."""


def timeout_problem(task: Task, seconds: float) -> Problem:
    """The message for a render that did not finish."""
    return Problem(SourceLocation(task.source),
                   f"edition '{task.edition or task.name}'{f' ({task.detail})' if task.detail else ''} did not "
                   f"finish rendering within {seconds:g} s and was stopped "
                   "(the layout may loop; simplify the page or raise --timeout)")


# Generation-0 collections every this many net allocations instead of Python's 700: a layout makes
# millions of small objects that live as long as the document, and scanning them over and over
# took about an eighth of the time of a report's layout (bench/README.md).
GC_THRESHOLD = (50_000, 20, 100)


@contextmanager
def layout_gc():
    """The garbage collector tuned for layout: what is already loaded (the manuscript, WeasyPrint,
    fonts) frozen out of its scans, and young objects collected less often; restored afterwards.
    Forked workers inherit both, and the frozen objects' pages stay shared with the parent."""
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


_AT_WORKER_EXIT: list = []


def at_worker_exit(fn) -> None:
    """Have `fn()` called when a forked worker has done its task: workers leave without running
    atexit handlers or finalisers, so what must not outlive them (temporary folders) goes here."""
    if fn not in _AT_WORKER_EXIT:
        _AT_WORKER_EXIT.append(fn)


def _child(conn, task: Task) -> None:
    try:
        result = task.fn(*task.args)
        conn.send(("ok", result))
    except BuildError as exc:
        conn.send(("error", list(exc.problems)))
    except BaseException:  # noqa: BLE001 - reported to the parent as an internal error
        conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()
        for fn in _AT_WORKER_EXIT:
            try:
                fn()
            except Exception:  # noqa: BLE001 - the task's outcome is already sent
                log.debug("worker exit hook failed", exc_info=True)


class _Alarm(Exception):
    pass


def _run_inline(task: Task, timeout: float):
    """Run in this process (one job); SIGALRM is the watchdog."""
    def ring(signum, frame):
        raise _Alarm()
    import threading
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGALRM, ring) if hasattr(signal, "SIGALRM") and main else None
    if old is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return ("ok", task.fn(*task.args))
    except _Alarm:
        return ("error", [timeout_problem(task, timeout)])
    except BuildError as exc:
        return ("error", list(exc.problems))
    finally:
        if old is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def run_tasks(tasks: list[Task], jobs: int, timeout: float, on_start=None, on_done=None,
              idle=None) -> dict[str, tuple]:
    """Run tasks, at most `jobs` at once; return {name: ("ok", result) | ("error", problems)}.

    `on_done(task, outcome)` may return tasks that the finished one made possible; they run next.
    `idle()` is called in this process each time workers have been started (the first time, once
    the first ones have): it may do what later tasks need (load modules for the workers forked
    after it to share, parse what they will read), while the workers run.

    Each task runs in its own forked process (so a render that loops can be stopped without
    stopping the others); with one job they run here, one after another."""
    with layout_gc():
        return _run_tasks(tasks, jobs, timeout, on_start, on_done, idle)


def _run_tasks(tasks: list[Task], jobs: int, timeout: float, on_start, on_done, idle=None) -> dict[str, tuple]:
    results: dict[str, tuple] = {}
    pending = list(tasks)

    def finish(t: Task, outcome: tuple) -> None:
        results[t.name] = outcome
        more = on_done(t, outcome) if on_done else None
        if more:
            pending[0:0] = list(more)  # among equals, what a finished task unlocks goes first
        pending.sort(key=lambda task: task.priority)  # stable: the order given is kept among equals

    pending.sort(key=lambda task: task.priority)

    if jobs <= 1 or not can_fork():
        while pending:
            t = pending.pop(0)
            if on_start:
                on_start(t)
            finish(t, _run_inline(t, timeout))
        return results
    ctx = multiprocessing.get_context("fork")
    running: dict[Any, tuple[Task, Any, float]] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                t = pending.pop(0)
                if t.here and not running and not pending:
                    if on_start:
                        on_start(t)
                    finish(t, _run_inline(t, timeout))
                    continue
                parent, child = ctx.Pipe(duplex=False)
                gc.freeze()  # what this process made since: not scanned (so not copied) by the worker
                proc = ctx.Process(target=_child, args=(child, t), daemon=True)
                proc.start()
                child.close()
                running[parent] = (t, proc, time.monotonic())
                if on_start:
                    on_start(t)
            if idle is not None:
                idle()
            if not running:
                continue  # what ran here may have made more tasks
            now = time.monotonic()
            soonest = min(started + timeout for _, _, started in running.values())
            ready = wait(list(running), timeout=max(0.0, soonest - now))
            for conn in ready:
                t, proc, _ = running.pop(conn)
                try:
                    outcome = conn.recv()
                except EOFError:
                    outcome = ("crash", f"the worker rendering '{t.edition or t.name}' died (exit code {proc.exitcode})")
                conn.close()
                proc.join()
                if outcome[0] == "crash":
                    outcome = ("error", [Problem(SourceLocation(t.source), f"internal error while rendering "
                                                                           f"'{t.edition or t.name}': {outcome[1].strip().splitlines()[-1]}")])
                finish(t, outcome)
            now = time.monotonic()
            for conn, (t, proc, started) in list(running.items()):
                if now - started >= timeout:
                    proc.kill()
                    proc.join()
                    conn.close()
                    running.pop(conn)
                    finish(t, ("error", [timeout_problem(t, timeout)]))
    finally:
        for conn, (t, proc, _) in running.items():
            proc.kill()
            proc.join()
    return results


def can_fork() -> bool:
    """Whether tasks can run in forked workers here."""
    return "fork" in multiprocessing.get_all_start_methods()
