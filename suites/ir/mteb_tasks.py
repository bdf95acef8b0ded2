"""`mteb:<TaskName>`: an MTEB retrieval or reranking task as a retrieval suite (`mteb:SciFact`, `mteb:NFCorpus`).

mteb loads the task's data itself (from the Hugging Face hub, or its local cache with
`HF_DATASETS_OFFLINE=1`); rankbench reads the corpus, queries and relevant documents of the
task's first evaluation split and scores them with BEIR's measures. A reranking task is run as
retrieval over all of its candidate documents. Tasks of other types are refused in one line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.records import Corpus, IRDataset, Loaded, Qrels, Queries
from rankbench.harness.registry import DatasetSpec, SuiteSource
from rankbench.harness.suite import Suite
from rankbench.suites.ir.beir import qrels_digest, retrieval_suite

PREFIX = "mteb:"
TYPES = ("Retrieval", "Reranking")


def _task(name: str, split: str | None = None) -> Any:
    mteb = require("mteb", "ir", "loading MTEB tasks")
    try:
        task = mteb.get_task(name, eval_splits=[split] if split else None)
    except KeyError:
        known = [t.metadata.name for t in mteb.get_tasks(task_types=list(TYPES))]
        raise UnknownName("MTEB retrieval/reranking task", name, known) from None
    if task.metadata.type not in TYPES:
        raise BadInput(f"MTEB task {name!r} is a {task.metadata.type} task; rankbench runs {' and '.join(TYPES)} tasks")
    return task


def read_mteb_task(name: str, split: str, path: str = "") -> IRDataset:
    """The task's data as mteb loads it; `path` replaces the task's dataset with a local HF-layout folder."""
    task = _task(name, split)
    if path:
        task.metadata.dataset["path"], task.metadata.dataset["revision"] = path, "local"
    task.load_data()
    data = task.dataset["default"][split] if "default" in task.dataset else next(iter(task.dataset.values()))[split]
    corpus, queries, relevant = data["corpus"], data["queries"], data["relevant_docs"]
    qrels = Qrels.from_dict({q: {d: int(r) for d, r in docs.items()} for q, docs in relevant.items()})
    judged = set(qrels.query_ids.tolist())
    kept = [(q, t) for q, t in zip(queries["id"], queries["text"], strict=True) if q in judged]
    return IRDataset(
        Corpus(np.array(corpus["id"]), tuple(corpus["text"]), tuple(t or "" for t in corpus["title"])),
        Queries(np.array([q for q, _ in kept]), tuple(t if isinstance(t, str) else " ".join(t) for _, t in kept)),
        qrels,
    )


def load_mteb(spec: DatasetSpec, task: str, split: str, revision: str = "", path: str = "") -> Loaded:
    ds = read_mteb_task(task, split, path)
    digest = qrels_digest(f"{task} {split} {revision}", ds.qrels)
    info = {"mteb_task": task, "split": split, "n_docs": len(ds.corpus), "n_queries": len(ds.queries)}
    return Loaded(ds, digest.hexdigest(), info)


def mteb_suite(text: str) -> tuple[Suite, DatasetSpec] | None:
    """`mteb:<TaskName>` -> suite and dataset `mteb:<TaskName>` on the task's first evaluation split."""
    if not text.startswith(PREFIX):
        return None
    name = text[len(PREFIX) :].strip()
    task = _task(name)
    split = task.metadata.eval_splits[0]
    spec = DatasetSpec(
        name=text,
        loader="rankbench.suites.ir.mteb_tasks:load_mteb",
        params={"task": name, "split": split, "revision": task.metadata.dataset.get("revision", "")},
        description=f"MTEB {name} ({task.metadata.type}, {split} split; data loaded by mteb)",
        licence=str(task.metadata.license or ""),
    )
    return retrieval_suite(spec, tags=("mteb",)), spec


SUITE_SOURCES = (
    SuiteSource(
        name="mteb",
        resolver="rankbench.suites.ir.mteb_tasks:mteb_suite",
        description="an MTEB retrieval or reranking task, its data loaded by mteb",
        examples=("mteb:SciFact", "mteb:NFCorpus"),
    ),
)
