"""Recommendation task: split interactions as the suite says, fit, score, evaluate per user.

The split method and its settings are the suite's `settings` mapping (`settings["split"]`
names the method; see `rankbench.harness.splits` for the methods and their settings), so they
land in the result's provenance. What is evaluated follows from the split:

- a `SampledTest` (leave-one-out): each test item is ranked against its sampled negatives;
  HR@k / nDCG@k as NCF's `evaluate.py` computes them, with a warning that sampled metrics are
  not comparable with full-ranking ones.
- a `StrongSplit`: the model scores all items from each held-out user's fold-in rows alone
  (`score_histories`) and ranks the rest.
- a `Split`: full ranking of every item with the user's seen (train + valid) items excluded.

Recommender calling convention: `score(users)` returns a (len(users), n_items) matrix;
`score(users, items)` with a (len(users), c) item matrix returns the (len(users), c) scores.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import Family, HistoryScorer
from rankbench.harness.measures import parse_measures
from rankbench.harness.measures.recsys import exclude_seen, full_ranking, sampled
from rankbench.harness.records import Loaded
from rankbench.harness.registry import TaskSpec
from rankbench.harness.splits import DEFAULTS, SPLITS, SampledTest, StrongSplit, split_interactions
from rankbench.harness.suite import Suite, TaskOutput

log = logging.getLogger(__name__)

SAMPLED_WARNING = (
    "suite %s uses sampled-negative metrics (%d negatives per user): they are not comparable with "
    "full-ranking numbers and can even order models differently (Krichene & Rendle, KDD 2020)"
)


def _score_batches(adapter: Any, users: np.ndarray, batch: int) -> Any:
    for start in range(0, len(users), batch):
        yield start, np.array(adapter.score(users[start : start + batch]), dtype=np.float64)


def _evaluate_full(
    adapter: Any, users: np.ndarray, seen: sparse.csr_matrix, truth: sparse.csr_matrix, measures: Any, batch: int
) -> dict[str, np.ndarray]:
    parts: dict[str, list[np.ndarray]] = {}
    for start, scores in _score_batches(adapter, users, batch):
        rows = users[start : start + batch]
        _check_scores(scores, (len(rows), seen.shape[1]))
        exclude_seen(scores, seen[rows])
        for k, v in full_ranking(scores, truth[rows], measures).items():
            parts.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in parts.items()}


def _check_scores(scores: np.ndarray, shape: tuple[int, int]) -> None:
    if scores.shape != shape:
        raise BadInput(f"recommender returned scores of shape {scores.shape}, expected {shape}")
    if not np.all(np.isfinite(scores)):
        raise BadInput("recommender returned non-finite scores")


def _frame(users: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.Index(users.astype(str), name="user_id"))


def _require_test_users(n_users: int, suite: Suite, split: str, data: Loaded) -> None:
    """`BadInput` when the split leaves no user to evaluate (a result without measures is no result)."""
    if n_users == 0:
        n = len(getattr(data.data, "train", data.data))
        where = f"suite {suite.name!r}" + (f" (dataset {suite.dataset!r})" if suite.dataset != suite.name else "")
        raise BadInput(
            f"{where}: no test users after the {split} split of {n} interaction{'s' * (n != 1)}; "
            "give more interactions or another split"
        )


def run_recommendation(suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput:
    """One cell: split `data` by the suite's split method, fit `adapter`, score and evaluate per user.

    Raises `BadInput` for a non-recommender, a split the suite or data cannot take, an adapter that
    cannot score unseen users under strong generalization, or scores of the wrong shape or non-finite.
    """
    if family != "recommender":
        raise BadInput(f"suite {suite.name!r} takes recommenders, not a {family}")
    p = dict(suite.settings)
    name = p.get("split")
    measures = parse_measures(suite.measures)
    batch = int(p.get("batch_users", 1024))
    info: dict[str, Any] = {"split": name}
    t0 = time.perf_counter()
    try:
        split = split_interactions(data.data, str(name), p)
    except BadInput as exc:
        raise BadInput(f"suite {suite.name!r} (dataset {suite.dataset!r}): {exc}") from None

    if isinstance(split, StrongSplit):
        if not isinstance(adapter, HistoryScorer):
            raise BadInput(
                f"adapter {type(adapter).__name__} cannot score users it never trained on (no score_histories); "
                "use a random-holdout or leave-one-out suite"
            )
        evaluated = np.flatnonzero(split.held_out.getnnz(axis=1) > 0)
        _require_test_users(len(evaluated), suite, str(name), data)
        t1 = time.perf_counter()
        adapter.fit(split.train, split.valid)
        t2 = time.perf_counter()
        parts: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(evaluated), batch):
            rows = evaluated[start : start + batch]
            hist = split.fold_in[rows]
            scores = np.array(adapter.score_histories(hist), dtype=np.float64)
            _check_scores(scores, hist.shape)
            exclude_seen(scores, hist)
            for k, v in full_ranking(scores, split.held_out[rows], measures).items():
                parts.setdefault(k, []).append(v)
        values = {k: np.concatenate(v) for k, v in parts.items()}
        users = split.test_users[evaluated]
        info |= {"n_train_users": len(np.unique(split.train.users)), "n_test_users": len(users)}
    elif isinstance(split, SampledTest):
        users, items, negatives = split.users, split.items, split.negatives
        info["negatives_from"] = split.negatives_from
        _require_test_users(len(users), suite, str(name), data)
        log.warning(SAMPLED_WARNING, suite.name, negatives.shape[1])
        t1 = time.perf_counter()
        adapter.fit(split.train, split.valid)
        t2 = time.perf_counter()
        pos_parts, neg_parts = [], []
        for start in range(0, len(users), batch):
            cand = np.concatenate([items[start : start + batch, None], negatives[start : start + batch]], axis=1)
            scores = np.asarray(adapter.score(users[start : start + batch], cand), dtype=np.float64)
            _check_scores(scores, cand.shape)
            pos_parts.append(scores[:, 0])
            neg_parts.append(scores[:, 1:])
        values = sampled(np.concatenate(pos_parts), np.concatenate(neg_parts), measures)
        info |= {"n_test_users": len(users), "n_negatives": int(negatives.shape[1]), "sampled_metrics": True}
    else:
        truth = split.test.to_csr()
        users = np.flatnonzero(truth.getnnz(axis=1) > 0)
        _require_test_users(len(users), suite, str(name), data)
        t1 = time.perf_counter()
        adapter.fit(split.train, split.valid)
        t2 = time.perf_counter()
        seen = split.train.to_csr() + split.valid.to_csr()
        values = _evaluate_full(adapter, users, seen, truth, measures, batch)
        info |= {"n_train": len(split.train), "n_test_users": len(users)}
    t3 = time.perf_counter()
    return TaskOutput(
        per_unit=_frame(np.asarray(users), values),
        timings={"split_s": t1 - t0, "fit_s": t2 - t1, "score_s": t3 - t2},
        info=info,
    )


TASKS = (
    TaskSpec(
        name="recommendation",
        function="rankbench.harness.tasks.recommendation:run_recommendation",
        description=f"split by a named method ({', '.join(SPLITS)}), fit, rank, evaluate per user",
        settings=("split", "batch_users", *DEFAULTS),
        choices={"split": SPLITS},
    ),
)
