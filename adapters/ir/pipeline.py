"""Retrieve-then-rerank pipelines as one Retriever: `bm25>>cross-encoder@100`.

Stage strings use the adapter-reference grammar. The first stage is a retriever (or an
embedder, which becomes `dense`) and retrieves `max(k, deepest @depth)` documents; every later
stage is a reranker that reorders the top `@depth` of the current run (its own depth, else
the previous stage's). Documents below the rerank depth keep their first-stage order under
the reranked ones, so Recall@k of a shallow rerank equals the first stage's, as in the
usual retrieve-and-rerank setup.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rankbench.harness import registry
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec


def _build_stage(text: str) -> tuple[Any, str, int | None]:
    from rankbench.harness.adapter_ref import parse_stage

    stage = parse_stage(text)
    spec = registry.ADAPTERS.get(stage.name)
    if spec.name == "pipeline":
        raise BadInput(f"pipeline stage {text!r} cannot itself be a pipeline")
    return spec.build(**dict(stage.params)), spec.family, stage.depth


def keep_tail(reranked: Run, first: Run) -> Run:
    """`reranked` followed, per query, by the rows of `first` it does not contain, in first-stage order."""
    frame = first.to_frame()
    top = reranked.to_frame()
    seen = set(zip(top.query_id.tolist(), top.doc_id.tolist(), strict=True))
    tail = frame[[pair not in seen for pair in zip(frame.query_id.tolist(), frame.doc_id.tolist(), strict=True)]]
    if tail.empty:
        return reranked
    floor = top.groupby("query_id").score.min().reindex(tail.query_id).fillna(0.0).to_numpy()
    position = tail.groupby("query_id").cumcount().to_numpy()
    tail_scores = floor - 1.0 - position  # strictly below the reranked rows, first-stage order kept
    return Run.from_arrays(
        np.concatenate([top.query_id.to_numpy(str), tail.query_id.to_numpy(str)]),
        np.concatenate([top.doc_id.to_numpy(str), tail.doc_id.to_numpy(str)]),
        np.concatenate([top.score.to_numpy(), tail_scores]),
        name=reranked.name,
        empty_queries=first.query_ids,
    )


class Pipeline:
    """A first-stage retriever followed by rerankers; `reranker` appends one built reranker."""

    def __init__(self, stages: tuple[str, ...] = (), reranker: Any = None) -> None:
        if not stages:
            raise BadInput("a pipeline needs at least a first stage, e.g. stages=('bm25@100', 'cross-encoder')")
        first, family, depth = _build_stage(stages[0])
        if family == "embedder":
            first = registry.ADAPTERS.get("dense").build(embedder=first)
        elif family != "retriever":
            raise BadInput(f"the first pipeline stage must be a retriever or embedder, {stages[0]!r} is a {family}")
        self.first, self.first_depth = first, depth
        self.rerankers: list[tuple[Any, int | None]] = []
        for text in stages[1:]:
            model, family, d = _build_stage(text)
            if family != "reranker":
                raise BadInput(f"pipeline stage {text!r} must be a reranker, it is a {family}")
            self.rerankers.append((model, d))
        if reranker is not None:
            if not callable(getattr(reranker, "rerank", None)):
                raise BadInput(f"reranker must have rerank(queries, candidates, corpus, k), got {type(reranker)}")
            self.rerankers.append((reranker, None))
        self._corpus: Corpus | None = None

    def index(self, corpus: Corpus) -> None:
        self.first.index(corpus)
        self._corpus = corpus

    def search(self, queries: Queries, k: int) -> Run:
        if self._corpus is None:
            raise BadInput("call index() before search()")
        depths = [d for d in [self.first_depth, *(d for _, d in self.rerankers)] if d is not None]
        run = self.first.search(queries, max([k, *depths]))
        depth = self.first_depth or k
        for model, own in self.rerankers:
            depth = own or depth
            run = keep_tail(model.rerank(queries, run, self._corpus, depth), run)
        return run.cut(k) if len(run.doc_ids) else run


ADAPTERS = (
    AdapterSpec(
        name="pipeline",
        family="retriever",
        factory="rankbench.adapters.ir.pipeline:Pipeline",
        description="retrieve then rerank: `bm25>>cross-encoder@100` (first stage @depth, rerankers reorder the top)",
    ),
)
