"""The interfaces of rankbench: model families and the protocol each family's adapters implement.

An adapter is any object that implements its family's protocol; registration (`AdapterSpec`)
only names it. The protocols are `runtime_checkable`, so `isinstance(obj, Retriever)` checks
an object's methods (not their signatures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from rankbench.harness.records import Corpus, CTRTable, Interactions, Qrels, Queries, Run

if TYPE_CHECKING:
    from scipy import sparse

Family = Literal["embedder", "retriever", "reranker", "recommender", "ctr"]
FAMILIES: tuple[Family, ...] = ("embedder", "retriever", "reranker", "recommender", "ctr")
IR_FAMILIES: tuple[Family, ...] = ("retriever", "embedder", "reranker")
"""The families an IR suite accepts: embedders and rerankers run through a retriever (see tasks/retrieval)."""

Role = Literal["query", "document"]


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to dense vectors; `role` lets asymmetric models prefix queries and documents."""

    def encode(self, texts: Sequence[str], *, role: Role) -> np.ndarray: ...


@runtime_checkable
class Retriever(Protocol):
    """First-stage retrieval over a corpus."""

    def index(self, corpus: Corpus) -> None: ...

    def search(self, queries: Queries, k: int) -> Run: ...


@runtime_checkable
class DevTuned(Protocol):
    """A retriever that fits some of its parameters on the suite's dev split before the test queries are searched.

    The retrieval task calls `tune(dev queries, dev qrels)` after `index` whenever `needs_dev` is true (a
    suite without a dev split is then a one-line error); `tune` returns the parameters it chose, which the
    task stores in the result's `info` under `tuned`. Used by `fusion(optimize=True)` (`ranx.optimize_fusion`).
    """

    needs_dev: bool

    def tune(self, queries: Queries, qrels: Qrels) -> Mapping[str, Any]: ...


@runtime_checkable
class Reranker(Protocol):
    """Re-scores the top `k` candidates of a first-stage run."""

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run: ...


@runtime_checkable
class Recommender(Protocol):
    """Collaborative filtering: fit on interactions, score items for users."""

    def fit(self, train: Interactions, valid: Interactions | None) -> None: ...

    def score(self, users: np.ndarray, items: np.ndarray | None = None) -> np.ndarray: ...


@runtime_checkable
class HistoryScorer(Protocol):
    """A recommender that scores users it never trained on from their interaction rows (Mult-VAE, EASE, ...).

    `histories` is a (n_users, n_items) CSR matrix of fold-in interactions; the result is a dense
    (n_users, n_items) float array of scores. Used by strong-generalization splits (Liang et al. 2018).
    """

    def score_histories(self, histories: sparse.csr_matrix) -> np.ndarray: ...


@runtime_checkable
class CTRModel(Protocol):
    """Click-through-rate prediction on encoded tables."""

    def fit(self, train: CTRTable, valid: CTRTable) -> None: ...

    def predict_proba(self, table: CTRTable) -> np.ndarray: ...


PROTOCOLS: dict[str, type] = {
    "embedder": Embedder,
    "retriever": Retriever,
    "reranker": Reranker,
    "recommender": Recommender,
    "ctr": CTRModel,
}
