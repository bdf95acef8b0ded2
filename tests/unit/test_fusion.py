"""Rank fusion through ranx: `fuse` and the `fusion` retriever equal `ranx.fuse`; `hybrid` equals ranx's wsum."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ranx")

import ranx

from rankbench.adapters.ir.fusion import Fusion, Hybrid, fuse, interpolate
from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Run


def random_run(seed: int, n_queries: int = 12, n_docs: int = 60, depth: int = 25) -> Run:
    rng = np.random.default_rng(seed)
    q, d, s = [], [], []
    for i in range(n_queries):
        docs = rng.choice(n_docs, depth, replace=False)
        q += [f"q{i}"] * depth
        d += [f"d{j}" for j in docs]
        s += rng.normal(size=depth).tolist()
    return Run.from_arrays(np.array(q), np.array(d), np.array(s))


def assert_same(ours: Run, theirs: dict[str, dict[str, float]]) -> None:
    got = ours.to_dict()
    assert set(got) == set(theirs)
    for q, docs in theirs.items():
        assert set(got[q]) == set(docs), q
        np.testing.assert_allclose([got[q][d] for d in docs], list(docs.values()), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("method", "norm", "params"),
    [
        ("rrf", "min-max", {}),
        ("rrf", "min-max", {"k": 10}),
        ("wsum", "min-max", {"weights": [0.3, 0.7]}),
        ("sum", "zmuv", {}),
        ("mnz", "max", {}),
        ("isr", "min-max", {}),
        ("bordafuse", "min-max", {}),
    ],
)
def test_fuse_equals_ranx_fuse(method: str, norm: str, params: dict) -> None:
    a, b = random_run(0), random_run(1)
    theirs = ranx.fuse([ranx.Run(a.to_dict()), ranx.Run(b.to_dict())], norm=norm, method=method, params=params)
    assert_same(fuse([a, b], method, norm, params), theirs.to_dict())


@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.9])
def test_min_max_interpolation_is_ranx_weighted_sum(alpha: float) -> None:
    dense, sparse = random_run(2), random_run(3)
    theirs = ranx.fuse(
        [ranx.Run(dense.to_dict()), ranx.Run(sparse.to_dict())], "min-max", "wsum", {"weights": [alpha, 1 - alpha]}
    )
    assert_same(interpolate(dense, sparse, alpha, "minmax"), theirs.to_dict())


def test_z_score_interpolation_is_kept_because_ranx_fills_missing_documents_with_zero() -> None:
    dense, sparse = random_run(4), random_run(5)
    ours = interpolate(dense, sparse, 0.5, "zscore").to_dict()
    theirs = ranx.fuse([ranx.Run(dense.to_dict()), ranx.Run(sparse.to_dict())], "zmuv", "wsum", {"weights": [0.5, 0.5]})
    diff = max(abs(ours[q][d] - s) for q, docs in theirs.to_dict().items() for d, s in docs.items())
    assert diff > 0.1  # a document one run missed: our floor vs ranx's 0 (the mean, after zmuv)


def test_a_query_only_one_run_answered_keeps_that_runs_order() -> None:
    a = random_run(6, n_queries=3)
    b = Run.from_arrays(np.array(["q0", "q1"]), np.array(["d1", "d2"]), np.array([1.0, 2.0]), empty_queries=["q2"])
    fused = fuse([a, b], "rrf", "min-max").to_dict()
    assert list(fused["q2"]) == list(a.to_dict()["q2"])
    assert set(fused) == {"q0", "q1", "q2"}


def test_bad_methods_stages_and_weights_are_one_line() -> None:
    with pytest.raises(BadInput, match="ranx has no fusion method 'rff'"):
        fuse([random_run(0), random_run(1)], "rff")
    with pytest.raises(BadInput, match="at least two"):
        Fusion(stages=["bm25"])
    with pytest.raises(BadInput, match="one weight per stage"):
        Fusion(stages=["bm25", "bm25"], method="wsum", weights=[1.0])


def test_fusion_retriever_equals_ranx_fuse_on_its_stages_runs_and_hybrid_equals_wsum() -> None:
    ds = load_dataset("ir-synth-tiny").data
    n = len(ds.corpus)  # every stage returns every document, so the fused top n is the whole fused run
    fusion = parse_adapter_ref(f"fusion(method='rrf',stages=['bm25','minilm'],depth={n})").build()
    fusion.index(ds.corpus)
    runs = [r.search(ds.queries, n) for r in fusion.retrievers]
    theirs = ranx.fuse([ranx.Run(r.to_dict()) for r in runs], norm="min-max", method="rrf")
    assert_same(fusion.search(ds.queries, n), theirs.to_dict())

    hybrid = Hybrid(dense="minilm", sparse="bm25", alpha=0.4, depth=n)
    hybrid.dense, hybrid.sparse = fusion.retrievers[1], fusion.retrievers[0]  # already indexed
    assert_same(hybrid.search(ds.queries, n), interpolate(runs[1], runs[0], 0.4).to_dict())


def test_optimized_fusion_uses_ranx_optimize_fusion_weights_from_the_dev_runs_and_fuses_test_with_them() -> None:
    """The weights `fusion(optimize=True)` keeps are `ranx.optimize_fusion`'s on the same dev runs (computed here),
    and its test run is `ranx.fuse` of the stages' test runs with those weights; the task stores them."""
    from rankbench.harness.suite import resolve_suite
    from rankbench.harness.tasks.retrieval import run_retrieval

    loaded = load_dataset("ir-synth-tiny")
    ds = loaded.data
    assert ds.dev is not None and not set(ds.dev.queries.ids) & set(ds.queries.ids)
    n = len(ds.corpus)  # every stage returns every document, so the fused top n is the whole fused run
    ref = f"fusion(method='wsum',stages=['bm25','minilm'],depth={n},optimize=True,metric='ndcg@10')"
    fusion = parse_adapter_ref(ref).build()
    fusion.index(ds.corpus)
    tuned = fusion.tune(ds.dev.queries, ds.dev.qrels)

    dev_runs = [ranx.Run(r.search(ds.dev.queries, n).to_dict()) for r in fusion.retrievers]
    expected = ranx.optimize_fusion(
        ranx.Qrels(ds.dev.qrels.to_dict()),
        dev_runs,
        norm="min-max",
        method="wsum",
        metric="ndcg@10",
        show_progress=False,
    )
    assert tuned["params"]["weights"] == pytest.approx(list(expected["weights"]), abs=1e-12)
    assert len(expected["weights"]) == 2 and sum(expected["weights"]) == pytest.approx(1.0)

    test_runs = [ranx.Run(r.search(ds.queries, n).to_dict()) for r in fusion.retrievers]
    theirs = ranx.fuse(test_runs, norm="min-max", method="wsum", params={"weights": expected["weights"]})
    assert_same(fusion.search(ds.queries, n), theirs.to_dict())

    fresh = parse_adapter_ref(ref).build()  # the task: index, tune on dev, search test; the weights go to info
    out = run_retrieval(resolve_suite("ir-synth-tiny"), fresh, "retriever", 0, loaded)
    assert out.info["tuned"]["params"]["weights"] == pytest.approx(list(expected["weights"]), abs=1e-12)
    assert out.info["n_dev_queries"] == len(ds.dev.queries) and out.timings["tune_s"] > 0


def test_optimized_fusion_without_a_dev_split_or_with_a_fixed_method_is_one_line() -> None:
    from rankbench.harness.suite import resolve_suite
    from rankbench.harness.tasks.retrieval import run_retrieval

    loaded = load_dataset("ir-synth")
    assert loaded.data.dev is None
    fusion = Fusion(stages=["bm25", "bm25(k1=0.5)"], method="wsum", optimize=True)
    with pytest.raises(
        BadInput, match=r"dataset 'ir-synth' of suite 'ir-synth' has none: .* drop optimize=True"
    ) as info:
        run_retrieval(resolve_suite("ir-synth"), fusion, "retriever", 0, loaded)
    assert "\n" not in str(info.value)
    with pytest.raises(BadInput, match="searches after tune"):
        fusion.search(loaded.data.queries, 10)
    with pytest.raises(BadInput, match=r"cannot optimise 'sum': use one of .*wsum"):
        Fusion(stages=["bm25", "bm25"], method="sum", optimize=True)
    with pytest.raises(BadInput, match="drop weights="):
        Fusion(stages=["bm25", "bm25"], method="wsum", weights=[0.5, 0.5], optimize=True)
