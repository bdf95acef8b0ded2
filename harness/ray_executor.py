"""Ray executor: each cell is a Ray task sized by its suite; results return to the driver.

Workers only compute (`execute_cell` is a pure function of the cell key, so a worker
rebuilds suite, data and adapter from the registry); the driver alone writes the store,
so the store stays single-writer whatever the cluster size. A cell's request is
`settings["num_cpus"]` (default 1) and `settings["num_gpus"]` (default 0), plus
`Budget.max_memory_mb` as Ray's memory resource; a budgeted cell runs in a child process
of its worker under the same time/memory watch as the `process` executor.

Ray never hangs silently: before anything is submitted, `check` compares every suite's request
with the live nodes and refuses, in one line, a request no node can ever satisfy (Ray would
queue it forever). While cells wait, a progress line every `progress_s` seconds says how many
are waiting and for what (free CPUs/GPUs/memory against what one cell needs); `timeout` bounds
the whole wait, after which the cells not finished are cancelled and recorded as failed
(`TimedOut`), so the next `rankbench run` retries them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.result import ErrorInfo, Result
from rankbench.harness.runner import failed_result
from rankbench.harness.store import CellKey
from rankbench.harness.suite import Suite, resolve_suite

log = logging.getLogger(__name__)
FORWARDED_ENV = ("RANKBENCH_DATA", "RANKBENCH_CACHE", "RANKBENCH_PLUGINS", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
"""Variables a remote worker needs to resolve the same registry, data and cache as the driver."""


def adapter_gpus(adapter: str) -> float:
    """1 when a stage of the adapter reference asks for a GPU outright (`device=cuda` or `cuda:N`), else 0."""
    from rankbench.harness.adapter_ref import parse_adapter_ref
    from rankbench.harness.devices import needs_gpu

    if not adapter or adapter == "-":
        return 0.0
    stages = parse_adapter_ref(adapter).stages
    return float(any(needs_gpu(str(dict(s.params).get("device", "cpu"))) for s in stages))


def resources(suite: Suite, adapter: str = "") -> dict[str, Any]:
    """Ray task options for one cell of `suite` running `adapter`.

    A `device=cuda[:N]` on the adapter or in the suite's settings (a task that runs its own
    tensors, such as `limit-critical-n`) asks for one GPU.
    """
    from rankbench.harness.devices import needs_gpu

    suite_gpus = max(
        float(suite.settings.get("num_gpus", 0)), float(needs_gpu(str(suite.settings.get("device", "cpu"))))
    )
    options: dict[str, Any] = {
        "num_cpus": float(suite.settings.get("num_cpus", 1)),
        "num_gpus": max(suite_gpus, adapter_gpus(adapter)),
        "max_retries": 0,  # a failing cell is a result, not something to retry
    }
    if suite.budget.max_memory_mb is not None:
        options["memory"] = int(suite.budget.max_memory_mb * 2**20)
    return options


_RAY_NAMES = {"num_cpus": "CPU", "num_gpus": "GPU", "memory": "memory"}


def describe(request: Mapping[str, Any]) -> str:
    """`2 CPUs, 1 GPU, 512 MiB memory`: the resources one cell asks for."""
    parts = []
    for key, name in _RAY_NAMES.items():
        amount = float(request.get(key, 0) or 0)
        if amount:
            parts.append(f"{amount / 2**20:g} MiB memory" if key == "memory" else f"{amount:g} {name}s")
    return ", ".join(parts) or "no resources"


def infeasible(request: Mapping[str, Any], nodes: Iterable[Mapping[str, Any]]) -> str | None:
    """Why no live node can ever run a task asking `request`; None when one can."""
    totals = [n.get("Resources") or {} for n in nodes if n.get("Alive", True)]
    if not totals:
        return "the Ray cluster has no live node"
    for total in totals:
        if all(float(request.get(k, 0) or 0) <= float(total.get(name, 0)) for k, name in _RAY_NAMES.items()):
            return None
    short = []
    for key, name in _RAY_NAMES.items():
        need = float(request.get(key, 0) or 0)
        best = max(float(t.get(name, 0)) for t in totals)
        if need > best:
            have = f"{best / 2**20:g} MiB memory" if key == "memory" else f"{best:g} {name}s"
            short.append(f"{describe({key: need})} but the largest node has {have}")
    return "; ".join(short) or f"{describe(request)} but no single node has all of them"


def run_cell(cell: CellKey) -> tuple[Result, pd.DataFrame | None]:
    """The body of a cell's Ray task."""
    budget = resolve_suite(cell.suite).budget
    if budget.max_seconds is None and budget.max_memory_mb is None:
        from rankbench.harness.runner import execute_cell

        return execute_cell(cell)
    from rankbench.harness.process_executor import run_isolated

    _, result, units = run_isolated(cell, budget)
    return result, units


class RayExecutor:
    """Submits every cell drawn as a task and yields results as they complete.

    `timeout`: seconds to wait for all cells before the rest are cancelled and recorded as
    failed (None: no bound). `progress_s`: seconds between progress lines while nothing finishes.
    """

    def __init__(self, address: str | None = None, timeout: float | None = None, progress_s: float = 30.0) -> None:
        self.ray: Any = require("ray", "ray", "the ray executor")
        if timeout is not None and timeout <= 0:
            raise BadInput(f"--timeout must be a positive number of seconds, got {timeout}")
        self.address, self.timeout, self.progress_s = address, timeout, progress_s

    def _connect(self) -> None:
        if self.ray.is_initialized():
            return
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        self.ray.init(
            address=self.address,
            runtime_env={"env_vars": env} if env else None,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )

    def check(self, cells: Iterable[CellKey]) -> None:
        """Refuse, before anything runs, a cell whose request (suite settings, adapter device) no node satisfies."""
        self._connect()
        nodes = self.ray.nodes()
        for suite_name, adapter in dict.fromkeys((c.suite, c.adapter) for c in cells):
            suite = resolve_suite(suite_name)
            why = infeasible(resources(suite), nodes)
            if why is not None:
                raise BadInput(
                    f"suite {suite.name!r} asks {why}, so Ray would wait forever: lower the suite's "
                    "num_cpus/num_gpus settings or budget memory, or add a node that has them"
                )
            why = infeasible(resources(suite, adapter), nodes)
            if why is not None:
                raise BadInput(
                    f"adapter {adapter!r} asks {why} for its device=, so Ray would wait forever: "
                    "set device=auto or cpu, or add a node with a GPU"
                )

    def _waiting(self, pending: Mapping[Any, CellKey], since: float) -> str:
        free = self.ray.available_resources()
        total = self.ray.cluster_resources()
        have = ", ".join(
            f"{free.get(name, 0) / (2**20 if name == 'memory' else 1):g}/"
            f"{total.get(name, 0) / (2**20 if name == 'memory' else 1):g} {name if name != 'memory' else 'MiB memory'}"
            for name in ("CPU", "GPU", "memory")
            if total.get(name, 0)
        )
        needs = sorted({describe(resources(resolve_suite(c.suite), c.adapter)) for c in pending.values()})
        return (
            f"waiting {time.monotonic() - since:.0f} s on {len(pending)} Ray cell(s), each asking "
            f"{' or '.join(needs)}; free now: {have or 'nothing'}"
        )

    def map(self, cells: Iterable[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]:
        self._connect()
        task = self.ray.remote(run_cell)
        pending: dict[Any, CellKey] = {}
        for cell in cells:
            pending[task.options(**resources(resolve_suite(cell.suite), cell.adapter)).remote(cell)] = cell
        log.info("submitted %d cells to Ray", len(pending))
        started = last_news = time.monotonic()
        while pending:
            now = time.monotonic()
            wait_s = self.progress_s - (now - last_news)
            if self.timeout is not None:
                wait_s = min(wait_s, started + self.timeout - now)
            done, _ = self.ray.wait(list(pending), num_returns=1, timeout=max(0.0, wait_s))
            if not done:
                if self.timeout is not None and time.monotonic() - started >= self.timeout:
                    yield from self._give_up(pending, started)
                    return
                log.warning("%s", self._waiting(pending, started))
                last_news = time.monotonic()
                continue
            [ref] = done
            last_news = time.monotonic()
            cell = pending.pop(ref)
            try:
                result, units = self.ray.get(ref)
            except self.ray.exceptions.RayError as exc:  # the worker died: record it, go on
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                error = ErrorInfo("WorkerDied", f"Ray task failed: {first_line}", str(exc))
                result, units = failed_result(cell, error, 0.0), None
            yield cell, result, units

    def _give_up(
        self, pending: dict[Any, CellKey], started: float
    ) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]:
        why = self._waiting(pending, started)
        log.warning("--timeout %g s reached; cancelling: %s", self.timeout, why)
        for ref, cell in list(pending.items()):
            self.ray.cancel(ref, force=True)
            message = f"not finished within --timeout {self.timeout:g} s ({why})"
            yield cell, failed_result(cell, ErrorInfo("TimedOut", message), time.monotonic() - started), None
        pending.clear()
