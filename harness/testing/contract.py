"""The family contract kit: what every adapter of a family must do on tiny shipped data.

Third-party adapters can reuse it: `check_adapter(spec)` runs the contract of its family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rankbench.harness.datahome import load_dataset
from rankbench.harness.interfaces import PROTOCOLS
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import IRDataset, Run
from rankbench.harness.registry import ADAPTERS, AdapterSpec, resolve


def build(spec: AdapterSpec) -> Any:
    adapter = spec.build(**spec.smoke_params)
    assert isinstance(adapter, PROTOCOLS[spec.family]), f"{spec.name} does not implement {spec.family}"
    return adapter


def _tiny_ir() -> IRDataset:
    return load_dataset("ir-synth-tiny").data


def check_run(run: Run, ds: IRDataset, k: int) -> None:
    assert set(run.query_ids) <= set(ds.queries.ids)
    assert np.all(run.lengths <= k)
    assert np.all(np.isfinite(run.scores))
    assert set(run.doc_ids) <= set(ds.corpus.ids)
    for i in range(len(run)):
        lo, hi = run.offsets[i], run.offsets[i + 1]
        assert np.all(np.diff(run.scores[lo:hi]) <= 0), "rows must be sorted by score"
        assert len(set(run.doc_ids[lo:hi])) == hi - lo, "no duplicate documents per query"


def _random_ndcg(ds: IRDataset, k: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    q = np.repeat(ds.queries.ids, k)
    d = np.concatenate([rng.choice(ds.corpus.ids, size=k, replace=False) for _ in ds.queries.ids])
    run = Run.from_arrays(q, d, rng.random(len(d)))
    return float(evaluate(run, ds.qrels, ["nDCG@10"], missing_as_zero=True)["nDCG@10"].mean())


def check_retriever(spec: AdapterSpec) -> None:
    ds = _tiny_ir()
    retriever = build(spec)
    retriever.index(ds.corpus)
    run = retriever.search(ds.queries, 20)
    check_run(run, ds, 20)
    ndcg = evaluate(run, ds.qrels, ["nDCG@10"], missing_as_zero=True)["nDCG@10"].mean()
    assert ndcg > _random_ndcg(ds, 20) + 0.1, f"{spec.name} is no better than random (nDCG@10 {ndcg:.3f})"


def check_embedder(spec: AdapterSpec) -> None:
    ds = _tiny_ir()
    embedder = build(spec)
    docs = embedder.encode(list(ds.corpus.full_texts()[:8]), role="document")
    queries = embedder.encode(list(ds.queries.texts[:4]), role="query")
    assert docs.ndim == 2 and docs.shape[0] == 8 and queries.shape == (4, docs.shape[1])
    assert np.all(np.isfinite(docs)) and np.all(np.isfinite(queries))
    again = embedder.encode(list(ds.corpus.full_texts()[:8]), role="document")
    np.testing.assert_allclose(docs, again, rtol=1e-4, atol=1e-5)
    # the output depends on the input: distinct texts get distinct vectors (a constant model fails here)
    distinct = {tuple(np.round(row, 5)) for row in docs}
    assert len(distinct) == len(set(ds.corpus.full_texts()[:8])), f"{spec.name} maps distinct texts to one vector"
    reordered = embedder.encode(list(ds.corpus.full_texts()[:8])[::-1], role="document")
    np.testing.assert_allclose(
        reordered[::-1], docs, rtol=1e-4, atol=1e-5, err_msg="a text's vector depends on its batch"
    )
    retriever = ADAPTERS.get("dense").build(embedder=embedder)
    retriever.index(ds.corpus)
    check_run(retriever.search(ds.queries, 20), ds, 20)


def check_reranker(spec: AdapterSpec) -> None:
    ds = _tiny_ir()
    reranker = build(spec)
    first = ADAPTERS.get("bm25").build()
    first.index(ds.corpus)
    candidates = first.search(ds.queries, 20)
    run = reranker.rerank(ds.queries, candidates, ds.corpus, 10)
    check_run(run, ds, 10)
    cand = candidates.to_dict()
    ranked = run.to_dict()
    for q, docs in ranked.items():
        assert set(docs) <= set(cand[q]), "a reranker only reorders its candidates"
    # its order comes from its own scores: they differ between candidates (a constant model fails),
    # and all 20 candidates handed over in reversed first-stage order get the same scores and order
    assert any(len(set(np.round(list(docs.values()), 6))) > 1 for docs in ranked.values()), (
        f"{spec.name} gives every candidate the same score"
    )
    whole = reranker.rerank(ds.queries, candidates, ds.corpus, 20)
    flipped = Run.from_dict({q: {d: -s for d, s in docs.items()} for q, docs in cand.items()})
    again = reranker.rerank(ds.queries, flipped, ds.corpus, 20)
    assert again.doc_ids.tolist() == whole.doc_ids.tolist(), f"{spec.name}'s order follows the first stage's"
    np.testing.assert_allclose(again.scores, whole.scores, rtol=1e-4, atol=1e-5)


CHECKS: dict[str, Callable[[AdapterSpec], None]] = {
    "retriever": check_retriever,
    "embedder": check_embedder,
    "reranker": check_reranker,
}


def check_adapter(spec: AdapterSpec) -> None:
    """Run the contract of the adapter's family (recsys/CTR kits are looked up the same way)."""
    check = CHECKS.get(spec.family) or resolve(f"rankbench.harness.testing.contract_{spec.family}:check")
    check(spec)
