"""Recommendation task: split interactions by a named protocol, fit, score, evaluate per user.

Protocols (the suite's `protocol["protocol"]`; every parameter is in the suite's protocol
mapping, so it lands in the result's provenance):

- `leave-one-out` (He et al., 2017): each user's latest interaction is the test item, the
  one before it validates; the test item is ranked against `negatives` sampled items the
  user never touched, or against the NCF `.test.negative` lists when the dataset ships them
  (`SampledTest`). HR@k / nDCG@k as NCF's `evaluate.py` computes them.
- `strong-generalization` (Liang et al., 2018): ratings binarised (kept if > `binarize`),
  users with fewer than `min_user_items` dropped, `heldout_users` test and as many validation
  users split off; each held-out user's items are split `fold_in` / rest at random and the
  model scores all items from the fold-in part alone (`score_histories`), ranking the rest.
  Validation users' fold-in rows train with the training users; test users never train.
- `random-holdout`: per user, a random `test_frac` / `valid_frac` of the items are held out.
- `temporal`: one global time cut per fraction (test = the latest `test_frac` of all
  interactions), so nothing from the future trains; test users without history are dropped.

Full-ranking protocols rank every item with the user's seen (train + valid) items excluded.

Recommender calling convention: `score(users)` returns a (len(users), n_items) matrix;
`score(users, items)` with a (len(users), c) item matrix returns the (len(users), c) scores.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import Family, HistoryScorer
from rankbench.harness.measures import parse_measures
from rankbench.harness.measures.recsys import full_ranking, sampled
from rankbench.harness.records import Interactions, Loaded
from rankbench.harness.registry import TaskSpec
from rankbench.harness.suite import Suite, TaskOutput

log = logging.getLogger(__name__)

PROTOCOLS = ("leave-one-out", "strong-generalization", "random-holdout", "temporal")
SAMPLED_WARNING = (
    "suite %s uses sampled-negative metrics (%d negatives per user): they are not comparable with "
    "full-ranking numbers and can even order models differently (Krichene & Rendle, KDD 2020)"
)


@dataclass(frozen=True, eq=False)
class SampledTest:
    """A pre-split leave-one-out set (the NCF files): training interactions plus one test item and
    its sampled negative items per test user."""

    train: Interactions
    users: np.ndarray
    items: np.ndarray
    negatives: np.ndarray  # (n_test, n_negatives)


@dataclass(frozen=True, eq=False)
class Split:
    """Weak generalization: the same users train and are tested."""

    train: Interactions
    valid: Interactions
    test: Interactions


@dataclass(frozen=True, eq=False)
class StrongSplit:
    """Strong generalization: test users never train; they are scored from their fold-in items."""

    train: Interactions
    valid: Interactions
    test_users: np.ndarray  # original user ids of the test users
    fold_in: sparse.csr_matrix  # (n_test, n_items)
    held_out: sparse.csr_matrix  # (n_test, n_items)


def binarize(data: Interactions, threshold: float | None) -> Interactions:
    """Keep interactions rated above `threshold` (Liang et al. keep ratings > 3.5); None keeps all."""
    if threshold is None or data.ratings is None:
        return data
    return data.subset(data.ratings > threshold)


def dedupe(data: Interactions) -> Interactions:
    """One row per (user, item): the latest when timestamps exist, else the first."""
    order = np.lexsort((-data.timestamps, data.items, data.users)) if data.timestamps is not None else None
    keys = data.users * data.n_items + data.items
    if order is None:
        _, first = np.unique(keys, return_index=True)
    else:
        _, pos = np.unique(keys[order], return_index=True)
        first = order[pos]
    mask = np.zeros(len(data), bool)
    mask[first] = True
    return data.subset(mask)


def _rank_in_user(users: np.ndarray, keys: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Zero-based position of each row among its user's rows ordered by `keys` (random tie-break),
    and each row's user size."""
    order = np.lexsort((rng.random(len(users)), keys, users))
    counts = np.bincount(users)
    starts = np.concatenate([[0], np.cumsum(counts)])[:-1]
    pos = np.empty(len(users), np.int64)
    pos[order] = np.arange(len(users)) - starts[users[order]]
    return pos, counts[users]


def leave_one_out(data: Interactions, seed: int) -> Split:
    """Latest interaction per user is test, the one before it validation (users with >= 3 rows)."""
    rng = np.random.default_rng(seed)
    times = data.timestamps if data.timestamps is not None else np.zeros(len(data))
    pos, size = _rank_in_user(data.users, -times, rng)  # pos 0 = latest
    eligible = size >= 3
    test = eligible & (pos == 0)
    valid = eligible & (pos == 1)
    return Split(data.subset(~(test | valid)), data.subset(valid), data.subset(test))


def random_holdout(data: Interactions, test_frac: float, valid_frac: float, seed: int) -> Split:
    """Per user, a random test_frac of the items test and valid_frac validation (at least one each)."""
    rng = np.random.default_rng(seed)
    pos, size = _rank_in_user(data.users, np.zeros(len(data)), rng)
    n_test = np.maximum(1, np.round(size * test_frac)).astype(int)
    n_valid = np.where(valid_frac > 0, np.maximum(1, np.round(size * valid_frac)), 0).astype(int)
    eligible = size >= 3
    test = eligible & (pos < n_test)
    valid = eligible & ~test & (pos < n_test + n_valid)
    return Split(data.subset(~(test | valid)), data.subset(valid), data.subset(test))


def temporal(data: Interactions, test_frac: float, valid_frac: float) -> Split:
    """Global time cuts: the latest test_frac of interactions test, the valid_frac before them valid."""
    if data.timestamps is None:
        raise BadInput("the temporal protocol needs timestamps; this dataset has none")
    t_valid, t_test = np.quantile(data.timestamps, [1 - test_frac - valid_frac, 1 - test_frac])
    train = data.timestamps < t_valid
    valid = (data.timestamps >= t_valid) & (data.timestamps < t_test)
    test = data.timestamps >= t_test
    known = np.zeros(data.n_users, bool)
    known[data.users[train]] = True
    return Split(data.subset(train), data.subset(valid & known[data.users]), data.subset(test & known[data.users]))


def strong_generalization(
    data: Interactions, heldout_users: int | float, fold_in: float, min_user_items: int, seed: int
) -> StrongSplit:
    """Liang et al.'s split: shuffled users, held-out test/validation users, per-user fold-in sampling."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(data.users, minlength=data.n_users)
    users = rng.permutation(np.flatnonzero(counts >= min_user_items))
    n_out = int(heldout_users if heldout_users >= 1 else round(heldout_users * len(users)))
    if 2 * n_out >= len(users):
        raise BadInput(f"heldout_users={heldout_users} leaves no training users out of {len(users)}")
    test_users, valid_users, train_users = users[:n_out], users[n_out : 2 * n_out], users[2 * n_out :]
    role = np.full(data.n_users, -1)
    role[train_users], role[valid_users], role[test_users] = 0, 1, 2
    r = role[data.users]
    seen_items = np.zeros(data.n_items, bool)
    seen_items[data.items[r == 0]] = True
    keep = (r >= 0) & seen_items[data.items]  # items never seen in training are unknown to the model
    pos, size = _rank_in_user(data.users, np.zeros(len(data)), rng)
    n_hold = np.where(size >= 5, np.floor(size * (1 - fold_in) + 0.5), 0)
    held = pos < n_hold
    train_mask = keep & ((r == 0) | ((r == 1) & ~held))
    valid_mask = keep & (r == 1) & held
    t = keep & (r == 2)
    row = pd.Index(test_users).get_indexer(data.users[t])
    shape = (len(test_users), data.n_items)
    fold = sparse.csr_matrix(
        (np.ones(int((~held[t]).sum()), np.float32), (row[~held[t]], data.items[t][~held[t]])), shape
    )
    hold = sparse.csr_matrix((np.ones(int(held[t].sum()), np.float32), (row[held[t]], data.items[t][held[t]])), shape)
    return StrongSplit(data.subset(train_mask), data.subset(valid_mask), test_users, fold, hold)


def sample_negatives(seen: sparse.csr_matrix, users: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n distinct items per user that the user never interacted with (uniform, rejection sampling)."""
    rng = np.random.default_rng(seed)
    n_items = seen.shape[1]
    out = np.empty((len(users), n), np.int64)
    for row, u in enumerate(users):
        taken = set(seen.indices[seen.indptr[u] : seen.indptr[u + 1]].tolist())
        if n_items - len(taken) < n:
            raise BadInput(f"user {u} has only {n_items - len(taken)} unseen items; cannot sample {n} negatives")
        chosen: list[int] = []
        while len(chosen) < n:
            for j in rng.integers(0, n_items, 2 * n).tolist():
                if j not in taken:
                    taken.add(j)
                    chosen.append(j)
                    if len(chosen) == n:
                        break
        out[row] = chosen
    return out


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
        block = seen[rows]
        scores[block.nonzero()] = -np.inf
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


def run_recommendation(suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput:
    if family != "recommender":
        raise BadInput(f"suite {suite.name!r} takes recommenders, not a {family}")
    p = dict(suite.protocol)
    name = p.get("protocol")
    if name not in PROTOCOLS:
        raise BadInput(f"suite {suite.name!r} names protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    measures = parse_measures(suite.measures)
    batch = int(p.get("batch_users", 1024))
    split_seed = int(p.get("split_seed", 0))
    ds = data.data
    info: dict[str, Any] = {"protocol": name}
    t0 = time.perf_counter()
    if isinstance(ds, SampledTest):
        if name != "leave-one-out":
            raise BadInput(f"dataset {suite.dataset!r} is a fixed leave-one-out split; protocol {name!r} cannot apply")
        train, valid = ds.train, None
    elif isinstance(ds, Interactions):
        ds = dedupe(binarize(ds, p.get("binarize")))
    else:
        raise BadInput(f"suite {suite.name!r} needs interactions, got {type(ds).__name__}")

    if name == "strong-generalization":
        split = strong_generalization(
            ds, p.get("heldout_users", 0.1), float(p.get("fold_in", 0.8)), int(p.get("min_user_items", 5)), split_seed
        )
        if not isinstance(adapter, HistoryScorer):
            raise BadInput(
                f"adapter {type(adapter).__name__} cannot score users it never trained on (no score_histories); "
                "use a random-holdout or leave-one-out suite"
            )
        t1 = time.perf_counter()
        adapter.fit(split.train, split.valid)
        t2 = time.perf_counter()
        parts: dict[str, list[np.ndarray]] = {}
        evaluated = np.flatnonzero(split.held_out.getnnz(axis=1) > 0)
        for start in range(0, len(evaluated), batch):
            rows = evaluated[start : start + batch]
            hist = split.fold_in[rows]
            scores = np.array(adapter.score_histories(hist), dtype=np.float64)
            _check_scores(scores, hist.shape)
            scores[hist.nonzero()] = -np.inf
            for k, v in full_ranking(scores, split.held_out[rows], measures).items():
                parts.setdefault(k, []).append(v)
        values = {k: np.concatenate(v) for k, v in parts.items()}
        users = split.test_users[evaluated]
        info |= {"n_train_users": len(np.unique(split.train.users)), "n_test_users": len(users)}
    elif name == "leave-one-out":
        n_neg = int(p.get("negatives", 99))
        if isinstance(ds, SampledTest):
            users, items, negatives = ds.users, ds.items, ds.negatives
            info["negatives_from"] = "dataset files"
        else:
            split = leave_one_out(ds, split_seed)
            train, valid = split.train, split.valid
            users, items = split.test.users, split.test.items
            negatives = sample_negatives(ds.to_csr(), users, n_neg, split_seed)
            info["negatives_from"] = f"sampled uniformly (split_seed={split_seed})"
        log.warning(SAMPLED_WARNING, suite.name, negatives.shape[1])
        t1 = time.perf_counter()
        adapter.fit(train, valid)
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
        if name == "random-holdout":
            split = random_holdout(ds, float(p.get("test_frac", 0.2)), float(p.get("valid_frac", 0.1)), split_seed)
        else:
            split = temporal(ds, float(p.get("test_frac", 0.2)), float(p.get("valid_frac", 0.1)))
        t1 = time.perf_counter()
        adapter.fit(split.train, split.valid)
        t2 = time.perf_counter()
        seen = split.train.to_csr() + split.valid.to_csr()
        truth = split.test.to_csr()
        users = np.flatnonzero(truth.getnnz(axis=1) > 0)
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
        "recommendation",
        "rankbench.harness.tasks.recommendation:run_recommendation",
        "split by a named protocol (leave-one-out, strong-generalization, random-holdout, temporal), fit, "
        "rank, evaluate per user",
    ),
)
