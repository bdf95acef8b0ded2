"""Retrieval task: index the corpus, search every query, score the run against the qrels.

Embedders are composed into the registered `dense` retriever and rerankers run over the
suite's first stage, so every IR family runs on every IR suite.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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
    if getattr(retriever, "needs_dev", False) and ds.dev is None:  # before any indexing
        raise BadInput(
            f"the adapter fits its parameters on a dev split, and dataset {suite.dataset!r} of suite {suite.name!r} "
            "has none: pick a suite with one (e.g. ir-synth-tiny, beir/nfcorpus, beir/fiqa) or drop optimize=True"
        )
    t0 = time.perf_counter()
    retriever.index(ds.corpus)
    t1 = time.perf_counter()
    tuned = tune_on_dev(retriever, ds)
    t_tuned = time.perf_counter()
    run = retriever.search(ds.queries, depth)
    t2 = time.perf_counter()
    per_query = evaluate(run, ds.qrels, measures, missing_as_zero=True)
    timings = {
        "index_s": t1 - t0,
        "search_s": t2 - t_tuned,
        "search_ms_per_query": 1000 * (t2 - t_tuned) / len(ds.queries),
    }
    info: dict[str, Any] = {"n_docs": len(ds.corpus), "n_queries": len(ds.queries), "depth": depth}
    if tuned is not None:
        timings["tune_s"] = t_tuned - t1
        info["tuned"] = dict(tuned)
        info["n_dev_queries"] = len(ds.dev.queries) if ds.dev is not None else 0
    return TaskOutput(per_unit=per_query, timings=timings, info=info)


def tune_on_dev(retriever: Any, ds: IRDataset) -> Mapping[str, Any] | None:
    """`retriever.tune(dev queries, dev qrels)` when it asks for the dev split (`DevTuned.needs_dev`); else None."""
    if not getattr(retriever, "needs_dev", False) or ds.dev is None:
        return None
    return retriever.tune(ds.dev.queries, ds.dev.qrels)


TASKS = (
    TaskSpec(
        name="retrieval",
        function="rankbench.harness.tasks.retrieval:run_retrieval",
        description="index, search, evaluate against qrels (trec_eval semantics, missing queries count 0)",
        settings=("depth", "dense_backend", "first_stage", "rerank_depth"),
        types={"depth": int, "rerank_depth": int, "dense_backend": str, "first_stage": str},
    ),
)
