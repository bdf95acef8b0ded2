"""Latency task: what a model costs, measured the same way for every family.

One cell pins the thread count, builds the index (or fits), warms up, then times repeated
runs: per-unit latency at batch size 1 (a query, a user, one impression) and throughput at a
large batch. Each statistic is stored as an aggregate whose interval is the spread (min, max)
of that statistic over the repeats, so a report sees how stable a number is; when the
coefficient of variation of the repeats passes `cv_warn` the cell logs a warning and records
it in `info["warnings"]`. So that `compare` can test a cost change rather than eyeball it, the
raw material is stored too: each timed unit's batch-1 latency (median over the repeats, in ms)
in the per-unit column `latency_ms`, and every repeat's p50/p95/p99 and QPS in
`info["per_repeat"]`. Quality measures named by the suite (nDCG@10, AUC, ...) are
computed on the same model, so a report can draw the quality-vs-latency Pareto front from
one result.

Index size counts the arrays, sparse matrices and backends (anything with `size_bytes`) the
model holds after indexing that it did not hold before; parameters come from an adapter's
`n_parameters()` or its torch modules. Peak RSS is the process high-water mark during the
cell (reset at its start where Linux allows it).

Settings keys: `k`, `warmup`, `repeats`, `latency_units`, `batch`, `threads`, `cv_warn`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rankbench.harness.comparison import LATENCY_COLUMN
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import IR_FAMILIES, Family
from rankbench.harness.measures import parse_measures
from rankbench.harness.measures.ctr import auc_estimate
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import CTRSplits, Interactions, IRDataset, Loaded
from rankbench.harness.registry import TaskSpec
from rankbench.harness.resources import peak_rss_mb
from rankbench.harness.stats import Estimate
from rankbench.harness.suite import Suite, TaskOutput
from rankbench.harness.tasks.retrieval import as_retriever, check_collection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LatencySettings:
    k: int = 100
    warmup: int = 2
    repeats: int = 5
    latency_units: int = 100
    batch: int = 1024
    threads: int = 1
    cv_warn: float = 0.1

    @classmethod
    def of(cls, suite: Suite) -> LatencySettings:
        fields = cls.__dataclass_fields__
        known = {k: type(getattr(cls, k))(v) for k, v in suite.settings.items() if k in fields}
        p = cls(**known)
        if p.repeats < 2 or p.latency_units < 1 or p.batch < 1 or p.k < 1:
            raise BadInput(f"latency suite {suite.name!r} needs repeats >= 2 and positive k, latency_units, batch")
        return p


# ---- resources -------------------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark for this process (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


@contextmanager
def pinned_threads(n: int) -> Iterator[int]:
    """Limit BLAS/OpenMP pools, torch, faiss and numba to `n` threads (0: leave defaults); yields the count."""
    if n <= 0:
        torch = sys.modules.get("torch")
        yield torch.get_num_threads() if torch is not None else os.cpu_count() or 1
        return
    threadpoolctl = require("threadpoolctl", None, "pinning threads in the latency suite")
    restore: list[Callable[[], None]] = []
    torch = sys.modules.get("torch")
    if torch is not None:
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        restore.append(lambda: torch.set_num_threads(before))
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        before_f = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(n)
        restore.append(lambda: faiss.omp_set_num_threads(before_f))
    numba = sys.modules.get("numba")
    if numba is not None:
        before_n = numba.get_num_threads()
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        restore.append(lambda: numba.set_num_threads(before_n))
    try:
        with threadpoolctl.threadpool_limits(limits=n):
            yield n
    finally:
        for undo in restore:
            undo()


def _held(obj: Any, seen: set[int], depth: int, counter: Callable[[Any], int | None]) -> int:
    if depth > 8 or id(obj) in seen:
        return 0
    seen.add(id(obj))
    own = counter(obj)
    if own is not None:
        return own
    if isinstance(obj, dict):
        return sum(_held(v, seen, depth + 1, counter) for v in obj.values())
    if isinstance(obj, list | tuple | set):
        return sum(_held(v, seen, depth + 1, counter) for v in obj)
    attrs = getattr(obj, "__dict__", None)
    if attrs is None or type(obj).__module__.split(".")[0] in {"builtins", "numpy", "pandas", "torch"}:
        return 0
    return sum(_held(v, seen, depth + 1, counter) for v in attrs.values())


def held_bytes(obj: Any) -> int:
    """Bytes of arrays, sparse matrices and sized backends reachable from `obj` (each buffer once)."""
    buffers: set[int] = set()

    def count(x: Any) -> int | None:
        if isinstance(x, np.ndarray):
            base = x
            while isinstance(base.base, np.ndarray):
                base = base.base
            key = base.__array_interface__["data"][0]
            if key in buffers:
                return 0
            buffers.add(key)
            return int(base.nbytes)
        if all(hasattr(x, a) for a in ("data", "indices", "indptr")) and hasattr(x, "tocsr"):
            return sum(count(getattr(x, a)) or 0 for a in ("data", "indices", "indptr"))
        size = getattr(type(x), "size_bytes", None)
        if isinstance(size, property):
            return int(x.size_bytes)
        if type(x).__module__.startswith("torch"):
            return 0  # model weights are parameters, not index
        return None

    return _held(obj, set(), 0, count)


def count_parameters(obj: Any) -> int | None:
    """`n_parameters()` where an adapter declares it, else the parameters of the torch modules it holds."""
    if callable(getattr(obj, "n_parameters", None)):
        return int(obj.n_parameters())
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    modules: set[int] = set()

    def count(x: Any) -> int | None:
        if isinstance(x, torch.nn.Module):
            if id(x) in modules:
                return 0
            modules.add(id(x))
            return int(sum(p.numel() for p in x.parameters()))
        if callable(getattr(x, "n_parameters", None)) and x is not obj:
            return int(x.n_parameters())
        return None

    total = _held(obj, set(), 0, count)
    return total or None


# ---- timing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    """Per-unit seconds at batch size 1 (repeats x units) and seconds per large batch (repeats)."""

    single: np.ndarray
    batch: np.ndarray
    batch_size: int

    def unit_ms(self) -> np.ndarray:
        """Each timed unit's batch-1 latency in ms: the median over the repeats, shape (units,)."""
        return np.median(self.single, axis=0) * 1000.0

    def per_repeat(self) -> dict[str, list[float]]:
        """Each repeat's p50/p95/p99 (ms, over the units) and QPS: what `compare` tests across repeats."""
        ms = self.single * 1000.0
        out = {f"latency_p{q}_ms": np.percentile(ms, q, axis=1).tolist() for q in (50, 95, 99)}
        out["qps"] = (self.batch_size / self.batch).tolist()
        return out


def time_calls(
    single: Callable[[int], Any], batch: Callable[[], Any], units: int, batch_size: int, p: LatencySettings
) -> Timings:
    for _ in range(p.warmup):
        for i in range(min(units, 8)):
            single(i)
        batch()
    per_unit = np.empty((p.repeats, units))
    for r in range(p.repeats):
        for i in range(units):
            t0 = time.perf_counter()
            single(i)
            per_unit[r, i] = time.perf_counter() - t0
    per_batch = np.empty(p.repeats)
    for r in range(p.repeats):
        t0 = time.perf_counter()
        batch()
        per_batch[r] = time.perf_counter() - t0
    return Timings(per_unit, per_batch, batch_size)


def _spread(per_repeat: np.ndarray, value: float) -> Estimate:
    return Estimate(float(value), float(per_repeat.min()), float(per_repeat.max()), len(per_repeat))


def cv(values: np.ndarray) -> float:
    mean = float(np.mean(values))
    return float(np.std(values, ddof=1) / mean) if mean > 0 and len(values) > 1 else 0.0


def latency_aggregates(t: Timings) -> tuple[dict[str, Estimate], float]:
    """p50/p95/p99 (ms, pooled over repeats), QPS at the large batch, and the worse of the two CVs."""
    ms = t.single * 1000.0
    out = {}
    for name, q in (("latency_p50_ms", 50), ("latency_p95_ms", 95), ("latency_p99_ms", 99)):
        out[name] = _spread(np.percentile(ms, q, axis=1), float(np.percentile(ms, q)))
    qps = t.batch_size / t.batch
    out["qps"] = _spread(qps, float(np.median(qps)))
    variation = max(cv(ms.mean(axis=1)), cv(t.batch))
    out["latency_cv"] = Estimate(variation, variation, variation, t.single.shape[0])
    return out, variation


def _os_threads() -> int:
    """Threads the process runs now (Linux); thread pools stay alive after the timed work."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def _point(value: float) -> Estimate:
    return Estimate(float(value), float(value), float(value), 1)


# ---- families --------------------------------------------------------------------------------


def _ir(suite: Suite, adapter: Any, family: Family | None, ds: IRDataset, p: LatencySettings) -> dict[str, Any]:
    check_collection(ds, suite)
    retriever = as_retriever(adapter, family, suite)
    before = held_bytes(retriever)
    t0 = time.perf_counter()
    retriever.index(ds.corpus)
    index_s = time.perf_counter() - t0
    index_bytes = max(0, held_bytes(retriever) - before)
    queries = ds.queries
    units = min(p.latency_units, len(queries))
    singles = [queries.subset(np.array([i])) for i in range(units)]
    big = queries.subset(np.arange(min(p.batch, len(queries))))
    timings = time_calls(
        lambda i: retriever.search(singles[i], p.k), lambda: retriever.search(big, p.k), units, len(big), p
    )
    ranking = [m for m in parse_measures(suite.measures) if m.spec is not None and m.spec.kind == "ranking"]
    per_unit = pd.DataFrame(index=pd.Index(queries.ids, name="query"))
    if ranking:
        per_unit = evaluate(retriever.search(queries, p.k), ds.qrels, ranking, missing_as_zero=True)
    timed = pd.Series(timings.unit_ms(), index=pd.Index([str(q) for q in queries.ids[:units]]))
    per_unit[LATENCY_COLUMN] = timed.reindex(per_unit.index.astype(str)).to_numpy()
    return {
        "model": retriever,
        "timings": timings,
        "index_s": index_s,
        "index_bytes": index_bytes,
        "per_unit": per_unit,
        "info": {"n_docs": len(ds.corpus), "n_queries": len(queries), "latency_unit": "query"},
    }


def _recommender(adapter: Any, data: Any, p: LatencySettings, seed: int) -> dict[str, Any]:
    train = data.train if hasattr(data, "train") else data
    if not isinstance(train, Interactions):
        raise BadInput(f"a recommender latency suite needs interactions, got {type(train).__name__}")
    before = held_bytes(adapter)
    t0 = time.perf_counter()
    adapter.fit(train, None)
    index_s = time.perf_counter() - t0
    users = np.random.default_rng(seed).permutation(np.unique(train.users))
    units = min(p.latency_units, len(users))
    big = users[: p.batch]
    timings = time_calls(lambda i: adapter.score(users[i : i + 1]), lambda: adapter.score(big), units, len(big), p)
    return {
        "model": adapter,
        "timings": timings,
        "index_s": index_s,
        "index_bytes": max(0, held_bytes(adapter) - before),
        "per_unit": pd.DataFrame(
            {LATENCY_COLUMN: timings.unit_ms()}, index=pd.Index([str(u) for u in users[:units]], name="user")
        ),
        "info": {"n_users": train.n_users, "n_items": train.n_items, "latency_unit": "user (all items scored)"},
    }


def _ctr(adapter: Any, splits: CTRSplits, p: LatencySettings, suite: Suite, seed: int) -> dict[str, Any]:
    before = held_bytes(adapter)
    t0 = time.perf_counter()
    adapter.fit(splits.train, splits.valid)
    index_s = time.perf_counter() - t0
    test = splits.test
    rows = np.random.default_rng(seed).permutation(len(test))
    units = min(p.latency_units, len(test))
    singles = [test.take(rows[i : i + 1]) for i in range(units)]
    big = test.take(rows[: p.batch])
    timings = time_calls(
        lambda i: adapter.predict_proba(singles[i]), lambda: adapter.predict_proba(big), units, len(big), p
    )
    aggregates: dict[str, Estimate] = {}
    if "AUC" in {m.name for m in parse_measures(suite.measures)}:
        aggregates["AUC"] = auc_estimate(test.labels, np.asarray(adapter.predict_proba(test)), seed=seed)
    return {
        "model": adapter,
        "timings": timings,
        "index_s": index_s,
        "index_bytes": max(0, held_bytes(adapter) - before),
        "per_unit": pd.DataFrame(
            {LATENCY_COLUMN: timings.unit_ms()}, index=pd.Index([str(int(r)) for r in rows[:units]], name="impression")
        ),
        "aggregates": aggregates,
        "info": {"n_test": len(test), "latency_unit": "impression"},
    }


def run_latency(suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput:
    p = LatencySettings.of(suite)
    reset = reset_peak_rss()
    with pinned_threads(p.threads) as threads:
        if family in IR_FAMILIES:
            if not isinstance(data.data, IRDataset):
                raise BadInput(f"suite {suite.name!r} times IR models and needs an IR dataset")
            out = _ir(suite, adapter, family, data.data, p)
        elif family == "recommender":
            out = _recommender(adapter, data.data, p, seed)
        elif family == "ctr":
            if not isinstance(data.data, CTRSplits):
                raise BadInput(f"suite {suite.name!r} times CTR models and needs a CTR dataset")
            out = _ctr(adapter, data.data, p, suite, seed)
        else:
            raise BadInput(f"the latency task does not know family {family!r}")
    aggregates, variation = latency_aggregates(out["timings"])
    aggregates |= out.get("aggregates", {})
    peak = peak_rss_mb()
    aggregates |= {
        "index_s": _point(out["index_s"]),
        "index_mb": _point(out["index_bytes"] / 2**20),
        "peak_rss_mb": _point(peak),
        "threads": _point(threads),
    }
    params = count_parameters(out["model"])
    if params is not None:
        aggregates["params_m"] = _point(params / 1e6)
    warnings = []
    if variation > p.cv_warn:
        msg = (
            f"latency repeats vary by CV {variation:.2f} (> {p.cv_warn}): the machine was busy or the runs too "
            "short; compare these numbers with care or raise `repeats`"
        )
        log.warning("%s / %s: %s", suite.name, family, msg)
        warnings.append(msg)
    timings = out["timings"]
    return TaskOutput(
        per_unit=out["per_unit"],
        timings={"index_s": out["index_s"], "timed_s": float(timings.single.sum() + timings.batch.sum())},
        aggregates=aggregates,
        info={
            **out["info"],
            "k": p.k,
            "repeats": p.repeats,
            "warmup": p.warmup,
            "latency_units": int(timings.single.shape[1]),
            "batch": timings.batch_size,
            "peak_rss_reset": reset,
            "warnings": warnings,
            "per_repeat": timings.per_repeat(),
        },
        resources={"peak_rss_mb": peak, "threads": threads, "os_threads": _os_threads()},
    )


TASKS = (
    TaskSpec(
        name="latency",
        function="rankbench.harness.tasks.latency:run_latency",
        description="warm-up, repeated timed runs: p50/p95/p99 latency at batch 1, QPS at a large batch, "
        "index time/size, peak RSS, parameters, threads; spread of repeats and a CV warning",
        settings=tuple(LatencySettings.__dataclass_fields__),
    ),
)
