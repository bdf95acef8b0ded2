"""SPLADE-tiny: sparse non-negative encodings, exact scoring, and the cached CSR round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from rankbench.adapters.ir.splade import SpladeRetriever, cached_csr
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import MissingDependency
from rankbench.harness.topk import topk_positive


def test_topk_positive_matches_a_full_sort_and_drops_non_positive_scores() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(7, 50)).astype(np.float32)
    idx, top = topk_positive(scores, 10)
    order = np.argsort(-scores, axis=1)[:, :10]
    np.testing.assert_array_equal(np.where(idx >= 0, idx, order), order)
    np.testing.assert_allclose(top, np.take_along_axis(scores, order, axis=1))
    assert np.all((idx == -1) == (top <= 0))


def test_cached_csr_round_trip_computes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_CACHE", str(tmp_path))
    matrix = sparse.random(20, 300, density=0.05, format="csr", random_state=0, dtype=np.float32)
    calls = []

    def compute() -> sparse.csr_matrix:
        calls.append(1)
        return matrix

    first = cached_csr("test-splade", {"x": 1}, compute)
    again = cached_csr("test-splade", {"x": 1}, compute)
    assert len(calls) == 1
    assert (first != matrix).nnz == 0 and (again != matrix).nnz == 0 and again.shape == matrix.shape


def test_exact_retrieval_is_the_sparse_dot_product() -> None:
    ds = load_dataset("ir-synth-tiny").data
    try:
        retriever = SpladeRetriever(max_length=64)
    except MissingDependency as exc:
        pytest.skip(str(exc))
    docs = retriever.encoder.encode(ds.corpus.full_texts(), role="document")
    queries = retriever.encoder.encode(list(ds.queries.texts), role="query")
    assert docs.shape == (len(ds.corpus), 30522) and docs.data.min() > 0
    assert docs.nnz / docs.shape[0] < 2000  # sparse: a few hundred vocabulary terms per document
    retriever.index_vectors(docs, ds.corpus.ids)
    idx, scores = retriever.search_vectors(queries, 5)
    dense = queries.toarray() @ docs.toarray().T
    for i in range(len(ds.queries)):
        np.testing.assert_allclose(scores[i], np.sort(dense[i])[::-1][:5], rtol=1e-4)
        np.testing.assert_allclose(dense[i, idx[i]], scores[i], rtol=1e-4)
