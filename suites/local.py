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

The layout is checked when the suite is resolved, before any cell runs: the files it needs are present
and the first record of each is in the expected form, so a wrong or incomplete folder is one line naming
the path and the layout expected there. Reading the whole of each file is left to the cell (a malformed
later line fails it, naming its `file:line`), so planning stays cheap on large collections.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.datahome import file_digest, find_file
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.formats import (
    check_id,
    is_beir_header,
    lines,
    open_binary,
    read_beir_corpus,
    read_beir_qrels,
    read_jsonl,
    read_trec_qrels,
    trec_fields,
    utf8_error,
)
from rankbench.harness.records import Corpus, IRDataset, Loaded, Queries
from rankbench.harness.registry import DatasetSpec, SuiteSource
from rankbench.harness.suite import Suite
from rankbench.suites.ctr.suites import ctr_suite
from rankbench.suites.ir.beir import retrieval_suite
from rankbench.suites.recsys.suites import FAMILY, FULL, HOLDOUT

INTERACTION_SUFFIXES = (".inter", ".csv", ".tsv", ".parquet")
_COLUMNS = {
    "user": ("user", "user_id", "userId", "userid", "uid"),
    "item": ("item", "item_id", "itemId", "movieId", "movie_id", "iid"),
    "rating": ("rating", "score"),
    "timestamp": ("timestamp", "time", "ts"),
}


BEIR_LAYOUT = "BEIR layout: corpus.jsonl, queries.jsonl and qrels/<split>.tsv, any of them gzipped"
TREC_LAYOUT = "TREC layout: topics*, qrels* and corpus*/docs*/documents*/collection* files"
BARS_LAYOUT = "BARS layout: train.csv, valid.csv and test.csv with a 0/1 label column"
LAYOUTS = f"in {BEIR_LAYOUT}; in {TREC_LAYOUT}; or in {BARS_LAYOUT}"
BARS_SPLITS = ("train", "valid", "test")
SGML_PEEK = 2048
"""Bytes read from the start of a file to tell TREC SGML (`<top>`, `<DOC>`) from other forms."""


def _looks_like_path(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or Path(text).exists()


def local_suite(text: str) -> tuple[Suite, DatasetSpec] | None:
    """The suite for a local folder or file; None when `text` is not a path."""
    if not _looks_like_path(text):
        return None
    try:
        path = Path(text).expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # a symbolic link that points at itself, or an unreadable path
        raise BadInput(f"cannot follow this path ({exc})", path=text) from None
    if not path.exists():
        raise BadInput("no such file or folder", path=path)
    name = str(path)
    if path.is_dir():
        topics, qrels, _ = _trec_candidates(path)
        if (path / "qrels").is_dir() or (find_file("corpus.jsonl", path) and not qrels):
            split = beir_split(path)
            check_beir_folder(path, split)
            loader, checksum = "rankbench.suites.ir.beir:load_beir_path", "rankbench.suites.ir.beir:beir_path_checksum"
            return _ir_suite(name, loader, {"split": split}, "beir", checksum)
        if any((path / f"{s}.csv").is_file() for s in BARS_SPLITS):
            check_bars_folder(path)
            return _ctr_suite(name)
        if topics or qrels:
            check_trec_folder(path)
            loader, checksum = "rankbench.suites.local:load_trec_folder", "rankbench.suites.local:trec_checksum"
            return _ir_suite(name, loader, {}, "trec", checksum)
        raise BadInput(f"unknown layout: a folder to run must be {LAYOUTS}", path=path)
    if path.name.removesuffix(".gz").endswith(INTERACTION_SUFFIXES):
        check_interactions(path)
        return _recsys_suite(name, path)
    raise BadInput(f"cannot tell what {path.name} holds; expected a folder, a .inter, .csv, .tsv or .parquet file")


def _ir_suite(name: str, loader: str, params: dict[str, Any], kind: str, checksum: str) -> tuple[Suite, DatasetSpec]:
    spec = DatasetSpec(
        name=name,
        loader=loader,
        params={"path": name, **params},
        description=f"local {kind} folder",
        checksum=checksum,
    )
    return retrieval_suite(spec, tags=("local", kind)), spec


def _ctr_suite(name: str) -> tuple[Suite, DatasetSpec]:
    spec = DatasetSpec(
        name=name,
        loader="rankbench.suites.local:load_bars_folder",
        params={"path": name},
        checksum="rankbench.suites.local:bars_checksum",
    )
    return ctr_suite(name, name, "local BARS CSV folder", ("local",)), spec


def _recsys_suite(name: str, path: Path) -> tuple[Suite, DatasetSpec]:
    spec = DatasetSpec(
        name=name,
        loader="rankbench.suites.local:load_interactions",
        params={"path": name},
        checksum="rankbench.suites.local:interactions_checksum",
    )
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
    qrels = folder / "qrels"
    splits = sorted({p.name.split(".")[0] for p in qrels.iterdir() if ".tsv" in p.name}) if qrels.is_dir() else []
    if "test" in splits or not splits:
        return "test"
    if len(splits) == 1:
        return splits[0]
    raise BadInput(f"no qrels/test.tsv and several splits {splits}: keep one split's qrels", path=folder / "qrels")


# --- layout checks, when the suite is resolved ----------------------------------------------------------


def _head(path: Path, n: int) -> list[tuple[int, str]]:
    """The first `n` non-blank lines of a text file (plain or gzipped) with their line numbers."""
    with contextlib.closing(lines(path)) as found:
        return list(itertools.islice(found, n))


def _check_jsonl(path: Path, fields: tuple[str, ...], layout: str) -> None:
    """The first line of `path` is a JSON object with `fields`."""
    with contextlib.closing(read_jsonl(path)) as records:
        first = next(records, None)
    if first is None:
        raise BadInput(f"file has no records ({layout})", path=path)
    lineno, obj = first
    for field in fields:
        if field not in obj:
            raise BadInput(
                f"missing field {field!r}; each line holds {', '.join(fields)} ({layout})", path=path, line=lineno
            )


def _check_columns(path: Path, *, tabs: bool, counts: tuple[int, ...], expected: str, header: bool = False) -> None:
    """The first data line of `path` splits (on tabs, or any whitespace) into one of `counts` columns."""
    head = _head(path, 2)
    if header and head and is_beir_header(head[0][1].split("\t")):
        head = head[1:]
    if not head:
        raise BadInput(f"file has no records (expected {expected})", path=path)
    lineno, line = head[0]
    found = len(line.split("\t") if tabs else trec_fields(line))
    if found not in counts:
        raise BadInput(f"expected {expected}, found {found} columns", path=path, line=lineno)


def check_beir_folder(folder: Path, split: str) -> None:
    """Corpus, queries and the split's qrels are present, and the first record of each is in BEIR's form."""
    found = {rel: find_file(rel, folder) for rel in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv")}
    missing = [rel for rel, p in found.items() if p is None]
    if missing:
        raise BadInput(f"no {' or '.join(missing)} ({BEIR_LAYOUT})", path=folder)
    for rel in ("corpus.jsonl", "queries.jsonl"):
        _check_jsonl(found[rel], ("_id", "text"), BEIR_LAYOUT)
    columns = "3 tab-separated columns: query-id, corpus-id, score"
    _check_columns(found[f"qrels/{split}.tsv"], tabs=True, counts=(3,), expected=columns, header=True)


def check_trec_folder(folder: Path) -> None:
    """Topics, qrels and documents are present, and the first record of each is in a form they are read in."""
    topics, qrels, docs = _trec_files(folder)
    if not _is_sgml(topics, b"<top>"):
        _check_columns(topics, tabs=True, counts=(2,), expected="'qid<TAB>text' lines or TREC SGML <top> topics")
    if qrels.name.removesuffix(".gz").endswith(".tsv"):
        _check_columns(qrels, tabs=True, counts=(3,), expected="3 tab-separated columns", header=True)
    else:
        _check_columns(qrels, tabs=False, counts=(4,), expected="TREC qrels 'qid iter docno rel'")
    name = docs.name.removesuffix(".gz")
    if name.endswith(".jsonl"):
        _check_jsonl(docs, ("_id", "text"), "BEIR corpus lines")
    elif name.endswith(".tsv"):
        _check_columns(docs, tabs=True, counts=(2,), expected="'docno<TAB>text' lines")
    elif not _is_sgml(docs, b"<doc>"):
        raise BadInput("no <DOC> block at the start; documents must be TREC SGML, .jsonl or .tsv", path=docs)


def _is_sgml(path: Path, tag: bytes) -> bool:
    with open_binary(path) as fh:
        return tag in fh.read(SGML_PEEK).lower()


def check_bars_folder(folder: Path) -> None:
    """train.csv, valid.csv and test.csv are present, each with a `label` column in its header."""
    for split in BARS_SPLITS:
        path = folder / f"{split}.csv"
        if not path.is_file():
            raise BadInput(f"no {path.name} ({BARS_LAYOUT})", path=folder)
        head = _head(path, 2)
        header = [c.strip().strip('"') for c in head[0][1].split(",")] if head else []
        if "label" not in header:
            raise BadInput(f"no label column in the header {header} ({BARS_LAYOUT})", path=path, line=1)
        if len(head) < 2:
            raise BadInput(f"no impressions under the header ({BARS_LAYOUT})", path=path)


def check_interactions(path: Path) -> None:
    """The interactions file's header names a user and an item column."""
    if path.name.removesuffix(".gz").endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            meta = pq.read_metadata(path)
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read as Parquet ({exc})", path=path) from None
        columns = list(meta.schema.names)
        rows = meta.num_rows
    else:
        head = _head(path, 2)
        if not head:
            raise BadInput("file is empty; expected a header naming user and item columns", path=path)
        columns = head[0][1].split("," if path.name.removesuffix(".gz").endswith(".csv") else "\t")
        rows = len(head) - 1
    interaction_columns([str(c).strip().strip('"') for c in columns], path)
    if rows == 0:
        raise BadInput("no interactions under the header; give at least one user,item row", path=path)


# --- TREC folders ---------------------------------------------------------------------------------------


def _trec_candidates(folder: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """The files of a folder whose names make them TREC topics, qrels and documents."""
    files = sorted(p for p in folder.iterdir() if p.is_file())

    def pick(*patterns: str) -> list[Path]:
        return [p for p in files if any(re.search(pat, p.name, re.IGNORECASE) for pat in patterns)]

    return pick(r"topics", r"^queries"), pick(r"qrels"), pick(r"^(corpus|docs|documents|collection)\b")


def _trec_files(folder: Path) -> tuple[Path, Path, Path]:
    """Topics, qrels and documents of a TREC folder; `BadInput` naming what is missing or ambiguous."""
    found = _trec_candidates(folder)
    for what, paths in zip(("topics", "qrels", "document"), found, strict=True):
        if len(paths) > 1:
            raise BadInput(f"several {what} files ({', '.join(p.name for p in paths)}); keep one", path=folder)
    missing = [w for w, paths in zip(("topics*", "qrels*", "corpus/docs/collection*"), found, strict=True) if not paths]
    if missing:
        raise BadInput(f"no {' or '.join(missing)} file ({TREC_LAYOUT})", path=folder)
    topics, qrels, docs = (paths[0] for paths in found)
    return topics, qrels, docs


def read_topics(path: Path) -> Queries:
    """TREC topics: SGML (`<top><num>…<title>…`, read by ir_datasets; the title is the query) or `qid<TAB>text`."""
    if _is_sgml(path, b"<top>"):
        ir_datasets = require("ir_datasets", "ir", "reading TREC topics")
        from ir_datasets.util import LocalDownload

        topics = ir_datasets.formats.TrecQueries(LocalDownload(path, mkdir=False))
        rows = [(q.query_id, q.title.strip()) for q in topics.queries_iter()]
    else:
        rows = []
        seen: dict[str, int] = {}
        for lineno, line in lines(path):  # plain or gzipped, strict UTF-8: a bad byte names its line
            qid, sep, text = line.partition("\t")
            if not sep:
                raise BadInput("expected 'qid<TAB>text' (or TREC SGML topics)", path=path, line=lineno)
            qid = _new_id(qid.strip(), "query", seen, path, lineno)
            if not text.strip():
                raise BadInput(f"query {qid!r} has empty text", path=path, line=lineno)
            rows.append((qid, text.strip()))
    if not rows:
        raise BadInput("no topics found", path=path)
    try:
        return Queries(np.array([q for q, _ in rows], dtype=str), tuple(t for _, t in rows))
    except BadInput as exc:  # SGML topics: no line to name
        raise BadInput(str(exc), path=path) from None


def _new_id(text: str, what: str, seen: dict[str, int], path: Path, lineno: int) -> str:
    """`text` as a `what` id not in `seen` (id -> line), added to it; else `BadInput` naming `file:line`."""
    if not text:
        raise BadInput(f"empty {what} id", path=path, line=lineno)
    check_id(text, what, path, lineno)
    if text in seen:
        raise BadInput(f"duplicate {what} id {text!r} (first on line {seen[text]})", path=path, line=lineno)
    seen[text] = lineno
    return text


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
        seen: dict[str, int] = {}
        for lineno, line in lines(path):  # plain or gzipped, strict UTF-8: a bad byte names its line
            docno, sep, text = line.partition("\t")
            if not sep:
                raise BadInput("expected 'docno<TAB>text'", path=path, line=lineno)
            ids.append(_new_id(docno.strip(), "document", seen, path, lineno))
            texts.append(text.strip())
        return Corpus(np.array(ids, dtype=str), tuple(texts))
    with open_binary(path) as fh:
        raw = fh.read()
    ids, texts = [], []
    seen = {}
    lineno, counted = 1, 0
    for m in _DOC.finditer(raw):
        lineno, counted = lineno + raw.count(b"\n", counted, m.start()), m.start()  # the <DOC>'s line
        block = m.group(1)
        docno = _DOCNO.search(block)
        if docno is None:
            raise BadInput("a <DOC> without <DOCNO>", path=path, line=lineno)
        ids.append(_new_id(docno.group(1).decode("utf-8", "replace"), "document", seen, path, lineno))
        body = _DOCNO.sub(b" ", block).decode("utf-8", "replace")
        texts.append(" ".join(html.unescape(_TAG.sub(" ", body)).split()))
    if not ids:
        raise BadInput("no <DOC> blocks found (expected TREC SGML, .jsonl or .tsv documents)", path=path)
    return Corpus(np.array(ids, dtype=str), tuple(texts))


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(f"{p.name} {file_digest(p)}\n".encode())
    return digest.hexdigest()


def trec_checksum(spec: DatasetSpec, path: str) -> str:
    """The checksum `load_trec_folder` records (its topics, qrels and documents files), without parsing them."""
    return _digest(list(_trec_files(Path(path))))


def bars_checksum(spec: DatasetSpec, path: str) -> str:
    """The checksum `load_bars_folder` records (sha256 over its splits' sha256s), without reading the CSVs."""
    from rankbench.suites.ctr.data import splits_checksum

    return splits_checksum([Path(path) / f"{split}.csv" for split in BARS_SPLITS])


def interactions_checksum(spec: DatasetSpec, path: str) -> str:
    """The checksum `load_interactions` records, without reading the file."""
    return _digest([Path(path)])


def load_trec_folder(spec: DatasetSpec, path: str) -> Loaded:
    """Topics, qrels and documents of a TREC folder; queries without judgements are left out."""
    topics_path, qrels_path, docs_path = _trec_files(Path(path))
    beir = qrels_path.name.removesuffix(".gz").endswith(".tsv")  # as `check_trec_folder` reads the name
    qrels = read_beir_qrels(qrels_path) if beir else read_trec_qrels(qrels_path)
    queries = read_topics(topics_path)
    judged = np.isin(queries.ids, qrels.query_ids)
    queries = queries.subset(np.flatnonzero(judged))
    corpus = read_documents(docs_path)
    info = {"path": path, "n_docs": len(corpus), "n_queries": len(queries), "n_qrels": len(qrels)}
    return Loaded(IRDataset(corpus, queries, qrels), trec_checksum(spec, path), info)


# --- CTR and recommender files ----------------------------------------------------------------------------


def load_bars_folder(spec: DatasetSpec, path: str) -> Loaded:
    """A BARS-style folder: train/valid/test CSV, every column but `label` a categorical field."""
    from rankbench.suites.ctr.data import bars_splits

    paths = [Path(path) / f"{s}.csv" for s in BARS_SPLITS]
    loaded = bars_splits(paths, None)
    return Loaded(loaded.data, loaded.checksum, {**loaded.info, "path": path})


def interaction_columns(header: list[str], path: Path) -> dict[str, str]:
    """Role (user, item, rating, timestamp) -> the header's column for it; `BadInput` without user or item.

    RecBole's `name:type` headers count by their name.
    """
    names = {c.split(":", 1)[0]: c for c in header}
    mapping = {role: next((names[c] for c in _COLUMNS[role] if c in names), None) for role in _COLUMNS}
    for role in ("user", "item"):
        if mapping[role] is None:
            raise BadInput(
                f"no {role} column (one of {', '.join(_COLUMNS[role])}); columns are {list(names)}", path=path
            )
    return {role: col for role, col in mapping.items() if col is not None}


def load_interactions(spec: DatasetSpec, path: str) -> Loaded:
    """A RecBole `.inter` file or an interactions CSV/TSV/Parquet, columns found by their usual names."""
    import pandas as pd

    from rankbench.suites.recsys.data import checked_roles, to_interactions

    file = Path(path)
    name = file.name.removesuffix(".gz")
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(file)
        else:  # as text: an error quotes the file's own `nan` or `1_0`; ids stay as written
            frame = pd.read_csv(file, sep="," if name.endswith(".csv") else "\t", dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise utf8_error(file) or BadInput("not valid UTF-8", path=file) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadInput(f"cannot read interactions: {exc}", path=file) from None
    frame.columns = [str(c) for c in frame.columns]
    mapping = interaction_columns(list(frame.columns), file)
    roles = pd.DataFrame({role: frame[col] for role, col in mapping.items()})
    first_line = None if name.endswith(".parquet") else 2  # under the header; blank lines, if any, are not counted
    data, _, _ = to_interactions(checked_roles(roles, file, first_line, mapping))
    info = {"path": path, "n_users": data.n_users, "n_items": data.n_items, "n_interactions": len(data)}
    return Loaded(data, interactions_checksum(spec, path), info)


SUITE_SOURCES = (
    SuiteSource(
        name="local",
        resolver="rankbench.suites.local:local_suite",
        description="a local BEIR folder, TREC topics+qrels folder, BARS CSV folder, RecBole .inter or CSV/Parquet",
        examples=("./my-collection", "~/data/ratings.inter", "./Frappe_x1"),
        order=1000,
    ),
)
