"""`compare --gate` end to end on results of real runs: a planted regression fails, a copy passes."""

from __future__ import annotations

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

RANKBENCH = [sys.executable, "-c", "from rankbench.harness.cli import main; main()"]
ADAPTERS = ["bm25", "bm25(k1=1.5,b=0.75)"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, timeout=300)


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
        target.write(result, units.iloc[:-3])
    proc = cli("compare", str(base), str(head), "--gate")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: units differ for ir-synth / ")
    assert "3 query(s) only in BASE" in lines[0]
