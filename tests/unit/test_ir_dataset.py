"""`IRDataset`: the corpus in trec_eval's tie order, and judged queries without text named."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from rankbench.harness.records import Corpus, IRDataset, Qrels, Queries


def _dataset(doc_ids: list[str], query_ids: list[str], judged: list[tuple[str, str, int]]) -> IRDataset:
    corpus = Corpus(np.array(doc_ids), tuple(f"text of {d}" for d in doc_ids), tuple(f"title {d}" for d in doc_ids))
    queries = Queries(np.array(query_ids), tuple(f"query {q}" for q in query_ids))
    q, d, r = zip(*judged, strict=True)
    return IRDataset(corpus, queries, Qrels(np.array(q), np.array(d), np.array(r)))


def test_the_corpus_is_held_in_trec_eval_tie_order_with_texts_and_titles_kept_aligned() -> None:
    rng = np.random.default_rng(0)
    ids = [f"d{i}" for i in rng.permutation(40)] + ["D1", "é", "d"]
    ds = _dataset(ids, ["q1"], [("q1", "d3", 1)])
    assert ds.corpus.ids.tolist() == sorted(ids, reverse=True)  # trec_eval: strcmp, descending
    assert ds.corpus.texts == tuple(f"text of {d}" for d in ds.corpus.ids)
    assert ds.corpus.titles == tuple(f"title {d}" for d in ds.corpus.ids)
    assert ds.corpus.in_trec_eval_order() is ds.corpus  # already so: not copied again


def test_judged_queries_without_text_are_named(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        _dataset(["d1", "d2"], ["q1"], [("q1", "d1", 1), ("q2", "d2", 0)])  # q2: no relevant document
    assert not caplog.records
    with caplog.at_level(logging.WARNING):
        _dataset(["d1", "d2"], ["q1"], [("q1", "d1", 1), ("qZZ", "d2", 2)])
    assert "1 judged queries have relevant documents but no query text (e.g. 'qZZ')" in caplog.text
