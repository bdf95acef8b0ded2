"""The `seismic` adapter's index (pyseismic-lsr): exact with no pruning, true scores of a subset with pruning."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

pytest.importorskip("seismic")

from rankbench.adapters.ir.seismic import SeismicLibraryIndex
from rankbench.harness.errors import BadInput
from rankbench.harness.topk import topk_positive

# the library keeps document values in half precision: scores agree with float32 products to ~1e-3
RTOL = 2e-3


def random_sparse(n: int, vocab: int, density: float, seed: int) -> sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    m = sparse.random(n, vocab, density=density, format="csr", random_state=rng, dtype=np.float32)
    m.data = rng.exponential(1.0, size=m.nnz).astype(np.float32)  # heavy-tailed, like SPLADE weights
    return m


def recall(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(
        np.mean(
            [len(set(a[a >= 0]) & set(e[e >= 0])) / max(1, (e >= 0).sum()) for a, e in zip(approx, exact, strict=True)]
        )
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_pruning_returns_the_exact_top_k(seed: int) -> None:
    docs = random_sparse(400, 300, 0.05, seed)
    queries = random_sparse(25, 300, 0.03, seed + 100)
    index = SeismicLibraryIndex.build(docs, n_postings=10_000, summary_energy=1.0, num_threads=1)
    idx, scores = index.search(queries, 10, query_cut=300, heap_factor=1.0, num_threads=1)
    exact = (queries @ docs.T).toarray()
    exact_idx, exact_scores = topk_positive(exact, 10)
    np.testing.assert_allclose(scores, np.where(exact_idx >= 0, exact_scores, 0), rtol=RTOL, atol=1e-4)
    rows, cols = np.nonzero(idx >= 0)
    np.testing.assert_allclose(scores[rows, cols], exact[rows, idx[rows, cols]], rtol=RTOL)
    assert recall(idx, exact_idx) > 0.99  # only near-ties at the cut may swap (half-precision values)


def test_pruning_returns_true_scores_of_fewer_candidates() -> None:
    docs = random_sparse(1500, 400, 0.04, 7)
    queries = random_sparse(30, 400, 0.03, 8)
    exact = (queries @ docs.T).toarray()
    pruned = SeismicLibraryIndex.build(docs, n_postings=30, summary_energy=0.4, num_threads=1)
    idx, scores = pruned.search(queries, 10, query_cut=5, heap_factor=0.7, num_threads=1)
    rows, cols = np.nonzero(idx >= 0)
    # every returned score is the document's true score: only the candidate set is approximate
    np.testing.assert_allclose(scores[rows, cols], exact[rows, idx[rows, cols]], rtol=RTOL)
    r = recall(idx, topk_positive(exact, 10)[0])
    assert 0.2 < r < 1.0


def test_large_vocabularies_use_the_lv_index_and_build_output_stays_off_stdout(capfd: pytest.CaptureFixture) -> None:
    docs = random_sparse(200, 70_000, 0.0005, 3)
    index = SeismicLibraryIndex.build(docs, num_threads=1)
    assert type(index.index).__name__ == "SeismicIndexLV" and index.size_bytes > 0
    idx, _ = index.search(docs[:5], 1, query_cut=100, heap_factor=1.0)
    assert idx[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert capfd.readouterr().out == ""


def test_bad_knobs_and_negative_weights_are_rejected() -> None:
    docs = random_sparse(50, 40, 0.1, 0)
    index = SeismicLibraryIndex.build(docs, num_threads=1)
    with pytest.raises(BadInput, match="query_cut"):
        index.search(docs[:2], 5, query_cut=0, heap_factor=0.9)
    with pytest.raises(BadInput, match="non-negative"):
        SeismicLibraryIndex.build(-docs)


def test_hits_are_placed_by_query_id_whatever_order_the_library_returns_them_in() -> None:
    docs = random_sparse(300, 200, 0.08, 5)
    best = (docs[:40] @ docs.T).toarray().max(axis=1)
    for _ in range(60):  # some builds answer batch_search in another order than the queries'; each hit names its query
        index = SeismicLibraryIndex.build(docs, n_postings=10_000, summary_energy=1.0)
        _, scores = index.search(docs[:40], 1, query_cut=200, heap_factor=1.0)
        np.testing.assert_allclose(scores[:, 0], best, rtol=RTOL)


def test_the_index_states_no_knob_defaults_of_its_own() -> None:
    """The `seismic` adapter's constructor states the values once; knobs left unset go to the library's defaults."""
    import inspect

    for method in (SeismicLibraryIndex.build, SeismicLibraryIndex.search, SeismicLibraryIndex.search_prepared):
        defaults = {n: p.default for n, p in inspect.signature(method).parameters.items() if p.default is not p.empty}
        assert set(defaults.values()) <= {None}, (method.__name__, defaults)
