"""Recommender measures against independent computations on random cases: the papers' own
evaluation code (NCF `evaluate.py`, Mult-VAE `vae_cf`), restated here, and pytrec_eval."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy import sparse

from rankbench.harness.errors import BadInput
from rankbench.harness.measures.recsys import full_ranking, sampled


def _random_case(seed: int, n_users: int = 40, n_items: int = 150) -> tuple[np.ndarray, sparse.csr_matrix]:
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n_users, n_items))
    truth = sparse.random(n_users, n_items, density=0.08, random_state=seed, format="csr")
    truth.data[:] = 1
    truth.data[truth.indptr[0] : truth.indptr[1]] = 0  # a user without held-out items scores 0
    truth.eliminate_zeros()
    seen = sparse.random(n_users, n_items, density=0.1, random_state=seed + 1, format="csr")
    scores[seen.nonzero()] = -np.inf
    return scores, truth


# --- Liang et al.'s vae_cf notebook, with numpy argpartition in place of bottleneck -------------
def _liang_ndcg(x_pred: np.ndarray, heldout: sparse.csr_matrix, k: int) -> np.ndarray:
    n = x_pred.shape[0]
    idx_topk_part = np.argpartition(-x_pred, k, axis=1)
    topk_part = x_pred[np.arange(n)[:, None], idx_topk_part[:, :k]]
    idx_part = np.argsort(-topk_part, axis=1)
    idx_topk = idx_topk_part[np.arange(n)[:, None], idx_part]
    tp = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (heldout[np.arange(n)[:, None], idx_topk].toarray() * tp).sum(axis=1)
    idcg = np.array([(tp[: min(c, k)]).sum() for c in heldout.getnnz(axis=1)])
    with np.errstate(invalid="ignore", divide="ignore"):
        return dcg / idcg


def _liang_recall(x_pred: np.ndarray, heldout: sparse.csr_matrix, k: int) -> np.ndarray:
    n = x_pred.shape[0]
    idx = np.argpartition(-x_pred, k, axis=1)
    pred = np.zeros_like(x_pred, dtype=bool)
    pred[np.arange(n)[:, None], idx[:, :k]] = True
    true = (heldout > 0).toarray()
    hits = np.logical_and(true, pred).sum(axis=1).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / np.minimum(k, true.sum(axis=1))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [5, 20, 100])
def test_full_ranking_matches_vae_cf(seed: int, k: int) -> None:
    scores, truth = _random_case(seed)
    ours = full_ranking(scores, truth, [f"nDCG@{k}", f"nRecall@{k}"])
    has = truth.getnnz(axis=1) > 0
    np.testing.assert_allclose(ours[f"nDCG@{k}"][has], _liang_ndcg(scores, truth, k)[has], atol=1e-9)
    np.testing.assert_allclose(ours[f"nRecall@{k}"][has], _liang_recall(scores, truth, k)[has], atol=1e-6)
    assert np.all(ours[f"nDCG@{k}"][~has] == 0)


@pytest.mark.parametrize("seed", range(4))
def test_full_ranking_matches_trec_eval(seed: int) -> None:
    """Full-ranking nDCG@k, R@k, P@k and HR@k equal trec_eval's ndcg_cut, recall, P and success
    (pytrec_eval) for every user with a held-out item; seen items (-inf) are not ranked."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    scores, truth = _random_case(seed, n_users=25, n_items=60)
    ours = full_ranking(scores, truth, ["nDCG@10", "R@10", "P@10", "HR@10", "nDCG@5"])
    run = {f"u{u}": {f"i{i}": float(scores[u, i]) for i in np.flatnonzero(np.isfinite(scores[u]))} for u in range(25)}
    qrels: dict[str, dict[str, int]] = {}
    for u, i in zip(*truth.nonzero(), strict=True):
        qrels.setdefault(f"u{u}", {})[f"i{i}"] = 1
    ref = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.5,10", "recall.10", "P.10", "success.10"}).evaluate(run)
    assert len(ref) == int((truth.getnnz(axis=1) > 0).sum()) > 20
    pairs = {
        "nDCG@10": "ndcg_cut_10",
        "nDCG@5": "ndcg_cut_5",
        "R@10": "recall_10",
        "P@10": "P_10",
        "HR@10": "success_10",
    }
    for user, values in ref.items():
        for mine, theirs in pairs.items():
            assert ours[mine][int(user[1:])] == pytest.approx(values[theirs], abs=1e-9), (user, mine)


# --- He et al.'s evaluate.py (per-user part), verbatim in logic --------------------------------
def _ncf_eval_one(scores: dict[int, float], items: list[int], gt_item: int, k: int) -> tuple[float, float]:
    map_item_score = {i: scores[i] for i in items}
    ranklist = heapq.nlargest(k, map_item_score, key=map_item_score.get)
    hr = 1 if gt_item in ranklist else 0
    ndcg = next((math.log(2) / math.log(i + 2) for i, item in enumerate(ranklist) if item == gt_item), 0)
    return hr, ndcg


@pytest.mark.parametrize("seed", range(5))
def test_sampled_matches_ncf_evaluate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_users, n_neg = 200, 99
    # coarse scores force ties, which NCF's heapq resolves in favour of the negatives listed first
    pos = rng.integers(0, 20, n_users).astype(float)
    neg = rng.integers(0, 20, (n_users, n_neg)).astype(float)
    ours = sampled(pos, neg, ["HR@10", "nDCG@10", "HR@5"])
    for u in range(n_users):
        items = [*range(1, n_neg + 1), 0]  # NCF appends the held-out item after its negatives
        scores = {0: pos[u], **{j + 1: neg[u, j] for j in range(n_neg)}}
        hr, ndcg = _ncf_eval_one(scores, items, 0, 10)
        hr5, _ = _ncf_eval_one(scores, items, 0, 5)
        assert ours["HR@10"][u] == hr and ours["HR@5"][u] == hr5
        assert ours["nDCG@10"][u] == pytest.approx(ndcg, abs=1e-12)


def test_wrong_measure_is_a_one_line_error() -> None:
    scores, truth = _random_case(0)
    with pytest.raises(BadInput, match="not a full-ranking"):
        full_ranking(scores, truth, ["AP"])
    with pytest.raises(BadInput, match="sampled"):
        sampled(np.zeros(2), np.zeros((2, 3)), ["R@10"])
