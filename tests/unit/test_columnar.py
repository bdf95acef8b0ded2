"""The columnar evaluation of run files (doc ids as byte words, no string per row) equals the
string path (`Run` + `evaluate_arrays`) and trec_eval (pytrec_eval) on random and adversarial files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.formats import read_trec_run_columns
from rankbench.harness.ids import byte_words, id_words, matrix_words, string_bytes, words_hash
from rankbench.harness.measures.columnar import evaluate_run_columns
from rankbench.harness.measures.evaluate_files import evaluate_files, read_qrels
from rankbench.harness.measures.grammar import parse_measures
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import Qrels, Run, words_less
from tests.unit.test_ranking_measures import PAIRS, TREC_MEASURES, _assert_equal, _trec, near_tie_case, random_case

pytrec_eval = pytest.importorskip("pytrec_eval")


def _write(tmp_path: Path, qrels: dict, run: dict, rng: np.random.Generator, crlf: bool = False) -> tuple[Path, Path]:
    """TREC files of the dicts; run rows as listed, shuffled (queries split into several stretches), or
    best first per query with equal scores in a random order (as search systems write runs)."""
    rows = [(q, d, s) for q, docs in run.items() for d, s in docs.items()]
    how = rng.integers(3)
    if how == 0:
        order = np.arange(len(rows))
    elif how == 1:
        order = rng.permutation(len(rows))
    else:
        queries = np.unique([r[0] for r in rows], return_inverse=True)[1]
        order = np.lexsort((rng.random(len(rows)), -np.array([r[2] for r in rows], dtype=float), queries))
    end = "\r\n" if crlf else "\n"
    run_path, qrels_path = tmp_path / "run.txt", tmp_path / "qrels.txt"
    run_path.write_text("".join(f"{rows[i][0]} Q0 {rows[i][1]} 1 {rows[i][2]!r} sys{end}" for i in order), "utf-8")
    qrels_path.write_text("".join(f"{q} 0 {d} {r}{end}" for q, docs in qrels.items() for d, r in docs.items()), "utf-8")
    return qrels_path, run_path


def _check(tmp_path: Path, qrels: dict, run: dict, rng: np.random.Generator) -> None:
    qrels_path, run_path = _write(tmp_path, qrels, run, rng, crlf=bool(rng.random() < 0.3))
    columns = read_trec_run_columns(run_path)
    assert columns is not None  # the columnar path itself, not the string fallback
    parsed = parse_measures(list(PAIRS))
    query_ids, values = evaluate_run_columns(columns, read_qrels(qrels_path), parsed)  # type: ignore[misc]
    by_strings = evaluate(Run.from_dict({q: d for q, d in run.items() if d}), Qrels.from_dict(qrels), list(PAIRS))
    assert list(query_ids) == list(by_strings.index)
    for name in PAIRS:
        np.testing.assert_array_equal(values[name], by_strings[name].to_numpy(), err_msg=name)
    frame = by_strings.copy()
    for name in PAIRS:
        frame[name] = values[name]
    _assert_equal(frame, _trec(qrels, run, TREC_MEASURES), PAIRS, set(), qrels)


@pytest.mark.parametrize("seed", range(12))
def test_columnar_equals_strings_and_pytrec_eval(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    for _ in range(4):
        qrels, run = random_case(rng)
        _check(tmp_path, qrels, {q: d for q, d in run.items() if d}, rng)


@pytest.mark.parametrize("seed", range(4))
def test_columnar_near_ties_rank_as_trec_eval(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(700 + seed)
    for _ in range(3):
        qrels, run = near_tie_case(rng)
        _check(tmp_path, qrels, run, rng)


def test_long_ids_sharing_their_first_words_are_told_apart(tmp_path: Path) -> None:
    """Ids equal on their first 8 or 16 bytes, of different lengths, tied scores: the later words decide."""
    base = "clueweb12-0000tw-00-"
    docs = [base + x for x in ("1", "10", "2", "19999", "")] + ["é" * 9, "é" * 9 + "a", "a"]
    run = {"q1": {d: 1.0 for d in docs}, "q2": {d: float(i % 2) for i, d in enumerate(docs)}}
    qrels = {"q1": {docs[1]: 1, docs[4]: 2, docs[6]: 1}, "q2": {docs[3]: 1, docs[5]: 3, "absent" + base: 1}}
    _check(tmp_path, qrels, run, np.random.default_rng(0))


def test_byte_words_order_and_equality_are_the_ids() -> None:
    ids = np.array(["b", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh" + "é", "é", "z" * 17, "0"])
    raw = string_bytes(ids)
    encoded = [s.encode() for s in ids.tolist()]
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in encoded])])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    n_words = 3
    from_file, from_strings = byte_words(offsets, data, n_words), matrix_words(raw, n_words)
    np.testing.assert_array_equal(from_file, from_strings)
    for i in range(len(ids)):
        for j in range(len(ids)):
            assert bool(words_less(from_file[[i]], from_file[[j]])[0]) == (encoded[i] < encoded[j])
    assert len(set(words_hash(from_file).tolist())) == len(ids)
    np.testing.assert_array_equal(words_hash(from_file), words_hash(id_words(ids)))  # any width, one hash


def test_a_document_listed_twice_still_names_its_line(tmp_path: Path) -> None:
    qrels_path, run_path = tmp_path / "qrels.txt", tmp_path / "run.txt"
    qrels_path.write_text("q1 0 d1 1\n")
    run_path.write_text("q1 Q0 d1 1 2.0 s\nq1 Q0 d2 2 1.5 s\nq1 Q0 d1 3 1.0 s\n")
    columns = read_trec_run_columns(run_path)
    assert columns is not None
    assert evaluate_run_columns(columns, read_qrels(qrels_path), parse_measures(["AP"])) is None
    with pytest.raises(BadInput, match=r"run\.txt:3.*twice"):
        evaluate_files(qrels_path, run_path, ["AP"])


def test_missing_as_zero_on_the_columnar_path(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    qrels, run = random_case(rng)
    run = {q: d for q, d in run.items() if d}
    qrels["unretrieved"] = {"doc-1": 1}
    qrels_path, run_path = _write(tmp_path, qrels, run, rng)
    ours = evaluate_files(qrels_path, run_path, ["AP", "nDCG@10"], missing_as_zero=True)
    ref = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), ["AP", "nDCG@10"], missing_as_zero=True)
    assert list(ours.query_ids) == list(ref.index) and "unretrieved" in ours.query_ids
    for name in ("AP", "nDCG@10"):
        np.testing.assert_array_equal(ours.values[name], ref[name].to_numpy())


def test_empty_runs_build_and_key() -> None:
    """No row at all (a query searched, nothing returned) still gives a Run with keys and words."""
    empty = Run.from_arrays(np.array([], dtype=str), np.array([], dtype=str), np.array([]))
    assert len(empty.row_keys()) == 0 and empty.row_words().shape[0] == 0
    assert Run.from_dict({"q1": {}}).query_ids.tolist() == ["q1"]


def test_ids_holding_a_lone_surrogate_rank_by_code_point() -> None:
    """JSON allows "\\ud800"; such an id is ranked where its code point stands (before U+E000, after U+D7FF)."""
    run = Run.from_arrays(["q"] * 3, ["\ud800", "\ue000", "\ud7ff"], [1.0, 1.0, 1.0])
    assert run.doc_ids.tolist() == ["\ue000", "\ud800", "\ud7ff"]
    assert evaluate(run, Qrels(["q"], ["\ud7ff"], [1]), ["RR"])["RR"].tolist() == [pytest.approx(1 / 3)]


def test_cut_keeps_a_last_query_without_rows() -> None:
    cut = Run.from_dict({"q": {"a": 1.0, "b": 2.0}, "r": {}}).cut(1)
    assert cut.query_ids.tolist() == ["q", "r"] and cut.offsets.tolist() == [0, 1, 1] and cut.doc_ids.tolist() == ["b"]


@pytest.mark.parametrize("label", [1e30, 2**63, -(2**40)])
def test_qrels_labels_beyond_a_c_int_are_refused(label: float) -> None:
    with pytest.raises(BadInput, match="qrels labels must be grades within"):
        Qrels(["q"], ["a"], [label])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Run.from_arrays(["q"], ["a"], ["x"]), "real numbers"),
        (lambda: Run.from_arrays(["q", "q"], ["a", "b"], [[1.0], [2.0]]), "1-D"),
        (lambda: Run.from_topk(np.array(["q"]), np.array(["a"]), np.array([0]), np.array([1.0])), "one shape"),
        (lambda: Run.from_topk(np.array(["q"]), np.array(["a"]), np.array([[3]]), np.array([[1.0]])), "0..0"),
        (lambda: Run.from_topk(np.array(["q", "r"]), np.array(["a"]), np.array([[0]]), np.array([[1.0]])), "2 query"),
    ],
)
def test_malformed_arrays_are_one_line(build: object, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        build()  # type: ignore[operator]
