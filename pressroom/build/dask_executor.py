"""Runs the same task graph on a dask.distributed cluster, for work one machine has outgrown (a
catalogue of publications, tens of thousands of personalised copies). Optional: `pip install
'pressroom[dask]'`; `--executor dask --scheduler tcp://HOST:8786`, or a local cluster without
`--scheduler`. Workers must see the project's files at the same paths (a shared file system) and run
the same pressroom, WeasyPrint and fonts: then their outputs are byte for byte those of the local
executor (tested)."""

from __future__ import annotations

import itertools
import logging
import os
import time
import traceback
from contextlib import contextmanager
from typing import Any, Callable

from ..errors import BuildError, Problem, SourceLocation
from .workers import Task, run_inline, timeout_problem

log = logging.getLogger(__name__)

CARRIED_ENVIRONMENT = ("SOURCE_DATE_EPOCH",)
"""Variables of this process a task needs on its worker: the pinned timestamp that keeps font
subsetting reproducible."""


def run_remote(fn: Callable, args: tuple, env: dict[str, str]) -> tuple:
    """Worker side: run one task with this build's environment; the outcome as the local executor
    gives it (("ok", value), ("error", problems), ("crash", traceback))."""
    from ..pdf import patches
    patches.install()  # as the local executor's workers have them from the process they are forked from
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return ("ok", fn(*args))
    except BuildError as exc:
        return ("error", list(exc.problems))
    except Exception:  # noqa: BLE001 - reported to the build as an internal error
        return ("crash", traceback.format_exc())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class DaskExecutor:
    """Submits each task to the cluster as soon as it is known (what others wait on with a higher
    dask priority); tasks marked `here` (the join, which holds the parsed parts) run in this
    process. A task over the timeout is reported and cancelled."""

    shares_memory = False
    parallel = True

    def __init__(self, client, timeout: float):
        self.client = client
        self.timeout = timeout
        self._ids = itertools.count()

    @classmethod
    @contextmanager
    def connect(cls, address: str | None, workers: int, timeout: float):
        """A client of the scheduler at `address`, or of a local cluster of `workers` single-threaded
        worker processes (stopped afterwards)."""
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise BuildError([Problem(SourceLocation("--executor"), "the dask executor needs dask.distributed, "
                                      "which is not installed (expected: pip install 'pressroom[dask]')")]) from None
        if not log.isEnabledFor(logging.DEBUG):  # the cluster's own chatter is for --debug
            logging.getLogger("distributed").setLevel(logging.ERROR)
        if address:
            try:
                client = Client(address, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise BuildError([Problem(SourceLocation("--scheduler"), f"cannot reach the dask scheduler at "
                                          f"'{address}': {exc} (expected the address of a running scheduler, "
                                          "such as tcp://host:8786)")]) from None
            with client:
                yield cls(client, timeout)
            return
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield cls(client, timeout)

    def run(self, tasks: list[Task], on_start=None, on_done=None, idle=None) -> dict[str, tuple]:
        from dask.distributed import wait
        env = {k: os.environ[k] for k in CARRIED_ENVIRONMENT if k in os.environ}
        results: dict[str, tuple] = {}
        running: dict[Any, tuple[Task, float]] = {}
        here: list[Task] = []

        def finish(t: Task, outcome: tuple) -> None:
            if outcome[0] == "crash":
                outcome = ("error", [Problem(SourceLocation(t.source), f"internal error while rendering "
                                     f"'{t.edition or t.name}': {outcome[1].strip().splitlines()[-1]}")])
            results[t.name] = outcome
            submit(on_done(t, outcome) if on_done else ())

        def submit(more) -> None:
            for t in sorted(more, key=lambda task: task.priority):
                if on_start:
                    on_start(t)
                if t.here:
                    here.append(t)
                    continue
                future = self.client.submit(run_remote, t.fn, t.args, env, key=f"{t.name}-{next(self._ids)}",
                                            pure=False, priority=-t.priority)
                running[future] = (t, time.monotonic())

        submit(tasks)
        while running or here:
            if here and not running:  # what runs here waits until the cluster has nothing left
                t = here.pop(0)
                finish(t, run_inline(t, self.timeout))
                continue
            if idle is not None:
                idle()
            soonest = min(start + self.timeout for _, start in running.values())
            done, _ = wait(list(running), timeout=max(0.05, soonest - time.monotonic()), return_when="FIRST_COMPLETED")
            for future in done:
                t, _ = running.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker lost, a result that would not unpickle
                    outcome = ("crash", f"{type(exc).__name__}: {exc}")
                finish(t, outcome)
            now = time.monotonic()
            for future, (t, start) in list(running.items()):
                if now - start >= self.timeout:
                    running.pop(future)
                    future.cancel()
                    finish(t, ("error", [timeout_problem(t, self.timeout)]))
        return results
