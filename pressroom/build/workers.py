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

from ..errors import BuildError, Problem, SourceLocation

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
    """May run in this process (under the same watchdog) when no other task waits to start (the
    workers may be busy): no fork, no result to send back."""
    pooled: bool = True
    """May run in a worker that has run other tasks (it is then sent to it, pickled); False: in a
    worker forked for it (its arguments are shared with it, not sent)."""
    kind: str = ""
    """What it makes (pressroom.build.graph.Kind), which decides what its result leads to."""


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
    """Have `fn()` called when a forked worker leaves (after its last task): workers leave without
    running atexit handlers or finalisers, so what must not outlive them (temporary folders) goes here."""
    if fn not in _AT_WORKER_EXIT:
        _AT_WORKER_EXIT.append(fn)


def _child(conn, task: Task | None, reusable: bool, others: tuple = ()) -> None:
    """A worker: run `task`, then, if `reusable`, the tasks the parent sends, until it sends None or
    closes the pipe. `others`: the parent's ends of pipes, inherited by the fork, closed here (so
    that a worker sees the pipe close if the parent dies, instead of waiting for ever)."""
    for other in others:
        other.close()
    try:
        while task is not None:
            try:
                result = task.fn(*task.args)
                conn.send(("ok", result))
            except BuildError as exc:
                conn.send(("error", list(exc.problems)))
            except BaseException:  # noqa: BLE001 - reported to the parent as an internal error
                conn.send(("crash", traceback.format_exc()))
                break
            task = None
            if reusable:
                try:
                    task = conn.recv()
                except (EOFError, OSError):
                    break
    finally:
        conn.close()
        for fn in _AT_WORKER_EXIT:
            try:
                fn()
            except Exception:  # noqa: BLE001 - the task's outcome is already sent
                log.debug("worker exit hook failed", exc_info=True)


class _Alarm(Exception):
    pass


def run_inline(task: Task, timeout: float):
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

    Tasks run in forked worker processes (so a render that loops can be stopped without stopping
    the others); with one job they run here, one after another. A worker forked once `idle()` has
    run is kept for the next task (pooled tasks, sent to it): it has WeasyPrint's fonts and caches
    loaded and its memory mapped already, which saved about a tenth of each part's layout. What a
    task renders does not depend on what its worker ran before (tested: the bytes of a build are
    those of one made with one job, all in one process)."""
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
            finish(t, run_inline(t, timeout))
        return results
    ctx = multiprocessing.get_context("fork")
    running: dict[Any, tuple[Task, Any, float, bool]] = {}  # conn -> task, process, start, reusable
    spare: list[tuple[Any, Any]] = []  # reusable workers waiting for a task
    warm = idle is None  # workers forked before idle() first ran are not kept

    def retire(conn, proc, kill: bool = False) -> None:
        if kill:
            proc.kill()
        else:
            try:
                conn.send(None)  # a waiting worker leaves, running its exit hooks
            except OSError:
                pass
        conn.close()
        proc.join(None if kill else 30)
        if proc.is_alive():
            proc.kill()
            proc.join()

    def fork(t: Task):
        reusable = warm and t.pooled
        parent, child = ctx.Pipe(duplex=reusable)
        others = (parent, *running, *(c for c, _ in spare))
        gc.freeze()  # what this process made since: not scanned (so not copied) by the worker
        proc = ctx.Process(target=_child, args=(child, t, reusable, others), daemon=True)
        proc.start()
        child.close()
        return parent, proc, reusable

    try:
        while pending or running:
            while pending and len(running) < jobs:
                t = pending.pop(0)
                if t.here and not pending:
                    if on_start:
                        on_start(t)
                    finish(t, run_inline(t, timeout))
                    continue
                worker = None
                if t.pooled and spare:
                    conn, proc = spare.pop()
                    try:
                        conn.send(t)
                        worker = (conn, proc, True)
                    except Exception:  # noqa: BLE001 - cannot be sent (pickled): forked for it instead
                        log.debug("task %s not sent to a pooled worker", t.name, exc_info=True)
                        retire(conn, proc)
                if worker is None:
                    while spare and len(running) + len(spare) >= jobs:
                        retire(*spare.pop())
                    worker = fork(t)
                conn, proc, reusable = worker
                running[conn] = (t, proc, time.monotonic(), reusable)
                if on_start:
                    on_start(t)
            if idle is not None:
                idle()
                warm = True
            if not running:
                continue  # what ran here may have made more tasks
            now = time.monotonic()
            soonest = min(started + timeout for _, _, started, _ in running.values())
            ready = wait(list(running), timeout=max(0.0, soonest - now))
            for conn in ready:
                t, proc, _, reusable = running.pop(conn)
                try:
                    outcome = conn.recv()
                except EOFError:
                    proc.join(5)  # its exit code, for the message
                    outcome = ("crash", f"the worker rendering '{t.edition or t.name}' died (exit code {proc.exitcode})")
                    reusable = False
                if reusable and outcome[0] != "crash":
                    spare.append((conn, proc))
                else:
                    retire(conn, proc)
                if outcome[0] == "crash":
                    outcome = ("error", [Problem(SourceLocation(t.source), f"internal error while rendering "
                                                                           f"'{t.edition or t.name}': {outcome[1].strip().splitlines()[-1]}")])
                finish(t, outcome)
            now = time.monotonic()
            for conn, (t, proc, started, _) in list(running.items()):
                if now - started >= timeout:
                    running.pop(conn)
                    retire(conn, proc, kill=True)
                    finish(t, ("error", [timeout_problem(t, timeout)]))
    finally:
        for conn, (t, proc, _, _) in running.items():
            retire(conn, proc, kill=True)
        for conn, proc in spare:
            retire(conn, proc)
    return results


@dataclass(frozen=True)
class LocalExecutor:
    """Runs a build's tasks on this machine: in forked workers (kept between tasks once WeasyPrint
    is warmed up), each under a watchdog; with one job, here, one after another."""

    jobs: int
    """Tasks at once."""
    timeout: float
    """Seconds a task may take before it is stopped."""
    shares_memory = True

    @property
    def parallel(self) -> bool:
        return self.jobs > 1 and can_fork()

    def run(self, tasks: list[Task], on_start=None, on_done=None, idle=None) -> dict[str, tuple]:
        return run_tasks(tasks, self.jobs, self.timeout, on_start, on_done, idle)


def can_fork() -> bool:
    """Whether tasks can run in forked workers here."""
    return "fork" in multiprocessing.get_all_start_methods()
