"""The Seismic-style index: exact with no pruning, approximate (but a subset of scored documents) with it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

pytest.importorskip("numba")

from rankbench.adapters.ir.seismic import build_index, search_index
from rankbench.harness.errors import BadInput
from rankbench.harness.topk import topk_positive


def random_sparse(n: int, vocab: int, density: float, seed: int) -> sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    m = sparse.random(n, vocab, density=density, format="csr", random_state=rng, dtype=np.float32)
    m.data = rng.exponential(1.0, size=m.nnz).astype(np.float32)  # heavy-tailed, like SPLADE weights
    return m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_pruning_equals_exact(seed: int) -> None:
    docs = random_sparse(400, 300, 0.05, seed)
    queries = random_sparse(25, 300, 0.03, seed + 100)
    index = build_index(docs, n_postings=0, block_fraction=0.2, summary_energy=1.0, seed=seed)
    idx, scores, scored = search_index(index, queries, 10, query_cut=1.0, heap_factor=1.0)
    exact_idx, exact_scores = topk_positive((queries @ docs.T).toarray(), 10)
    np.testing.assert_allclose(scores, np.where(exact_idx >= 0, exact_scores, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(idx, exact_idx)
    assert scored.max() <= docs.shape[0]


def test_block_skipping_scores_fewer_documents_and_returns_exact_scores() -> None:
    docs = random_sparse(1500, 400, 0.04, 7)
    queries = random_sparse(30, 400, 0.03, 8)
    exact = (queries @ docs.T).toarray()
    full = build_index(docs, n_postings=0, block_fraction=0.1, summary_energy=1.0)
    _, _, scored_exact = search_index(full, queries, 10)
    pruned = build_index(docs, n_postings=60, block_fraction=0.1, summary_energy=0.4)
    idx, scores, scored = search_index(pruned, queries, 10, query_cut=0.5, heap_factor=0.8)
    assert scored.sum() < scored_exact.sum()
    rows, cols = np.nonzero(idx >= 0)
    # every returned score is the document's true score: only the candidate set is approximate
    np.testing.assert_allclose(scores[rows, cols], exact[rows, idx[rows, cols]], rtol=1e-5)
    exact_idx, _ = topk_positive(exact, 10)
    recall = np.mean(
        [len(set(a[a >= 0]) & set(b[b >= 0])) / max(1, (b >= 0).sum()) for a, b in zip(idx, exact_idx, strict=True)]
    )
    assert 0.3 < recall <= 1.0


def test_bad_knobs_and_negative_weights_are_rejected() -> None:
    docs = random_sparse(50, 40, 0.1, 0)
    index = build_index(docs)
    with pytest.raises(BadInput, match="query_cut"):
        search_index(index, docs[:2], 5, query_cut=0.0)
    with pytest.raises(BadInput, match="non-negative"):
        build_index(-docs)
