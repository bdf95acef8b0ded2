"""ANNCUR: the CUR approximation, and the adapter against exhaustive cross-encoder scoring."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.anncur import ANNCUR, cur_scores
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, MissingDependency
from rankbench.harness.records import Run

RERANKER = "maxsim(model='static-minilm')"


def test_cur_recovers_a_low_rank_score_matrix_exactly() -> None:
    rng = np.random.default_rng(0)
    rank, n_items = 6, 200
    queries, items = rng.standard_normal((60, rank)), rng.standard_normal((n_items, rank))
    full = queries @ items.T
    anchor_q, test_q = full[:20], full[20:]
    anchor_items = rng.choice(n_items, size=15, replace=False)
    approx = cur_scores(anchor_q, anchor_items, test_q[:, anchor_items])
    np.testing.assert_allclose(approx, test_q, atol=1e-8)


def test_cur_error_shrinks_with_more_anchor_items_on_noisy_scores() -> None:
    rng = np.random.default_rng(1)
    base = rng.standard_normal((80, 8)) @ rng.standard_normal((8, 300))
    full = base + 0.3 * rng.standard_normal(base.shape)
    errors = []
    for n_items in (8, 40):
        anchors = rng.choice(300, size=n_items, replace=False)
        approx = cur_scores(full[:50], anchors, full[50:, anchors])
        errors.append(np.mean((approx - full[50:]) ** 2))
    assert errors[1] < errors[0]


def test_full_budget_equals_exhaustive_reranker_scoring() -> None:
    """With a budget of every document ANNCUR scores them all; a batch-independent reranker (MaxSim
    over static token vectors) makes that checkable bit for bit. (The int8 ONNX cross-encoder
    quantises activations per batch, so its scores move with batch composition.)"""
    ds = load_dataset("ir-synth-tiny").data
    queries = ds.queries.subset(np.arange(2))
    try:
        anncur = ANNCUR(RERANKER, n_anchor_items=10, n_anchor_queries=5, budget=len(ds.corpus))
    except MissingDependency as exc:
        pytest.skip(str(exc))
    anncur.index(ds.corpus)
    run = anncur.search(queries, 10)
    every = Run.from_arrays(np.repeat(queries.ids, len(ds.corpus)), np.tile(ds.corpus.ids, 2), np.zeros(2 * 120))
    exhaustive = anncur.reranker.rerank(queries, every, ds.corpus, len(ds.corpus)).cut(10)
    np.testing.assert_array_equal(run.doc_ids, exhaustive.doc_ids)
    np.testing.assert_allclose(run.scores, exhaustive.scores, rtol=1e-5)
    assert anncur.reranker_calls == 2 * len(ds.corpus)


def test_small_budget_finds_most_of_the_exhaustive_top_10() -> None:
    ds = load_dataset("ir-synth-tiny").data
    try:
        anncur = ANNCUR(RERANKER, n_anchor_items=20, n_anchor_queries=30, budget=40)
    except MissingDependency as exc:
        pytest.skip(str(exc))
    anncur.index(ds.corpus)
    run = anncur.search(ds.queries, 10)
    n = len(ds.corpus)
    every = Run.from_arrays(np.repeat(ds.queries.ids, n), np.tile(ds.corpus.ids, len(ds.queries)), np.zeros(n * 16))
    exhaustive = anncur.reranker.rerank(ds.queries, every, ds.corpus, n).cut(10).to_dict()
    got = run.to_dict()
    recall = np.mean([len(set(got[q]) & set(exhaustive[q])) / 10 for q in exhaustive])
    assert anncur.reranker_calls == 40 * len(ds.queries)
    assert recall > 40 / n + 0.2  # better than scoring 40 random documents per query


def test_budget_must_cover_the_anchor_items() -> None:
    with pytest.raises(BadInput, match="budget"):
        ANNCUR(n_anchor_items=50, budget=20)
