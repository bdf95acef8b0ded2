"""The shared shape of retrievers that encode a corpus once and search the encodings.

SPLADE (sparse vectors), its Seismic-style index and the multi-vector retrievers (token
bags) all index the same way: refuse an empty corpus, encode the documents through the
output cache, hand the encodings to `index_vectors`; and all search by encoding the queries
and handing them to `search_vectors`. Benchmarks call those two directly with encodings
they made once, to time the index or the search alone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run


class EncodedRetriever(ABC):
    """A retriever over cached document encodings.

    Subclasses set `encoder` (with `encode(texts, role=)`, `encode_cached(texts, role=)` and
    `n_parameters()`) and the class attribute `run_name`, and define `index_vectors` (which
    stores `_doc_ids`) and `search_vectors`.
    """

    run_name: str
    encoder: Any
    _doc_ids: np.ndarray | None = None

    def n_parameters(self) -> int:
        return self.encoder.n_parameters()

    def index(self, corpus: Corpus) -> None:
        """Encode the documents (title + text, through the output cache) and index them; BadInput if empty."""
        if len(corpus) == 0:
            raise BadInput("cannot index an empty corpus")
        self.index_vectors(self.encoder.encode_cached(corpus.full_texts(), role="document"), corpus.ids)

    def search(self, queries: Queries, k: int) -> Run:
        """The top `k` documents per query; BadInput before `index`."""
        if self._doc_ids is None:
            raise BadInput("call index() before search()")
        idx, scores = self.search_vectors(self.encoder.encode(list(queries.texts), role="query"), k)
        return Run.from_topk(queries.ids, self._doc_ids, idx, scores, name=self.run_name)

    @abstractmethod
    def index_vectors(self, docs: Any, doc_ids: np.ndarray) -> None:
        """Index already-encoded documents (one per id in `doc_ids`)."""

    @abstractmethod
    def search_vectors(self, queries: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(n_queries, k) document rows (-1 past the hits) and scores for encoded queries."""
