"""The bad-input corpus: malformed files and calls, each one case.

Every case runs the real CLI in-process (`main()`, as the `rankbench` script does) or the
library call a user would make, and checks: exactly one error line that names the file/line
or the fix, a non-zero exit code (or a `HarnessError` for library calls), no traceback, and
not one byte changed in the results store, the output cache or the input files.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rankbench.harness import formats
from rankbench.harness.errors import HarnessError
from rankbench.harness.measures import parse_measure
from rankbench.harness.records import CTRTable, Interactions, Qrels, Queries, Run
from rankbench.suites.ctr import data as ctr_data
from rankbench.suites.recsys import data as recsys_data
from tests.badinput.conftest import World, tree_digest
from tests.inprocess import invoke

Build = Callable[[World], Any]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    """Writes the case's files under `world.work`; returns CLI argv (list) or a library call."""
    expect: str
    """Regex the one error line must match."""
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)
    hide_modules: tuple[str, ...] = ()


def put(world: World, name: str, content: str | bytes) -> Path:
    path = world.work / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def reader(fn: Callable[[Path], Any], name: str, content: str | bytes) -> Build:
    def build(w: World) -> Callable[[], Any]:
        path = put(w, name, content)
        return lambda: fn(path)

    return build


def cli(*argv: str) -> Build:
    return lambda w: [w.fill(a) for a in argv]


def with_result(mutate: Callable[[dict[str, Any]], Any], name: str = "r.json") -> Build:
    """A results folder holding one copy of the store's cell, altered by `mutate`."""

    def build(w: World) -> list[str]:
        doc = json.loads(next(w.results.rglob("seed-0.json")).read_text())
        folder = w.work / "altered"
        folder.mkdir()
        out = mutate(doc)
        data = out if isinstance(out, bytes) else json.dumps(doc if out is None else out).encode()
        (folder / name).write_bytes(data)
        return ["show", str(folder)]

    return build


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())


def corrupt_cache(w: World) -> list[str]:
    [npy] = list(w.cache.rglob("*.npy"))
    npy.write_bytes(npy.read_bytes()[:-16])
    return ["cache", "verify"]


def symlink_loop(w: World) -> list[str]:
    (w.work / "loop").symlink_to(w.work / "loop")
    return ["run", str(w.work / "loop"), "-a", "bm25", "-o", str(w.results)]


def corrupt_data(w: World) -> list[str]:
    from rankbench.harness.registry import DATASETS

    relpath = next(iter(DATASETS.get("beir-scifact").files))
    (w.data / relpath).parent.mkdir(parents=True)
    (w.data / f"{relpath}.gz").write_bytes(gz('{"_id": "d1", "text": "not the real corpus"}\n'))
    return ["run", "beir-scifact", "-a", "bm25", "-o", str(w.results)]


def damaged_data(content: bytes) -> Build:
    """`rankbench run` on ml-100k whose `u.data.gz` in the data home holds `content`."""

    def build(w: World) -> list[str]:
        (w.data / "ml-100k").mkdir()
        (w.data / "ml-100k" / "u.data.gz").write_bytes(content)
        return ["run", "ml-100k-holdout", "-a", "popularity", "-o", str(w.results)]

    return build


def local_interactions(name: str, content: str | bytes) -> Build:
    """Loading a local interactions file (`rankbench run ./FILE`) that holds `content`."""
    from rankbench.harness.registry import DatasetSpec
    from rankbench.suites.local import load_interactions

    def build(w: World) -> Callable[[], Any]:
        path = put(w, name, content)
        spec = DatasetSpec(name=str(path), loader="rankbench.suites.local:load_interactions")
        return lambda: load_interactions(spec, str(path))

    return build


def ncf_with_unknown_test_user(w: World) -> Callable[[], Any]:
    """NCF files whose test file names user 2, who has no training interactions."""
    from rankbench.harness.registry import DatasetSpec

    folder = w.data / "ncf-bad"
    folder.mkdir()
    (folder / "x.train.rating").write_text("0\t0\t5\t1\n0\t1\t4\t2\n1\t0\t3\t3\n1\t2\t4\t4\n")
    (folder / "x.test.rating").write_text("0\t2\t5\t9\n1\t1\t4\t9\n2\t0\t3\t9\n")
    (folder / "x.test.negative").write_text("(0,2)\t3\t4\n(1,1)\t3\t4\n(2,0)\t3\t4\n")
    files = {f"ncf-bad/x.{suffix}": "" for suffix in ("train.rating", "test.rating", "test.negative")}
    spec = DatasetSpec(name="ncf-bad", loader="rankbench.suites.recsys.data:load_ncf", files=files)
    return lambda: recsys_data.load_ncf(spec)


def evaluate(qrels: str, run: str, *options: str) -> Build:
    """`rankbench evaluate` on a qrels file and a run file written for the case."""

    def build(w: World) -> list[str]:
        q, r = put(w, "qrels.txt", qrels), put(w, "run.txt", run)
        return ["evaluate", str(q), str(r), *options]

    return build


def trec_folder(files: dict[str, str | bytes]) -> Build:
    """Loading a local TREC folder (`rankbench run ./FOLDER`) holding `files`."""
    from rankbench.harness.registry import DatasetSpec
    from rankbench.suites.local import load_trec_folder

    def build(w: World) -> Callable[[], Any]:
        folder = w.work / "trec"
        folder.mkdir()
        for name, content in files.items():
            put(w, f"trec/{name}", content)
        spec = DatasetSpec(name=str(folder), loader="rankbench.suites.local:load_trec_folder")
        return lambda: load_trec_folder(spec, str(folder))

    return build


def bars_folder(test_csv: str) -> Build:
    """Loading a local BARS CSV folder whose test.csv holds `test_csv` (train and valid are sound)."""
    from rankbench.harness.registry import DatasetSpec
    from rankbench.suites.local import load_bars_folder

    def build(w: World) -> Callable[[], Any]:
        folder = w.work / "bars"
        folder.mkdir()
        for split, content in (("train", BARS_OK), ("valid", BARS_OK), ("test", test_csv)):
            put(w, f"bars/{split}.csv", content)
        spec = DatasetSpec(name=str(folder), loader="rankbench.suites.local:load_bars_folder")
        return lambda: load_bars_folder(spec, str(folder))

    return build


BARS_OK = "label,app,city\n1,a,x\n0,b,y\n"
TOPICS_OK = "1\tfirst query\n2\tsecond query\n"
TREC_QRELS_OK = "1 0 d1 1\n2 0 d2 1\n"
DOCS_OK = "d1\tone\nd2\ttwo\n"


QRELS_OK = "q1 0 d1 1\n"


def missing_units(w: World) -> list[str]:
    next(w.results.rglob("*.units.parquet")).rename(w.work / "moved.parquet")
    return ["compare", str(w.results), str(w.results)]


CORPUS = '{"_id": "d1", "text": "a b"}\n{"_id": "d2", "text": "c d"}\n'
R = formats.read_beir_corpus
Q = formats.read_beir_queries
QR = formats.read_beir_qrels
TQ = formats.read_trec_qrels
TR = formats.read_trec_run
RUN_OK = "q1 Q0 d1 1 2.0 x\n"

CASES = [
    # --- BEIR corpus / queries (JSONL) ---
    Case(
        "corpus-truncated-jsonl",
        reader(R, "corpus.jsonl", CORPUS + '{"_id": "d3", "te'),
        r"corpus\.jsonl:3: invalid JSON",
    ),
    Case(
        "corpus-line-not-object",
        reader(R, "corpus.jsonl", "[1, 2]\n"),
        r"corpus\.jsonl:1: each line must be a JSON object",
    ),
    Case(
        "corpus-missing-id",
        reader(R, "corpus.jsonl", CORPUS + '{"text": "x"}\n'),
        r"corpus\.jsonl:3: missing field '_id'",
    ),
    Case("corpus-missing-text", reader(R, "corpus.jsonl", '{"_id": "d1"}\n'), r"corpus\.jsonl:1: missing field 'text'"),
    Case(
        "corpus-id-is-list",
        reader(R, "corpus.jsonl", '{"_id": [1], "text": "x"}\n'),
        r":1: field '_id' must be a string",
    ),
    Case(
        "corpus-duplicate-id",
        reader(R, "corpus.jsonl", CORPUS + '{"_id": "d1", "text": "x"}\n'),
        r"corpus\.jsonl: duplicate document id 'd1'",
    ),
    Case(
        "corpus-latin1-not-utf8",
        reader(R, "corpus.jsonl", b'{"_id": "d1", "text": "caf\xe9"}\n'),
        r"corpus\.jsonl:1: not valid UTF-8.*re-encode",
    ),
    Case("corpus-utf16", reader(R, "corpus.jsonl", CORPUS.encode("utf-16")), r"corpus\.jsonl:1: not valid UTF-8"),
    Case(
        "corpus-truncated-gzip",
        reader(R, "corpus.jsonl.gz", gz(CORPUS * 50)[:-30]),
        r"corpus\.jsonl\.gz:\d+: truncated or corrupt",
    ),
    Case(
        "corpus-gz-suffix-not-gzip", reader(R, "corpus.jsonl.gz", CORPUS), r"corpus\.jsonl\.gz:1: truncated or corrupt"
    ),
    Case("corpus-no-such-file", lambda w: lambda: R(w.work / "absent.jsonl"), r"absent\.jsonl: no such file"),
    Case(
        "queries-empty-text",
        reader(Q, "queries.jsonl", '{"_id": "q1", "text": "  "}\n'),
        r"queries\.jsonl:1: query 'q1' has empty text",
    ),
    Case(
        "queries-null-text",
        reader(Q, "queries.jsonl", '{"_id": "q1", "text": null}\n'),
        r"queries\.jsonl:1: field 'text' must be a string",
    ),
    Case(
        "queries-duplicate-id",
        reader(Q, "queries.jsonl", '{"_id": "q1", "text": "a"}\n' * 2),
        r"duplicate query id 'q1'",
    ),
    # --- qrels (BEIR TSV / JSONL, TREC) ---
    Case(
        "qrels-tsv-two-columns",
        reader(QR, "qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\n"),
        r"qrels\.tsv:2: expected 3 tab-separated columns",
    ),
    Case(
        "qrels-tsv-spaces-not-tabs",
        reader(QR, "qrels.tsv", "q1 d1 1\n"),
        r"qrels\.tsv:1: expected 3 tab-separated columns .* found 1",
    ),
    Case(
        "qrels-label-float",
        reader(QR, "qrels.tsv", "q1\td1\t1.5\n"),
        r"qrels\.tsv:1: relevance label '1\.5' is not an integer",
    ),
    Case(
        "qrels-label-word",
        reader(QR, "qrels.tsv", "q1\td1\thigh\n"),
        r"qrels\.tsv:1: relevance label 'high' is not an integer",
    ),
    Case(
        "qrels-label-nan",
        reader(QR, "qrels.tsv", "q1\td1\t1\nq1\td2\tnan\n"),
        r"qrels\.tsv:2: relevance label 'nan' is not an integer",
    ),
    Case(
        "qrels-label-inf",
        reader(QR, "qrels.tsv", "q1\td1\tinf\n"),
        r"qrels\.tsv:1: relevance label 'inf' is not an integer",
    ),
    Case(
        "qrels-judged-twice",
        reader(QR, "qrels.tsv", "q1\td1\t1\nq1\td1\t2\n"),
        r"qrels\.tsv:2: document 'd1' judged twice for query 'q1'",
    ),
    Case(
        "qrels-header-only",
        reader(QR, "qrels.tsv", "query-id\tcorpus-id\tscore\n"),
        r"qrels\.tsv: qrels file has no judgements",
    ),
    Case(
        "qrels-jsonl-missing-doc",
        reader(QR, "qrels.jsonl", '{"query-id": "q1", "score": 1}\n'),
        r"qrels\.jsonl:1: missing field 'corpus-id'",
    ),
    Case(
        "trec-qrels-three-columns", reader(TQ, "qrels.txt", "q1 0 d1 1\nq2 d2 1\n"), r"qrels\.txt:2: expected 4 columns"
    ),
    Case(
        "trec-qrels-negative-label-float",
        reader(TQ, "qrels.txt", "q1 0 d1 -0.5\n"),
        r"qrels\.txt:1: relevance label '-0\.5' is not an integer",
    ),
    # --- TREC runs ---
    Case("run-five-columns", reader(TR, "run.txt", RUN_OK + "q1 Q0 d2 2 1.0\n"), r"run\.txt:2: expected 6 columns"),
    Case(
        "run-nan-score", reader(TR, "run.txt", RUN_OK + "q1 Q0 d2 2 nan x\n"), r"run\.txt:2: score 'nan' is not finite"
    ),
    Case("run-inf-score", reader(TR, "run.txt", "q1 Q0 d2 1 -inf x\n"), r"run\.txt:1: score '-inf' is not finite"),
    Case("run-word-score", reader(TR, "run.txt", "q1 Q0 d2 1 high x\n"), r"run\.txt:1: score 'high' is not a number"),
    Case(
        "run-duplicate-doc",
        reader(TR, "run.txt", RUN_OK + "q1 Q0 d1 2 1.0 x\n"),
        r"run\.txt:2: document 'd1' appears twice for query 'q1'",
    ),
    # --- records built in code ---
    Case(
        "record-run-duplicate-doc",
        lambda w: lambda: Run.from_arrays(np.array(["q1", "q1"]), np.array(["d1", "d1"]), np.array([1.0, 2.0])),
        r"run lists document 'd1' twice for query 'q1'",
    ),
    Case(
        "record-run-nan-score",
        lambda w: lambda: Run.from_arrays(np.array(["q1"]), np.array(["d1"]), np.array([np.nan])),
        r"run score for query 'q1', doc 'd1' is nan; scores must be finite",
    ),
    Case(
        "record-run-negative-k",
        lambda w: lambda: Run.from_dict({"q1": {"d1": 1.0}}).cut(-3),
        r"k must be a positive integer, got -3",
    ),
    Case("record-empty-query", lambda w: lambda: Queries(np.array(["q1"]), ("",)), r"query 'q1' is empty"),
    Case(
        "record-qrels-float-labels",
        lambda w: lambda: Qrels(np.array(["q"]), np.array(["d"]), np.array([1.5])),
        r"labels must be integers",
    ),
    Case(
        "ctr-unseen-category",
        lambda w: lambda: CTRTable(np.array([[1, 12]]), np.zeros((1, 0)), np.array([1]), ("app", "city"), (), (5, 10)),
        r"field 'city' has category id 12 outside its vocabulary 0\.\.9; encode every split with the encoder fit",
    ),
    Case(
        "ctr-label-not-binary",
        lambda w: lambda: CTRTable(np.array([[1]]), np.zeros((1, 0)), np.array([2]), ("app",), (), (5,)),
        r"CTR labels must be 0 or 1",
    ),
    Case(
        "ctr-csv-missing-label",
        reader(lambda p: ctr_data.read_bars_csv(p, ["app", "city", "label"]), "train.csv", "app,city\n1,2\n"),
        r"train\.csv:1: expected column 'label'",
    ),
    Case(
        "recsys-user-absent-from-train",
        lambda w: lambda: Interactions(np.array([0, 7]), np.array([0, 1]), 3, 2),
        r"user ids must lie in 0\.\.2",
    ),
    Case(
        "recsys-test-user-absent-from-train",
        ncf_with_unknown_test_user,
        r"x\.test\.rating:3: test user 2 has no training interactions; leave-one-out needs every test user",
    ),
    Case(
        "recsys-ratings-not-numeric",
        reader(recsys_data.read_movielens, "u.data", "1\t2\t5\t100\n1\tabc\tfour\t101\n"),  # ids are text
        r"u\.data:2: column .* is not numeric",
    ),
    Case(
        "recsys-local-csv-rating-word",
        local_interactions("i.csv", "user,item,rating\n1,2,4\n1,3,abc\n"),
        r"i\.csv:3: rating 'abc' is not a finite number$",
    ),
    Case(
        "recsys-local-csv-empty-user",
        local_interactions("i.csv", "userId,movieId,rating\n1,2,4\n,3,5\n2,3,1\n"),
        r"i\.csv:3: empty user id \(column 'userId'\)$",
    ),
    Case(
        "recsys-local-inter-empty-rating",
        local_interactions("i.inter", "user_id:token\titem_id:token\trating:float\n1\t2\t\n"),
        r"i\.inter:2: rating '' is not a finite number \(column 'rating:float'\)$",
    ),
    Case(
        "recsys-table-rating-word",
        reader(lambda p: recsys_data.read_table(p), "t.csv", "user,item,rating\n1,2,4\n1,3,x\n"),
        r"t\.csv:3: rating 'x' is not a finite number$",
    ),
    Case(
        "recsys-table-empty-item",
        reader(lambda p: recsys_data.read_table(p), "t.csv", "user,item\n1,\n"),
        r"t\.csv:2: empty item id$",
    ),
    # --- local folders and files (`rankbench run ./PATH`) ---
    Case(
        "trec-folder-duplicate-topic",
        trec_folder({"topics.tsv": TOPICS_OK + "1\tagain\n", "qrels.txt": TREC_QRELS_OK, "docs.tsv": DOCS_OK}),
        r"trec/topics\.tsv:3: duplicate query id '1' \(first on line 1\)$",
    ),
    Case(
        "trec-folder-duplicate-docno",
        trec_folder({"topics.tsv": TOPICS_OK, "qrels.txt": TREC_QRELS_OK, "docs.tsv": DOCS_OK + "\nd1\tagain\n"}),
        r"trec/docs\.tsv:4: duplicate document id 'd1' \(first on line 1\)$",
    ),
    Case(
        "trec-folder-empty-docno",
        trec_folder({"topics.tsv": TOPICS_OK, "qrels.txt": TREC_QRELS_OK, "docs.tsv": DOCS_OK + "\tno id\n"}),
        r"trec/docs\.tsv:3: empty document id$",
    ),
    Case(
        "trec-folder-sgml-empty-docno",
        trec_folder(
            {
                "topics.tsv": TOPICS_OK,
                "qrels.txt": TREC_QRELS_OK,
                "docs.sgml": "<DOC><DOCNO>d1</DOCNO>one</DOC>\n<DOC>\n<DOCNO> </DOCNO>two</DOC>\n",
            }
        ),
        r"trec/docs\.sgml:2: empty document id$",
    ),
    Case(
        "trec-folder-docs-gz-not-utf8",
        trec_folder({"topics.tsv": TOPICS_OK, "qrels.txt": TREC_QRELS_OK, "docs.tsv.gz": gzip.compress(b"d1\t\xff\n")}),
        r"trec/docs\.tsv\.gz:1: not valid UTF-8",
    ),
    Case(
        "trec-folder-nul-in-docno",
        trec_folder({"topics.tsv": TOPICS_OK, "qrels.txt": TREC_QRELS_OK, "docs.tsv": "d1\0\tone\n"}),
        r"trec/docs\.tsv:1: document id 'd1\\x00' holds a NUL byte$",
    ),
    Case("bars-label-two", bars_folder("label,app,city\n1,a,x\n2,b,y\n"), r"bars/test\.csv:3: label '2' is not a 0/1"),
    Case("bars-label-word", bars_folder("label,app,city\nx,a,x\n"), r"bars/test\.csv:2: label 'x' is not a 0/1"),
    Case("bars-label-nan", bars_folder("label,app,city\n\n1,a,x\nnan,b,y\n"), r"bars/test\.csv:4: label 'nan'"),
    Case(
        "bars-short-row",
        bars_folder("label,app,city\n1,a,x\n0,b\n"),
        r"bars/test\.csv:3: expected 3 fields as in the header, found 2$",
    ),
    Case(
        "recsys-local-csv-not-utf8",
        local_interactions("i.csv", b"user,item\n1,2\n1,\xff\n"),
        r"i\.csv:3: not valid UTF-8",
    ),
    Case(
        "recsys-local-csv-rating-nan",
        local_interactions("i.csv", "user,item,rating\n1,2,4\n1,3,nan\n"),
        r"i\.csv:3: rating 'nan' is not a finite number$",
    ),
    Case(
        "recsys-local-csv-rating-underscore",
        local_interactions("i.csv", "user,item,rating\n1,2,4\n1,3,1_0\n"),
        r"i\.csv:3: rating '1_0' is not a finite number$",
    ),
    Case(
        "ctr-libfm-label-other-digit",
        reader(lambda p: ctr_data.read_libfm(p, ["a"]), "x.libfm", "1 3:1\n\u0661 4:1\n"),
        r"x\.libfm:2: label '\u0661' is not a binary label",
    ),
    Case(
        "recsys-ncf-negative-other-digit",
        reader(recsys_data.read_ncf_negative, "x.test.negative", "(0,1)\t2\t3\n(1,2)\t\u0663\t4\n"),
        r"x\.test\.negative:2: item id '\u0663' is not a 0-based index",
    ),
    # --- measures ---
    Case(
        "measure-nDCG@ten",
        lambda w: lambda: parse_measure("nDCG@ten"),
        r"cutoff in 'nDCG@ten' must be a positive integer, e\.g\. nDCG@10",
    ),
    Case(
        "measure-misspelt", lambda w: lambda: parse_measure("nDGC@10"), r"unknown measure 'nDGC' \(did you mean 'nDCG'"
    ),
    Case("measure-negative-k", lambda w: lambda: parse_measure("R@-5"), r"cutoff in 'R@-5' must be a positive integer"),
    Case("measure-missing-cutoff", lambda w: lambda: parse_measure("P"), r"measure P needs a cutoff, e\.g\. P@10"),
    Case(
        "compare-measure-nDCG@ten",
        cli("compare", "{results}", "{results}", "-m", "nDCG@ten"),
        r"unknown measure .*'nDCG@ten' \(did you mean 'nDCG@10'",
    ),
    # --- rankbench evaluate ---
    Case("evaluate-measure-nDCG@ten", evaluate(QRELS_OK, RUN_OK, "-m", "nDCG@ten"), r"cutoff in 'nDCG@ten' must be"),
    Case("evaluate-run-nan-score", evaluate(QRELS_OK, "q1 Q0 d1 1 nan x\n"), r"run\.txt:1: score 'nan' is not finite"),
    Case("evaluate-run-duplicate-doc", evaluate(QRELS_OK, RUN_OK * 2), r"run\.txt:2: document 'd1' appears twice"),
    Case("evaluate-run-truncated-line", evaluate(QRELS_OK, RUN_OK + "q1 Q0 d2"), r"run\.txt:2: expected 6 columns"),
    Case(
        "evaluate-qrels-label-word", evaluate("q1 0 d1 yes\n", RUN_OK), r"qrels\.txt:1: relevance label 'yes' is not an"
    ),
    Case("evaluate-run-not-utf8", evaluate(QRELS_OK, b"q1 Q0 d\xe9 1 1.0 x\n"), r"run\.txt:1: not valid UTF-8"),
    Case(
        "evaluate-run-score-underscore",
        evaluate(QRELS_OK, "q1 Q0 d1 1 1_0 x\nq1 Q0 d2 2 2.0 x\n"),
        r"run\.txt:1: score '1_0' is not a number$",
    ),
    Case(
        "evaluate-run-doc-id-nul",
        evaluate(QRELS_OK, "q1 Q0 d1 1 2.0 x\nq1 Q0 d1\0 2 1.0 x\n"),
        r"run\.txt:2: document id 'd1\\x00' holds a NUL byte$",
    ),
    Case(
        "evaluate-qrels-label-arabic-digit",
        evaluate("q1 0 d1 \u0661\n", RUN_OK),
        r"qrels\.txt:1: relevance label '\u0661' is not an integer$",
    ),
    Case(
        "evaluate-unknown-format",
        evaluate(QRELS_OK, RUN_OK, "--format", "xml"),
        r"unknown output format 'xml' \(did you mean 'text', 'json'",
    ),
    # --- rankbench run ---
    Case(
        "run-unknown-suite",
        cli("run", "ir-synht", "-a", "bm25", "-o", "{results}"),
        r"unknown suite 'ir-synht' \(did you mean 'ir-synth'",
    ),
    Case(
        "run-unknown-adapter",
        cli("run", "ir-synth-tiny", "-a", "bm26", "-o", "{results}"),
        r"unknown adapter 'bm26' \(did you mean 'bm25'",
    ),
    Case(
        "run-unknown-adapter-param",
        cli("run", "ir-synth-tiny", "-a", "bm25(k9=1.2)", "-o", "{results}"),
        r"unknown parameter of adapter 'bm25' 'k9' \(did you mean 'k1'",
    ),
    Case(
        "run-adapter-param-word-for-float",
        cli("run", "ir-synth-tiny", "-a", "bm25(k1=abc)", "-o", "{results}"),
        r"parameter k1 of adapter 'bm25' takes float \(default 0\.9\), got 'abc'",
    ),
    Case(
        "run-adapter-param-infinite",
        cli("run", "ir-synth-tiny", "-a", "bm25(b=1e999)", "-o", "{results}"),
        r"parameter b of adapter 'bm25' takes float \(default 0\.4\), got inf",
    ),
    Case(
        "run-suite-unknown-setting",
        cli("run", "ir-synth-tiny(dpeth=5)", "-a", "bm25", "-o", "{results}"),
        r"unknown setting of suite 'ir-synth-tiny' 'dpeth' \(did you mean 'depth'",
    ),
    Case(
        "run-suite-setting-wrong-type",
        cli("run", "ml-100k-holdout(split_seed=abc)", "-a", "bm25", "-o", "{results}"),
        r"setting split_seed of suite 'ml-100k-holdout' takes int \(the suite sets 0\), got 'abc'",
    ),
    Case(
        "run-out-is-a-file",
        lambda w: ["run", "ir-synth-tiny", "-a", "bm25", "-o", str(put(w, "taken", "x"))],
        r"taken/ir-synth-tiny-[0-9a-f]+/bm25-[0-9a-f]+: cannot create this folder: a part of its path is a file; "
        r"choose another output path",
    ),
    Case(
        "report-out-under-a-file",
        lambda w: ["report", str(w.results), "-o", str(put(w, "taken", "x") / "site")],
        r"taken/site: cannot create this folder: a part of its path is a file; choose another output path",
    ),
    Case(
        "evaluate-run-is-a-folder",
        lambda w: ["evaluate", str(put(w, "qrels.txt", "q1 0 d1 1\n")), str(w.work), "-m", "AP"],
        r"work: is a folder; give the file inside it",
    ),
    Case(
        "run-recbole-unknown-model",
        cli("run", "recsys-synth-tiny", "-a", "recbole(model='NoSuch')", "-o", "{results}"),
        r"^error: unknown RecBole model 'NoSuch' \(did you mean 'N",
    ),
    Case(
        "run-negative-epochs",
        cli("run", "recsys-synth-tiny", "-a", "bpr(epochs=-1)", "-o", "{results}"),
        r"^error: bpr: epochs must be a positive integer, got -1$",
    ),
    Case(
        "run-zero-learning-rate",
        cli("run", "recsys-synth-tiny", "-a", "neumf(lr=0)", "-o", "{results}"),
        r"^error: neumf: lr must be a positive number, got 0$",
    ),
    Case(
        "run-reranker-zero-batch",
        cli("run", "ir-synth-tiny", "-a", "bm25>>cross-encoder(batch_size=0)@10", "-o", "{results}"),
        r"^error: cross-encoder: batch_size must be a positive integer, got 0$",
    ),
    Case(
        "run-negative-seed",
        cli("run", "ir-synth-tiny", "-a", "bm25", "--seed", "-1", "-o", "{results}"),
        r"^error: invalid value for '--seed': .*greater than or equal to 0",
    ),
    Case(
        "run-file-adapter-given-a-folder",
        cli("run", "ir-synth-tiny", "-a", "run:{results}", "-o", "{results}"),
        r"^error: run file .* is a folder; give the run file inside it",
    ),
    Case(
        "run-pipeline-second-stage-not-a-reranker",
        cli("run", "ir-synth-tiny", "-a", "bm25>>bm25@10", "-o", "{results}"),
        r"^error: pipeline stage 'bm25@10' of 'bm25>>bm25@10' must be a reranker, it is a retriever$",
    ),
    Case(
        "run-unknown-split",
        cli("run", "recsys-synth-tiny(split=bogus)", "-a", "popularity", "-o", "{results}"),
        r"^error: setting split of suite 'recsys-synth-tiny' takes one of leave-one-out, strong-generalization, "
        r"random-holdout, temporal; got 'bogus'$",
    ),
    Case("run-symlink-loop", symlink_loop, r"^error: .*loop: cannot follow this path \(Symlink loop"),
    Case(
        "run-fractional-depth",
        cli("run", "ir-synth-tiny(depth=5.5)", "-a", "bm25", "-o", "{results}"),
        r"^error: setting depth of suite 'ir-synth-tiny' takes int, got 5\.5$",
    ),
    Case(
        "run-boolean-depth",
        cli("run", "ir-synth-tiny(depth=True)", "-a", "bm25", "-o", "{results}"),
        r"^error: setting depth of suite 'ir-synth-tiny' takes int, got True$",
    ),
    Case(
        "run-adapter-param-twice",
        cli("run", "ir-synth-tiny", "-a", "bm25(k1=1,k1=2)", "-o", "{results}"),
        r"parameter 'k1' is set twice in 'bm25\(k1=1,k1=2\)'; keep one",
    ),
    Case(
        "run-unparsable-adapter",
        cli("run", "ir-synth-tiny", "-a", "bm25(k1=", "-o", "{results}"),
        r"cannot parse adapter reference 'bm25\(k1='",
    ),
    Case(
        "run-negative-rerank-depth",
        cli("run", "ir-synth-tiny", "-a", "bm25>>cross-encoder@-5", "-o", "{results}"),
        r"rerank depth '-5' .* must be a positive integer",
    ),
    Case(
        "run-wrong-family",
        cli("run", "ir-synth-tiny", "-a", "popularity", "-o", "{results}"),
        r"adapter 'popularity' is a recommender; suite 'ir-synth-tiny' takes",
    ),
    Case("run-no-adapter", cli("run", "ir-synth-tiny", "-o", "{results}"), r"needs at least one adapter: add -a NAME"),
    Case(
        "run-suite-with-depth",
        cli("run", "ir-synth-tiny@5", "-a", "bm25", "-o", "{results}"),
        r"suite reference 'ir-synth-tiny@5' cannot take @depth",
    ),
    Case(
        "run-unknown-executor",
        cli("run", "ir-synth-tiny", "-a", "bm25", "--executor", "rya", "-o", "{results}"),
        r"unknown executor 'rya' \(did you mean 'ray'",
    ),
    Case(
        "run-address-without-ray",
        cli("run", "ir-synth-tiny", "-a", "bm25", "--address", "127.0.0.1:1", "-o", "{results}"),
        r"--address is for the Ray executor: add --executor ray",
    ),
    Case(
        "run-missing-extra-ray",
        cli("run", "ir-synth-tiny", "-a", "bm25", "--executor", "ray", "-o", "{results}"),
        r"missing optional dependency 'ray'.*pip install 'ray\[default\]>=2\.9' \(in rankbench's ray extra\)",
        hide_modules=("ray",),
    ),
    Case(
        "run-dataset-missing",
        cli("run", "beir-scifact", "-a", "bm25", "-o", "{results}"),
        r"dataset 'beir-scifact' needs .*corpus\.jsonl \(set RANKBENCH_DATA",
    ),
    Case(
        "run-interactions-header-only",
        lambda w: ["run", str(put(w, "i.csv", "user,item,rating\n")), "-a", "popularity", "-o", str(w.results)],
        r"i\.csv: no interactions under the header; give at least one user,item row",
    ),
    Case("run-dataset-corrupt", corrupt_data, r"corpus\.jsonl\.gz: sha256 .* does not match the expected"),
    Case(
        "run-dataset-truncated-gzip",
        damaged_data(gz("1\t2\t3\t4\n" * 5000)[:-30]),
        r"ml-100k/u\.data\.gz: damaged \(truncated.*\); delete it and run `rankbench data fetch ml-100k`, or restore",
    ),
    Case(
        "run-dataset-gz-not-gzip",
        damaged_data(b"1\t2\t3\t4\n"),
        r"ml-100k/u\.data\.gz: damaged \(not gzip.*\); delete it and run `rankbench data fetch ml-100k`",
    ),
    # --- stored results ---
    Case(
        "show-future-schema",
        with_result(lambda d: d.update(schema_version=99)),
        r"r\.json: result has schema version 99, newer .*; upgrade rankbench",
    ),
    Case(
        "show-invalid-json",
        with_result(lambda d: b'{"schema_version": 1, "suite": '),
        r"r\.json: not a valid result file .*; `rankbench run` recomputes the cell",
    ),
    Case("show-result-not-utf8", with_result(lambda d: b'{"suite": "\xff"}'), r"r\.json: not a valid result file"),
    Case(
        "show-result-is-a-list",
        with_result(lambda d: [d]),
        r"r\.json: not a rankbench result \(no integer schema_version\)",
    ),
    Case("show-result-bad-field", with_result(lambda d: d.update(seed="zero")), r"r\.json: invalid result at seed"),
    Case(
        "show-no-such-dir",
        cli("show", "{work}/nowhere"),
        r"nowhere: no such results directory; run `rankbench run \.\.\. -o DIR` first",
    ),
    Case(
        "compare-units-missing",
        missing_units,
        r"seed-0\.json: its per-unit file seed-0\.units\.parquet is missing; `rankbench run` recomputes the cell",
    ),
    Case(
        "report-unknown-format",
        cli("report", "{results}", "-o", "{work}/site", "--format", "pdf"),
        r"unknown report format 'pdf'",
    ),
    # --- other commands ---
    Case("list-unknown-kind", cli("list", "adaptors"), r"unknown listing 'adaptors' \(did you mean 'adapters'"),
    Case(
        "reproduce-unknown-card",
        cli("reproduce", "ncf-ml1n", "-o", "{work}/repro"),
        r"unknown .*'ncf-ml1n' \(did you mean 'ncf-ml1m'",
    ),
    Case("data-verify-unknown-dataset", cli("data", "verify", "scifakt"), r"unknown dataset 'scifakt'"),
    Case(
        "data-verify-no-data-home",
        cli("data", "verify"),
        r"^error: the data home .*no-such-home is not a folder: set RANKBENCH_DATA",
        env={"RANKBENCH_DATA": "{work}/no-such-home"},
    ),
    Case("cache-verify-corrupt-entry", corrupt_cache, r"^corrupt: .*\.npy$", code=1),
    Case(
        "cache-ls-when-off",
        cli("cache", "ls"),
        r"the output cache is off \(RANKBENCH_CACHE=off\)",
        env={"RANKBENCH_CACHE": "off"},
    ),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case, world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    for module in case.hide_modules:
        monkeypatch.setitem(sys.modules, module, None)
    action = case.build(world)
    before = tree_digest(world.root)
    if isinstance(action, list):
        code, out, err = invoke(action, capsys)
        assert code == case.code, (out, err)
        text = out if case.code == 1 else err
        lines = [line for line in text.strip().splitlines() if line.strip()]
        message = next(line for line in lines if not re.match(r"^\d+ ok, \d+ corrupt$", line))
        if case.code == 2:
            assert len(lines) == 1, err
            assert message.startswith("error: ")
        assert "Traceback" not in out + err
    else:
        with pytest.raises(HarnessError) as info:
            action()
        message = str(info.value)
        assert "\n" not in message
    assert re.search(case.expect, message), message
    assert tree_digest(world.root) == before, "the case changed files under the store, cache or inputs"
