"""`irds:<id>`: any ir_datasets collection with qrels as a retrieval suite (`irds:msmarco-passage/trec-dl-2019/judged`).

ir_datasets loads and downloads the collection itself, into its own home (`IR_DATASETS_HOME`,
default `~/.ir_datasets`), with its own checksums; rankbench reads what it yields. Queries without
judgements are left out, as BEIR does; the measures are BEIR's.
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

PREFIX = "irds:"


def _query_text(query: Any) -> str:
    for field in ("text", "title", "query"):
        value = getattr(query, field, None)
        if isinstance(value, str) and value.strip():
            return value
    return str(query[1])


def ir_dataset(dataset_id: str) -> Any:
    """The ir_datasets dataset of an id (its registry only: nothing is read or fetched).

    Raises `UnknownName` (with did-you-mean) for an id ir_datasets does not know, and `BadInput` for one
    without documents, queries or qrels.
    """
    ir_datasets = require("ir_datasets", "ir", "loading ir_datasets ids")
    try:
        ds = ir_datasets.load(dataset_id)
    except KeyError:
        raise UnknownName("ir_datasets id", dataset_id, list(ir_datasets.registry)) from None
    if not (ds.has_docs() and ds.has_queries() and ds.has_qrels()):
        raise BadInput(f"ir_datasets id {dataset_id!r} lacks documents, queries or qrels; pick a judged subset")
    return ds


def read_ir_datasets(dataset_id: str) -> IRDataset:
    """An `ir_datasets` id read through ir_datasets (which fetches into its own home), judged queries only."""
    ds = ir_dataset(dataset_id)
    rows = [(q.query_id, q.doc_id, int(q.relevance)) for q in ds.qrels_iter()]
    qrels = Qrels.from_dict({})
    if rows:
        q, d, r = zip(*rows, strict=True)
        qrels = Qrels(np.array(q), np.array(d), np.array(r))
    judged = set(qrels.query_ids.tolist())
    queries = [(q.query_id, _query_text(q)) for q in ds.queries_iter() if q.query_id in judged]
    docs = list(ds.docs_iter())
    return IRDataset(
        Corpus(
            np.array([d.doc_id for d in docs]),
            tuple(getattr(d, "text", "") or "" for d in docs),
            tuple(getattr(d, "title", "") or "" for d in docs),
        ),
        Queries(np.array([q for q, _ in queries]), tuple(t for _, t in queries)),
        qrels,
    )


def load_irds(spec: DatasetSpec, dataset_id: str) -> Loaded:
    ds = read_ir_datasets(dataset_id)
    digest = qrels_digest(dataset_id, ds.qrels)
    digest.update(f"{len(ds.corpus)} {len(ds.queries)}".encode())
    info = {"ir_datasets": dataset_id, "n_docs": len(ds.corpus), "n_queries": len(ds.queries), "n_qrels": len(ds.qrels)}
    return Loaded(ds, digest.hexdigest(), info)


def irds_suite(text: str) -> tuple[Suite, DatasetSpec] | None:
    """`irds:<id>` -> suite and dataset `irds:<id>`; the id is checked in ir_datasets' registry here, before
    any cell runs (its data are read, and fetched, when a cell loads them)."""
    if not text.startswith(PREFIX):
        return None
    dataset_id = text[len(PREFIX) :].strip()
    if not dataset_id:
        raise BadInput("`irds:` needs an ir_datasets id, e.g. irds:beir/scifact/test")
    ir_dataset(dataset_id)
    spec = DatasetSpec(
        name=text,
        loader="rankbench.suites.ir.irds:load_irds",
        params={"dataset_id": dataset_id},
        description=f"ir_datasets {dataset_id} (fetched by ir_datasets into IR_DATASETS_HOME)",
    )
    return retrieval_suite(spec, tags=("irds",)), spec


SUITE_SOURCES = (
    SuiteSource(
        name="irds",
        resolver="rankbench.suites.ir.irds:irds_suite",
        description="an ir_datasets collection with qrels, loaded and fetched by ir_datasets",
        examples=("irds:msmarco-passage/trec-dl-2019/judged", "irds:beir/scifact/test"),
    ),
)
