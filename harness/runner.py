"""The runner: plan suite x adapter x seed cells, skip stored ones, run the rest isolated.

`execute_cell` is a pure function of its `CellKey` (it resolves everything through the
registry), so the same cell gives the same result in-process, in a worker process or on
a Ray node; only the driver writes the store.
"""

from __future__ import annotations

import logging
import random
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, HarnessError
from rankbench.harness.measures import parse_measures
from rankbench.harness.provenance import collect, now_iso
from rankbench.harness.registry import TASKS, resolve
from rankbench.harness.result import ErrorInfo, Result
from rankbench.harness.stats import bootstrap_ci
from rankbench.harness.store import CellKey, ResultStore
from rankbench.harness.suite import Suite, TaskOutput, resolve_suite

log = logging.getLogger(__name__)

NO_ADAPTER = "-"


def plan(suites: Sequence[str], adapters: Sequence[str], seeds: Sequence[int] | None = None) -> list[CellKey]:
    """Cells for every suite x adapter x seed; names and families are checked before anything runs."""
    cells: list[CellKey] = []
    for suite_name in suites:
        suite = resolve_suite(suite_name)
        if not suite.needs_adapter:
            cells += [CellKey(suite.name, NO_ADAPTER, s) for s in (seeds or suite.seeds)]
            continue
        if not adapters:
            raise BadInput(
                f"suite {suite.name!r} needs at least one adapter: add -a NAME (see `rankbench list adapters`)"
            )
        for text in adapters:
            ref = parse_adapter_ref(text)
            family = ref.spec().family
            if family not in suite.families:
                raise BadInput(
                    f"adapter {text!r} is a {family}; suite {suite.name!r} takes {', '.join(suite.families)}"
                )
            cells += [CellKey(suite.name, str(ref), s) for s in (seeds or suite.seeds)]
    return cells


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _aggregate(suite: Suite, out: TaskOutput, seed: int) -> dict[str, Any]:
    measures = {}
    for m in parse_measures(suite.measures):
        key = str(m)
        if key in out.aggregates:
            measures[key] = out.aggregates[key]
        elif key in out.per_unit.columns:
            measures[key] = bootstrap_ci(out.per_unit[key].to_numpy(), seed=seed)
    for key, est in out.aggregates.items():
        measures.setdefault(key, est)
    return measures


def execute_cell(key: CellKey) -> tuple[Result, pd.DataFrame | None]:
    """Run one cell; any exception becomes a failed `Result` carrying its traceback."""
    started = now_iso()
    t0 = time.perf_counter()
    suite = resolve_suite(key.suite)
    family = None
    checksum = ""
    protocol: dict[str, Any] = {"task": suite.task, **suite.protocol}
    try:
        seed_everything(key.seed)
        loaded = load_dataset(suite.dataset, **suite.dataset_params)
        checksum = loaded.checksum
        adapter = None
        if suite.needs_adapter:
            ref = parse_adapter_ref(key.adapter)
            family = ref.spec().family
            adapter = ref.build()
        task = resolve(TASKS.get(suite.task).function)
        out: TaskOutput = task(suite, adapter, family, key.seed, loaded)
        measures = _aggregate(suite, out, key.seed)
        timings = {**out.timings, "total_s": time.perf_counter() - t0}
        result = Result(
            suite=key.suite,
            adapter=key.adapter,
            seed=key.seed,
            status="ok",
            measures=measures,
            timings=timings,
            provenance=collect(suite.dataset, checksum, key.seed, started, protocol).to_json(),
            family=family,
            unit=suite.unit,
            resources={"peak_rss_mb": peak_rss_mb(), **out.resources},
            info={**dict(loaded.info), **out.info},
        )
        return result, out.per_unit
    except Exception as exc:  # isolation: one failing cell is recorded, the plan goes on
        is_user_error = isinstance(exc, HarnessError)
        log.warning("cell %s / %s / seed %d failed: %s", key.suite, key.adapter, key.seed, exc)
        result = Result(
            suite=key.suite,
            adapter=key.adapter,
            seed=key.seed,
            status="failed",
            measures={},
            timings={"total_s": time.perf_counter() - t0},
            provenance=collect(suite.dataset, checksum, key.seed, started, protocol).to_json(),
            family=family,
            unit=suite.unit,
            resources={"peak_rss_mb": peak_rss_mb()},
            error=ErrorInfo(type(exc).__name__, str(exc), "" if is_user_error else traceback.format_exc()),
        )
        return result, None


class Executor(Protocol):
    """Runs cells and yields their results in completion order."""

    def map(self, cells: Sequence[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]: ...


class LocalExecutor:
    """Runs cells one after another in this process."""

    def map(self, cells: Sequence[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]:
        for cell in cells:
            result, units = execute_cell(cell)
            yield cell, result, units


@dataclass
class RunSummary:
    ran: list[CellKey] = field(default_factory=list)
    cached: list[CellKey] = field(default_factory=list)
    failed: list[tuple[CellKey, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def run_plan(
    cells: Iterable[CellKey],
    store: ResultStore,
    executor: Executor | None = None,
    *,
    rerun: bool = False,
    on_event: Callable[[str, CellKey, Result | None], None] | None = None,
) -> RunSummary:
    """Execute what is not stored yet; each finished cell is written before the next is awaited."""
    summary = RunSummary()
    todo = []
    for cell in cells:
        if not rerun and store.has(cell):
            summary.cached.append(cell)
            if on_event:
                on_event("cached", cell, None)
        else:
            todo.append(cell)
    for cell, result, units in (executor or LocalExecutor()).map(todo):
        store.write(result, units)
        if result.ok:
            summary.ran.append(cell)
        else:
            summary.failed.append((cell, f"{result.error.type}: {result.error.message}" if result.error else ""))
        if on_event:
            on_event("done" if result.ok else "failed", cell, result)
    return summary
