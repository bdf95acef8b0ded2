"""CTR task: fit on train with early stopping on valid, predict test, score every impression.

Per-unit values are one row per test impression (label, prediction, logloss), so paired
tests between two models resample the same impressions. AUC and gAUC are not means over
impressions: they are reported as aggregates with bootstrap CIs over impressions.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import Family
from rankbench.harness.measures import parse_measures
from rankbench.harness.measures.ctr import auc_estimate, gauc, logloss_per_impression
from rankbench.harness.records import CTRSplits, Loaded
from rankbench.harness.registry import TaskSpec
from rankbench.harness.stats import Estimate
from rankbench.harness.suite import Suite, TaskOutput


def _gauc_estimate(labels: np.ndarray, probs: np.ndarray, users: np.ndarray, seed: int, resamples: int) -> Estimate:
    """gAUC with a bootstrap CI over users (the unit gAUC averages over)."""
    value = gauc(labels, probs, users)
    uniq, inverse = np.unique(users, return_inverse=True)
    rows = [np.flatnonzero(inverse == u) for u in range(len(uniq))]
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(resamples):
        picked = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([rows[u] for u in picked])
        # a user drawn twice is two groups: give each draw its own id
        ids = np.repeat(np.arange(len(picked)), [len(rows[u]) for u in picked])
        try:
            boot.append(gauc(labels[idx], probs[idx], ids))
        except BadInput:
            continue
    low, high = np.quantile(boot, [0.025, 0.975]) if boot else (float("nan"), float("nan"))
    return Estimate(value, float(low), float(high), len(uniq))


def run_ctr(suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput:
    splits = data.data
    if not isinstance(splits, CTRSplits):
        raise BadInput(f"suite {suite.name!r} needs a CTR dataset, got {type(splits).__name__}")
    if family != "ctr":
        raise BadInput(f"suite {suite.name!r} takes CTR models, not a {family}")
    for part in ("train", "test"):
        if len(getattr(splits, part)) == 0:
            raise BadInput(
                f"suite {suite.name!r} (dataset {suite.dataset!r}): the {part} split has no impressions; "
                "give it rows or use another dataset"
            )
    require("torch", "ctr", "CTR models").manual_seed(seed)
    resamples = int(suite.settings.get("bootstrap_resamples", 1000))
    t0 = time.perf_counter()
    adapter.fit(splits.train, splits.valid)
    t1 = time.perf_counter()
    probs = np.asarray(adapter.predict_proba(splits.test), dtype=np.float64)
    t2 = time.perf_counter()
    test = splits.test
    if probs.shape != (len(test),):
        raise BadInput(f"predict_proba returned shape {probs.shape}, expected ({len(test)},)")
    labels = np.asarray(test.labels, dtype=np.int64)
    per_unit = pd.DataFrame(
        {"label": labels, "prediction": probs, "logloss": logloss_per_impression(labels, probs)},
        index=pd.Index([str(i) for i in range(len(test))], name="impression"),
    )
    aggregates: dict[str, Estimate] = {}
    wanted = {m.name for m in parse_measures(suite.measures)}
    if "AUC" in wanted:
        aggregates["AUC"] = auc_estimate(labels, probs, resamples=resamples, seed=seed)
    if "gAUC" in wanted and test.user_field is not None:
        users = test.categorical[:, test.cat_fields.index(test.user_field)]
        per_unit["user"] = users
        aggregates["gAUC"] = _gauc_estimate(labels, probs, users, seed, min(resamples, 200))
    train_log = getattr(adapter, "log", None)
    timings = {"fit_s": t1 - t0, "predict_s": t2 - t1, "predict_samples_per_s": len(test) / max(t2 - t1, 1e-9)}
    info: dict[str, Any] = {"n_train": len(splits.train), "n_valid": len(splits.valid), "n_test": len(test)}
    if train_log is not None:
        timings["train_samples_per_s"] = train_log.train_samples / max(train_log.train_seconds, 1e-9)
        info.update(epochs=train_log.epochs, best_epoch=train_log.best_epoch, best_valid_auc=train_log.best_valid_auc)
    resources = {"params_m": adapter.n_parameters() / 1e6} if hasattr(adapter, "n_parameters") else {}
    return TaskOutput(per_unit=per_unit, timings=timings, aggregates=aggregates, info=info, resources=resources)


TASKS = (
    TaskSpec(
        name="ctr",
        function="rankbench.harness.tasks.ctr:run_ctr",
        description="fit with early stopping on valid AUC, predict test; AUC/gAUC with bootstrap CIs, "
        "per-impression logloss",
        settings=("bootstrap_resamples"),
    ),
)
