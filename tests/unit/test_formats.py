from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness import formats
from rankbench.harness.errors import BadInput
from rankbench.harness.formats import read_beir_corpus, read_beir_qrels, read_trec_qrels, read_trec_run


def test_trec_roundtrip(tmp_path: Path) -> None:
    (tmp_path / "qrels").write_text("q1 0 d1 2\nq1 0 d2 0\n")
    (tmp_path / "run").write_text("q1 Q0 d2 1 3.5 x\nq1 Q0 d1 2 1.5 x\n")
    qrels = read_trec_qrels(tmp_path / "qrels")
    run = read_trec_run(tmp_path / "run")
    assert qrels.to_dict() == {"q1": {"d1": 2, "d2": 0}}
    assert list(run.doc_ids) == ["d2", "d1"]


@pytest.mark.parametrize(
    ("name", "content", "reader", "message"),
    [
        ("run", "q1 Q0 d1 1 nan x\n", read_trec_run, "not finite"),
        ("run", "q1 Q0 d1 1 1.0 x\nq1 Q0 d1 2 0.5 x\n", read_trec_run, "twice"),
        ("qrels", "q1 0 d1 high\n", read_trec_qrels, "not an integer"),
        ("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\n", read_beir_qrels, "3 tab-separated"),
        ("corpus.jsonl", '{"_id": "a", "text": "x"}\n{"_id": "b", "te', read_beir_corpus, "invalid JSON"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, name: str, content: str, reader, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BadInput, match=message) as info:
        reader(path)
    assert str(path) in str(info.value)


def _same_run(a, b) -> None:
    assert a.name == b.name
    for field in ("query_ids", "offsets", "doc_ids", "scores"):
        assert getattr(a, field).tolist() == getattr(b, field).tolist(), field


RUN_TEXT = "q1 Q0 d1 1 3.5 x\nq1 Q0 d2 2 3.5 x\nq01 Q0 d1 1 0.9000000001 x\nq01 Q0 d3 2 0.9 x\nq2 Q0 é9 1 -1e3 tag\n"
QRELS_TEXT = "q1 0 d1 2\nq01 0 d3 1\nq2 0 é9 0\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t,
        lambda t: "\ufeff" + t,  # byte-order mark
        lambda t: t.replace("\n", "\r\n"),  # CRLF
        lambda t: t.replace(" ", "\t"),  # tabs
        lambda t: "\n  " + t.replace(" ", " \t  ").replace("\n", "  \n\n"),  # runs of blanks, blank lines
        lambda t: "\ufeff" + t.replace(" ", "\t").replace("\n", "\r\n"),
    ],
    ids=["plain", "bom", "crlf", "tabs", "blanks", "bom-tabs-crlf"],
)
def test_trec_files_read_as_trec_eval_splits_them(tmp_path: Path, encode) -> None:
    """BOM, CRLF, tabs or runs of blanks never change what is read (issue 18, example 3); ids stay text."""
    (tmp_path / "run").write_text(encode(RUN_TEXT), encoding="utf-8", newline="")
    (tmp_path / "qrels").write_text(encode(QRELS_TEXT), encoding="utf-8", newline="")
    run, qrels = read_trec_run(tmp_path / "run"), read_trec_qrels(tmp_path / "qrels")
    assert run.name == "tag" and run.query_ids.tolist() == ["q01", "q1", "q2"]
    assert run.doc_ids.tolist() == ["d3", "d1", "d2", "d1", "é9"]  # float32 tie in q01, exact tie in q1: doc desc
    assert qrels.to_dict() == {"q1": {"d1": 2}, "q01": {"d3": 1}, "q2": {"é9": 0}}


def test_columnar_and_line_readers_agree(tmp_path: Path) -> None:
    """The pyarrow path and the line-by-line path return the same records on random files."""
    rng = np.random.default_rng(0)
    lines = []
    for q in rng.permutation(40):
        docs = rng.choice(500, size=rng.integers(1, 60), replace=False)
        scores = np.round(rng.random(len(docs)) * rng.choice([3, 1000, 1e9]), 4) + rng.choice([0, 1e-12])
        rows = enumerate(zip(docs.tolist(), scores.tolist(), strict=True))
        lines += [f"{q:03d} Q0 D{d} {r} {s!r} run{q % 2}\n" for r, (d, s) in rows]
    lines = [lines[i] for i in rng.permutation(len(lines))]
    path = tmp_path / "run"
    path.write_text("".join(lines))
    fast = formats._trec_run_fast(path)  # the columnar path itself, not a silent fallback
    slow = formats._read_trec_run_lines(path)
    _same_run(fast, slow)
    fields = [x.split() for x in lines]
    ref = formats.Run.from_arrays([f[0] for f in fields], [f[2] for f in fields], [float(f[4]) for f in fields])
    _same_run(fast, formats.Run(ref.query_ids, ref.offsets, ref.doc_ids, ref.scores, lines[-1].split()[-1]))


@pytest.mark.parametrize(
    ("name", "data", "reader", "message"),
    [
        ("qrels", b"q1 0 d1 1\nq1 0 d\xff2 1\n", read_trec_qrels, r"qrels:2: not valid UTF-8"),
        ("run", b"q1 Q0 d1 1 1 x\nq1 Q0 d2 2 1 x\n\nq1 Q0 d\xe93 2 1 x\n", read_trec_run, r"run:4: not valid UTF-8"),
        ("qrels.tsv", b"query-id\tcorpus-id\tscore\nq\xc3\td\t1\n", read_beir_qrels, r"qrels.tsv:2: not valid UTF-8"),
        ("run", b"q1 Q0 d1 1 1 x\n\nq1 Q0 d2 2 1\n", read_trec_run, r"run:3: expected 6 columns"),
        ("run", b"q1 Q0 d1 1 1 x\nq1 Q0 d2 2 1 x\nq1 Q0 d1 3 1 x\n", read_trec_run, r"run:3: .*'d1' appears twice"),
        ("qrels", b"q1 0 d1 1\n\nq1 0 d1 2\n", read_trec_qrels, r"qrels:3: .*'d1' judged twice .*line 1"),
    ],
)
def test_bad_bytes_and_lines_are_one_file_line_error(tmp_path: Path, name: str, data: bytes, reader, message) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(BadInput, match=message):
        reader(path)


def test_beir_tsv_header_after_a_bom_is_a_header(tmp_path: Path) -> None:
    """BEIR's loader skips the header line; a BOM before it must not turn it into data (issue 18, example 3)."""
    path = tmp_path / "test.tsv"
    path.write_bytes(b"\xef\xbb\xbfquery-id\tcorpus-id\tscore\r\n01\t7\t1\r\n1\t7\t2\r\n")
    assert read_beir_qrels(path).to_dict() == {"01": {"7": 1}, "1": {"7": 2}}


def test_arrow_strings_equal_pyarrows_own_conversion() -> None:
    """Ids laid out from Arrow's buffers equal Arrow's Python strings: mixed and equal lengths, empty
    strings, sliced chunks (a non-zero offset), several chunks, and non-ASCII text."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    mixed = ["".join(rng.choice(list("abc09-"), int(rng.integers(0, 12)))) for _ in range(500)]
    cases = [
        pa.array(mixed),
        pa.array(mixed).slice(37, 200),
        pa.array([f"d{i:06d}" for i in range(300)]),  # one length: no scatter
        pa.array([f"d{i:06d}" for i in range(300)]).slice(5, 50),
        pa.chunked_array(
            [pa.array(mixed[:100]), pa.array(["x"] * 3), pa.array([], pa.string()), pa.array(mixed[100:])]
        ),
        pa.array(["caf\u00e9", "\U0001d11e", "plain"]),
    ]
    for column in cases:
        expected = column.to_pylist()
        got = formats.arrow_strings(column)
        assert got.dtype.kind == "U" and got.tolist() == expected


HUGE = "x" * 100_000


@pytest.mark.parametrize(
    ("name", "line", "reader", "what"),
    [
        ("run", f"q1 Q0 {HUGE} 7 0.5 r", read_trec_run, "document"),
        ("run", f"{HUGE} Q0 d7 7 0.5 r", read_trec_run, "query"),
        ("qrels", f"q1 0 {HUGE} 1", read_trec_qrels, "document"),
        ("qrels.tsv", f"q1\t{HUGE}\t1", read_beir_qrels, "document"),
        ("corpus.jsonl", f'{{"_id": "{HUGE}", "text": "x"}}', read_beir_corpus, "document"),
    ],
    ids=["run-doc", "run-query", "trec-qrels", "beir-qrels", "corpus"],
)
def test_an_id_over_the_cap_is_a_file_line_error(tmp_path: Path, name: str, line: str, reader, what: str) -> None:
    """One huge id would make every id that wide (numpy's fixed-width strings): refused at its line, cap named."""
    ok = {
        "run": "q1 Q0 d{i} {i} 1.0 r",
        "qrels": "q1 0 d{i} 1",
        "qrels.tsv": "q1\td{i}\t1",
        "corpus.jsonl": '{{"_id": "d{i}", "text": "x"}}',
    }[name]
    rows = [ok.format(i=i) for i in range(1, 50)]
    rows[6] = line
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    message = f"{path}:7: {what} id of 100,000 characters is longer than the 1,000 characters an id may have"
    with pytest.raises(BadInput) as info:
        reader(path)
    assert str(info.value) == message


def test_records_refuse_an_id_over_the_cap_and_take_one_at_it() -> None:
    from rankbench.harness.records import MAX_ID_LENGTH, Run

    at_cap = "d" * MAX_ID_LENGTH
    assert Run.from_arrays(np.array(["q1", "q1"]), np.array([at_cap, "d2"]), np.array([1.0, 0.5])).doc_ids[0] == at_cap
    with pytest.raises(BadInput, match=r"^document id of 1,001 characters is longer than the 1,000"):
        Run.from_arrays(np.array(["q1"]), np.array([at_cap + "d"]), np.array([1.0]))


@pytest.mark.parametrize("label", ["-1e20", "99999999999999999999", "2147483648"])
def test_a_label_beyond_a_c_int_is_a_file_line_error(tmp_path: Path, label: str) -> None:
    """It used to be cast to a wrong int64 (silently not relevant) or to crash the line reader."""
    trec, beir = tmp_path / "qrels.txt", tmp_path / "qrels.tsv"
    trec.write_text(f"q1 0 d1 1\nq1 0 d3 {label}\n")
    beir.write_text(f"query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t{label}\n")
    with pytest.raises(BadInput, match=rf"qrels.txt:2: relevance label '{label}' is out of range"):
        read_trec_qrels(trec)
    with pytest.raises(BadInput, match=rf"qrels.tsv:3: relevance label '{label}' is out of range"):
        read_beir_qrels(beir)
    trec.write_text("q1 0 d1 1\nq1 0 d3 2147483647\n")
    assert read_trec_qrels(trec).labels.max() == 2**31 - 1


def test_an_uncaught_error_after_an_arrow_read_exits_1_not_by_abort(tmp_path: Path) -> None:
    """A traceback kept to the interpreter's teardown (Python keeps the last one) held the frames
    that held Arrow tables; freed after Arrow's own state, they abort the process (exit 134). The
    reader registers a hook that drops it first: the process exits 1, and the hook ran."""
    run = tmp_path / "run.txt"
    run.write_text("".join(f"q{q} Q0 d{d} {d + 1} {1.0 / (d + 1)} x\n" for q in range(50) for d in range(100)))
    script = f"""
import atexit, sys
atexit.register(lambda: print("kept:", getattr(sys, "last_traceback", None) is not None, flush=True))
from rankbench.harness.formats import read_trec_run_columns
def fail(columns):
    raise RuntimeError("after the read")
fail(read_trec_run_columns({str(run)!r}))
"""
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert out.returncode == 1, out.stderr
        assert out.stdout.strip() == "kept: False" and "RuntimeError: after the read" in out.stderr
