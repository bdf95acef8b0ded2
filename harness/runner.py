"""The runner: plan suite x adapter x seed cells, skip stored ones, run the rest isolated.

`execute_cell` is a pure function of its `CellKey` (it resolves everything through the
registry), so the same cell gives the same result in-process, in a worker process or on
a Ray node; only the driver writes the store.
"""

from __future__ import annotations

import logging
import math
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from rankbench.harness.adapter_ref import AdapterRef, parse_adapter_ref
from rankbench.harness.datahome import dataset_checksum, ensure, load_dataset
from rankbench.harness.errors import BadInput, HarnessError
from rankbench.harness.interfaces import Family
from rankbench.harness.measures import parse_measures
from rankbench.harness.provenance import collect, now_iso, suite_reason
from rankbench.harness.registry import DATASETS, TASKS, resolve
from rankbench.harness.resources import peak_rss_mb
from rankbench.harness.result import ErrorInfo, Result
from rankbench.harness.stats import Estimate, bootstrap_ci
from rankbench.harness.store import CellKey, CellLock, ResultStore
from rankbench.harness.suite import Suite, TaskOutput, resolve_suite

log = logging.getLogger(__name__)

NO_ADAPTER = "-"


def plan(
    suites: Sequence[str],
    adapters: Sequence[str],
    seeds: Sequence[int] | None = None,
    *,
    objects: Mapping[str, Family] | None = None,
    fetch: bool = True,
) -> list[CellKey]:
    """Cells for every suite x adapter x seed; names and families are checked before anything runs.

    `adapters` are references (`bm25(k1=1.2)`); a name in `objects` is instead an adapter object of
    the Python API (see `rankbench.harness.api`), of the family it maps to. Raises `BadInput` or
    `UnknownName` for an unknown suite or adapter, or an adapter of a family the suite does not take.
    A suite whose dataset has downloads still missing is fetched here, once, unless `fetch` is false
    (then `DatasetMissing` names the `rankbench data fetch` command); so is what an adapter's `prepare`
    hook asks for (FuxiCTR's model zoo).
    """
    objects = objects or {}
    cells: list[CellKey] = []
    prepared: dict[str, tuple[str, Family]] = {}  # each reference checked and prepared once, not per suite
    for suite_name in suites:
        suite = resolve_suite(suite_name)
        check_data(suite, fetch=fetch)
        if not suite.needs_adapter:
            cells += [CellKey(suite.name, NO_ADAPTER, s) for s in (seeds or suite.seeds)]
            continue
        if not adapters:
            raise BadInput(
                f"suite {suite.name!r} needs at least one adapter: add -a NAME (see `rankbench list adapters`)"
            )
        for text in adapters:
            if text in objects:
                name, family = text, objects[text]
            else:
                if text not in prepared:
                    ref = parse_adapter_ref(text)
                    preflight_models(ref)
                    prepare_stages(ref, fetch=fetch)
                    prepared[text] = (str(ref), ref.spec().family)
                name, family = prepared[text]
            if family not in suite.families:
                raise BadInput(
                    f"adapter {text!r} is a {family}; suite {suite.name!r} takes {', '.join(suite.families)}"
                )
            cells += [CellKey(suite.name, name, s) for s in (seeds or suite.seeds)]
    return cells


def preflight_models(ref: AdapterRef) -> None:
    """Every stage's `model=` resolves (offline: is in the Hugging Face cache) before any cell runs."""
    from rankbench.harness.models import preflight
    from rankbench.harness.registry import ADAPTERS

    for stage in ref.stages:
        preflight({**ADAPTERS.get(stage.name).params, **dict(stage.params)})


def prepare_stages(ref: AdapterRef, *, fetch: bool = True) -> None:
    """Call each stage's `AdapterSpec.prepare` hook: what it reads from the data home is there (fetched if allowed)."""
    from rankbench.harness.registry import ADAPTERS

    for stage in ref.stages:
        spec = ADAPTERS.get(stage.name)
        if spec.prepare:
            resolve(spec.prepare)({**spec.params, **dict(stage.params)}, fetch=fetch)


def adapter_provenance(adapter: Any) -> dict[str, Any]:
    """What a neural adapter reports about its weights and device (`model_provenance`), else {}."""
    own = getattr(adapter, "model_provenance", None)
    if isinstance(own, dict):
        return dict(own)
    stages = [*[model for model, _ in getattr(adapter, "rerankers", [])][::-1], getattr(adapter, "first", None)]
    for stage in stages:  # a pipeline reports its last neural stage
        found = getattr(stage, "model_provenance", None)
        if isinstance(found, dict):
            return dict(found)
    return {}


def check_data(suite: Suite, *, fetch: bool = True) -> None:
    """Every file of the suite's dataset is present (fetched if allowed) and intact, before any cell runs."""
    ensure(DATASETS.get(suite.dataset), fetch_missing=fetch)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _aggregate(suite: Suite, out: TaskOutput, seed: int) -> dict[str, Any]:
    measures = {}
    for m in parse_measures(suite.measures):
        key = str(m)
        if key in out.aggregates:
            measures[key] = out.aggregates[key]
        elif key in out.per_unit.columns:
            est = bootstrap_ci(out.per_unit[key].to_numpy(), seed=seed)
            if m.spec is not None and m.spec.geometric:  # per-unit logs (gm_map): exp keeps the percentiles
                est = Estimate(math.exp(est.value), math.exp(est.ci_low), math.exp(est.ci_high), est.n)
            measures[key] = est
    for key, est in out.aggregates.items():
        measures.setdefault(key, est)
    return measures


def execute_cell(
    key: CellKey, *, adapter: Any = None, family: Family | None = None
) -> tuple[Result, pd.DataFrame | None]:
    """Run one cell; any exception becomes a failed `Result` carrying its traceback.

    `adapter` (with its `family`) is an adapter object to run under the name `key.adapter` instead
    of building that reference from the registry (the Python API's unregistered objects).
    """
    started = now_iso()
    t0 = time.perf_counter()
    suite = resolve_suite(key.suite)
    checksum = ""
    settings: dict[str, Any] = {"task": suite.task, **suite.settings}
    try:
        seed_everything(key.seed)
        loaded = load_dataset(suite.dataset, **suite.dataset_params)
        checksum = loaded.checksum
        if not suite.needs_adapter:
            adapter, family = None, None
        elif adapter is None:
            ref = parse_adapter_ref(key.adapter)
            family = ref.spec().family
            adapter = ref.build(seed_offset=key.seed)
        task = resolve(TASKS.get(suite.task).function)
        out: TaskOutput = task(suite, adapter, family, key.seed, loaded)
        measures = _aggregate(suite, out, key.seed)
        if not measures or (len(out.per_unit) == 0 and not out.aggregates):  # a success that would say nothing
            raise BadInput(
                f"suite {suite.name!r}: no measure was computed ({len(out.per_unit)} {suite.unit}s evaluated); "
                "give the test split data to evaluate"
            )
        timings = {**out.timings, "total_s": time.perf_counter() - t0}
        provenance = collect(suite.dataset, checksum, key.seed, started, settings).to_json()
        model = adapter_provenance(adapter)
        if model:
            provenance["model"] = model
        device = model.get("device", "cpu") if model else out.device.get("device")
        if device:
            provenance["device"] = device
        gpu = (model or out.device).get("gpu")
        if gpu:
            provenance["gpu"] = gpu
        result = Result(
            suite=key.suite,
            adapter=key.adapter,
            seed=key.seed,
            status="ok",
            measures=measures,
            timings=timings,
            provenance=provenance,
            family=family,
            unit=suite.unit,
            tags=suite.tags,
            resources={"peak_rss_mb": peak_rss_mb(), **out.resources},
            info={**dict(loaded.info), **out.info},
        )
        return result, out.per_unit
    except Exception as exc:  # isolation: one failing cell is recorded, the plan goes on
        is_user_error = isinstance(exc, HarnessError)
        error = ErrorInfo(type(exc).__name__, str(exc), "" if is_user_error else traceback.format_exc())
        resources = {"peak_rss_mb": peak_rss_mb()}
        return failed_result(key, error, time.perf_counter() - t0, started, family, checksum, resources), None


def failed_result(
    key: CellKey,
    error: ErrorInfo,
    seconds: float,
    started: str | None = None,
    family: str | None = None,
    checksum: str = "",
    resources: dict[str, Any] | None = None,
) -> Result:
    """The stored record of a cell that raised, or that its executor had to stop (budget, crash)."""
    # the command line prints each failed cell once, as it ends; a library caller gets it in the Result
    log.info("cell %s / %s / seed %d failed: %s", key.suite, key.adapter, key.seed, error.message)
    suite = resolve_suite(key.suite)
    settings: dict[str, Any] = {"task": suite.task, **suite.settings}
    return Result(
        suite=key.suite,
        adapter=key.adapter,
        seed=key.seed,
        status="failed",
        measures={},
        timings={"total_s": seconds},
        provenance=collect(suite.dataset, checksum, key.seed, started or now_iso(), settings).to_json(),
        family=family,
        unit=suite.unit,
        tags=suite.tags,
        resources=dict(resources or {}),
        error=error,
    )


class Executor(Protocol):
    """Runs cells and yields their results in completion order.

    `cells` is consumed lazily: the runner claims each cell in the store as it is drawn,
    so an executor should draw a cell only when it can start it. An executor may also define
    `check(cells)`, called once before any cell runs, to refuse a plan it can never finish.
    """

    def map(self, cells: Iterable[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]: ...


class LocalExecutor:
    """Runs cells one after another in this process."""

    def map(self, cells: Iterable[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]:
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


def current_checksum(suite_name: str, known: dict[str, str | None] | None = None) -> str | None:
    """The checksum of the suite's dataset as it is now (`dataset_checksum`), asked once per suite in `known`."""
    known = {} if known is None else known
    if suite_name not in known:
        suite = resolve_suite(suite_name)
        known[suite_name] = dataset_checksum(suite.dataset, **suite.dataset_params)
    return known[suite_name]


def suite_changed(stored: Result, suite_name: str, known: dict[str, str | None] | None = None) -> str | None:
    """Why a stored cell does not stand for the suite as it is now, or None while it does (`suite_reason`):
    other settings under the same suite name (a folder named like an override, `q(depth=5)`), or a dataset
    whose checksum changed. The checksum is not compared where it is not known without loading the data
    (generated data, files pinned by checksum)."""
    suite = resolve_suite(suite_name)
    settings = {"task": suite.task, **suite.settings}
    return suite_reason(stored.provenance, settings, current_checksum(suite_name, known))


def run_plan(
    cells: Iterable[CellKey],
    store: ResultStore,
    executor: Executor | None = None,
    *,
    rerun: bool = False,
    on_event: Callable[[str, CellKey, Result | None], None] | None = None,
) -> RunSummary:
    """Execute what is not stored yet; each finished cell is written before the next is awaited.

    A stored cell is reused only while its suite's settings and dataset are unchanged (`suite_changed`); a stale one is
    recomputed with a warning naming why. Each cell is locked in the store while it runs. A cell
    locked by another run sharing the directory is left to it and awaited at the end: stored by
    then, it counts as cached; otherwise (that run failed or was killed) this run computes it.
    """
    summary = RunSummary()
    executor = executor or LocalExecutor()
    held: dict[CellKey, CellLock] = {}
    elsewhere: list[CellKey] = []
    checksums: dict[str, str | None] = {}
    stale: set[CellKey] = set()

    def reusable(cell: CellKey) -> bool:
        stored = store.stored(cell)
        if stored is None:
            return False
        reason = suite_changed(stored, cell.suite, checksums)
        if reason and cell not in stale:  # asked again when the cell is claimed: named once
            stale.add(cell)
            log.warning("stored cell %s / %s / seed %d is stale (%s): recomputing it", *astuple(cell), reason)
        return reason is None

    def cached(cell: CellKey) -> None:
        summary.cached.append(cell)
        if on_event:
            on_event("cached", cell, None)

    def claimed(todo: Iterable[CellKey], *, wait: bool) -> Iterator[CellKey]:
        for cell in todo:
            lock = store.lock(cell, wait=wait)
            if lock is None:
                log.info("cell %s / %s / seed %d is running elsewhere; awaiting it", *astuple(cell))
                elsewhere.append(cell)
            elif (wait or not rerun) and reusable(cell):  # finished by another run meanwhile
                lock.release()
                cached(cell)
            else:
                held[cell] = lock
                yield cell

    todo = []
    for cell in cells:
        if not rerun and reusable(cell):
            cached(cell)
        else:
            todo.append(cell)
    check = getattr(executor, "check", None)
    if todo and callable(check):  # e.g. Ray refuses requests no node can satisfy before any cell runs
        check(todo)
    try:
        for wait, batch in ((False, todo), (True, elsewhere)):
            for cell, result, units in executor.map(claimed(list(batch), wait=wait)):
                store.write(result, units)
                held.pop(cell).release()
                if result.ok:
                    summary.ran.append(cell)
                else:
                    summary.failed.append(
                        (cell, f"{result.error.type}: {result.error.message}" if result.error else "")
                    )
                if on_event:
                    on_event("done" if result.ok else "failed", cell, result)
    finally:
        for lock in held.values():
            lock.release()
    return summary
