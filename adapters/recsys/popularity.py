"""Most-popular: every user gets the items with the most training interactions.

The floor every personalised model must beat; it also scores unseen users (strong
generalization) since it ignores the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rankbench.adapters.recsys.base import Recommender
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

if TYPE_CHECKING:
    from scipy import sparse


class Popularity(Recommender):
    def __init__(self) -> None:
        self._counts: np.ndarray | None = None

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        self._counts = np.asarray(train.to_csr().sum(axis=0), dtype=np.float64).ravel()

    def _require(self) -> np.ndarray:
        if self._counts is None:
            raise BadInput("call fit() before scoring")
        return self._counts

    def score_users(self, users: np.ndarray) -> np.ndarray:
        counts = self._require()
        return np.broadcast_to(counts, (len(users), len(counts)))

    def score_histories(self, histories: sparse.csr_matrix) -> np.ndarray:
        counts = self._require()
        return np.tile(counts, (histories.shape[0], 1))


ADAPTERS = (
    AdapterSpec(
        name="popularity",
        family="recommender",
        factory="rankbench.adapters.recsys.popularity:Popularity",
        extra=None,
        description="most popular items (training interaction counts)",
    ),
)
