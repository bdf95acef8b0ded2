"""Retrieval task: index the corpus, search every query, score the run against the qrels.

Embedders are composed into the registered `dense` retriever and rerankers run over the
suite's first stage, so every IR family runs on every IR suite.
"""

from __future__ import annotations

import time
from typing import Any

from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import Family
from rankbench.harness.measures import parse_measures
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import IRDataset, Loaded
from rankbench.harness.registry import ADAPTERS, TaskSpec
from rankbench.harness.suite import Suite, TaskOutput


def check_collection(ds: IRDataset, suite: Suite) -> None:
    """An empty corpus or query set stops the cell with one line, before any library sees it."""
    if len(ds.corpus) == 0:
        raise BadInput(f"dataset {suite.dataset!r} of suite {suite.name!r} has no documents: check its corpus file")
    if len(ds.queries) == 0:
        raise BadInput(f"dataset {suite.dataset!r} of suite {suite.name!r} has no queries: check its queries file")


def check_depth(k: int, what: str, suite: Suite) -> int:
    """A positive cut-off (documents per query), or one line naming the settings key to change."""
    if k <= 0:
        raise BadInput(f"suite {suite.name!r}: {what} must be a positive number of documents per query, got {k}")
    return k


def as_retriever(adapter: Any, family: Family | None, suite: Suite) -> Any:
    """A Retriever for any IR family: embedders get a dense index, rerankers a first stage."""
    if family == "retriever":
        return adapter
    if family == "embedder":
        return ADAPTERS.get("dense").build(embedder=adapter, backend=suite.settings.get("dense_backend", "exact"))
    if family == "reranker":
        first = suite.settings.get("first_stage", "bm25")
        depth = check_depth(int(suite.settings.get("rerank_depth", 100)), "rerank_depth", suite)
        return ADAPTERS.get("pipeline").build(stages=(f"{first}@{depth}",), reranker=adapter)
    raise BadInput(f"suite {suite.name!r} takes embedders, retrievers or rerankers, not a {family}")


def run_retrieval(suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput:
    ds = data.data
    if not isinstance(ds, IRDataset):
        raise BadInput(f"suite {suite.name!r} needs an IR dataset, got {type(ds).__name__}")
    measures = parse_measures(suite.measures)
    depth = check_depth(
        int(suite.settings.get("depth", max([m.cutoff or 0 for m in measures] + [100]))), "depth", suite
    )
    check_collection(ds, suite)
    retriever = as_retriever(adapter, family, suite)
    t0 = time.perf_counter()
    retriever.index(ds.corpus)
    t1 = time.perf_counter()
    run = retriever.search(ds.queries, depth)
    t2 = time.perf_counter()
    per_query = evaluate(run, ds.qrels, measures, missing_as_zero=True)
    return TaskOutput(
        per_unit=per_query,
        timings={"index_s": t1 - t0, "search_s": t2 - t1, "search_ms_per_query": 1000 * (t2 - t1) / len(ds.queries)},
        info={"n_docs": len(ds.corpus), "n_queries": len(ds.queries), "depth": depth},
    )


TASKS = (
    TaskSpec(
        name="retrieval",
        function="rankbench.harness.tasks.retrieval:run_retrieval",
        description="index, search, evaluate against qrels (trec_eval semantics, missing queries count 0)",
        settings=("depth", "dense_backend", "first_stage", "rerank_depth"),
    ),
)
