"""The recommender base class and the pieces its adapters share (RecBole's `GeneralRecommender`).

`Recommender` turns a model's full score rows (`score_users`) into the `score` the task calls
(full rows or candidate columns), ranks with seen items masked (`recommend`), and runs the
validation and early-stopping step of the iterative models (`validation_step`);
`HistoryRecommender` adds scoring from interaction rows (`score_histories`), which also
covers users a model never trained on. Torch models pick their device with `use_device`
(`device=auto|cpu|cuda|cuda:N|mps`, see `rankbench.harness.devices`): parameters are
initialised on the CPU from the seeded generator and then moved, so a seed starts from the
same weights on every device. The module functions are the training helpers: torch seeding,
the binary user CSR, validation, and negative sampling.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.harness.devices import describe, resolve_device
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.topk import topk_rows

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)


def seed_torch(seed: int) -> Any:
    """Seed torch's generators and return the module (neural adapters call this first in fit)."""
    from rankbench.harness.deps import require

    torch = require("torch", "recsys", "neural recommenders")
    torch.manual_seed(seed)
    return torch


def state_copy(net: Any) -> dict[str, Any]:
    """A copy of a torch module's parameters and buffers (what early stopping keeps of the best epoch)."""
    return {name: value.clone() for name, value in net.state_dict().items()}


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
    from rankbench.harness.measures.recsys import exclude_seen, full_ranking  # scipy loads on use, not at `list`

    truth = valid.to_csr()
    users = np.flatnonzero(truth.getnnz(axis=1) > 0)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    values = []
    for start in range(0, len(users), 1024):
        rows = users[start : start + 1024]
        scores = exclude_seen(np.array(score(rows), dtype=np.float64), seen[rows])
        values.append(full_ranking(scores, truth[rows], [measure])[measure])
    return float(np.concatenate(values).mean()) if values else float("nan")


class Recommender(ABC):
    """A collaborative-filtering model: `fit`, then scores of items for users given by row index.

    Subclasses define `fit` and `score_users`; iterative ones also set `valid_measure` (a
    full-ranking measure such as "nDCG@20") and call `validation_step` after every epoch.
    """

    valid_measure: str
    device: str = "cpu"
    """The resolved torch device (`cpu`, `cuda:N`, `mps`) a torch model trains and scores on."""
    model_provenance: dict[str, str] | None = None
    """`rankbench.harness.devices.describe` of that device once `use_device` ran (the result's provenance)."""

    def use_device(self, device: str) -> None:
        """Resolve a `device=` setting (auto | cpu | cuda | cuda:N | mps); BadInput for one this machine lacks."""
        self.device = resolve_device(device)
        self.model_provenance = describe(self.device)

    @abstractmethod
    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        """Train on `train`; `valid` (possibly None or empty) only drives early stopping."""

    @abstractmethod
    def score_users(self, users: np.ndarray) -> np.ndarray:
        """(len(users), n_items) scores of every item for the users' rows; BadInput before `fit`."""

    def score_candidates(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(len(users), c) scores of each user's candidate items: by default read off the full rows."""
        return np.take_along_axis(self.score_users(users), items, axis=1)

    def score(self, users: np.ndarray, items: np.ndarray | None = None) -> np.ndarray:
        """Full rows `(len(users), n_items)`, or each user's candidates when `items` is (len(users), c).

        Raises BadInput on a candidate matrix of another shape.
        """
        users = np.asarray(users)
        if items is None:
            return self.score_users(users)
        items = np.asarray(items)
        if items.ndim != 2 or items.shape[0] != len(users):
            raise BadInput(f"candidate items must be a ({len(users)}, c) matrix, got shape {items.shape}")
        return self.score_candidates(users, items)

    def recommend(self, users: np.ndarray, k: int, seen: sparse.csr_matrix | None = None) -> np.ndarray:
        """(len(users), min(k, n_items)) item indices, best first, ties to the lower item index.

        `seen` is the user CSR (all users' rows, e.g. `user_csr(train)`); its items are excluded.
        """
        users = np.asarray(users)
        scores = np.array(self.score_users(users), dtype=np.float64)
        if seen is not None:
            from rankbench.harness.measures.recsys import exclude_seen  # scipy loads on use

            exclude_seen(scores, seen[users])
        return topk_rows(scores, k)[0]

    def validation_step(
        self,
        epoch: int,
        stop: EarlyStopping,
        seen: sparse.csr_matrix,
        valid: Interactions | None,
        state: Callable[[], Any],
    ) -> bool:
        """After an epoch: `valid_measure` of `score_users` fed to `stop`; True when training should stop.

        `state` is called for the model state when the epoch is the best so far; without
        validation data nothing is measured and training never stops early.
        """
        if valid is None or len(valid) == 0:
            return False
        return stop.update(epoch, validation_score(self.score_users, seen, valid, self.valid_measure), state)


class HistoryRecommender(Recommender):
    """A recommender that scores from interaction rows, so it also scores users it never trained on.

    Subclasses define `score_histories` and keep the training rows in `_train` (`user_csr`) in `fit`.
    """

    _train: sparse.csr_matrix | None = None

    @abstractmethod
    def score_histories(self, histories: sparse.csr_matrix) -> np.ndarray:
        """(n_rows, n_items) scores for users given by their (n_rows, n_items) interaction rows."""

    def score_users(self, users: np.ndarray) -> np.ndarray:
        if self._train is None:
            raise BadInput("call fit() before scoring")
        return self.score_histories(self._train[np.asarray(users)])


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
