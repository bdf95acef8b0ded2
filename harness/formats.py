"""Readers and writers for the community file formats: BEIR jsonl/tsv, TREC qrels and runs.

Every reader reports malformed input as `BadInput` with the file and line number.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Qrels, Queries, Run


def open_text(path: Path) -> IO[str]:
    """Open a text file, transparently gunzipping `*.gz`; strict UTF-8."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("no such file", path=path)
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115 - returned to the caller
    return io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline=None)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open_text(path) as fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    yield lineno, line.rstrip("\n")
        except UnicodeDecodeError as exc:
            raise BadInput(
                f"not valid UTF-8 ({exc.reason}); re-encode the file as UTF-8", path=path, line=lineno + 1
            ) from None
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            raise BadInput(f"truncated or corrupt file ({exc}); re-create it", path=path, line=lineno + 1) from None


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in _lines(path):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(
                f"invalid JSON ({exc.msg}); each line must be one JSON object", path=path, line=lineno
            ) from None
        if not isinstance(obj, dict):
            raise BadInput("each line must be a JSON object", path=path, line=lineno)
        yield lineno, obj


def _field(obj: dict[str, Any], key: str, path: Path, lineno: int) -> str:
    if key not in obj:
        raise BadInput(f"missing field {key!r}", path=path, line=lineno)
    value = obj[key]
    if not isinstance(value, str | int):
        raise BadInput(f"field {key!r} must be a string", path=path, line=lineno)
    return str(value)


def read_beir_corpus(path: Path) -> Corpus:
    ids, titles, texts = [], [], []
    for lineno, obj in read_jsonl(path):
        ids.append(_field(obj, "_id", path, lineno))
        titles.append(str(obj.get("title") or ""))
        texts.append(_field(obj, "text", path, lineno))
    _reject_duplicates(ids, "document", path)
    return Corpus(np.array(ids, dtype=str), tuple(texts), tuple(titles))


def read_beir_queries(path: Path, keep: set[str] | None = None) -> Queries:
    ids, texts = [], []
    for lineno, obj in read_jsonl(path):
        qid = _field(obj, "_id", path, lineno)
        if keep is not None and qid not in keep:
            continue
        text = _field(obj, "text", path, lineno)
        if not text.strip():
            raise BadInput(f"query {qid!r} has empty text", path=path, line=lineno)
        ids.append(qid)
        texts.append(text)
    _reject_duplicates(ids, "query", path)
    return Queries(np.array(ids, dtype=str), tuple(texts))


def _reject_duplicates(ids: list[str], what: str, path: Path) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise BadInput(f"duplicate {what} id {x!r} (record {i + 1})", path=path)
        seen.add(x)


def _label(text: str, path: Path, lineno: int) -> int:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"relevance label {text!r} is not an integer", path=path, line=lineno) from None
    if not math.isfinite(value) or value != int(value):
        raise BadInput(f"relevance label {text!r} is not an integer", path=path, line=lineno)
    return int(value)


def _qrels_from_rows(rows: list[tuple[str, str, int]], path: Path) -> Qrels:
    seen: dict[tuple[str, str], int] = {}
    for i, (q, d, _) in enumerate(rows):
        if (q, d) in seen:
            raise BadInput(f"document {d!r} judged twice for query {q!r}", path=path, line=i + 1)
        seen[(q, d)] = i
    if not rows:
        raise BadInput("qrels file has no judgements", path=path)
    q, d, r = zip(*rows, strict=True)
    return Qrels(np.array(q, dtype=str), np.array(d, dtype=str), np.array(r, dtype=np.int64))


def read_beir_qrels(path: Path) -> Qrels:
    """BEIR qrels: TSV `query-id corpus-id score` with a header, or JSONL with those keys."""
    rows: list[tuple[str, str, int]] = []
    if str(path).endswith((".jsonl", ".jsonl.gz")):
        for lineno, obj in read_jsonl(path):
            rows.append(
                (
                    _field(obj, "query-id", path, lineno),
                    _field(obj, "corpus-id", path, lineno),
                    _label(str(obj.get("score", "")), path, lineno),
                )
            )
        return _qrels_from_rows(rows, path)
    for lineno, line in _lines(path):
        parts = line.split("\t")
        if lineno == 1 and parts[0].strip().lower() in {"query-id", "query_id", "qid"}:
            continue
        if len(parts) != 3:
            raise BadInput(
                f"expected 3 tab-separated columns (query-id, corpus-id, score), found {len(parts)}",
                path=path,
                line=lineno,
            )
        rows.append((parts[0].strip(), parts[1].strip(), _label(parts[2].strip(), path, lineno)))
    return _qrels_from_rows(rows, path)


def read_trec_qrels(path: Path) -> Qrels:
    """TREC qrels: `qid iter docno rel`, whitespace separated."""
    rows: list[tuple[str, str, int]] = []
    for lineno, line in _lines(path):
        parts = line.split()
        if len(parts) != 4:
            raise BadInput(f"expected 4 columns (qid iter docno rel), found {len(parts)}", path=path, line=lineno)
        rows.append((parts[0], parts[2], _label(parts[3], path, lineno)))
    return _qrels_from_rows(rows, path)


def read_trec_run(path: Path) -> Run:
    """TREC run: `qid Q0 docno rank score tag`; ordering comes from the scores, as in trec_eval."""
    qs, ds, ss = [], [], []
    name = "run"
    for lineno, line in _lines(path):
        parts = line.split()
        if len(parts) != 6:
            raise BadInput(
                f"expected 6 columns (qid Q0 docno rank score tag), found {len(parts)}", path=path, line=lineno
            )
        try:
            score = float(parts[4])
        except ValueError:
            raise BadInput(f"score {parts[4]!r} is not a number", path=path, line=lineno) from None
        if not math.isfinite(score):
            raise BadInput(f"score {parts[4]!r} is not finite", path=path, line=lineno)
        qs.append(parts[0])
        ds.append(parts[2])
        ss.append(score)
        name = parts[5]
    if not qs:
        return Run.empty(name)
    seen: set[tuple[str, str]] = set()
    for i, pair in enumerate(zip(qs, ds, strict=True)):
        if pair in seen:
            raise BadInput(f"document {pair[1]!r} appears twice for query {pair[0]!r}", path=path, line=i + 1)
        seen.add(pair)
    return Run.from_arrays(np.array(qs, dtype=str), np.array(ds, dtype=str), np.array(ss), name)


def write_trec_run(run: Run, path: Path) -> None:
    frame = run.to_frame()
    with open(path, "w", encoding="utf-8") as fh:
        for q, d, s, r in zip(frame.query_id, frame.doc_id, frame.score, frame["rank"], strict=True):
            fh.write(f"{q} Q0 {d} {r} {s!r} {run.name}\n")


def write_trec_qrels(qrels: Qrels, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for q, d, r in zip(qrels.query_ids, qrels.doc_ids, qrels.labels, strict=True):
            fh.write(f"{q} 0 {d} {r}\n")
