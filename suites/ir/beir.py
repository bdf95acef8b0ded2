"""BEIR collections read from the data home: `beir-scifact` (5,183 abstracts, 300 test claims).

Files sit in BEIR's own layout under `ir/<name>/` (corpus and queries may be gzipped) and
are checked against their sha256 before use. Queries are restricted to those judged in the
split's qrels, as BEIR evaluates them.
"""

from __future__ import annotations

from typing import Any

from rankbench.harness.datahome import checked_file, files_checksum
from rankbench.harness.errors import UnknownName
from rankbench.harness.formats import read_beir_corpus, read_beir_qrels, read_beir_queries
from rankbench.harness.interfaces import IR_FAMILIES
from rankbench.harness.records import IRDataset, Loaded
from rankbench.harness.registry import DatasetSpec
from rankbench.harness.suite import Suite

SCIFACT_FILES = {
    "ir/scifact/corpus.jsonl.gz": "4e2b75022066f42476db5efe0d5841967b4152798b79d50cbf7d6a84031862f0",
    "ir/scifact/queries.jsonl.gz": "077839d778aeece15c2df01eef81223f9905a0dabd352e3979c76f4296fdccf4",
    "ir/scifact/qrels/test.tsv": "68c0ac63f1c24b9e8ce497649694f09b2d0850bab7ec2b103cc66996f5f8b3a3",
    "ir/scifact/qrels/train.tsv": "ac0902d9b1cb717df182aaff1306175877fdb8f55bb5c3e8597ad694fc8e539f",
}
SCIFACT_HINT = (
    "BEIR SciFact in BEIR layout (corpus.jsonl.gz, queries.jsonl.gz, qrels/test.tsv) from "
    "https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/scifact.zip, gzipped"
)


def load_beir(spec: DatasetSpec, root: str, split: str = "test") -> Loaded:
    """Load a BEIR-layout folder `root` of the data home, keeping only the split's judged queries."""
    qrels_rel = f"{root}/qrels/{split}.tsv"
    if qrels_rel not in spec.files:
        splits = sorted(p.rsplit("/", 1)[1].removesuffix(".tsv") for p in spec.files if "/qrels/" in p)
        raise UnknownName(f"split of {spec.name}", split, splits)
    qrels = read_beir_qrels(checked_file(spec, qrels_rel))
    corpus = read_beir_corpus(checked_file(spec, f"{root}/corpus.jsonl.gz"))
    queries = read_beir_queries(checked_file(spec, f"{root}/queries.jsonl.gz"), keep=set(qrels.query_ids.tolist()))
    info: dict[str, Any] = {"split": split, "n_docs": len(corpus), "n_queries": len(queries), "n_qrels": len(qrels)}
    return Loaded(IRDataset(corpus, queries, qrels), files_checksum(spec), info)


DATASETS = (
    DatasetSpec(
        "beir-scifact",
        "rankbench.suites.ir.beir:load_beir",
        files=SCIFACT_FILES,
        description="BEIR SciFact: 5,183 abstracts, 300 test claims (CC BY-NC 2.0)",
        source=SCIFACT_HINT,
        params={"root": "ir/scifact", "split": "test"},
    ),
)

BEIR_MEASURES = ("nDCG@10", "R@100", "RR@10", "AP")
SUITES = (
    Suite(
        "beir-scifact",
        "beir-scifact",
        "retrieval",
        BEIR_MEASURES,
        IR_FAMILIES,
        description="BEIR SciFact test split (real data from the data home)",
        tags=("beir", "real"),
    ),
)
