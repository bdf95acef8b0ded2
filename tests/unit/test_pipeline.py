"""Pipelines: stage parsing, rerank depth, and the first-stage tail kept under the reranked rows."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.pipeline import Pipeline, keep_tail
from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run


class ShortestFirst:
    """A reranker that prefers short documents: a deterministic stand-in for any scoring model."""

    def __init__(self) -> None:
        self.depths: list[int] = []

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run:
        self.depths.append(k)
        top = candidates.cut(k)
        length = dict(zip(corpus.ids.tolist(), map(len, corpus.full_texts()), strict=True))
        scores = [-float(length[d]) for d in top.doc_ids.tolist()]
        return Run.from_arrays(top.query_ids[top.row_query_index()], top.doc_ids, scores)


def test_keep_tail_orders_unreranked_rows_below() -> None:
    first = Run.from_dict({"q": {"a": 5.0, "b": 4.0, "c": 3.0, "d": 2.0}})
    reranked = Run.from_dict({"q": {"b": 0.9, "a": 0.1}})
    merged = keep_tail(reranked, first)
    assert merged.doc_ids.tolist() == ["b", "a", "c", "d"]


def test_pipeline_reranks_only_the_top_depth() -> None:
    ds = load_dataset("ir-synth-tiny").data
    reranker = ShortestFirst()
    pipe = Pipeline(stages=("bm25@5",), reranker=reranker)
    pipe.index(ds.corpus)
    run = pipe.search(ds.queries, 20)
    bm25 = parse_adapter_ref("bm25").build()
    bm25.index(ds.corpus)
    first = bm25.search(ds.queries, 20).to_dict()
    lengths = dict(zip(ds.corpus.ids.tolist(), map(len, ds.corpus.full_texts()), strict=True))
    assert reranker.depths == [5]
    for q, docs in run.to_dict().items():
        ranked = list(docs)
        assert set(ranked[:5]) == set(list(first[q])[:5])
        assert [lengths[d] for d in ranked[:5]] == sorted(lengths[d] for d in ranked[:5])
        assert ranked[5:] == list(first[q])[5 : len(ranked)]


def test_cli_reference_builds_a_cross_encoder_pipeline() -> None:
    pytest.importorskip("onnxruntime")
    pipe = parse_adapter_ref("bm25>>cross-encoder(max_length=64)@3").build()
    ds = load_dataset("ir-synth-tiny").data
    pipe.index(ds.corpus)
    queries = ds.queries.subset(np.arange(2))
    run = pipe.search(queries, 8)
    assert np.all(run.lengths == 8)
    assert type(pipe.rerankers[0][0]).__name__ == "CrossEncoder" and pipe.rerankers[0][1] == 3


def test_bad_stages() -> None:
    with pytest.raises(BadInput):
        Pipeline(stages=())
    with pytest.raises(BadInput, match="must be a reranker"):
        Pipeline(stages=("bm25", "bm25"))
