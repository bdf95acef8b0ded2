"""The family protocols every adapter implements (see the design document)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from rankbench.harness.records import Corpus, CTRTable, Interactions, Queries, Run

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
class Reranker(Protocol):
    """Re-scores the top `k` candidates of a first-stage run."""

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run: ...


@runtime_checkable
class Recommender(Protocol):
    """Collaborative filtering: fit on interactions, score items for users."""

    def fit(self, train: Interactions, valid: Interactions | None) -> None: ...

    def score(self, users: np.ndarray, items: np.ndarray | None = None) -> np.ndarray: ...


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
