"""`compare --gate` end to end on results of real runs: a planted regression fails, a copy passes, a gate
too small to fail says so, and the Holm family is every tested row of the comparison."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.runner import plan, run_plan
from rankbench.harness.stats import bootstrap_ci
from rankbench.harness.store import ResultStore

RANKBENCH = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
ADAPTERS = ["bm25", "bm25(k1=1.5,b=0.75)"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "1000"}  # no wrapped lines
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gate") / "base"
    summary = run_plan(plan(["ir-synth"], ADAPTERS), ResultStore(out))
    assert summary.ok and len(summary.ran) == 2
    return out


def lowered_copy(base: Path, head: Path, measure: str, fraction: float = 0.3) -> int:
    """HEAD = BASE with `measure` lowered on `fraction` of the queries of every cell; returns how many."""
    source, target = ResultStore(base), ResultStore(head)
    lowered = 0
    for result in source.results():
        units = source.units(result)
        assert units is not None
        rng = np.random.default_rng(result.seed)
        hit = rng.choice(len(units), size=round(fraction * len(units)), replace=False)
        col = units.columns.get_loc(measure)
        units.iloc[hit, col] = units.iloc[hit, col] * 0.5
        measures = {**result.measures, measure: bootstrap_ci(units[measure].to_numpy(), seed=result.seed)}
        target.write(replace(result, measures=measures), units)
        lowered = len(hit)
    return lowered


def test_gate_fails_on_a_regression_on_30_percent_of_queries(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    assert lowered_copy(base, head, "nDCG@10") == 18  # 30% of the 60 queries
    junit, markdown = tmp_path / "compare.xml", tmp_path / "compare.md"
    proc = cli("compare", str(base), str(head), "--gate", "--junit", str(junit), "--markdown", str(markdown))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failing = [line for line in proc.stderr.splitlines() if line.startswith("gate failed")]
    assert len(failing) == 2 and all("nDCG@10" in line and "significantly worse" in line for line in failing)
    assert "RR@10" not in proc.stderr and "AP " not in proc.stderr  # untouched measures do not fail
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert len(cases) == 10  # 2 adapters x 5 measures
    assert sorted(c.get("name") for c in cases if c.find("failure") is not None) == [
        "bm25 nDCG@10",
        "bm25(b=0.75,k1=1.5) nDCG@10",
    ]
    assert "❌ fail" in markdown.read_text(encoding="utf-8")


def test_gate_passes_on_an_unchanged_copy(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(base, head)
    proc = cli("compare", str(base), str(head), "--gate", "-m", "nDCG@10", "-m", "AP")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gate passed" in proc.stdout and proc.stdout.count("no significant change") == 4


def test_min_delta_tolerates_a_small_regression(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    lowered_copy(base, head, "nDCG@10")
    proc = cli("compare", str(base), str(head), "--gate", "--min-delta", "0.5", "-m", "nDCG@10", "--test", "t")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gate passed: 2 significant regression(s) no larger than --min-delta 0.5" in proc.stdout


def test_mismatched_queries_are_one_error_line(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    source, target = ResultStore(base), ResultStore(head)
    for result in source.results():
        units = source.units(result)
        assert units is not None
        kept = units.iloc[:-3]  # a consistent cell over fewer queries: its means are the means of its units
        means = {
            m: dataclasses.replace(e, value=float(kept[m].mean()), n=len(kept)) for m, e in result.measures.items()
        }
        target.write(dataclasses.replace(result, measures=means), kept)
    proc = cli("compare", str(base), str(head), "--gate")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: units differ for ir-synth / ")
    assert "3 query(s) only in BASE" in lines[0]


def beir_folder_and_runs(root: Path, queries: int, worse: int) -> tuple[Path, Path, Path]:
    """A BEIR folder of `queries` queries (one relevant document each, d{3i}) and two TREC runs of 3 documents
    per query: `good` ranks the relevant one first everywhere, `bad` ranks it 2nd or 3rd on the first `worse`."""
    folder = root / f"beir{queries}"
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": f"d{i}", "title": "", "text": f"document {i}"} for i in range(3 * queries)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    qs = [{"_id": f"q{i}", "text": f"query {i}"} for i in range(queries)]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qs))
    qrels = "".join(f"q{i}\td{3 * i}\t1\n" for i in range(queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels)
    good, bad = root / f"good{queries}.trec", root / f"bad{queries}.trec"
    good.write_text("".join(f"q{i} Q0 d{3 * i + k} {k + 1} {3 - k} good\n" for i in range(queries) for k in range(3)))
    lines = []
    for i in range(queries):
        order = [3 * i + 1, 3 * i + 2, 3 * i] if i < worse and i % 2 else [3 * i + 1, 3 * i, 3 * i + 2]
        order = order if i < worse else [3 * i, 3 * i + 1, 3 * i + 2]
        lines += [f"q{i} Q0 d{d} {k + 1} {3 - k} bad\n" for k, d in enumerate(order)]
    bad.write_text("".join(lines))
    return folder, good, bad


def run_and_gate(tmp_path: Path, queries: int, worse: int, *extra: str) -> subprocess.CompletedProcess[str]:
    folder, good, bad = beir_folder_and_runs(tmp_path, queries, worse)
    out = tmp_path / "results"
    proc = cli("run", str(folder), "-a", f"run:{good}", "-a", f"run:{bad}", "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pair = ["--base-adapter", f"run:{good}", "--head-adapter", f"run:{bad}"]
    return cli("compare", str(out), str(out), *pair, "--gate", *extra)


def test_a_gate_on_6_queries_cannot_fail_and_says_so(tmp_path: Path) -> None:
    """nDCG@10 falls on all 6 queries, yet 2/2^6 x Holm over 4 = 0.125 > 0.05: the pass is vacuous."""
    junit, markdown = tmp_path / "compare.xml", tmp_path / "compare.md"
    proc = run_and_gate(tmp_path, 6, 6, "--junit", str(junit), "--markdown", str(markdown))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [warning] = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert warning.endswith(
        "AP, RR@10, nDCG@10: with 6 paired queries the randomization test cannot reach p < 0.05 after Holm over 4 "
        "(smallest 0.125): this gate cannot fail them; use more queries or --test t"
    ), warning
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("gate passed vacuously: 3 of 4 tested quality row(s) cannot reach p < 0.05"), last
    assert "no measure is significantly worse" not in proc.stdout
    assert proc.stdout.count("cannot fail: n=6") == 3  # the verdicts of AP, RR@10, nDCG@10; R@100 did not change
    assert "**Gate: ✅ pass, vacuously — 3 of 4 tested quality row(s)" in markdown.read_text(encoding="utf-8")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("skipped") == "3" and suite.get("failures") == "0"
    assert suite.find("properties/property").get("value").startswith("passed vacuously: ")
    skipped = [c.get("name").rsplit(" ", 1)[1] for c in suite.findall("testcase") if c.find("skipped") is not None]
    assert sorted(skipped) == ["AP", "RR@10", "nDCG@10"]
    # the advice works: the paired t-test has no floor and finds the drop
    t_test = cli("compare", *proc.args[proc.args.index("compare") + 1 :], "--test", "t")
    assert t_test.returncode == 1 and "warning" not in t_test.stderr, t_test.stdout + t_test.stderr
    assert "gate failed: nDCG@10" in t_test.stderr


def test_a_gate_on_40_queries_fails_a_regression_without_a_warning(tmp_path: Path) -> None:
    proc = run_and_gate(tmp_path, 40, 12)  # worse on 12 of 40 queries
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr and "cannot fail" not in proc.stdout + proc.stderr
    failing = [line for line in proc.stderr.splitlines() if line.startswith("gate failed")]
    assert {line.split()[2] for line in failing} == {"AP", "RR@10", "nDCG@10"}, proc.stderr


def holm_row(markdown: str, suite: str, adapter: str, measure: str) -> tuple[float, int]:
    """The p (Holm) of one row of the Markdown summary, and the family size of its caption."""
    family = int(re.search(r"Holm-corrected across (\d+) comparisons", markdown).group(1))
    section = markdown.split(f"### {suite}\n", 1)[1].split("###", 1)[0]
    cells = next(line for line in section.splitlines() if line.startswith(f"| {adapter} | {measure} "))
    return float(cells.split("|")[7]), family


def test_the_holm_family_is_every_tested_row_of_every_suite(base: Path, tmp_path: Path) -> None:
    """One more suite in both folders makes the family larger and the same row's adjusted p larger."""
    one_head = tmp_path / "one-head"
    lowered_copy(base, one_head, "nDCG@10")
    two = tmp_path / "two"
    shutil.copytree(base, two)
    assert run_plan(plan(["ir-synth-tiny"], ["bm25"]), ResultStore(two)).ok
    two_head = tmp_path / "two-head"
    lowered_copy(two, two_head, "nDCG@10")  # the same lowered ir-synth queries (seeded by the result's seed)
    tiny = next(r for r in ResultStore(two).results() if r.suite == "ir-synth-tiny")
    texts = []
    for b, h in ((base, one_head), (two, two_head)):
        md = tmp_path / f"{b.name}.md"
        proc = cli("compare", str(b), str(h), "--markdown", str(md))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        texts.append(md.read_text(encoding="utf-8"))
    p_one, family_one = holm_row(texts[0], "ir-synth", "bm25", "nDCG@10 ↑")
    p_two, family_two = holm_row(texts[1], "ir-synth", "bm25", "nDCG@10 ↑")
    assert family_one == 2 * 5  # 2 adapters x 5 measures of ir-synth
    assert family_two == family_one + len(tiny.measures)  # + every measure of the ir-synth-tiny cell
    assert p_one < p_two < 0.05
