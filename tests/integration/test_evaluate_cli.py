"""`rankbench evaluate` on TREC and BEIR files equals trec_eval (pytrec_eval), with and without -c."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.measures import parse_measure, parse_measures
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.reproduce import CARDS
from rankbench.harness.suite import resolve_suite

pytrec_eval = pytest.importorskip("pytrec_eval")
RANKBENCH = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, timeout=300)


def _files(tmp: Path, seed: int = 3) -> tuple[Path, Path, Path, dict, dict]:
    rng = np.random.default_rng(seed)
    qrels = {f"q{q}": {f"d{d}": int(rng.integers(0, 3)) for d in rng.choice(50, 8, replace=False)} for q in range(30)}
    run = {f"q{q}": {f"d{d}": float(rng.integers(0, 6)) for d in rng.choice(50, 25, replace=False)} for q in range(25)}
    trec, beir, run_path = tmp / "qrels.txt", tmp / "qrels.tsv", tmp / "run.txt"
    trec.write_text("".join(f"{q} 0 {d} {r}\n" for q, docs in qrels.items() for d, r in docs.items()))
    beir.write_text(
        "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q}\t{d}\t{r}\n" for q, docs in qrels.items() for d, r in docs.items())
    )
    lines = []
    for q, docs in run.items():
        for rank, (d, s) in enumerate(sorted(docs.items(), key=lambda x: -x[1]), start=1):
            lines.append(f"{q} Q0 {d} {rank} {s} tagged\n")
    run_path.write_text("".join(lines))
    return trec, beir, run_path, qrels, run


def test_evaluate_json_equals_trec_eval(tmp_path: Path) -> None:
    trec, beir, run_path, qrels, run = _files(tmp_path)
    ref = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "map", "P.5"}).evaluate(run)
    for qrels_path in (trec, beir):
        proc = cli(
            "evaluate", str(qrels_path), str(run_path), "-m", "nDCG@10", "-m", "AP", "-m", "P@5", "--format", "json"
        )
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["run"] == "tagged" and doc["num_q"] == 25
        for ours, theirs in (("nDCG@10", "ndcg_cut_10"), ("AP", "map"), ("P@5", "P_5")):
            assert doc["measures"][ours] == pytest.approx(np.mean([v[theirs] for v in ref.values()]), abs=1e-9)
    zero = json.loads(cli("evaluate", str(trec), str(run_path), "-m", "AP", "-c", "--format", "json").stdout)
    assert zero["num_q"] == 30
    assert zero["measures"]["AP"] == pytest.approx(sum(v["map"] for v in ref.values()) / 30, abs=1e-9)


def test_evaluate_text_per_query_and_errors(tmp_path: Path) -> None:
    trec, _, run_path, _, _ = _files(tmp_path)
    proc = cli("evaluate", str(trec), str(run_path), "-m", "RR@10", "--per-query")
    rows = [line.split("\t") for line in proc.stdout.strip().splitlines()]
    assert sum(r[0].strip() == "RR@10" and r[1] != "all" for r in rows) == 25
    assert [c.strip() for c in rows[-2]] == ["num_q", "all", "25"]
    bad = cli("evaluate", str(trec), str(run_path), "-m", "nDCG@x")
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


def test_ir_cards_name_registered_adapters_and_measures() -> None:
    for name in ("bm25-scifact", "minilm-scifact"):
        card = CARDS.get(name)
        assert card.suite == "beir-scifact" and card.targets
        suite_measures = {str(m) for m in parse_measures(resolve_suite(card.suite).measures)}
        for target in card.targets:
            assert target.adapter in ADAPTERS and target.citation and 0 < target.tolerance < 0.05
            # the published measure is one the suite computes, in its canonical spelling, so the
            # card's "ours" column is read from a stored value rather than left empty
            assert str(parse_measure(target.measure)) == target.measure
            assert target.measure in suite_measures, (name, target.measure, sorted(suite_measures))
            assert parse_measure(target.measure).higher_is_better and 0 < target.published < 1


def test_empty_run_or_no_shared_query_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    """trec_eval stops with "No queries with both results and relevance info"; we exit non-zero
    with one line saying which case and showing ids of both sides (issue 18, example 2)."""
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("1 0 d1 1\n2 0 d2 1\n")
    (tmp_path / "empty.run").write_text("")
    (tmp_path / "other.run").write_text("q1 Q0 d1 1 1.0 x\nq2 Q0 d2 1 1.0 x\n")
    for run, expect in (("empty.run", "the run is empty"), ("other.run", "share no query id: run has 2 queries: 'q1'")):
        for extra in ((), ("-c",)):
            proc = cli("evaluate", str(qrels), str(tmp_path / run), *extra)
            assert proc.returncode == 2, proc.stdout
            assert proc.stderr.count("\n") == 1 and expect in proc.stderr and "'1', '2'" in proc.stderr
            assert "Traceback" not in proc.stderr and "num_q" not in proc.stdout


def test_undecodable_qrels_is_a_file_line_error(tmp_path: Path) -> None:
    """Format sniffing used to crash with a UnicodeDecodeError traceback (issue 18, example 3)."""
    _, _, run_path, _, _ = _files(tmp_path)
    qrels = tmp_path / "latin1.qrels"
    qrels.write_bytes("q1 0 d1 1\nq2 0 caf\u00e9 1\n".encode("latin-1"))
    proc = cli("evaluate", str(qrels), str(run_path))
    assert proc.returncode == 2 and f"{qrels}:2: not valid UTF-8" in proc.stderr and "Traceback" not in proc.stderr
    qrels.write_bytes("q1 0 d1 1\n".encode("latin-1") + b"\xe9")
    proc = cli("evaluate", str(qrels), str(run_path))
    assert proc.returncode == 2 and "not valid UTF-8" in proc.stderr and "Traceback" not in proc.stderr


def test_several_runs_in_one_table_with_paired_tests(tmp_path: Path) -> None:
    """`evaluate QRELS RUN1 RUN2 ...` prints a column per run, each equal to pytrec_eval; `--compare`
    adds the paired test against the first run (the engine `compare` uses: same delta and p-value)."""
    from rankbench.harness.comparison import Settings, paired_tests
    from rankbench.harness.stats import holm

    trec, _, first, qrels, run = _files(tmp_path)
    rng = np.random.default_rng(8)
    runs = {"tagged": run}
    runs["noisy"] = {q: {d: s + float(rng.normal(0, 3)) for d, s in docs.items()} for q, docs in run.items()}
    runs["graded"] = {q: {d: qrels[q].get(d, 0) + float(rng.random()) for d in docs} for q, docs in run.items()}
    for tag in ("noisy", "graded"):
        lines = [
            f"{q} Q0 {d} {r} {s!r} {tag}\n"
            for q, docs in runs[tag].items()
            for r, (d, s) in enumerate(sorted(docs.items(), key=lambda x: -x[1]), 1)
        ]
        (tmp_path / f"{tag}.txt").write_text("".join(lines))
    paths = [str(first), str(tmp_path / "noisy.txt"), str(tmp_path / "graded.txt")]
    proc = cli("evaluate", str(trec), *paths, "-m", "AP", "-m", "nDCG@10", "-m", "bpref", "--compare")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.strip().splitlines()]
    assert rows[0] == ["measure", "tagged", "noisy", "delta", "p(Holm)", "graded", "delta", "p(Holm)"]
    table = {r[0]: r[1:] for r in rows[1:]}
    refs = {
        t: pytrec_eval.RelevanceEvaluator(qrels, {"map", "ndcg_cut.10", "bpref"}).evaluate(r) for t, r in runs.items()
    }
    per_query = {
        t: pd.DataFrame(ref).T.rename(columns={"map": "AP", "ndcg_cut_10": "nDCG@10"}) for t, ref in refs.items()
    }
    tested = [
        t
        for tag in ("noisy", "graded")
        for t in paired_tests(per_query["tagged"], per_query[tag], ["AP", "nDCG@10", "bpref"], Settings())
    ]
    p_holm = holm(np.array([t.p_value for t in tested]))
    for i, (mine, theirs) in enumerate((("AP", "map"), ("nDCG@10", "ndcg_cut_10"), ("bpref", "bpref"))):
        means = [np.mean([v[theirs] for v in refs[t].values()]) for t in ("tagged", "noisy", "graded")]
        shown = [float(table[mine][0]), float(table[mine][1]), float(table[mine][4])]
        assert shown == pytest.approx(means, abs=5e-5), mine
        for col, t, p in ((2, tested[i], p_holm[i]), (5, tested[3 + i], p_holm[3 + i])):
            assert float(table[mine][col].rstrip("*")) == pytest.approx(t.delta, abs=5e-5)
            assert float(table[mine][col + 1]) == pytest.approx(p, rel=1e-3)
    assert table["AP"][5].endswith("*") and float(table["AP"][5][:-1]) > 0  # ranked by the labels: a real gain
    single = cli("evaluate", str(trec), str(first), "-m", "AP")  # one run: trec_eval's layout, unchanged
    assert [c.strip() for c in single.stdout.strip().splitlines()[-1].split("\t")][:2] == ["AP", "all"]
    alone = cli("evaluate", str(trec), str(first), "--compare")
    assert alone.returncode == 2 and "at least two run files" in alone.stderr


FULL_CLI = [sys.executable, "-c", "from rankbench.harness.entry import main; main(lean=False)"]  # typer's `evaluate`
LEAN_CLI = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]  # the executable's path
_TEXT: dict = {"capture_output": True, "text": True, "timeout": 300}


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-m", "nDCG@10", "--measure", "AP", "-q"],
        ["--measure=P@5", "-c", "--format", "json", "--per-query"],
        ["--format", "xml"],  # a user error: one line, the same exit status
        ["-m", "nDCG@x"],
        ["{other}"],  # several runs: one table, a column per run
        ["{other}", "-m", "AP", "{third}", "--compare", "--alpha", "0.1"],
        ["{other}", "--compare", "--test", "t", "--format", "json", "-c"],
        ["--compare"],  # one run with --compare: a user error
        ["{other}", "-q"],  # --per-query with several runs: a user error
    ],
)
def test_lean_evaluate_equals_the_full_command_line(tmp_path: Path, args: list[str]) -> None:
    """The executable's path (lean for one run, the full command line for anything else) prints
    exactly what typer's `evaluate` prints, for one run and for several, with and without --compare."""
    trec, _, run_path, qrels, run = _files(tmp_path)
    rng = np.random.default_rng(5)
    for name in ("other", "third"):
        (tmp_path / f"{name}.txt").write_text(
            "".join(
                f"{q} Q0 {d} {r} {s} {name}\n"
                for q, docs in run.items()
                for r, (d, s) in enumerate(
                    sorted(((d, float(qrels[q].get(d, 0)) + float(rng.random())) for d in docs), key=lambda x: -x[1]), 1
                )
            )
        )
    argv = [
        "evaluate",
        str(trec),
        str(run_path),
        *(a.format(**{n: str(tmp_path / f"{n}.txt") for n in ("other", "third")}) for a in args),
    ]
    lean = subprocess.run([*LEAN_CLI, *argv], capture_output=True, text=True, timeout=300)
    full = subprocess.run([*FULL_CLI, *argv], capture_output=True, text=True, timeout=300)
    assert lean.returncode == full.returncode, full.stderr
    assert lean.stdout == full.stdout and lean.stderr == full.stderr
    if lean.returncode:
        assert lean.stderr.startswith("error: ") and lean.stderr.count("\n") == 1
    else:
        assert lean.stdout.strip() and ("other" in lean.stdout) == ("{other}" in args)


def test_lean_evaluate_loads_no_heavy_module_and_falls_back_for_help(tmp_path: Path) -> None:
    trec, _, run_path, _, _ = _files(tmp_path)
    probe = (
        "import sys; from rankbench.harness.measures.evaluate_files import command; "
        f"code = command([{str(trec)!r}, {str(run_path)!r}]); "
        "print(code, sorted(m for m in ('pandas', 'typer', 'rich', 'scipy', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout + out.stderr
    helped = subprocess.run([*LEAN_CLI, "evaluate", "--help"], capture_output=True, text=True, timeout=300)
    assert helped.returncode == 0 and "--missing-as-zero" in helped.stdout


def test_both_evaluate_parsers_take_their_options_from_one_definition() -> None:
    """typer's `evaluate` has every option of `harness.evaluate_options` with its flags and help; the lean
    parser has exactly the `lean` ones, with the same flags and defaults."""
    import typer

    from rankbench.harness import cli
    from rankbench.harness.evaluate_options import OPTIONS, VALUE_DEFAULTS
    from rankbench.harness.measures.evaluate_files import lean_parser

    command = typer.main.get_command(cli.app).commands["evaluate"]
    full = {p.name: (set(p.opts + p.secondary_opts), p.help) for p in command.params if p.param_type_name == "option"}
    assert full == {name: (set(o.flags), o.help) for name, o in OPTIONS.items()}
    defaults = {p.name: p.default for p in command.params if p.name in VALUE_DEFAULTS}
    assert defaults == VALUE_DEFAULTS
    lean = {a.dest: set(a.option_strings) for a in lean_parser()._actions if a.option_strings}
    assert lean == {name: set(o.flags) for name, o in OPTIONS.items() if o.lean}
    assert {d: lean_parser().get_default(d) for d in lean if d in VALUE_DEFAULTS} == {"fmt": VALUE_DEFAULTS["fmt"]}


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    """`rankbench evaluate ... -q | head -1`: the pipe closes under a long per-query listing."""
    qrels, run = tmp_path / "qrels.txt", tmp_path / "run.txt"
    qrels.write_text("".join(f"q{i} 0 d{i} 1\n" for i in range(20000)))
    run.write_text("".join(f"q{i} Q0 d{i} 1 1.0 s\n" for i in range(20000)))
    entry = f"{sys.executable} -c 'from rankbench.harness.entry import main; main()'"
    done = subprocess.run(
        f"{entry} evaluate {qrels} {run} -q | head -1", shell=True, capture_output=True, text=True, check=False
    )
    assert done.stdout.startswith("AP") and len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


@pytest.mark.parametrize("path", [LEAN_CLI, FULL_CLI], ids=["lean", "full"])
def test_standard_input_and_pipes_are_read_as_files(tmp_path: Path, path: list[str]) -> None:
    """`-` (standard input) and bash's `<(zcat run.gz)` (a pipe) give what the files give, on both
    paths; a bad line in a stream is named by the stream's name, never a temporary file's."""
    import gzip
    import shlex

    trec, _, run_path, _, _ = _files(tmp_path)
    (tmp_path / "run.txt.gz").write_bytes(gzip.compress(run_path.read_bytes()))
    cmd = shlex.join([*path, "evaluate"])
    expected = subprocess.run([*path, "evaluate", str(trec), str(run_path)], capture_output=True, text=True)
    assert expected.returncode == 0 and "num_q" in expected.stdout, expected.stderr
    for line in (
        f"{cmd} - {run_path} < {trec}",  # qrels from standard input
        f"cat {run_path} | {cmd} {trec} -",
        f"{cmd} {trec} <(cat {tmp_path / 'run.txt.gz'})",  # gzip bytes through a pipe
        f"{cmd} <(cat {trec}) <(cat {run_path})",
    ):
        got = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=300)
        assert (got.returncode, got.stdout, got.stderr) == (0, expected.stdout, ""), line
    for line, named in (
        (f"printf 'q1 Q0 d1 1 x t\\n' | {cmd} {trec} -", "<stdin>:1: "),
        (f"{cmd} {trec} <(printf 'q1 Q0 d1 1 1 t\\nq1 Q0 d2 2 x t\\n')", "/dev/fd/"),
    ):
        got = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=300)
        assert got.returncode == 2 and got.stderr.startswith(f"error: {named}"), got.stderr
        assert "rankbench-stream" not in got.stderr and got.stderr.count("\n") == 1
    twice = subprocess.run(["bash", "-c", f"cat {run_path} | {cmd} - -"], capture_output=True, text=True)
    assert (
        twice.returncode == 2
        and twice.stderr == "error: standard input (-) can be read once: give it for one file and name the others\n"
    )
    several = subprocess.run(
        ["bash", "-c", f"{cmd} <(cat {trec}) {run_path} <(cat {run_path}) -m AP"], capture_output=True, text=True
    )
    assert several.returncode == 0 and several.stdout.count("AP") == 1, several.stderr


def test_scores_beyond_float32_range_rank_as_trec_eval_and_warn_nothing(tmp_path: Path) -> None:
    """trec_eval casts to float: 1e39 and 5e39 both become +inf and tie (doc id descending)."""
    (tmp_path / "q").write_text("q1 0 d1 1\nq1 0 d2 0\n")
    (tmp_path / "r").write_text("q1 Q0 d1 1 1e39 x\nq1 Q0 d2 2 5e39 x\n")
    proc = subprocess.run([*LEAN_CLI, "evaluate", str(tmp_path / "q"), str(tmp_path / "r"), "-m", "RR"], **_TEXT)
    ref = pytrec_eval.RelevanceEvaluator({"q1": {"d1": 1, "d2": 0}}, {"recip_rank"}).evaluate(
        {"q1": {"d1": 1e39, "d2": 5e39}}
    )
    assert proc.returncode == 0 and proc.stderr == ""
    assert float(proc.stdout.split()[-1]) == ref["q1"]["recip_rank"] == 0.5
