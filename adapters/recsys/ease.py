"""EASE^R (Steck, WWW 2019): a closed-form item-item linear autoencoder with a zero diagonal.

B = I - P diag(1 / diag(P)), P = (X^T X + lambda I)^-1; score = X B. One dense n_items^2
inverse, so fitting is seconds for up to ~20k items and needs no early stopping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rankbench.adapters.recsys.base import HistoryRecommender, user_csr
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

if TYPE_CHECKING:
    from scipy import sparse


class EASE(HistoryRecommender):
    def __init__(self, l2: float = 500.0) -> None:
        if l2 <= 0:
            raise BadInput(f"ease l2 must be positive, got {l2}")
        self.l2 = l2
        self._b: np.ndarray | None = None

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        x = user_csr(train)
        gram = np.asarray((x.T @ x).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        from scipy import linalg  # loaded on use so `rankbench list` stays fast

        p = linalg.inv(gram, overwrite_a=True, check_finite=False)
        b = -p / np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        self._b = b.astype(np.float32)
        self._train = x

    def score_histories(self, histories: sparse.csr_matrix) -> np.ndarray:
        if self._b is None:
            raise BadInput("call fit() before scoring")
        return np.asarray(histories @ self._b, dtype=np.float64)


ADAPTERS = (
    AdapterSpec(
        name="ease",
        family="recommender",
        factory="rankbench.adapters.recsys.ease:EASE",
        extra=None,
        description="EASE^R closed-form linear item autoencoder (Steck 2019)",
    ),
)
