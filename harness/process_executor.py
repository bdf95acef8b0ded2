"""Process-isolating executor: each cell runs in a child process under its suite's budget.

In-process execution records a cell that raises, but cannot survive one that hangs, eats
all memory or crashes the interpreter. Here the parent watches each child: past
`Budget.max_seconds` of wall time or `Budget.max_memory_mb` of resident memory (the child
and its own children, polled with psutil) the child is killed and the cell is recorded as
failed with `BudgetExceeded`; a child that dies is recorded with its exit status. Children
start from a forkserver that has already imported the harness, so starting one costs
milliseconds, and no driver thread (progress bars, logging) is copied into them.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import pandas as pd
import psutil

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.errors import BudgetExceeded
from rankbench.harness.result import ErrorInfo, Result
from rankbench.harness.runner import execute_cell, failed_result
from rankbench.harness.store import CellKey
from rankbench.harness.suite import Budget, resolve_suite

log = logging.getLogger(__name__)
Outcome = tuple[CellKey, Result, pd.DataFrame | None]
READY = "ready"
STARTUP_S = 120.0
"""How long a child may take to import the registry before its cell's clock starts."""


def _child(cell: CellKey, conn: Connection, stack_file: str) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run (and kills this process), so the
    # cell ignores it instead of printing a KeyboardInterrupt traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with open(stack_file, "w") as fh:  # the parent asks for the stack (SIGUSR1) before it kills us
        faulthandler.register(signal.SIGUSR1, file=fh, all_threads=True)
        resolve_suite(cell.suite)  # registry discovery: start-up, not the cell's budget
        conn.send(READY)
        conn.send(execute_cell(cell))
    conn.close()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["rankbench.harness.runner"])
    return ctx


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (0 once it is gone)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total / 2**20


def kill_tree(pid: int) -> None:
    try:
        proc = psutil.Process(pid)
        procs = [*proc.children(recursive=True), proc]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(procs, timeout=5)


def _family(cell: CellKey) -> str | None:
    if not resolve_suite(cell.suite).needs_adapter:
        return None
    return parse_adapter_ref(cell.adapter).spec().family


@dataclass
class _Job:
    cell: CellKey
    process: Any
    conn: Connection
    budget: Budget
    stack_file: str
    started: float = field(default_factory=time.monotonic)
    peak_mb: float = 0.0
    ready: bool = False

    def failure(self, exc: Exception, kind: str, stack: str = "") -> Outcome:
        seconds = time.monotonic() - self.started
        error = ErrorInfo(kind, str(exc), stack)
        result = failed_result(self.cell, error, seconds, family=_family(self.cell), resources=self._resources())
        return self.cell, result, None

    def _resources(self) -> dict[str, Any]:
        return {"peak_rss_mb": round(self.peak_mb, 1)} if self.peak_mb else {}

    def over_budget(self) -> Exception | None:
        elapsed = time.monotonic() - self.started
        if not self.ready and elapsed > STARTUP_S:
            return BudgetExceeded("worker start-up (importing adapters and suites)", STARTUP_S, "s")
        if self.ready and self.budget.max_seconds is not None and elapsed > self.budget.max_seconds:
            return BudgetExceeded(f"cell {self.cell.adapter!r} on {self.cell.suite!r}", self.budget.max_seconds, "s")
        if self.budget.max_memory_mb is not None:
            self.peak_mb = max(self.peak_mb, rss_mb(self.process.pid))
            if self.peak_mb > self.budget.max_memory_mb:
                what = f"cell {self.cell.adapter!r} on {self.cell.suite!r} memory (peak {self.peak_mb:.0f} MiB)"
                return BudgetExceeded(what, self.budget.max_memory_mb, "MiB")
        return None

    def receive(self) -> Outcome | None:
        """The child's next message: `None` for its ready signal (the cell's clock starts), else the outcome."""
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
            return self.failure(RuntimeError(f"worker process {how} before returning a result"), "WorkerDied")
        if message == READY:
            self.ready, self.started = True, time.monotonic()
            return None
        result, units = message
        self.process.join(5)
        return self.cell, result, units

    def stop(self) -> str:
        """Kill the child; returns the stack it was in (for the failure's traceback)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGUSR1)
            time.sleep(0.2)
        kill_tree(self.process.pid)
        self.process.join(5)
        self.conn.close()
        return self.discard()

    def discard(self) -> str:
        try:
            with open(self.stack_file) as fh:
                return fh.read()
        except OSError:
            return ""
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.stack_file)


def run_isolated(cell: CellKey, budget: Budget | None = None, poll_s: float = 0.05) -> Outcome:
    """One cell in a child process under `budget` (default: its suite's)."""
    return next(iter(ProcessExecutor(poll_s=poll_s).map([cell], budget)))


class ProcessExecutor:
    """Runs up to `workers` cells at once, each in its own child process."""

    def __init__(self, workers: int = 1, poll_s: float = 0.05) -> None:
        self.workers, self.poll_s = max(1, int(workers)), poll_s

    def _start(self, ctx: Any, cell: CellKey, budget: Budget | None) -> _Job:
        parent, child = ctx.Pipe(duplex=False)
        fd, stack_file = tempfile.mkstemp(prefix="rankbench-stack-", suffix=".txt")
        os.close(fd)
        args = (cell, child, stack_file)
        process = ctx.Process(target=_child, args=args, name=f"rankbench-cell-{cell.seed}", daemon=True)
        process.start()
        child.close()
        return _Job(cell, process, parent, budget or resolve_suite(cell.suite).budget, stack_file)

    def map(self, cells: Iterable[CellKey], budget: Budget | None = None) -> Iterator[Outcome]:
        ctx = _context()
        pending = iter(cells)
        running: list[_Job] = []
        try:
            while True:
                while len(running) < self.workers and (cell := next(pending, None)) is not None:
                    running.append(self._start(ctx, cell, budget))
                if not running:
                    return
                ready = set(wait([job.conn for job in running], timeout=self.poll_s))
                for job in list(running):
                    if job.conn in ready:
                        if (outcome := job.receive()) is None:
                            continue
                        running.remove(job)
                        job.conn.close()
                        job.discard()
                        yield outcome
                    elif (exc := job.over_budget()) is not None:
                        running.remove(job)
                        yield job.failure(exc, type(exc).__name__, job.stop())
        finally:
            for job in running:
                job.stop()
