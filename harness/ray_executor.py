"""Ray executor: each cell is a Ray task sized by its suite; results return to the driver.

Workers only compute (`execute_cell` is a pure function of the cell key, so a worker
rebuilds suite, data and adapter from the registry); the driver alone writes the store,
so the store stays single-writer whatever the cluster size. A cell's request is
`protocol["num_cpus"]` (default 1) and `protocol["num_gpus"]` (default 0), plus
`Budget.max_memory_mb` as Ray's memory resource; a budgeted cell runs in a child process
of its worker under the same time/memory watch as the `process` executor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from rankbench.harness.deps import require
from rankbench.harness.result import ErrorInfo, Result
from rankbench.harness.runner import failed_result
from rankbench.harness.store import CellKey
from rankbench.harness.suite import Suite, resolve_suite

log = logging.getLogger(__name__)
FORWARDED_ENV = ("RANKBENCH_DATA", "RANKBENCH_CACHE", "RANKBENCH_PLUGINS", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
"""Variables a remote worker needs to resolve the same registry, data and cache as the driver."""


def resources(suite: Suite) -> dict[str, Any]:
    """Ray task options for one cell of `suite`."""
    options: dict[str, Any] = {
        "num_cpus": float(suite.protocol.get("num_cpus", 1)),
        "num_gpus": float(suite.protocol.get("num_gpus", 0)),
        "max_retries": 0,  # a failing cell is a result, not something to retry
    }
    if suite.budget.max_memory_mb is not None:
        options["memory"] = int(suite.budget.max_memory_mb * 2**20)
    return options


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
    """Submits every cell drawn as a task and yields results as they complete."""

    def __init__(self, address: str | None = None) -> None:
        self.ray: Any = require("ray", "ray", "the ray executor")
        self.address = address

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

    def map(self, cells: Iterable[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]:
        self._connect()
        task = self.ray.remote(run_cell)
        pending: dict[Any, CellKey] = {}
        for cell in cells:
            pending[task.options(**resources(resolve_suite(cell.suite))).remote(cell)] = cell
        log.info("submitted %d cells to Ray", len(pending))
        while pending:
            [done], _ = self.ray.wait(list(pending), num_returns=1)
            cell = pending.pop(done)
            try:
                result, units = self.ray.get(done)
            except self.ray.exceptions.RayError as exc:  # the worker died: record it, go on
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                error = ErrorInfo("WorkerDied", f"Ray task failed: {first_line}", str(exc))
                result, units = failed_result(cell, error, 0.0), None
            yield cell, result, units
