"""Cost regressions fail the gate: a HEAD whose search is 10x slower must not pass as "not tested".

BASE and HEAD run the same adapter through the real latency suite; only its per-query cost
differs (`SLOW_SEARCH_MS`, see tests/plugins/misbehaving.py), as after a code change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rankbench.harness.comparison import Settings
from rankbench.reports.compare import INFO, SAME, UNTESTED, WORSE, compare
from tests.integration._cli import rankbench

SUITE = "latency-ir-synth"  # 60 queries timed at batch size 1, five repeats


def latency_run(out: Path, ms: float) -> Path:
    proc = rankbench("run", SUITE, "-a", "slow-search", "-o", str(out), SLOW_SEARCH_MS=str(ms))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cost")
    return {
        "base": latency_run(root / "base", 0.5),
        "again": latency_run(root / "again", 0.5),
        "slow": latency_run(root / "slow", 5.0),
    }


def test_latency_results_store_what_compare_tests(runs: dict[str, Path]) -> None:
    [doc] = [json.loads(p.read_text()) for p in runs["base"].rglob("seed-*.json")]
    assert len(doc["info"]["per_repeat"]["qps"]) == 5
    import pandas as pd

    units = pd.read_parquet(next(runs["base"].rglob("*.units.parquet")))
    assert units["latency_ms"].notna().sum() == 60 and (units["latency_ms"] >= 0.5).all()


def test_ten_times_slower_head_fails_the_gate(runs: dict[str, Path]) -> None:
    cmp = compare(runs["base"], runs["slow"], settings=Settings(resamples=2000))
    rows = {r.measure: r for r in cmp.rows}
    for m in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "qps"):
        assert rows[m].verdict == WORSE, rows[m]
    assert rows["latency_p50_ms"].head / rows["latency_p50_ms"].base > 5
    assert rows["qps"].head < rows["qps"].base / 5
    assert rows["index_mb"].verdict == SAME and "compared exactly" in rows["index_mb"].note
    assert rows["peak_rss_mb"].verdict == UNTESTED and rows["index_s"].verdict == UNTESTED
    assert rows["threads"].verdict == INFO and rows["latency_cv"].verdict == INFO
    assert rows["nDCG@10"].verdict == SAME  # the model ranks as before; only its cost changed

    proc = rankbench("compare", str(runs["base"]), str(runs["slow"]), "--gate", "--max-slowdown", "1.2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failing = [line for line in proc.stderr.splitlines() if line.startswith("gate failed")]
    assert any(
        "latency_p50_ms" in line and "significantly worse" in line and "--max-slowdown 1.2" in line for line in failing
    )
    assert any(line.startswith("gate failed: qps ") for line in failing)
    assert any("peak_rss_mb" in line and "not tested" in line and "--allow-untested" in line for line in failing)

    allowed = rankbench("compare", str(runs["base"]), str(runs["slow"]), "--gate", "--allow-untested")
    assert allowed.returncode == 1, allowed.stdout  # untested rows accepted, the slowdown is not
    assert all("not tested" not in line for line in allowed.stderr.splitlines())

    tolerant = ("--gate", "--allow-untested", "--max-slowdown", "20")
    proc = rankbench("compare", str(runs["base"]), str(runs["slow"]), *tolerant)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cost regression(s) within --max-slowdown 20" in proc.stdout


def test_same_cost_passes_with_a_tolerance(runs: dict[str, Path]) -> None:
    proc = rankbench(
        "compare", str(runs["base"]), str(runs["again"]), "--gate", "--allow-untested", "--max-slowdown", "1.5"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_too_few_timed_units_are_listed_as_untested(tmp_path: Path) -> None:
    # the tiny latency suite times 4 queries twice: no test on 4 units can reach p < 0.05
    base, head = tmp_path / "base", tmp_path / "head"
    for out, ms in ((base, 0.5), (head, 5.0)):
        proc = rankbench("run", "latency-ir-synth-tiny", "-a", "slow-search", "-o", str(out), SLOW_SEARCH_MS=str(ms))
        assert proc.returncode == 0, proc.stderr
    rows = {r.measure: r for r in compare(base, head, settings=Settings(resamples=2000)).rows}
    assert rows["latency_p50_ms"].verdict == UNTESTED and "never below alpha" in rows["latency_p50_ms"].note
    assert rows["qps"].verdict == UNTESTED
    proc = rankbench("compare", str(base), str(head), "--gate")
    assert proc.returncode == 1 and "latency_p50_ms" in proc.stderr and "not tested" in proc.stderr
