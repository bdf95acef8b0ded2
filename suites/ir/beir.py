"""BEIR collections: every collection of the benchmark by name, and BEIR-layout folders anywhere.

- `beir/<name>[/<split>]` (e.g. `beir/nfcorpus`, `beir/msmarco/dev`, `beir/cqadupstack/android`): BEIR's
  own zips from BEIR's URLs, checked against BEIR's published md5 and unpacked to `beir/<name>/` in the
  data home on first use (`rankbench data fetch beir/<name>` fetches ahead). The suite is stored under
  its canonical name `beir/<name>/<split>`; measures are BEIR's (nDCG@10, R@100, plus RR@10 and AP).
  BioASQ, Signal-1M, TREC-NEWS and Robust04 are not redistributable: they are read from `beir/<name>/`
  once a user has built them with BEIR's scripts.
- `beir-scifact`: the rebuilt SciFact copy at `ir/scifact/` (checked against its sha256s); `beir/scifact`
  (test split) is this suite whenever that copy is in the data home.
- `load_beir_folder(path, split)`: any BEIR-layout folder (`corpus.jsonl`, `queries.jsonl`,
  `qrels/<split>.tsv`, each possibly gzipped), as `rankbench run ./folder` reads it.

Queries are restricted to those judged in the split's qrels, as BEIR evaluates them.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.datahome import checked_file, data_home, file_digest, files_checksum, find_file
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, DatasetMissing, UnknownName
from rankbench.harness.formats import read_beir_corpus, read_beir_qrels, read_beir_queries
from rankbench.harness.ids import id_words, words_hash
from rankbench.harness.interfaces import IR_FAMILIES
from rankbench.harness.records import Corpus, DevSplit, IRDataset, Loaded, Qrels, Queries
from rankbench.harness.registry import DatasetSpec, SuiteSource
from rankbench.harness.suite import Suite
from rankbench.suites.catalog import dataset_spec, entry, manifest

log = logging.getLogger(__name__)

BEIR_MEASURES = ("nDCG@10", "R@100", "RR@10", "AP")


def retrieval_suite(spec: DatasetSpec, *, tags: tuple[str, ...]) -> Suite:
    """The suite a referenced IR collection (`irds:`, `mteb:`, a local folder) runs as: BEIR's measures, IR families."""
    return Suite(
        name=spec.name,
        dataset=spec.name,
        task="retrieval",
        measures=BEIR_MEASURES,
        families=IR_FAMILIES,
        description=spec.description,
        tags=tags,
    )


PREFIX = "beir/"


def _split_files(folder: Path) -> list[str]:
    return (
        sorted(p.name.split(".")[0] for p in (folder / "qrels").glob("*.tsv*")) if (folder / "qrels").is_dir() else []
    )


def read_beir_folder(folder: Path, split: str, *, require_split: bool = True) -> IRDataset:
    """A BEIR-layout folder (files plain or gzipped), judged queries of `split` only; `dev` from `qrels/dev.tsv`
    when the folder has one and `split` is not `dev`."""
    qrels_path = find_file(f"qrels/{split}.tsv", folder)
    if qrels_path is None:
        raise UnknownName(f"split of BEIR folder {folder}", split, _split_files(folder))
    corpus_path, queries_path = find_file("corpus.jsonl", folder), find_file("queries.jsonl", folder)
    for name, path in (("corpus.jsonl", corpus_path), ("queries.jsonl", queries_path)):
        if path is None:
            raise BadInput(f"not a BEIR folder: no {name} (or {name}.gz)", path=folder)
    qrels = read_beir_qrels(qrels_path)
    corpus = read_beir_corpus(corpus_path)
    _warn_unknown_documents(qrels, corpus, qrels_path)
    queries = read_beir_queries(queries_path, keep=set(qrels.query_ids.tolist()))
    dev = None
    dev_path = find_file("qrels/dev.tsv", folder) if split != "dev" else None
    if dev_path is not None:  # the dev split beside it, for adapters that fit parameters there (fusion weights)
        dev_qrels = read_beir_qrels(dev_path)
        dev = DevSplit(queries=read_beir_queries(queries_path, keep=set(dev_qrels.query_ids.tolist())), qrels=dev_qrels)
    return IRDataset(corpus, queries, qrels, dev)


def _warn_unknown_documents(qrels: Qrels, corpus: Corpus, path: Path) -> None:
    """Log a warning when the qrels judge relevant documents the corpus does not hold: no system can
    retrieve them, so every measure of their queries is capped (all zero when none is in the corpus)."""
    relevant = qrels.labels > 0
    known = np.sort(words_hash(id_words(corpus.ids)))  # 64-bit hashes: fast on millions of ids, exact enough to warn
    judged = words_hash(id_words(qrels.doc_ids))
    at = np.minimum(np.searchsorted(known, judged), max(len(known) - 1, 0))
    absent = relevant & ((known[at] != judged) if len(known) else True)
    if absent.any():
        log.warning(
            "%s: %d of %d relevant judgements name documents absent from the corpus (e.g. %r); they can never be "
            "retrieved",
            path,
            int(absent.sum()),
            int(relevant.sum()),
            str(qrels.doc_ids[absent][0]),
        )


def folder_checksum(folder: Path, split: str) -> str:
    """sha256 over the content hashes of the files a split reads (corpus, queries, its qrels)."""
    digest = hashlib.sha256()
    for rel in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv", *(["qrels/dev.tsv"] if split != "dev" else [])):
        path = find_file(rel, folder)
        if path is not None:
            digest.update(f"{rel} {file_digest(path)}\n".encode())
    return digest.hexdigest()


def beir_checksum(spec: DatasetSpec, root: str, split: str = "test") -> str:
    """The checksum `load_beir` records, without reading the collection (pinned files: their checksums)."""
    if spec.files or spec.downloads:
        return files_checksum(spec)
    return folder_checksum(data_home() / root, split)


def beir_path_checksum(spec: DatasetSpec, path: str, split: str = "test") -> str:
    """The checksum `load_beir_path` records: `folder_checksum` of the folder."""
    return folder_checksum(Path(path), split)


def qrels_digest(head: str, qrels: Qrels) -> Any:
    """A sha256 of `head`, then one `qid<TAB>docid<TAB>label` line per judgement (callers may update it further).

    The content key of collections a library loads for us (ir_datasets, mteb), where no files are ours to hash.
    """
    digest = hashlib.sha256(head.encode())
    for q, d, r in zip(qrels.query_ids.tolist(), qrels.doc_ids.tolist(), qrels.labels.tolist(), strict=True):
        digest.update(f"{q}\t{d}\t{r}\n".encode())
    return digest


def _info(ds: IRDataset, split: str, **extra: Any) -> dict[str, Any]:
    return {"split": split, "n_docs": len(ds.corpus), "n_queries": len(ds.queries), "n_qrels": len(ds.qrels), **extra}


def load_beir(spec: DatasetSpec, root: str, split: str = "test") -> Loaded:
    """A BEIR collection at `root` in the data home; pinned files are checked against their checksums."""
    if spec.files:
        qrels_rel = f"{root}/qrels/{split}.tsv"
        if qrels_rel not in spec.files:
            splits = sorted(p.rsplit("/", 1)[1].removesuffix(".tsv") for p in spec.files if "/qrels/" in p)
            raise UnknownName(f"split of {spec.name}", split, splits)
        dev_rel = f"{root}/qrels/dev.tsv"
        for relpath in (f"{root}/corpus.jsonl", f"{root}/queries.jsonl", qrels_rel):
            checked_file(spec, relpath)
        if split != "dev" and dev_rel in spec.files:
            checked_file(spec, dev_rel)
    elif not (data_home() / root).is_dir():
        fix = f"run `rankbench data fetch {spec.name}`" if spec.downloads else spec.source
        raise DatasetMissing(spec.name, data_home() / root, fix)
    ds = read_beir_folder(data_home() / root, split)
    return Loaded(ds, beir_checksum(spec, root, split), _info(ds, split))


def load_beir_path(spec: DatasetSpec, path: str, split: str = "test") -> Loaded:
    """A BEIR-layout folder anywhere on disk (`rankbench run ./folder`)."""
    folder = Path(path)
    ds = read_beir_folder(folder, split)
    return Loaded(ds, beir_path_checksum(spec, path, split), _info(ds, split, path=str(folder)))


def load_with_beir_loader(folder: Path, split: str = "test") -> IRDataset:
    """A BEIR-layout folder read by BEIR's own `GenericDataLoader` (uncompressed files only)."""
    beir_data = require("beir.datasets.data_loader", "ir", "loading BEIR folders")
    if not (Path(folder) / "corpus.jsonl").is_file():
        raise BadInput(f"{folder} is not a BEIR folder (no corpus.jsonl; gunzip corpus.jsonl.gz first)")
    corpus, queries, qrels = beir_data.GenericDataLoader(data_folder=str(folder)).load(split=split)
    ids = list(corpus)
    return IRDataset(
        Corpus(
            np.array(ids), tuple(corpus[i].get("text", "") for i in ids), tuple(corpus[i].get("title", "") for i in ids)
        ),
        Queries(np.array(list(queries)), tuple(queries.values())),
        Qrels.from_dict(qrels),
    )


def collections() -> list[str]:
    """Every BEIR collection the manifest knows (`beir/<name>`), CQADupStack's 12 forums included."""
    return sorted(name for name in manifest() if name.startswith(PREFIX))


def _catalog_spec(name: str) -> DatasetSpec:
    item = entry(name)
    root = item.get("root", name)
    return dataset_spec(
        name,
        "rankbench.suites.ir.beir:load_beir",
        params={"root": root, "split": item["split"]},
        checksum="rankbench.suites.ir.beir:beir_checksum",
    )


def _pinned_copy(name: str, split: str) -> Suite | None:
    """The built-in suite `beir-<name>` when it is that collection's split and its files are in the data
    home (SciFact at `ir/scifact/`), so `beir/scifact` runs on them instead of downloading BEIR's zip again."""
    from rankbench.harness.registry import DATASETS, SUITES

    alias = "beir-" + name.removeprefix(PREFIX)
    if alias not in SUITES.names() or DATASETS.get(alias).params.get("split") != split:
        return None
    spec = DATASETS.get(alias)
    return SUITES.get(alias) if spec.files and all(find_file(rel) for rel in spec.files) else None


def beir_suite(text: str) -> tuple[Suite, DatasetSpec | None] | None:
    """`beir/<name>[/<split>]` -> the suite `beir/<name>/<split>` on dataset `beir/<name>`."""
    if not text.startswith(PREFIX):
        return None
    known = collections()
    name = max((c for c in known if text == c or text.startswith(c + "/")), key=len, default=None)
    if name is None:
        raise UnknownName("BEIR collection", text, known)
    item = entry(name)
    split = text[len(name) + 1 :] or item["split"]
    if split not in item["splits"]:
        raise UnknownName(f"split of {name}", split, item["splits"])
    pinned = _pinned_copy(name, split)
    if pinned is not None:
        return pinned, None
    suite = Suite(
        name=f"{name}/{split}",
        dataset=name,
        task="retrieval",
        measures=BEIR_MEASURES,
        families=IR_FAMILIES,
        dataset_params={"split": split},
        description=f"{item['description']} ({split} split)",
        tags=("beir", "real"),
    )
    return suite, None


DATASETS = (
    dataset_spec(
        "beir-scifact",
        "rankbench.suites.ir.beir:load_beir",
        description="BEIR SciFact: 5,183 abstracts, 300 test claims (CC BY-NC 2.0)",
        params={"root": "ir/scifact", "split": "test"},
        checksum="rankbench.suites.ir.beir:beir_checksum",
    ),
    *(_catalog_spec(name) for name in collections()),
)

SUITES = (
    Suite(
        name="beir-scifact",
        dataset="beir-scifact",
        task="retrieval",
        measures=BEIR_MEASURES,
        families=IR_FAMILIES,
        description="BEIR SciFact test split (real data from the data home)",
        tags=("beir", "real"),
    ),
)

SUITE_SOURCES = (
    SuiteSource(
        name="beir",
        resolver="rankbench.suites.ir.beir:beir_suite",
        description="a BEIR collection by name, fetched from BEIR's URLs with BEIR's md5 on first use",
        examples=("beir/nfcorpus", "beir/msmarco/dev", "beir/cqadupstack/android"),
    ),
)
