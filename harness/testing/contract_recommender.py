"""The Recommender contract on generated implicit feedback: shapes, finiteness, seeded determinism,
and better than random ranking. `rankbench.harness.testing.contract.check_adapter` calls `check(spec)`."""

from __future__ import annotations

import sys

import numpy as np
from scipy import sparse

from rankbench.harness.datahome import load_dataset
from rankbench.harness.interfaces import HistoryScorer
from rankbench.harness.measures.recsys import full_ranking
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.splits import Split, random_holdout
from rankbench.harness.testing.contract import build


def _split() -> Split:
    data: Interactions = load_dataset("recsys-synth-tiny").data
    return random_holdout(data, 0.2, 0.1, seed=0)


def _ndcg(scores: np.ndarray, seen: sparse.csr_matrix, truth: sparse.csr_matrix, users: np.ndarray) -> float:
    scores = np.array(scores, dtype=np.float64)
    scores[seen[users].nonzero()] = -np.inf
    return float(full_ranking(scores, truth[users], ["nDCG@10"])["nDCG@10"].mean())


def check(spec: AdapterSpec) -> None:
    torch = sys.modules.get("torch")
    if torch is not None:  # tiny models on a shared machine: threads only add contention
        torch.set_num_threads(1)
    split = _split()
    n_items = split.train.n_items
    model = build(spec)
    model.fit(split.train, split.valid)
    truth = split.test.to_csr()
    users = np.flatnonzero(truth.getnnz(axis=1) > 0)
    full = np.asarray(model.score(users))
    assert full.shape == (len(users), n_items), f"score(users) must be (n_users, n_items), got {full.shape}"
    assert np.all(np.isfinite(full)), "scores must be finite"

    cand = np.random.default_rng(0).integers(0, n_items, size=(len(users), 7))
    picked = np.asarray(model.score(users, cand))
    assert picked.shape == cand.shape, f"score(users, items) must be {cand.shape}, got {picked.shape}"
    np.testing.assert_allclose(picked, np.take_along_axis(full, cand, axis=1), rtol=1e-4, atol=1e-5)

    seen = split.train.to_csr() + split.valid.to_csr()
    ndcg = _ndcg(full, seen, truth, users)
    rng = np.random.default_rng(1)
    random_ndcg = np.mean([_ndcg(rng.random(full.shape), seen, truth, users) for _ in range(5)])
    assert ndcg > random_ndcg + 0.05, f"{spec.name} is no better than random (nDCG@10 {ndcg:.3f} vs {random_ndcg:.3f})"

    again = build(spec)
    again.fit(split.train, split.valid)
    np.testing.assert_allclose(np.asarray(again.score(users)), full, rtol=1e-4, atol=1e-5, err_msg="not seeded")

    if isinstance(model, HistoryScorer):
        rows = users[:5]
        hist = split.train.to_csr()[rows]
        by_history = np.asarray(model.score_histories(hist))
        assert by_history.shape == (len(rows), n_items)
        assert np.all(np.isfinite(by_history))
