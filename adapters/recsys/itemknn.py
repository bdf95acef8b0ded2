"""ItemKNN: cosine item-item similarity, pruned to each item's k nearest neighbours.

score(u, i) = sum over the user's items j of sim(j, i) (Sarwar et al., 2001; Deshpande &
Karypis, 2004). Sparse throughout, so it scales to tens of thousands of items; `shrink`
damps similarities computed from few co-occurrences.
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


class ItemKNN(HistoryRecommender):
    def __init__(self, k: int = 100, shrink: float = 0.0) -> None:
        if k <= 0:
            raise BadInput(f"itemknn k must be positive, got {k}")
        self.k, self.shrink = k, shrink
        self._sim: sparse.csr_matrix | None = None

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        x = user_csr(train)
        co = (x.T @ x).tocsr().astype(np.float64)
        norms = np.sqrt(co.diagonal())
        co.setdiag(0.0)
        co.eliminate_zeros()
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        denom = norms[rows] * norms[co.indices] + self.shrink + 1e-12
        co.data = co.data / denom
        self._sim = _keep_top_k(co, self.k)
        self._train = x

    def score_histories(self, histories: sparse.csr_matrix) -> np.ndarray:
        if self._sim is None:
            raise BadInput("call fit() before scoring")
        return np.asarray((histories @ self._sim).todense(), dtype=np.float64)


def _keep_top_k(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Keep each column's k largest entries: column i then holds item i's k nearest neighbours,
    so history @ sim sums, for every candidate i, its similarity to the user's items among them."""
    m = m.T.tocsr()
    rows, cols, vals = [], [], []
    for r in range(m.shape[0]):
        lo, hi = m.indptr[r], m.indptr[r + 1]
        keep = lo + np.argpartition(-m.data[lo:hi], k - 1)[:k] if hi - lo > k else np.arange(lo, hi)
        rows.append(np.full(len(keep), r))
        cols.append(m.indices[keep])
        vals.append(m.data[keep])
    from scipy import sparse  # loaded on use so `rankbench list` stays fast

    pruned = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=m.shape)
    return pruned.T.tocsr()


ADAPTERS = (
    AdapterSpec(
        name="itemknn",
        family="recommender",
        factory="rankbench.adapters.recsys.itemknn:ItemKNN",
        extra=None,
        description="item-based kNN, cosine similarity, k nearest neighbours per item",
    ),
)
