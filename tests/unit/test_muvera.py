"""MaxSim and MUVERA fixed-dimensional encodings on synthetic clustered token sets."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.multivector import FDEConfig, TokenBags, fde_encode, maxsim, maxsim_pairs
from rankbench.harness.errors import BadInput

DIM = 24


def clustered_bags(n: int, lo: int, hi: int, seed: int) -> TokenBags:
    """Token sets drawn around shared centres, as contextual token embeddings cluster by meaning."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).standard_normal((40, DIM))
    bags = []
    for _ in range(n):
        m = int(rng.integers(lo, hi))
        v = centres[rng.integers(0, len(centres), size=m)] + 0.5 * rng.standard_normal((m, DIM))
        bags.append((v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32))
    return TokenBags.from_list(bags)


def brute_chamfer(q: np.ndarray, p: np.ndarray) -> float:
    return float(sum(max(float(a @ b) for b in p) for a in q))


def test_maxsim_equals_brute_force_loop() -> None:
    docs, queries = clustered_bags(30, 1, 12, 0), clustered_bags(5, 1, 6, 1)
    got = maxsim(queries, docs, block_tokens=37)  # small blocks exercise the block boundaries
    for i in range(len(queries)):
        q = queries.vectors[queries.offsets[i] : queries.offsets[i + 1]]
        for j in range(len(docs)):
            p = docs.vectors[docs.offsets[j] : docs.offsets[j + 1]]
            assert got[i, j] == pytest.approx(brute_chamfer(q, p), rel=1e-5, abs=1e-5)
    pairs_q, pairs_d = np.array([0, 0, 3, 4]), np.array([5, 29, 0, 7])
    np.testing.assert_allclose(maxsim_pairs(queries, docs, pairs_q, pairs_d), got[pairs_q, pairs_d], rtol=1e-6)


def fde_quality(reps: int, seeds: range) -> tuple[float, float]:
    """Mean correlation of FDE scores with Chamfer, and recall of the Chamfer top 10 in the FDE top 50."""
    docs, queries = clustered_bags(300, 20, 50, 2), clustered_bags(20, 4, 10, 3)
    chamfer = maxsim(queries, docs)
    corr, recall = [], []
    for seed in seeds:
        cfg = FDEConfig(k_sim=3, reps=reps, d_proj=0, seed=seed)
        approx = fde_encode(queries, cfg, role="query") @ fde_encode(docs, cfg, role="document").T
        corr += [np.corrcoef(approx[i], chamfer[i])[0, 1] for i in range(len(queries))]
        truth, found = np.argsort(-chamfer, 1)[:, :10], np.argsort(-approx, 1)[:, :50]
        recall += [len(set(truth[i]) & set(found[i])) / 10 for i in range(len(queries))]
    return float(np.mean(corr)), float(np.mean(recall))


def test_fde_inner_product_tracks_chamfer_and_improves_with_repetitions() -> None:
    corr_1, recall_1 = fde_quality(1, range(4))
    corr_20, recall_20 = fde_quality(20, range(4))
    assert corr_20 > 0.5
    assert corr_20 > corr_1 + 0.1
    assert recall_20 > recall_1


def test_single_partition_fde_is_sum_times_mean() -> None:
    """With k_sim=0 and no projection, <F(Q), F(P)> = <sum Q, mean P>: the definition, checked exactly."""
    docs, queries = clustered_bags(6, 2, 9, 4), clustered_bags(3, 2, 5, 5)
    cfg = FDEConfig(k_sim=0, reps=1, d_proj=0)
    got = fde_encode(queries, cfg, role="query") @ fde_encode(docs, cfg, role="document").T
    q_sum = np.stack(
        [queries.vectors[a:b].sum(0) for a, b in zip(queries.offsets[:-1], queries.offsets[1:], strict=True)]
    )
    d_mean = np.stack([docs.vectors[a:b].mean(0) for a, b in zip(docs.offsets[:-1], docs.offsets[1:], strict=True)])
    np.testing.assert_allclose(got, q_sum @ d_mean.T, rtol=1e-5, atol=1e-6)


def test_empty_partitions_are_filled_from_the_nearest_token() -> None:
    one_token = TokenBags.from_list([np.eye(DIM, dtype=np.float32)[:1]])
    cfg = FDEConfig(k_sim=3, reps=1, d_proj=0, fill_empty=True)
    filled = fde_encode(one_token, cfg, role="document").reshape(8, DIM)
    # a single token is the nearest token of every region, so every block equals it
    np.testing.assert_allclose(filled, np.repeat(one_token.vectors, 8, axis=0))
    bare = fde_encode(one_token, FDEConfig(k_sim=3, reps=1, d_proj=0, fill_empty=False), role="document")
    assert np.count_nonzero(np.abs(bare.reshape(8, DIM)).sum(1)) == 1


def test_dimensions_and_projections() -> None:
    docs = clustered_bags(10, 2, 6, 6)
    cfg = FDEConfig(k_sim=2, reps=3, d_proj=8)
    assert fde_encode(docs, cfg, role="document").shape == (10, 3 * 4 * 8) == (10, cfg.dimension(DIM))
    final = FDEConfig(k_sim=2, reps=3, d_proj=8, d_final=20)
    assert fde_encode(docs, final, role="document").shape == (10, 20)
    with pytest.raises(BadInput):
        FDEConfig(k_sim=-1)
    with pytest.raises(BadInput):
        fde_encode(docs, cfg, role="passage")
