"""Recommender evaluation splits: how interactions become training, validation and test data.

One function per split method, and `split_interactions`, which applies the method a suite names
with the suite's settings (every setting is stored in the result's provenance). Modelled on
Cornac's `eval_methods`: the split is data, the recommendation task evaluates whatever it gets.

- `leave-one-out` (He et al., 2017): each user's latest interaction is the test item, the
  one before it validates; the test item is ranked against `negatives` sampled items the
  user never touched, or against the NCF `.test.negative` lists when the dataset ships them
  (a `SampledTest` from the loader).
- `strong-generalization` (Liang et al., 2018): ratings binarised (kept if > `binarize`),
  users with fewer than `min_user_items` dropped, `heldout_users` test and as many validation
  users split off; each held-out user's items are split `fold_in` / rest at random, and the
  model scores the rest from the fold-in part alone. Validation users' fold-in rows train with
  the training users; test users never train.
- `random-holdout`: per user, a random `test_frac` / `valid_frac` of the items are held out.
- `temporal`: one global time cut per fraction (test = the latest `test_frac` of all
  interactions), so nothing from the future trains; test users without history are dropped.

Every split but `strong-generalization` keeps user and item ids; rows are `Interactions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions

SPLITS = ("leave-one-out", "strong-generalization", "random-holdout", "temporal")
"""The split methods a recommendation suite can name."""

DEFAULTS: Mapping[str, Any] = {
    "split_seed": 0,
    "binarize": None,
    "test_frac": 0.2,
    "valid_frac": 0.1,
    "negatives": 99,
    "heldout_users": 0.1,
    "fold_in": 0.8,
    "min_user_items": 5,
}
"""The value of each split setting a suite leaves out."""


@dataclass(frozen=True, eq=False, kw_only=True)
class SampledTest:
    """Leave-one-out with sampled negatives: training interactions plus, per test user, one test
    item and the items it is ranked against.

    `users` and `items` have shape (n_test,), `negatives` (n_test, n_negatives); `negatives_from`
    says where the negatives came from (stored in the result's info).
    """

    train: Interactions
    users: np.ndarray
    items: np.ndarray
    negatives: np.ndarray
    valid: Interactions | None = None
    negatives_from: str = "dataset files"


@dataclass(frozen=True, eq=False, kw_only=True)
class Split:
    """Weak generalization: the same users train and are tested."""

    train: Interactions
    valid: Interactions
    test: Interactions


@dataclass(frozen=True, eq=False, kw_only=True)
class StrongSplit:
    """Strong generalization: test users never train; they are scored from their fold-in items.

    `test_users` holds the original ids of the n_test test users; `fold_in` and `held_out` are
    (n_test, n_items) CSR matrices of ones.
    """

    train: Interactions
    valid: Interactions
    test_users: np.ndarray
    fold_in: sparse.csr_matrix
    held_out: sparse.csr_matrix


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


def rank_in_user(users: np.ndarray, keys: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Zero-based position of each row among its user's rows ordered by `keys` (random tie-break),
    and each row's user size; both have the shape of `users`."""
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
    pos, size = rank_in_user(data.users, -times, rng)  # pos 0 = latest
    eligible = size >= 3
    test = eligible & (pos == 0)
    valid = eligible & (pos == 1)
    return Split(train=data.subset(~(test | valid)), valid=data.subset(valid), test=data.subset(test))


def random_holdout(data: Interactions, test_frac: float, valid_frac: float, seed: int) -> Split:
    """Per user, a random test_frac of the items test and valid_frac validation (at least one each)."""
    rng = np.random.default_rng(seed)
    pos, size = rank_in_user(data.users, np.zeros(len(data)), rng)
    n_test = np.maximum(1, np.round(size * test_frac)).astype(int)
    n_valid = np.where(valid_frac > 0, np.maximum(1, np.round(size * valid_frac)), 0).astype(int)
    eligible = size >= 3
    test = eligible & (pos < n_test)
    valid = eligible & ~test & (pos < n_test + n_valid)
    return Split(train=data.subset(~(test | valid)), valid=data.subset(valid), test=data.subset(test))


def temporal(data: Interactions, test_frac: float, valid_frac: float) -> Split:
    """Global time cuts: the latest test_frac of interactions test, the valid_frac before them valid.

    Raises `BadInput` when the interactions have no timestamps.
    """
    if data.timestamps is None:
        raise BadInput("the temporal split needs timestamps; this dataset has none")
    t_valid, t_test = np.quantile(data.timestamps, [1 - test_frac - valid_frac, 1 - test_frac])
    train = data.timestamps < t_valid
    valid = (data.timestamps >= t_valid) & (data.timestamps < t_test)
    test = data.timestamps >= t_test
    known = np.zeros(data.n_users, bool)
    known[data.users[train]] = True
    valid, test = valid & known[data.users], test & known[data.users]
    return Split(train=data.subset(train), valid=data.subset(valid), test=data.subset(test))


def strong_generalization(
    data: Interactions, heldout_users: int | float, fold_in: float, min_user_items: int, seed: int
) -> StrongSplit:
    """Liang et al.'s split: shuffled users, held-out test/validation users, per-user fold-in sampling.

    `heldout_users` >= 1 is a count, below 1 a fraction of the eligible users. Raises `BadInput`
    when the held-out users leave no training users.
    """
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
    pos, size = rank_in_user(data.users, np.zeros(len(data)), rng)
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
    return StrongSplit(
        train=data.subset(train_mask), valid=data.subset(valid_mask), test_users=test_users, fold_in=fold, held_out=hold
    )


def sample_negatives(
    seen: sparse.csr_matrix, users: np.ndarray, n: int, seed: int, names: np.ndarray | None = None
) -> np.ndarray:
    """n distinct items per user that the user never interacted with (uniform, rejection sampling).

    `seen` is the (n_users, n_items) interaction matrix; the result has shape (len(users), n).
    `names[u]` is user code u's id as written in the data (errors name the user by it).
    Raises `BadInput` when a user has fewer than n unseen items.
    """
    rng = np.random.default_rng(seed)
    n_items = seen.shape[1]
    out = np.empty((len(users), n), np.int64)
    for row, u in enumerate(users):
        taken = set(seen.indices[seen.indptr[u] : seen.indptr[u + 1]].tolist())
        if n_items - len(taken) < n:
            name = str(u) if names is None else str(names[u])
            raise BadInput(
                f"user {name} has only {n_items - len(taken)} unseen items; cannot sample {n} negatives "
                "(lower the suite's 'negatives' or drop users with that many items)"
            )
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


def split_interactions(
    data: Interactions | SampledTest, method: str, settings: Mapping[str, Any]
) -> Split | StrongSplit | SampledTest:
    """Apply split `method` (one of `SPLITS`) with `settings` (keys of `DEFAULTS`; others are ignored).

    Interactions are binarised (`binarize`) and de-duplicated first. A `SampledTest` from a loader
    is already split: it passes through for `leave-one-out`. Raises `BadInput` for an unknown
    method, a method the data cannot take, or settings the data cannot satisfy.
    """
    if method not in SPLITS:
        raise BadInput(f"unknown split {method!r}; known: {', '.join(SPLITS)}")
    s = {**DEFAULTS, **settings}
    seed = int(s["split_seed"])
    if isinstance(data, SampledTest):
        if method != "leave-one-out":
            raise BadInput(f"the data is a fixed leave-one-out split; split {method!r} cannot apply")
        return data
    if not isinstance(data, Interactions):
        raise BadInput(f"a recommender split needs interactions, got {type(data).__name__}")
    data = dedupe(binarize(data, s["binarize"]))
    if method == "strong-generalization":
        return strong_generalization(data, s["heldout_users"], float(s["fold_in"]), int(s["min_user_items"]), seed)
    if method == "leave-one-out":
        split = leave_one_out(data, seed)
        users = split.test.users
        return SampledTest(
            train=split.train,
            valid=split.valid,
            users=users,
            items=split.test.items,
            negatives=sample_negatives(data.to_csr(), users, int(s["negatives"]), seed, data.user_ids),
            negatives_from=f"sampled uniformly (split_seed={seed})",
        )
    if method == "random-holdout":
        return random_holdout(data, float(s["test_frac"]), float(s["valid_frac"]), seed)
    return temporal(data, float(s["test_frac"]), float(s["valid_frac"]))
