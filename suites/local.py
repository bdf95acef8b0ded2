"""Local paths as suites: `rankbench run ./my-collection -a bm25`, with no Python to write.

What a path holds decides the suite (the family's standard measures and settings):

- a BEIR-layout folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`, any of them gzipped):
  retrieval with BEIR's measures on the `test` split (or the folder's only split);
- a folder of TREC topics and qrels (`topics*` in TREC SGML or `qid<TAB>text`, `qrels*` as
  `qid iter docno rel`) with its documents (`corpus.jsonl`/`docs.jsonl` in BEIR form,
  `collection.tsv`/`docs.tsv` as `docno<TAB>text`, or TREC SGML `<DOC><DOCNO>…</DOCNO>…</DOC>`);
- a BARS-style CSV folder (`train.csv`, `valid.csv`, `test.csv`, a 0/1 `label` column): CTR with
  AUC/logloss/gAUC, every other column a categorical field;
- a RecBole atomic `.inter` file (`user_id:token<TAB>item_id:token[<TAB>rating:float<TAB>timestamp:float]`)
  or a CSV/TSV/Parquet interactions file (`user`, `item`[, `rating`, `timestamp`], or `user_id`/`userId`,
  `item_id`/`movieId`, …): full-ranking recommendation on a random 70/10/20 holdout.

The suite and its dataset are named by the absolute path, so results of two folders never mix and
a worker process rebuilds the same suite from the stored name.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.datahome import content_digest, find_file
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.formats import read_beir_corpus, read_beir_qrels, read_trec_qrels
from rankbench.harness.records import Corpus, IRDataset, Loaded, Queries
from rankbench.harness.registry import DatasetSpec, SuiteSource
from rankbench.harness.suite import Suite
from rankbench.suites.ctr.suites import CTR_MEASURES
from rankbench.suites.ir.beir import retrieval_suite
from rankbench.suites.recsys.suites import FAMILY, FULL, HOLDOUT

INTERACTION_SUFFIXES = (".inter", ".csv", ".tsv", ".parquet")
_COLUMNS = {
    "user": ("user", "user_id", "userId", "userid", "uid"),
    "item": ("item", "item_id", "itemId", "movieId", "movie_id", "iid"),
    "rating": ("rating", "score"),
    "timestamp": ("timestamp", "time", "ts"),
}


def _looks_like_path(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or Path(text).exists()


def local_suite(text: str) -> tuple[Suite, DatasetSpec] | None:
    """The suite for a local folder or file; None when `text` is not a path."""
    if not _looks_like_path(text):
        return None
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise BadInput("no such file or folder", path=path)
    name = str(path)
    if path.is_dir():
        if find_file("corpus.jsonl", path) and (path / "qrels").is_dir():
            return _ir_suite(name, "rankbench.suites.ir.beir:load_beir_path", {"split": beir_split(path)}, "beir")
        if all((path / f"{s}.csv").is_file() for s in ("train", "valid", "test")):
            return _ctr_suite(name)
        if _trec_files(path, required=False) is not None:
            return _ir_suite(name, "rankbench.suites.local:load_trec_folder", {}, "trec")
        raise BadInput(
            "a folder to run must be in BEIR layout (corpus.jsonl, queries.jsonl, qrels/), hold TREC topics, "
            "qrels and documents, or BARS train.csv/valid.csv/test.csv",
            path=path,
        )
    if path.name.removesuffix(".gz").endswith(INTERACTION_SUFFIXES):
        return _recsys_suite(name, path)
    raise BadInput(f"cannot tell what {path.name} holds; expected a folder, a .inter, .csv, .tsv or .parquet file")


def _ir_suite(name: str, loader: str, params: dict[str, Any], kind: str) -> tuple[Suite, DatasetSpec]:
    spec = DatasetSpec(name=name, loader=loader, params={"path": name, **params}, description=f"local {kind} folder")
    return retrieval_suite(spec, tags=("local", kind)), spec


def _ctr_suite(name: str) -> tuple[Suite, DatasetSpec]:
    spec = DatasetSpec(name=name, loader="rankbench.suites.local:load_bars_folder", params={"path": name})
    suite = Suite(
        name=name,
        dataset=name,
        task="ctr",
        measures=CTR_MEASURES,
        families=("ctr",),
        unit="impression",
        description="local BARS CSV folder",
        tags=("local",),
    )
    return suite, spec


def _recsys_suite(name: str, path: Path) -> tuple[Suite, DatasetSpec]:
    spec = DatasetSpec(name=name, loader="rankbench.suites.local:load_interactions", params={"path": name})
    suite = Suite(
        name=name,
        dataset=name,
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=HOLDOUT,
        description=f"local interactions file ({path.suffix}), random 70/10/20 holdout, full ranking",
        tags=("local",),
    )
    return suite, spec


def beir_split(folder: Path) -> str:
    """`test` when the folder has it, else its only split."""
    splits = sorted({p.name.split(".")[0] for p in (folder / "qrels").iterdir() if ".tsv" in p.name})
    if "test" in splits or not splits:
        return "test"
    if len(splits) == 1:
        return splits[0]
    raise BadInput(f"no qrels/test.tsv and several splits {splits}: keep one split's qrels", path=folder / "qrels")


# --- TREC folders ---------------------------------------------------------------------------------------


def _trec_files(folder: Path, *, required: bool = True) -> tuple[Path, Path, Path] | None:
    files = sorted(p for p in folder.iterdir() if p.is_file())

    def pick(patterns: tuple[str, ...], what: str) -> Path | None:
        found = [p for p in files if any(re.search(pat, p.name, re.IGNORECASE) for pat in patterns)]
        if len(found) > 1 and required:
            raise BadInput(f"several {what} files ({', '.join(p.name for p in found)}); keep one", path=folder)
        return found[0] if found else None

    topics = pick((r"topics", r"^queries"), "topics")
    qrels = pick((r"qrels",), "qrels")
    docs = pick((r"^(corpus|docs|documents|collection)\b",), "document")
    if topics and qrels and docs:
        return topics, qrels, docs
    if required:
        missing = [w for w, p in (("topics*", topics), ("qrels*", qrels), ("corpus/docs/collection*", docs)) if not p]
        raise BadInput(f"TREC folder lacks {', '.join(missing)}", path=folder)
    return None


def read_topics(path: Path) -> Queries:
    """TREC topics: SGML (`<top><num>…<title>…`, read by ir_datasets; the title is the query) or `qid<TAB>text`."""
    head = path.open("rb").read(2048)
    if b"<top>" in head.lower():
        ir_datasets = require("ir_datasets", "ir", "reading TREC topics")
        from ir_datasets.util import LocalDownload

        topics = ir_datasets.formats.TrecQueries(LocalDownload(path, mkdir=False))
        rows = [(q.query_id, q.title.strip()) for q in topics.queries_iter()]
    else:
        rows = []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            qid, sep, text = line.partition("\t")
            if not sep:
                raise BadInput("expected 'qid<TAB>text' (or TREC SGML topics)", path=path, line=lineno)
            rows.append((qid.strip(), text.strip()))
    if not rows:
        raise BadInput("no topics found", path=path)
    return Queries(np.array([q for q, _ in rows]), tuple(t for _, t in rows))


_DOC = re.compile(rb"<DOC>(.*?)</DOC>", re.DOTALL | re.IGNORECASE)
_DOCNO = re.compile(rb"<DOCNO>\s*(.*?)\s*</DOCNO>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def read_documents(path: Path) -> Corpus:
    """Documents as BEIR jsonl, `docno<TAB>text` TSV, or TREC SGML (text of every tag but DOCNO)."""
    name = path.name.removesuffix(".gz")
    if name.endswith(".jsonl"):
        return read_beir_corpus(path)
    if name.endswith(".tsv"):
        ids, texts = [], []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            docno, sep, text = line.partition("\t")
            if not sep:
                raise BadInput("expected 'docno<TAB>text'", path=path, line=lineno)
            ids.append(docno.strip())
            texts.append(text.strip())
        return Corpus(np.array(ids), tuple(texts))
    raw = path.read_bytes()
    ids, texts = [], []
    for m in _DOC.finditer(raw):
        block = m.group(1)
        docno = _DOCNO.search(block)
        if docno is None:
            raise BadInput(f"a <DOC> without <DOCNO> at byte {m.start()}", path=path)
        ids.append(docno.group(1).decode("utf-8", "replace"))
        body = _DOCNO.sub(b" ", block).decode("utf-8", "replace")
        texts.append(" ".join(html.unescape(_TAG.sub(" ", body)).split()))
    if not ids:
        raise BadInput("no <DOC> blocks found (expected TREC SGML, .jsonl or .tsv documents)", path=path)
    return Corpus(np.array(ids), tuple(texts))


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(f"{p.name} {content_digest(p)}\n".encode())
    return digest.hexdigest()


def load_trec_folder(spec: DatasetSpec, path: str) -> Loaded:
    """Topics, qrels and documents of a TREC folder; queries without judgements are left out."""
    topics_path, qrels_path, docs_path = _trec_files(Path(path))
    qrels = read_trec_qrels(qrels_path) if not qrels_path.name.endswith(".tsv") else read_beir_qrels(qrels_path)
    queries = read_topics(topics_path)
    judged = np.isin(queries.ids, qrels.query_ids)
    queries = queries.subset(np.flatnonzero(judged))
    corpus = read_documents(docs_path)
    info = {"path": path, "n_docs": len(corpus), "n_queries": len(queries), "n_qrels": len(qrels)}
    return Loaded(IRDataset(corpus, queries, qrels), _digest([topics_path, qrels_path, docs_path]), info)


# --- CTR and recommender files ----------------------------------------------------------------------------


def load_bars_folder(spec: DatasetSpec, path: str) -> Loaded:
    """A BARS-style folder: train/valid/test CSV, every column but `label` a categorical field."""
    from rankbench.suites.ctr.data import bars_splits

    paths = [Path(path) / f"{s}.csv" for s in ("train", "valid", "test")]
    loaded = bars_splits(paths, None)
    return Loaded(loaded.data, loaded.checksum, {**loaded.info, "path": path})


def _pick(columns: list[str], role: str) -> str | None:
    return next((c for c in _COLUMNS[role] if c in columns), None)


def load_interactions(spec: DatasetSpec, path: str) -> Loaded:
    """A RecBole `.inter` file or an interactions CSV/TSV/Parquet, columns found by their usual names."""
    import pandas as pd

    from rankbench.suites.recsys.data import to_interactions

    file = Path(path)
    name = file.name.removesuffix(".gz")
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file, sep="," if name.endswith(".csv") else "\t")
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadInput(f"cannot read interactions: {exc}", path=file) from None
    frame.columns = [str(c).split(":", 1)[0] for c in frame.columns]  # RecBole's `name:type` headers
    columns = list(frame.columns)
    mapping = {role: _pick(columns, role) for role in _COLUMNS}
    for role in ("user", "item"):
        if mapping[role] is None:
            raise BadInput(f"no {role} column (one of {', '.join(_COLUMNS[role])}); columns are {columns}", path=file)
    data, _, _ = to_interactions(pd.DataFrame({role: frame[col] for role, col in mapping.items() if col}))
    info = {"path": path, "n_users": data.n_users, "n_items": data.n_items, "n_interactions": len(data)}
    return Loaded(data, _digest([file]), info)


SUITE_SOURCES = (
    SuiteSource(
        name="local",
        resolver="rankbench.suites.local:local_suite",
        description="a local BEIR folder, TREC topics+qrels folder, BARS CSV folder, RecBole .inter or CSV/Parquet",
        examples=("./my-collection", "~/data/ratings.inter", "./Frappe_x1"),
        order=1000,
    ),
)
