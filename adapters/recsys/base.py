"""Shared pieces of the recommender adapters: seeding, validation for early stopping, candidate scoring.

Kept private (a leading underscore keeps it out of adapter discovery) so each adapter module
stays one model while the early-stopping rule and the candidate-scoring convention exist once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)


def seed_torch(seed: int) -> Any:
    """Seed torch's generators and return the module (neural adapters call this first in fit)."""
    from rankbench.harness.deps import require

    torch = require("torch", "recsys", "neural recommenders")
    torch.manual_seed(seed)
    return torch


def select(scores: np.ndarray, items: np.ndarray | None) -> np.ndarray:
    """Full score rows, or each row's candidate columns when `items` is a (n_users, c) matrix."""
    if items is None:
        return scores
    items = np.asarray(items)
    if items.ndim != 2 or items.shape[0] != scores.shape[0]:
        raise BadInput(f"candidate items must be a ({scores.shape[0]}, c) matrix, got shape {items.shape}")
    return np.take_along_axis(scores, items, axis=1)


def user_csr(train: Interactions) -> sparse.csr_matrix:
    """Binary user x item matrix with sorted column indices (sample_unseen binary-searches rows)."""
    m = train.to_csr().astype(np.float32)
    m.sort_indices()
    return m


def validation_score(
    score: Callable[[np.ndarray], np.ndarray],
    seen: sparse.csr_matrix,
    valid: Interactions,
    measure: str,
    max_users: int = 2000,
    seed: int = 0,
) -> float:
    """Mean full-ranking `measure` over (at most `max_users`) validation users, seen items excluded."""
    from rankbench.harness.measures.recsys import full_ranking  # scipy loads on use, not at `rankbench list`

    truth = valid.to_csr()
    users = np.flatnonzero(truth.getnnz(axis=1) > 0)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    values = []
    for start in range(0, len(users), 1024):
        rows = users[start : start + 1024]
        scores = np.array(score(rows), dtype=np.float64)
        scores[seen[rows].nonzero()] = -np.inf
        values.append(full_ranking(scores, truth[rows], [measure])[measure])
    return float(np.concatenate(values).mean()) if values else float("nan")


@dataclass
class EarlyStopping:
    """Keeps the best validation score and its state; stops after `patience` epochs without gain."""

    patience: int
    best: float = -np.inf
    best_epoch: int = -1
    best_state: Any = None
    history: list[float] = field(default_factory=list)

    def update(self, epoch: int, value: float, state: Callable[[], Any]) -> bool:
        """Record an epoch's validation value; returns True when training should stop."""
        self.history.append(value)
        if value > self.best:
            self.best, self.best_epoch, self.best_state = value, epoch, state()
        log.info("epoch %d: validation %.4f (best %.4f at %d)", epoch, value, self.best, self.best_epoch)
        return epoch - self.best_epoch >= self.patience


def sample_unseen(seen: sparse.csr_matrix, users: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` items per row of `users` uniformly among items the user has not interacted with.

    Vectorised rejection: draw, test membership in the user's sorted CSR row, redraw the hits;
    NCF's training code rejects interacted items the same way.
    """
    n_items = seen.shape[1]
    out = rng.integers(0, n_items, size=(len(users), n))
    indptr, indices = seen.indptr, seen.indices
    for _ in range(100):
        flat_u = np.repeat(users, n)
        flat_i = out.reshape(-1)
        lo, hi = indptr[flat_u], indptr[flat_u + 1]
        pos = lo + _searchsorted_rows(indices, lo, hi, flat_i)
        hit = (pos < hi) & (indices[np.minimum(pos, len(indices) - 1)] == flat_i)
        if not hit.any():
            break
        flat_i[hit] = rng.integers(0, n_items, int(hit.sum()))
        out = flat_i.reshape(len(users), n)
    return out


def _searchsorted_rows(indices: np.ndarray, lo: np.ndarray, hi: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-element binary search of `values` inside the sorted slices indices[lo:hi]."""
    left = np.zeros_like(lo)
    right = hi - lo
    while np.any(left < right):
        mid = (left + right) // 2
        active = left < right
        probe = indices[np.minimum(lo + mid, len(indices) - 1)]
        go_right = active & (probe < values)
        left = np.where(go_right, mid + 1, left)
        right = np.where(active & ~go_right, mid, right)
    return left
