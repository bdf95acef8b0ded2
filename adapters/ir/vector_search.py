"""Nearest-neighbour search backends for dense retrieval: exact blocked search and faiss indexes.

Every backend scores by inner product (embeddings are normalised upstream for cosine) and
returns `(scores, indices)` of shape (n_queries, k), index -1 where fewer than k exist.
The exact backend multiplies query blocks by document blocks and keeps a running top-k
(`harness.topk`: ties go to the lower document row), so memory stays at one block of
scores, never the full N x M matrix.
faiss backends expose their knobs (HNSW `m`/`ef_construction`/`ef_search`, IVF
`nlist`/`nprobe`) so latency/recall sweeps can set them per run.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.topk import topk_rows

BACKENDS = ("exact", "faiss-flat", "faiss-hnsw", "faiss-ivf")


class SearchBackend(Protocol):
    def build(self, vectors: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    @property
    def size_bytes(self) -> int: ...


def _as_matrix(x: np.ndarray, what: str) -> np.ndarray:
    arr = np.ascontiguousarray(x, dtype=np.float32)
    if arr.ndim != 2:
        raise BadInput(f"{what} must be a 2-d array of embeddings, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise BadInput(f"{what} contain NaN or infinite values; check the embedder")
    return arr


class ExactSearch:
    """Brute-force inner product in blocks; `block_elems` caps the score block held in memory."""

    def __init__(self, block_elems: int = 1 << 24) -> None:
        self.block_elems = block_elems
        self._docs: np.ndarray | None = None

    def build(self, vectors: np.ndarray) -> None:
        self._docs = _as_matrix(vectors, "document embeddings")

    @property
    def size_bytes(self) -> int:
        return 0 if self._docs is None else int(self._docs.nbytes)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._docs is None:
            raise BadInput("call build() before search()")
        if k <= 0:
            raise BadInput(f"k must be a positive number of neighbours per query, got {k}")
        q = _as_matrix(queries, "query embeddings")
        docs = self._docs
        if q.shape[1] != docs.shape[1]:
            raise BadInput(f"query embeddings have dimension {q.shape[1]}, documents {docs.shape[1]}")
        n_docs = len(docs)
        k = min(k, n_docs)
        out_s = np.full((len(q), k), -np.inf, dtype=np.float32)
        out_i = np.full((len(q), k), -1, dtype=np.int64)
        if k == 0 or len(q) == 0:
            return out_s, out_i
        doc_block = max(k, min(n_docs, self.block_elems // 256))
        q_block = max(1, self.block_elems // doc_block)
        for qs in range(0, len(q), q_block):
            qb = q[qs : qs + q_block]
            best_s = np.full((len(qb), 0), -np.inf, dtype=np.float32)
            best_i = np.zeros((len(qb), 0), dtype=np.int64)
            for ds in range(0, n_docs, doc_block):
                i, s = topk_rows(qb @ docs[ds : ds + doc_block].T, k)
                # earlier blocks hold lower document rows, so ties keep going to the lower row
                cand_s = np.concatenate([best_s, s], axis=1)
                cand_i = np.concatenate([best_i, i + ds], axis=1)
                pos, best_s = topk_rows(cand_s, k)
                best_i = np.take_along_axis(cand_i, pos, axis=1)
            out_s[qs : qs + len(qb)] = best_s
            out_i[qs : qs + len(qb)] = best_i
        return out_s, out_i


class FaissSearch:
    """A faiss inner-product index: `flat` (exact), `hnsw` or `ivf` (trained on the corpus)."""

    def __init__(
        self,
        kind: str = "flat",
        m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
        nlist: int = 1024,
        nprobe: int = 16,
        threads: int = 0,
    ) -> None:
        if kind not in ("flat", "hnsw", "ivf"):
            raise UnknownName("faiss index kind", kind, ["flat", "hnsw", "ivf"])
        self.kind, self.m, self.ef_construction, self.ef_search = kind, m, ef_construction, ef_search
        self.nlist, self.nprobe, self.threads = nlist, nprobe, threads
        self._faiss: Any = require("faiss", "ir", f"the faiss-{kind} search backend")
        if threads > 0:
            self._faiss.omp_set_num_threads(threads)
        self._index: Any = None

    def build(self, vectors: np.ndarray) -> None:
        x = _as_matrix(vectors, "document embeddings")
        faiss, d = self._faiss, x.shape[1]
        if self.kind == "flat":
            index = faiss.IndexFlatIP(d)
        elif self.kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, self.m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.ef_construction
        else:
            nlist = max(1, min(self.nlist, len(x) // 39 or 1))  # faiss wants >= 39 training points per list
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(x)
        index.add(x)
        self._index = index
        self.set_knobs(ef_search=self.ef_search, nprobe=self.nprobe)

    def set_knobs(self, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Change search-time knobs without rebuilding (for latency/recall sweeps)."""
        if ef_search is not None:
            self.ef_search = ef_search
            if self._index is not None and self.kind == "hnsw":
                self._index.hnsw.efSearch = ef_search
        if nprobe is not None:
            self.nprobe = nprobe
            if self._index is not None and self.kind == "ivf":
                self._index.nprobe = min(nprobe, self._index.nlist)

    @property
    def size_bytes(self) -> int:
        if self._index is None:
            return 0
        return int(self._faiss.serialize_index(self._index).nbytes)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._index is None:
            raise BadInput("call build() before search()")
        if k <= 0:
            raise BadInput(f"k must be a positive number of neighbours per query, got {k}")
        q = _as_matrix(queries, "query embeddings")
        if q.shape[1] != self._index.d:
            raise BadInput(f"query embeddings have dimension {q.shape[1]}, documents {self._index.d}")
        k = min(k, self._index.ntotal)
        if self.kind == "hnsw":
            self._index.hnsw.efSearch = max(self.ef_search, k)
        scores, idx = self._index.search(q, k)
        return scores, idx.astype(np.int64)


def make_backend(name: str, **knobs: Any) -> SearchBackend:
    """`exact` or `faiss-flat|hnsw|ivf`; knobs not used by the chosen backend are ignored."""
    if name == "exact":
        return ExactSearch(**{k: v for k, v in knobs.items() if k == "block_elems"})
    if name.startswith("faiss-") and name in BACKENDS:
        keys = ("m", "ef_construction", "ef_search", "nlist", "nprobe", "threads")
        return FaissSearch(name.removeprefix("faiss-"), **{k: v for k, v in knobs.items() if k in keys})
    raise UnknownName("search backend", name, BACKENDS)
