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


# --- numbers as the formats write them, ids without NUL, qrels told apart by content ---


@pytest.mark.parametrize("score", ["1_0", "١", "１", "0x1p3", "1d5", "1e", "--1", "nan%"])
def test_a_score_python_reads_but_no_trec_tool_writes_is_a_file_line_error(tmp_path: Path, score: str) -> None:
    """`float` takes `1_0` (as 10: trec_eval's atof reads 1) and other scripts' digits; the readers do not."""
    path = tmp_path / "run"
    path.write_text(f"q1 Q0 d1 1 2.0 x\nq1 Q0 d2 2 {score} x\n", encoding="utf-8")
    with pytest.raises(BadInput, match=rf"^{path}:2: score '{score}' is not a number$"):
        read_trec_run(path)


@pytest.mark.parametrize("label", ["١", "1_0", "²", "１"])
@pytest.mark.parametrize(
    ("name", "template", "reader"),
    [
        ("qrels", "q1 0 d0 1\nq1 0 d1 {}\n", read_trec_qrels),
        ("qrels.tsv", "q1\td0\t1\nq1\td1\t{}\n", read_beir_qrels),
        (
            "qrels.jsonl",
            '{{"query-id": "q1", "corpus-id": "d0", "score": 1}}\n'
            '{{"query-id": "q1", "corpus-id": "d1", "score": "{}"}}\n',
            read_beir_qrels,
        ),
    ],
)
def test_a_label_in_other_digits_is_a_file_line_error(tmp_path: Path, name: str, template: str, reader, label) -> None:
    path = tmp_path / name
    path.write_text(template.format(label), encoding="utf-8")
    with pytest.raises(BadInput, match=rf"^{path}:2: relevance label '{label}' is not an integer$"):
        reader(path)


def test_number_syntax_is_exactly_what_pyarrow_parses() -> None:
    """The line reader's `NUMBER` accepts a text exactly when the columnar path's pyarrow parser does, so the
    two paths read the same files (every string of up to 4 characters over the characters that matter)."""
    import itertools

    import pyarrow as pa
    import pyarrow.csv as pacsv

    texts = sorted({"".join(t) for n in range(1, 5) for t in itertools.product("1.e+-_xinfa", repeat=n)})
    options = pacsv.ConvertOptions(column_types={"v": pa.float64()}, null_values=[], strings_can_be_null=False)
    disagree = []
    for text in texts:
        try:
            pacsv.read_csv(pa.py_buffer(f"v\n{text}\n".encode()), convert_options=options)
            arrow = True
        except pa.ArrowInvalid:
            arrow = False
        if arrow != (formats.parse_number(text) is not None):
            disagree.append(text)
    assert not disagree
    assert formats.parse_number("Infinity") == float("inf") and formats.parse_number("+.5E-1") == 0.05


def test_plain_spellings_of_numbers_read_the_same_on_both_paths(tmp_path: Path) -> None:
    path = tmp_path / "run"
    path.write_text("q1 Q0 a 1 +1 x\nq1 Q0 b 2 .5 x\nq1 Q0 c 3 5. x\nq1 Q0 d 4 1E+0 x\nq1 Q0 e 5 -2e-1 x\n")
    fast, slow = formats._trec_run_fast(path), formats._read_trec_run_lines(path)
    _same_run(fast, slow)
    assert fast.scores.tolist() == [5.0, 1.0, 1.0, 0.5, -0.2] and fast.doc_ids.tolist() == ["c", "d", "a", "b", "e"]


@pytest.mark.parametrize(
    ("name", "content", "reader", "message"),
    [
        ("run", "q1 Q0 d 1 2 x\nq1 Q0 d\0 2 1 x\n", read_trec_run, r"run:2: document id 'd\\x00' holds a NUL byte$"),
        ("run", "q1\0 Q0 d 1 2 x\n", read_trec_run, r"run:1: query id 'q1\\x00' holds a NUL byte$"),
        ("run", "q1 Q0 d 1 2 x\nq1 Q0 e 2 1 x\0\n", read_trec_run, r"run:2: run tag 'x\\x00' holds a NUL byte$"),
        ("qrels", "q1 0 d 1\nq1 0 d\0 0\n", read_trec_qrels, r"qrels:2: document id 'd\\x00' holds a NUL byte$"),
        ("qrels.tsv", "q1\td\t1\nq\0\td\t0\n", read_beir_qrels, r"qrels.tsv:2: query id 'q\\x00' holds a NUL"),
        ("c.jsonl", '{"_id": "d\\u0000", "text": "x"}\n', read_beir_corpus, r"c.jsonl:1: document id 'd\\x00' holds"),
        ("q.jsonl", '{"_id": "\\u0000", "text": "x"}\n', formats.read_beir_queries, r"q.jsonl:1: query id '\\x00'"),
    ],
)
def test_an_id_holding_a_nul_byte_is_a_file_line_error(tmp_path: Path, name: str, content: str, reader, message):
    """numpy strings drop trailing NULs (and the packed id words pad with them): `d\\0` would be `d`."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BadInput, match=message):
        reader(path)


def test_evaluate_names_the_line_of_an_id_with_a_nul_byte(tmp_path: Path) -> None:
    from rankbench.harness.measures.evaluate_files import evaluate_files

    (tmp_path / "qrels").write_text("q1 0 d 1\n")
    (tmp_path / "run").write_text("q1 Q0 d 1 2.0 x\nq1 Q0 d\0 2 1.0 x\n")
    with pytest.raises(BadInput, match=rf"^{tmp_path / 'run'}:2: document id 'd\\x00' holds a NUL byte$"):
        evaluate_files(tmp_path / "qrels", tmp_path / "run", ["RR"])


@pytest.mark.parametrize(
    ("first", "kind"),
    [
        ("q1\t0\td1 1", "trec"),  # a tab, then spaces: 3 tab fields but no number last; 4 as trec_eval splits
        ("q1 0 d1 1", "trec"),
        ("q1\t0\td1\t1", "trec"),
        ("q1\td1\t1", "beir"),
        ("q1\td 1\t1", "beir"),  # a BEIR doc id holding a space: the third tab field is the label
        ("query-id\tcorpus-id\tscore", "beir"),
        ("q1\td1\tx", "beir"),  # neither: the BEIR reader names the label
        ("q1 d1", "trec"),
    ],
)
def test_qrels_format_is_told_by_the_fields_of_the_first_line(first: str, kind: str) -> None:
    assert formats.qrels_format(first) == kind


def test_trec_qrels_with_a_tab_then_spaces_is_read_as_trec(tmp_path: Path) -> None:
    import pytrec_eval

    path = tmp_path / "qrels"
    path.write_text("q1\t0\td1 1\nq1 0 d2\t0\n")
    assert formats.read_qrels(path).to_dict() == {"q1": {"d1": 1, "d2": 0}}
    with open(path) as fh:
        assert pytrec_eval.parse_qrel(fh) == {"q1": {"d1": 1, "d2": 0}}


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ('{"_id": "d1", "text": 5}', r"c.jsonl:2: field 'text' must be a string, not 5$"),
        ('{"_id": "d1", "text": "x", "title": ["a"]}', r"c.jsonl:2: field 'title' must be a string or null, not"),
        ('{"_id": "d1", "text": "x", "title": 3}', r"c.jsonl:2: field 'title' must be a string or null, not 3$"),
        ('{"_id": true, "text": "x"}', r"c.jsonl:2: field '_id' must be a string, not true$"),
    ],
)
def test_a_beir_record_of_the_wrong_type_is_a_file_line_error(tmp_path: Path, record: str, message: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"_id": "d0", "text": "a", "title": null}\n' + record + "\n")
    with pytest.raises(BadInput, match=message):
        read_beir_corpus(path)


def test_a_beir_corpus_takes_null_or_absent_titles_and_integer_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"_id": "d0", "text": "a", "title": null}\n{"_id": 7, "text": "b"}\n')
    corpus = read_beir_corpus(path)
    assert corpus.ids.tolist() == ["d0", "7"] and list(corpus.titles) == ["", ""]


def test_a_gzipped_trec_folder_reads_as_the_plain_one(tmp_path: Path) -> None:
    """topics, qrels and documents of a TREC folder may each be gzipped, as the layout check already allowed."""
    import gzip

    from rankbench.harness.registry import DatasetSpec
    from rankbench.suites.local import load_trec_folder

    files = {
        "topics.tsv": "\ufeff1\tfirst query\r\n2\tsecond query\n",
        "qrels.tsv": "query-id\tcorpus-id\tscore\n1\td1\t1\n2\td2\t2\n",
        "docs.tsv": "d1\tone\n\nd2\ttwo\n",
    }
    loaded = {}
    for zipped in (False, True):
        folder = tmp_path / str(zipped)
        folder.mkdir()
        for name, text in files.items():
            data = text.encode()
            (folder / (name + ".gz" if zipped else name)).write_bytes(gzip.compress(data) if zipped else data)
        data = load_trec_folder(DatasetSpec(name=str(folder), loader=""), str(folder)).data
        loaded[zipped] = (data.corpus.ids.tolist(), data.corpus.texts, data.queries.ids.tolist(), data.qrels.to_dict())
    expected = (["d2", "d1"], ("two", "one"), ["1", "2"], {"1": {"d1": 1}, "2": {"d2": 2}})  # trec_eval order
    assert loaded[True] == loaded[False] == expected


def test_unicode_spaces_belong_to_their_field_on_both_reader_paths(tmp_path: Path) -> None:
    """trec_eval splits on ASCII spaces and tabs only; `str.split()` also split on NBSP, U+3000 and U+001C..F,
    so one odd line sent a whole file to the line reader and changed how the other lines read."""
    run = tmp_path / "run.txt"
    run.write_text("q1 Q0 d1\u00a0 1 0.5 t\nq1 Q0 da 2 0.4 t\nq2 Q0 x\u3000y 1 1 t\n", encoding="utf-8")
    fast, slow = formats.read_trec_run(run), formats._read_trec_run_lines(run)
    assert fast.to_dict() == slow.to_dict() == {"q1": {"d1\u00a0": 0.5, "da": 0.4}, "q2": {"x\u3000y": 1.0}}
    joined = tmp_path / "joined.txt"
    joined.write_text("q1 Q0 d1 1 0.5 t\nq2\u00a0Q0 x 1 1 t\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"joined.txt:2: expected 6 columns"):
        formats.read_trec_run(joined)
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d1\u001c 1\n", encoding="utf-8")
    assert formats.read_trec_qrels(qrels).to_dict() == {"q1": {"d1\u001c": 1}}
