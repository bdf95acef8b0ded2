"""Score interpolation and BM25 query expansion."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.fusion import interpolate
from rankbench.adapters.ir.prf import BM25PRF
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import Run
from rankbench.harness.registry import ADAPTERS


def random_run(seed: int, n_q: int = 5, n_docs: int = 40, depth: int = 15) -> Run:
    rng = np.random.default_rng(seed)
    q = np.repeat([f"q{i}" for i in range(n_q)], depth)
    d = np.concatenate([rng.choice(n_docs, size=depth, replace=False) for _ in range(n_q)]).astype(str)
    return Run.from_arrays(q, np.char.add("d", d), rng.normal(5.0, 2.0, size=len(q)))


@pytest.mark.parametrize("norm", ["minmax", "zscore", "none"])
def test_alpha_one_and_zero_return_each_input_ranking(norm: str) -> None:
    dense, sparse = random_run(0), random_run(1)
    for alpha, source in ((1.0, dense), (0.0, sparse)):
        fused = interpolate(dense, sparse, alpha, norm)
        np.testing.assert_array_equal(fused.query_ids, source.query_ids)
        np.testing.assert_array_equal(fused.offsets, source.offsets)
        np.testing.assert_array_equal(fused.doc_ids, source.doc_ids)


def test_interpolated_score_is_the_weighted_sum_of_min_max_scores() -> None:
    dense, sparse = random_run(2), random_run(3)
    fused = interpolate(dense, sparse, 0.3, "minmax").to_dict()
    d, s = dense.to_dict(), sparse.to_dict()
    for q in d:
        lo_d, hi_d = min(d[q].values()), max(d[q].values())
        lo_s, hi_s = min(s[q].values()), max(s[q].values())
        for doc, score in fused[q].items():
            nd = (d[q][doc] - lo_d) / (hi_d - lo_d) if doc in d[q] else 0.0
            ns = (s[q][doc] - lo_s) / (hi_s - lo_s) if doc in s[q] else 0.0
            assert score == pytest.approx(0.3 * nd + 0.7 * ns)
        assert set(fused[q]) == set(d[q]) | set(s[q])


def test_interpolation_rejects_bad_settings() -> None:
    run = random_run(4)
    with pytest.raises(BadInput):
        interpolate(run, run, 1.5)
    with pytest.raises(UnknownName):
        interpolate(run, run, 0.5, "rank")


@pytest.mark.parametrize("method", ["rm3", "rocchio"])
def test_prf_with_full_original_weight_equals_bm25_ranking(method: str) -> None:
    """original_weight=1 keeps only the original query, whose weighted scores are bm25s's own."""
    ds = load_dataset("ir-synth").data
    prf = BM25PRF(method=method, original_weight=1.0)
    prf.index(ds.corpus)
    plain = ADAPTERS.get("bm25").build()
    plain.index(ds.corpus)
    ours, ref = prf.search(ds.queries, 10).to_dict(), plain.search(ds.queries, 10).to_dict()
    for q in ref:
        ranked = sorted(ref[q], key=lambda d: (-ref[q][d], d))
        mine = sorted(ours[q], key=lambda d: (-ours[q][d], d))
        assert mine[:5] == ranked[:5]


@pytest.mark.parametrize("method", ["rm3", "rocchio"])
def test_expansion_changes_the_ranking_and_keeps_quality(method: str) -> None:
    ds = load_dataset("ir-synth").data
    prf = BM25PRF(method=method, fb_docs=5, fb_terms=10, original_weight=0.5)
    prf.index(ds.corpus)
    plain = ADAPTERS.get("bm25").build()
    plain.index(ds.corpus)
    run_prf, run_bm25 = prf.search(ds.queries, 100), plain.search(ds.queries, 100)
    assert not np.array_equal(run_prf.doc_ids, run_bm25.doc_ids)
    r_prf = evaluate(run_prf, ds.qrels, ["R@100"], missing_as_zero=True)["R@100"].mean()
    r_bm25 = evaluate(run_bm25, ds.qrels, ["R@100"], missing_as_zero=True)["R@100"].mean()
    assert r_prf >= r_bm25 - 0.05  # same-topic expansion terms must not wreck recall on this collection
