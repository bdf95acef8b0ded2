"""Search backends: exact blocked search equals a full brute-force top-k; faiss agrees with it."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.vector_search import ExactSearch, make_backend
from rankbench.harness.errors import BadInput, UnknownName


def _data(seed: int = 0, n: int = 700, m: int = 40, d: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    docs = rng.standard_normal((n, d)).astype(np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries = rng.standard_normal((m, d)).astype(np.float32)
    return docs, queries


@pytest.mark.parametrize("block_elems", [64, 1000, 1 << 24])
def test_exact_blocked_equals_full_matrix(block_elems: int) -> None:
    docs, queries = _data()
    backend = ExactSearch(block_elems=block_elems)
    backend.build(docs)
    scores, idx = backend.search(queries, 10)
    full = queries @ docs.T
    expected = np.sort(full, axis=1)[:, ::-1][:, :10]
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(full, idx, axis=1), scores, rtol=1e-5, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-7)


def test_exact_k_larger_than_corpus_returns_every_document() -> None:
    docs, queries = _data(n=5)
    backend = ExactSearch()
    backend.build(docs)
    _, idx = backend.search(queries, 50)
    assert idx.shape == (len(queries), 5)
    assert all(sorted(row) == list(range(5)) for row in idx.tolist())


@pytest.mark.parametrize("name,min_recall", [("faiss-flat", 1.0), ("faiss-hnsw", 0.9), ("faiss-ivf", 0.5)])
def test_faiss_backends_agree_with_exact(name: str, min_recall: float) -> None:
    pytest.importorskip("faiss")
    docs, queries = _data(n=2000)
    exact = ExactSearch()
    exact.build(docs)
    _, truth = exact.search(queries, 10)
    backend = make_backend(name, nlist=16, nprobe=4, ef_search=64)
    backend.build(docs)
    _, idx = backend.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx.tolist(), truth.tolist(), strict=True)])
    assert recall >= min_recall
    assert backend.size_bytes > 0


def test_ivf_nprobe_knob_trades_recall() -> None:
    pytest.importorskip("faiss")
    docs, queries = _data(n=3000, m=60)
    exact = ExactSearch()
    exact.build(docs)
    _, truth = exact.search(queries, 10)
    backend = make_backend("faiss-ivf", nlist=64, nprobe=1)
    backend.build(docs)

    def recall() -> float:
        _, idx = backend.search(queries, 10)
        return float(np.mean([len(set(a) & set(b)) for a, b in zip(idx.tolist(), truth.tolist(), strict=True)]))

    low = recall()
    backend.set_knobs(nprobe=64)
    assert recall() == 10.0 > low


def test_bad_inputs_raise_harness_errors() -> None:
    with pytest.raises(UnknownName):
        make_backend("annoy")
    backend = ExactSearch()
    with pytest.raises(BadInput):
        backend.search(np.zeros((1, 4)), 3)
    backend.build(np.ones((3, 4)))
    with pytest.raises(BadInput, match="dimension"):
        backend.search(np.ones((1, 5)), 3)
    with pytest.raises(BadInput, match="NaN"):
        backend.build(np.full((2, 4), np.nan))
