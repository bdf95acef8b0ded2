"""Pseudo-relevance feedback, as composed retrievers (score fusion of two runs is in `fusion`).

- `bm25-rm3` / `bm25-rocchio`: BM25 first pass, expand the query from the top `fb_docs`
  documents, re-score with the weighted query. RM3 (Lavrenko & Croft; Anserini's defaults
  fb_docs=10, fb_terms=10, original weight 0.5) estimates P(w|R) = sum_d P(w|d) P(q|d) from
  the feedback documents' term distributions weighted by their first-pass scores; Rocchio
  moves the query towards the mean of the feedback documents' (L2-normalised) BM25 vectors.
  Scoring a weighted query is one sparse product with BM25's per-term document weights.
- `dense-prf`: vector PRF (Li et al., 2021): q' = alpha q + beta mean(top-k document vectors),
  searched again with the same backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rankbench.adapters.ir.bm25 import BM25
from rankbench.harness import registry
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.topk import topk_positive, topk_rows


def _keep_top_per_row(matrix: Any, n: int) -> Any:
    """Zero all but the `n` largest entries of every row of a CSR matrix."""
    matrix = matrix.tocsr()
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        if hi - lo > n:
            row = matrix.data[lo:hi]
            row[np.argpartition(-row, n - 1)[n:]] = 0.0
    matrix.eliminate_zeros()
    return matrix


class BM25PRF(BM25):
    """BM25 with RM3 or Rocchio query expansion from the first pass's top documents."""

    def __init__(
        self,
        method: str = "rm3",
        fb_docs: int = 10,
        fb_terms: int = 10,
        original_weight: float = 0.5,
        **bm25: Any,
    ) -> None:
        """`method`: "rm3" or "rocchio"; `bm25`: the first pass's `k1`, `b`, `stemmer`, `stopwords`
        (BM25's own defaults; BM25's scoring `method` stays Lucene's)."""
        if method not in ("rm3", "rocchio"):
            raise UnknownName("PRF method", method, ("rm3", "rocchio"))
        if fb_docs < 1 or fb_terms < 1 or not 0.0 <= original_weight <= 1.0:
            raise BadInput("PRF needs fb_docs >= 1, fb_terms >= 1 and original_weight in [0, 1]")
        super().__init__(**bm25)
        self.prf_method, self.fb_docs, self.fb_terms, self.original_weight = method, fb_docs, fb_terms, original_weight
        self._sparse: Any = require("scipy.sparse", None, "PRF")
        self._weights: Any = None
        self._feedback: Any = None

    def _term_matrix(self, texts: list[str]) -> Any:
        """(len(texts), vocab) term counts in the index's vocabulary; unknown terms dropped."""
        vocab = self._retriever.vocab_dict
        n_terms = len(self._retriever.scores["indptr"]) - 1  # bm25s may list a padding term past the matrix
        columns = [[vocab.get(term, -1) for term in self._analyze(text)] for text in texts]
        rows = np.repeat(np.arange(len(texts)), [len(c) for c in columns])
        cols = np.fromiter((c for doc in columns for c in doc), dtype=np.int64, count=len(rows))
        cols[cols >= n_terms] = -1
        keep = cols >= 0
        data = np.ones(int(keep.sum()), dtype=np.float32)
        shape = (len(texts), n_terms)
        return self._sparse.csr_matrix((data, (rows[keep], cols[keep])), shape=shape)

    def index(self, corpus: Corpus) -> None:
        super().index(corpus)
        s = self._retriever.scores
        n_docs, vocab = int(s["num_docs"]), len(s["indptr"]) - 1
        self._weights = self._sparse.csc_matrix((s["data"], s["indices"], s["indptr"]), shape=(n_docs, vocab)).tocsr()
        if self.prf_method == "rm3":
            counts = self._term_matrix(corpus.full_texts())
            lengths = np.maximum(np.asarray(counts.sum(axis=1)).ravel(), 1.0)
            self._feedback = self._sparse.diags(1.0 / lengths) @ counts  # P(w|d) = tf / |d|
        else:
            norms = np.sqrt(np.asarray(self._weights.multiply(self._weights).sum(axis=1)).ravel())
            self._feedback = self._sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ self._weights

    def search(self, queries: Queries, k: int) -> Run:
        if self._weights is None or self._doc_ids is None:
            raise BadInput("call index() before search()")
        q0 = self._term_matrix(list(queries.texts))
        sizes = np.maximum(np.asarray(q0.sum(axis=1)).ravel(), 1.0)
        q0 = self._sparse.diags(1.0 / sizes) @ q0
        first = np.asarray((q0 @ self._weights.T).todense())
        fb_idx, fb_scores = topk_rows(first, self.fb_docs)
        rows = np.repeat(np.arange(len(queries)), fb_idx.shape[1])
        if self.prf_method == "rm3":
            totals = np.maximum(fb_scores.sum(axis=1, keepdims=True), 1e-12)
            doc_w = (fb_scores / totals).ravel()  # P(q|d), normalised over the feedback set
        else:
            doc_w = np.full(fb_idx.size, 1.0 / fb_idx.shape[1])
        mix = self._sparse.csr_matrix((doc_w, (rows, fb_idx.ravel())), shape=(len(queries), first.shape[1]))
        expansion = _keep_top_per_row(mix @ self._feedback, self.fb_terms)
        sums = np.maximum(np.asarray(expansion.sum(axis=1)).ravel(), 1e-12)
        expansion = self._sparse.diags(1.0 / sums) @ expansion
        query = self.original_weight * q0 + (1.0 - self.original_weight) * expansion
        scores = np.asarray((query @ self._weights.T).todense())
        idx, top = topk_positive(scores, k)
        return Run.from_topk(queries.ids, self._doc_ids, idx, top, name=f"bm25-{self.prf_method}")


class DenseVectorPRF:
    """Vector PRF for a dense retriever: q' = alpha q + beta mean of the top `fb_docs` document vectors."""

    def __init__(
        self, embedder: str = "minilm", backend: str = "exact", fb_docs: int = 3, alpha: float = 1.0, beta: float = 0.5
    ) -> None:
        if fb_docs < 1:
            raise BadInput("dense PRF needs fb_docs >= 1")
        self.dense = registry.ADAPTERS.get("dense").build(embedder=embedder, backend=backend)
        self.fb_docs, self.alpha, self.beta = fb_docs, alpha, beta

    def index(self, corpus: Corpus) -> None:
        self.dense.index(corpus)
        self._doc_ids = corpus.ids

    def search(self, queries: Queries, k: int) -> Run:
        if self.dense.doc_embeddings is None:
            raise BadInput("call index() before search()")
        q = np.asarray(self.dense.embedder.encode(list(queries.texts), role="query"), dtype=np.float32)
        _, fb = self.dense.backend.search(q, self.fb_docs)
        docs = np.asarray(self.dense.doc_embeddings)
        centroid = np.where(fb[..., None] >= 0, docs[np.maximum(fb, 0)], 0.0).sum(1) / np.maximum(
            (fb >= 0).sum(1, keepdims=True), 1
        )
        expanded = (self.alpha * q + self.beta * centroid).astype(np.float32)
        scores, idx = self.dense.backend.search(expanded, k)
        return Run.from_topk(queries.ids, self._doc_ids, idx, scores, name="dense-prf")


ADAPTERS = (
    AdapterSpec(
        name="bm25-rm3",
        family="retriever",
        factory="rankbench.adapters.ir.prf:BM25PRF",
        extra="ir",
        description="BM25 + RM3 query expansion (Anserini defaults: 10 feedback docs, 10 terms, weight 0.5)",
    ),
    AdapterSpec(
        name="bm25-rocchio",
        family="retriever",
        factory="rankbench.adapters.ir.prf:BM25PRF",
        extra="ir",
        params={"method": "rocchio"},
        description="BM25 + Rocchio expansion towards the mean L2-normalised BM25 vector of the feedback docs",
    ),
    AdapterSpec(
        name="dense-prf",
        family="retriever",
        factory="rankbench.adapters.ir.prf:DenseVectorPRF",
        extra="ir",
        description="vector pseudo-relevance feedback for a dense retriever (Rocchio on embeddings)",
    ),
)
