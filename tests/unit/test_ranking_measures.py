"""Ranking measures equal trec_eval (pytrec_eval) on hundreds of random graded qrels and runs,
and ir_measures where trec_eval lacks the measure (RR@k, Judged@k)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import Qrels, Run

pytrec_eval = pytest.importorskip("pytrec_eval")

PAIRS = {  # ours -> trec_eval measure (relevance level 1)
    "nDCG@10": "ndcg_cut_10",
    "nDCG@3": "ndcg_cut_3",
    "nDCG": "ndcg",
    "AP": "map",
    "AP@5": "map_cut_5",
    "P@5": "P_5",
    "P@20": "P_20",
    "R@10": "recall_10",
    "R@100": "recall_100",
    "RR": "recip_rank",
    "Rprec": "Rprec",
    "Success@1": "success_1",
    "Success@5": "success_5",
    "Success@10": "success_10",
    "bpref": "bpref",
    "gm_map": "gm_map",  # per query: log(max(AP, 1e-5))
    "set_P": "set_P",
    "set_recall": "set_recall",
    "set_F": "set_F",
    "num_ret": "num_ret",
    "num_rel": "num_rel",
    "num_rel_ret": "num_rel_ret",
    **{f"Rprec_mult_{x:.2f}": f"Rprec_mult_{x:.2f}" for x in (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)},
    **{f"iprec_at_recall_{x / 10:.2f}": f"iprec_at_recall_{x / 10:.2f}" for x in range(11)},
}
TREC_MEASURES = {"ndcg_cut.3,10", "ndcg", "map", "map_cut.5", "P.5,20", "recall.10,100", "recip_rank", "Rprec"}
TREC_MEASURES |= {"success.1,5,10", "bpref", "gm_map", "set_P", "set_recall", "set_F", "num_ret", "num_rel"}
TREC_MEASURES |= {"num_rel_ret", "Rprec_mult", "iprec_at_recall"}
LEVEL_PAIRS = {"P@5": "P_5", "R@10": "recall_10", "AP": "map", "RR": "recip_rank", "Rprec": "Rprec"}
LEVEL_PAIRS |= {name: PAIRS[name] for name in ("bpref", "gm_map", "set_F", "num_rel_ret", "num_rel")}
LEVEL_PAIRS |= {"Rprec_mult_0.60": "Rprec_mult_0.60", "iprec_at_recall_0.30": "iprec_at_recall_0.30"}


def _ours_at_level(level: int) -> dict[str, str]:
    return (
        {
            name.replace("@", f"(rel={level})@") if "@" in name else f"{name}(rel={level})": trec
            for name, trec in LEVEL_PAIRS.items()
        }
        if level != 1
        else dict(LEVEL_PAIRS)
    )


def _doc_id(rng: np.random.Generator, d: int) -> str:
    """Ids of mixed width and alphabet, so ordering and hashing see more than `d1`..`d9`."""
    return ("doc-" if d % 3 else "é") + str(d) + ("x" * int(d % 5 == 0) * 7)


def random_case(rng: np.random.Generator, n_q: int = 12, n_d: int = 40) -> tuple[dict, dict]:
    """Graded qrels (some negative labels, some queries without a relevant doc), tied scores,
    unjudged documents, queries missing from either side and queries with an empty ranking."""
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    options = [(0, 1), (0, 1, 2, 3), (-1, 0, 1, 2), (0,)]
    grades = options[rng.choice(len(options), p=[0.3, 0.4, 0.2, 0.1])]
    for q in range(n_q):
        qid = f"q{q}"
        if rng.random() < 0.9:
            docs = rng.choice(n_d, size=rng.integers(1, 15), replace=False)
            qrels[qid] = {_doc_id(rng, d): int(rng.choice(grades)) for d in docs}
        if rng.random() < 0.85:
            ranked = rng.choice(n_d, size=rng.integers(0, 35), replace=False)
            ties = rng.choice([1, 3, 10, 1000])
            scores = np.round(rng.random(len(ranked)) * ties) / ties
            run[qid] = {_doc_id(rng, d): float(s) for d, s in zip(ranked, scores, strict=True)}
    run[f"extra{rng.integers(100)}"] = {"doc-1": 1.0}  # a query absent from the qrels
    if not qrels:
        qrels["q0"] = {"doc-1": 1}
    return qrels, run


def _trec(qrels: dict, run: dict, measures: set[str], level: int = 1) -> dict:
    """pytrec_eval's values; negative labels become 0 (judged, not relevant, no gain) because
    trec_eval indexes arrays by label and a negative one makes it read out of bounds (it hangs)."""
    evaluated = {q: docs for q, docs in run.items() if docs}  # trec_eval files cannot hold an empty ranking
    clamped = {q: {d: max(r, 0) for d, r in docs.items()} for q, docs in qrels.items()}
    return pytrec_eval.RelevanceEvaluator(clamped, measures, relevance_level=level).evaluate(evaluated)


def _assert_equal(ours, ref: dict, pairs: dict[str, str], empty: set[str], qrels: dict) -> None:
    for q, row in ours.iterrows():
        for mine, theirs in pairs.items():
            expected = ref[q][theirs] if q in ref else _unretrieved(mine, qrels.get(q, {}))
            assert q in ref or q in empty
            assert row[mine] == pytest.approx(expected, abs=1e-9), (q, mine, row[mine], expected)


def _unretrieved(measure: str, judged: dict[str, int]) -> float:
    """trec_eval -c's value for a query the run does not hold (pytrec_eval never evaluates one): 0,
    log(1e-5) for gm_map (AP 0), and the relevant documents in the qrels for num_rel."""
    if measure.startswith("gm_map"):
        return float(np.log(1e-5))
    if measure.partition("(")[0] == "num_rel":
        level = int(re.search(r"rel=(\d+)", measure)[1]) if "rel=" in measure else 1
        return float(sum(label >= level for label in judged.values()))
    return 0.0


def _assert_random_cases_equal_trec(rng: np.random.Generator, n_cases: int) -> None:
    for _ in range(n_cases):
        qrels, run = random_case(rng)
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(PAIRS))
        ref = _trec(qrels, run, TREC_MEASURES)
        empty = {q for q, docs in run.items() if not docs and q in qrels}
        assert set(ours.index) == set(ref) | empty
        _assert_equal(ours, ref, PAIRS, empty, qrels)


@pytest.mark.parametrize("seed", range(40))
def test_equals_pytrec_eval(seed: int) -> None:
    _assert_random_cases_equal_trec(np.random.default_rng(seed), 8)  # 320 random collections in all


@pytest.mark.parametrize("level", [2, 3])
def test_relevance_level_equals_trec_eval_l(level: int) -> None:
    rng = np.random.default_rng(level)
    pairs = _ours_at_level(level)
    for _ in range(60):
        qrels, run = random_case(rng)
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(pairs))
        ref = _trec(qrels, run, {"P.5", "recall.10", "map", "recip_rank", "Rprec"} | TREC_MEASURES, level)
        _assert_equal(ours, ref, pairs, {q for q, docs in run.items() if not docs}, qrels)


def test_missing_as_zero_equals_trec_eval_c() -> None:
    rng = np.random.default_rng(99)
    for _ in range(60):
        qrels, run = random_case(rng)
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(PAIRS), missing_as_zero=True)
        ref = _trec(qrels, run, TREC_MEASURES)
        assert set(ours.index) == set(qrels)
        _assert_equal(ours, ref, PAIRS, set(qrels) - set(ref), qrels)


def test_rr_at_k_and_judged_equal_ir_measures() -> None:
    ir_measures = pytest.importorskip("ir_measures")
    rng = np.random.default_rng(7)
    names = {"RR@10": ir_measures.RR @ 10, "RR@3": ir_measures.RR @ 3, "Judged@10": ir_measures.Judged @ 10}
    names |= {"Judged@5": ir_measures.Judged @ 5, "RR(rel=2)@5": ir_measures.RR(rel=2) @ 5}
    for _ in range(80):
        qrels, run = random_case(rng)
        # ir_measures breaks ties by doc id ascending, trec_eval descending: compare on distinct scores
        run = {q: {d: float(i) for i, d in enumerate(docs)} for q, docs in run.items() if docs}
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(names))
        ref: dict[tuple[str, str], float] = {}
        for m in ir_measures.iter_calc(list(names.values()), qrels, run):
            ref[(m.query_id, str(m.measure))] = m.value
        for q, row in ours.iterrows():
            for mine, theirs in names.items():
                expected = ref.get((q, str(theirs)))
                if expected is None:  # ir_measures skips queries with no relevant or judged rows
                    assert row[mine] == 0.0
                else:
                    assert row[mine] == pytest.approx(expected, abs=1e-9), (q, mine)


def test_unsorted_run_rows_are_ordered_by_query_id() -> None:
    run = Run.from_dict({"b": {"x": 2.0, "y": 1.0}, "a": {"y": 1.0}})
    shuffled = Run(run.query_ids[::-1], np.array([0, 2, 3]), np.array(["x", "y", "y"]), np.array([2.0, 1.0, 1.0]))
    qrels = Qrels.from_dict({"a": {"y": 1}, "b": {"y": 1}})
    expected = evaluate(run, qrels, ["RR", "AP"])
    got = evaluate(shuffled, qrels, ["RR", "AP"])
    assert got.equals(expected)
    assert got.loc["b", "RR"] == 0.5


@pytest.mark.parametrize("seed", range(4))
def test_from_arrays_orders_rows_as_trec_eval_sorts_them(seed: int) -> None:
    """Row order equals a plain sort by (query, float32 score descending, doc id descending) for
    shuffled rows with ties of every size (pairs up to whole queries; -0.0 equals 0.0; differences below
    float32 resolution), and ids of one word and of
    several words of packed code points, ASCII and not (trec_eval compares docnos with strcmp)."""
    rng = np.random.default_rng(seed)
    alphabet = list("ab9-") if seed % 2 else ["x", "é", "𝄞", "0"]
    q, d, s = [], [], []
    for qi in range(40):
        n = int(rng.integers(1, 60))
        ids = {"".join(rng.choice(alphabet, int(rng.integers(1, 8 if seed < 2 else 30)))) for _ in range(n)}
        levels = rng.choice([1, 3, 20, 10_000])  # 1: the whole query one tie; 10,000: mostly distinct
        for doc in ids:
            q.append(f"q{qi}")
            d.append(doc)
            value = float(rng.integers(-levels, levels)) / levels
            s.append(-0.0 if value == 0 and rng.random() < 0.5 else value * (1 + float(rng.choice([0, 1e-10]))))
    perm = rng.permutation(len(q))
    q, d, s = np.array(q)[perm], np.array(d)[perm], np.array(s)[perm]
    run = Run.from_arrays(q, d, s)
    expected = sorted(
        zip(q.tolist(), d.tolist(), s.tolist(), strict=True),
        key=lambda r: (r[0], -np.float32(r[2]), [-ord(c) for c in r[1]] + [0]),
    )
    got = list(zip(np.repeat(run.query_ids, np.diff(run.offsets)).tolist(), run.doc_ids.tolist(), strict=True))
    assert got == [(r[0], r[1]) for r in expected]


def test_missing_as_zero_counts_unretrieved_queries() -> None:
    qrels = Qrels.from_dict({"a": {"d1": 1}, "b": {"d2": 1}})
    run = Run.from_dict({"a": {"d1": 1.0}})
    assert evaluate(run, qrels, ["P@1"])["P@1"].mean() == 1.0
    assert evaluate(run, qrels, ["P@1"], missing_as_zero=True)["P@1"].mean() == 0.5


def test_empty_run_or_no_shared_query_is_an_error_naming_both_sides() -> None:
    """trec_eval stops with "No queries with both results and relevance info"; so do we, in one
    line that says which case it is and shows ids of each side (issue 18, example 2)."""
    qrels = Qrels.from_dict({"1": {"d1": 1}, "2": {"d2": 1}})
    for missing_as_zero in (False, True):
        with pytest.raises(BadInput, match=r"^the run is empty.*'1', '2'"):
            evaluate(Run.empty(), qrels, ["nDCG@10"], missing_as_zero=missing_as_zero)
        with pytest.raises(
            BadInput, match=r"^the run and the qrels share no query id: run has 1 queries: 'q1'.*'1', '2'"
        ):
            evaluate(Run.from_dict({"q1": {"d1": 1.0}}), qrels, ["RR"], missing_as_zero=missing_as_zero)
    # one shared query is enough; the others count 0 under -c
    zero = evaluate(Run.from_dict({"1": {"d9": 1.0}}), qrels, ["nDCG@10", "AP", "RR"], missing_as_zero=True)
    assert zero.loc["2"].tolist() == [0.0, 0.0, 0.0]


def test_hash_collisions_never_change_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are joined through 64-bit hashes; with a hash that collides all the time (three
    values) every fallback path runs, and the values must still equal trec_eval's."""
    import rankbench.harness.ids as ids
    import rankbench.harness.measures.ranking as ranking
    import rankbench.harness.records as records

    def weak_hash(values: np.ndarray, width: int | None = None) -> np.ndarray:
        return np.array([len(v) % 3 for v in values.tolist()], dtype=np.uint64)

    def weak_words_hash(words: np.ndarray) -> np.ndarray:
        return words[:, 0] % np.uint64(3)

    def query_blind_keys(group: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        return hashes.astype(np.int64)  # the same doc collides across queries too

    for module in (ids, records):
        monkeypatch.setattr(module, "string_hash", weak_hash)
    for module in (ranking, records):
        monkeypatch.setattr(module, "words_hash", weak_words_hash)
        monkeypatch.setattr(module, "pair_keys", query_blind_keys)
    _assert_random_cases_equal_trec(np.random.default_rng(7), 20)
    crossed = Run.from_arrays(["q1", "q2"], ["b", "a"], [1.0, 1.0])  # q2's "a" shares its key with q1's "a"
    assert evaluate(crossed, Qrels(["q1", "q2"], ["a", "cc"], [1, 1]), ["P@1"])["P@1"].tolist() == [0.0, 0.0]
    with pytest.raises(BadInput, match="twice for query 'q'"):
        Run.from_arrays(["q", "q", "q"], ["ab", "cd", "ab"], [1.0, 2.0, 3.0])
    assert len(Run.from_arrays(["q", "q"], ["ab", "cd"], [1.0, 2.0]).doc_ids) == 2  # equal hashes, distinct ids


def test_compiled_screen_path_equals_pytrec_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    from rankbench.harness.measures import screen

    monkeypatch.setattr(screen, "COMPILED_FROM_ROWS", 0)  # large runs take this path
    _assert_random_cases_equal_trec(np.random.default_rng(11), 10)


def near_tie_case(rng: np.random.Generator, n_q: int = 10, n_d: int = 30) -> tuple[dict, dict]:
    """Scores that differ only below float32 resolution (and some that differ just above it),
    at unit and at BM25 scale: trec_eval keeps scores as C floats, so the former tie."""
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in range(n_q):
        qid = f"q{q}"
        docs = rng.choice(n_d, size=12, replace=False)
        qrels[qid] = {_doc_id(rng, d): int(rng.integers(0, 3)) for d in docs[:6]}
        base = rng.choice([0.9, 12.3456789, 1e-3, 250.0], size=n_d)
        ulp = np.spacing(base.astype(np.float32)).astype(np.float64)
        jitter = rng.choice([0.0, 0.1, 0.4, 0.6, 1.0, 3.0], size=n_d) * ulp * rng.choice([-1, 1], size=n_d)
        run[qid] = {_doc_id(rng, d): float(b + j) for d, b, j in zip(range(n_d), base, jitter, strict=True)}
    return qrels, run


@pytest.mark.parametrize("seed", range(6))
def test_near_tie_scores_rank_as_trec_eval(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for _ in range(5):
        qrels, run = near_tie_case(rng)
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(PAIRS))
        _assert_equal(ours, _trec(qrels, run, TREC_MEASURES), PAIRS, set(), qrels)


@pytest.mark.parametrize(("a", "b"), [(0.9000000001, 0.9), (12.3456791, 12.3456789)])
def test_scores_equal_at_float32_tie_by_doc_id_on_every_path(a: float, b: float) -> None:
    """Issue 18, example 1: dA's score is higher in float64 but equal in float32, so trec_eval
    ranks dB first (doc id descending): RR 0.5 and P@1 0, from every way a run is built."""
    qrels = Qrels.from_dict({"q1": {"dA": 1}})
    ref = pytrec_eval.RelevanceEvaluator(qrels.to_dict(), {"recip_rank", "P.1"}).evaluate({"q1": {"dA": a, "dB": b}})
    assert (ref["q1"]["recip_rank"], ref["q1"]["P_1"]) == (0.5, 0.0)
    runs = [
        Run.from_dict({"q1": {"dA": a, "dB": b}}),
        Run.from_arrays(["q1", "q1"], ["dA", "dB"], [a, b]),
        Run.from_topk(np.array(["q1"]), np.array(["dA", "dB"]), np.array([[0, 1]]), np.array([[a, b]])),
    ]
    for run in runs:
        assert run.doc_ids.tolist() == ["dB", "dA"]
        values = evaluate(run, qrels, ["RR", "P@1"]).loc["q1"]
        assert (values["RR"], values["P@1"]) == (0.5, 0.0)
        assert run.scores.tolist() == [b, a]  # the given values are kept


def test_from_topk_keeps_queries_without_hits() -> None:
    run = Run.from_topk(np.array(["q1", "q2"]), np.array(["a", "b"]), np.array([[0, 1], [-1, -1]]), np.ones((2, 2)))
    assert run.query_ids.tolist() == ["q1", "q2"] and run.lengths.tolist() == [2, 0]


def test_err_equals_ir_measures_gdeval() -> None:
    """ERR@k against ir_measures, whose ERR comes from gdeval (Perl, 5 decimals, numeric query ids)."""
    ir_measures = pytest.importorskip("ir_measures")
    import shutil

    if shutil.which("perl") is None:
        pytest.skip("ir_measures computes ERR with gdeval, a Perl script")
    rng = np.random.default_rng(21)
    names = {"ERR@10": ir_measures.ERR @ 10, "ERR@3": ir_measures.ERR @ 3, "ERR@50": ir_measures.ERR @ 50}
    checked = 0
    for _ in range(15):
        qrels, run = random_case(rng)
        # gdeval reads only numeric query ids and ranks like trec_eval (score desc, doc id desc)
        qrels = {str(i): docs for i, docs in enumerate(qrels.values())}
        run = {str(i): docs for i, docs in enumerate(run.values()) if docs}
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(names))
        ref = {(m.query_id, str(m.measure)): m.value for m in ir_measures.iter_calc(list(names.values()), qrels, run)}
        for q, row in ours.iterrows():
            for mine, theirs in names.items():
                expected = ref.get((q, str(theirs)), 0.0)  # gdeval skips queries without a relevant doc
                assert row[mine] == pytest.approx(expected, abs=5.1e-6), (q, mine, row[mine], expected)
                checked += expected > 0
    assert checked > 50


def test_err_rejects_grades_above_four() -> None:
    with pytest.raises(BadInput, match=r"ERR takes grades 0\.\.4"):
        evaluate(Run.from_dict({"q": {"d": 1.0}}), Qrels.from_dict({"q": {"d": 5}}), ["ERR@10"])


def test_gm_map_aggregate_equals_trec_eval() -> None:
    """Per query gm_map is log(max(AP, 1e-5)) as trec_eval -q prints it; the overall value is exp of their mean."""
    from rankbench.harness.measures import aggregate, parse_measure

    rng = np.random.default_rng(5)
    for _ in range(20):
        qrels, run = random_case(rng)
        ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), ["gm_map", "AP"])
        ref = _trec(qrels, {q: run[q] for q in ours.index if run.get(q)}, {"gm_map"})
        if len(ref) != len(ours):  # an empty ranking: trec_eval files cannot hold one
            continue
        expected = pytrec_eval.compute_aggregated_measure("gm_map", [v["gm_map"] for v in ref.values()])
        assert aggregate(parse_measure("gm_map"), ours["gm_map"].to_numpy()) == pytest.approx(expected, abs=1e-12)
        assert aggregate(parse_measure("AP"), ours["AP"].to_numpy()) == pytest.approx(ours["AP"].mean())


def test_levelled_measures_parse_as_trec_eval_spells_them() -> None:
    from rankbench.harness.measures import parse_measure, parse_measures

    assert str(parse_measure("Rprec_mult_0.2")) == "Rprec_mult_0.20"
    assert str(parse_measure("iprec_at_recall_0.10(rel=2)")) == "iprec_at_recall_0.10(rel=2)"
    assert [str(m) for m in parse_measures(["iprec_at_recall"])][::5] == [
        "iprec_at_recall_0.00",
        "iprec_at_recall_0.50",
        "iprec_at_recall_1.00",
    ]
    assert len(parse_measures(["Rprec_mult(rel=2)"])) == 10
    with pytest.raises(BadInput, match="needs a level"):
        parse_measure("Rprec_mult")


def test_one_measure_may_be_given_as_a_bare_string() -> None:
    run = Run.from_dict({"q1": {"d1": 1.0, "d2": 0.5}, "q2": {"d3": 2.0}})
    qrels = Qrels(np.array(["q1", "q2"]), np.array(["d2", "d3"]), np.array([1, 2]))
    alone = evaluate(run, qrels, "nDCG@10")
    assert list(alone.columns) == ["nDCG@10"]
    assert alone.equals(evaluate(run, qrels, ["nDCG@10"]))
