"""`compare` and the report model on small stores written through the real ResultStore."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.provenance import collect, now_iso
from rankbench.harness.result import ErrorInfo, Result
from rankbench.harness.stats import Estimate, bootstrap_ci, holm
from rankbench.harness.store import ResultStore
from rankbench.reports.compare import FAILED, SAME, UNTESTED, WORSE, Settings, compare, gate_message
from rankbench.reports.html import pareto_front, render_html
from rankbench.reports.json_report import report_json
from rankbench.reports.junit import comparison_junit
from rankbench.reports.markdown import comparison_markdown, report_markdown
from rankbench.reports.model import build_report

SUITE = "unit-suite"
FAST = Settings(resamples=2000)


def units_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"q{i:04d}" for i in range(n)], name="query_id")
    return pd.DataFrame(
        {"nDCG@10": rng.random(n), "R@100": rng.random(n), "logloss": rng.random(n) + 0.2, "label": ["x"] * n},
        index=ids,
    )


def write_cell(
    root: Path,
    adapter: str,
    units: pd.DataFrame | None,
    *,
    seed: int = 0,
    suite: str = SUITE,
    aggregates: dict[str, Estimate] | None = None,
    error: str | None = None,
    timings: dict[str, float] | None = None,
    provenance: dict[str, object] | None = None,
) -> None:
    measures = {} if units is None else {m: bootstrap_ci(units[m].to_numpy()) for m in ("nDCG@10", "R@100", "logloss")}
    measures.update(aggregates or {})
    result = Result(
        suite=suite,
        adapter=adapter,
        seed=seed,
        status="failed" if error else "ok",
        measures={} if error else measures,
        timings=timings or {"search_ms_per_query": 1.0},
        provenance=collect("unit-data", "0" * 64, seed, now_iso()).to_json() | (provenance or {}),
        family="retriever",
        error=ErrorInfo("RuntimeError", error) if error else None,
    )
    ResultStore(root).write(result, None if error else units)


def lowered(units: pd.DataFrame, measure: str, fraction: float = 0.3, by: float = 0.3) -> pd.DataFrame:
    out = units.copy()
    k = int(len(out) * fraction)
    out.iloc[:k, out.columns.get_loc(measure)] = np.clip(out[measure].iloc[:k] - by, 0, None)
    return out


def row(cmp, adapter: str, measure: str):
    return next(r for r in cmp.rows if r.adapter == adapter and r.measure == measure)


def test_regression_is_worse_unchanged_is_not_and_holm_is_applied(tmp_path: Path) -> None:
    base_units = units_frame()
    write_cell(tmp_path / "base", "m", base_units)
    write_cell(tmp_path / "head", "m", lowered(base_units, "nDCG@10"))
    cmp = compare(tmp_path / "base", tmp_path / "head", settings=FAST)
    ndcg, recall = row(cmp, "m", "nDCG@10"), row(cmp, "m", "R@100")
    assert ndcg.verdict == WORSE and ndcg.delta < 0 and ndcg.ci_high < 0 and ndcg.p_holm < 0.01
    assert recall.verdict == SAME and recall.delta == 0 and recall.p_value == 1.0
    np.testing.assert_allclose([r.p_holm for r in cmp.rows], holm(np.array([r.p_value for r in cmp.rows])))
    assert [r.measure for r in cmp.failures()] == ["nDCG@10"]
    assert "nDCG@10" in gate_message(cmp) and "significantly worse" in gate_message(cmp)
    # a regression smaller than --min-delta does not fail the gate
    lenient = compare(tmp_path / "base", tmp_path / "head", settings=Settings(resamples=2000, min_delta=0.5))
    assert row(lenient, "m", "nDCG@10").verdict == WORSE and not lenient.failures()


def test_direction_comes_from_the_measure(tmp_path: Path) -> None:
    """logloss is lower-is-better: raising it is a regression, lowering it an improvement."""
    base_units = units_frame()
    head_units = base_units.copy()
    head_units["logloss"] = head_units["logloss"] + 0.2
    head_units["nDCG@10"] = np.clip(head_units["nDCG@10"] + 0.2, 0, 1)
    write_cell(tmp_path / "base", "m", base_units)
    write_cell(tmp_path / "head", "m", head_units)
    cmp = compare(tmp_path / "base", tmp_path / "head", ["logloss", "nDCG@10"], FAST)
    assert row(cmp, "m", "logloss").verdict == WORSE
    assert row(cmp, "m", "nDCG@10").verdict == "better"
    assert {r.measure for r in cmp.rows} == {"logloss", "nDCG@10"}


def test_mismatched_units_is_one_clear_error(tmp_path: Path) -> None:
    base_units = units_frame()
    write_cell(tmp_path / "base", "m", base_units)
    write_cell(tmp_path / "head", "m", base_units.iloc[:-5])
    with pytest.raises(BadInput) as err:
        compare(tmp_path / "base", tmp_path / "head", settings=FAST)
    message = str(err.value)
    assert "\n" not in message
    assert "units differ for unit-suite / m / seed 0" in message and "5 query(s) only in BASE (q0115" in message


def test_unknown_measure_and_no_common_cell(tmp_path: Path) -> None:
    write_cell(tmp_path / "base", "m", units_frame())
    write_cell(tmp_path / "head", "m", units_frame())
    write_cell(tmp_path / "other", "n", units_frame())
    with pytest.raises(UnknownName, match="did you mean 'nDCG@10'"):
        compare(tmp_path / "base", tmp_path / "head", ["nDCG@1O"], FAST)
    with pytest.raises(BadInput, match="share no"):
        compare(tmp_path / "base", tmp_path / "other", settings=FAST)


def test_failed_head_fails_the_gate_and_aggregates_are_not_tested(tmp_path: Path) -> None:
    base_units = units_frame()
    auc = {"AUC": Estimate(0.8, 0.78, 0.82, 120)}
    write_cell(tmp_path / "base", "m", base_units, aggregates=auc)
    write_cell(tmp_path / "head", "m", base_units, aggregates={"AUC": Estimate(0.7, 0.68, 0.72, 120)})
    write_cell(tmp_path / "base", "broken", base_units)
    write_cell(tmp_path / "head", "broken", None, error="out of memory")
    cmp = compare(tmp_path / "base", tmp_path / "head", settings=FAST)
    auc_row = row(cmp, "m", "AUC")
    assert auc_row.verdict == UNTESTED and math.isnan(auc_row.p_holm) and auc_row.delta == pytest.approx(-0.1)
    assert all(r.verdict == FAILED for r in cmp.rows if r.adapter == "broken")
    assert "HEAD cell failed (RuntimeError: out of memory)" in gate_message(cmp)


def test_seeds_with_the_same_units_are_averaged_per_unit(tmp_path: Path) -> None:
    a, b = units_frame(seed=1), units_frame(seed=2)
    for seed, frame in ((0, a), (1, b)):
        write_cell(tmp_path / "base", "m", frame, seed=seed)
        write_cell(tmp_path / "head", "m", frame, seed=seed)
    cmp = compare(tmp_path / "base", tmp_path / "head", ["nDCG@10"], FAST)
    r = row(cmp, "m", "nDCG@10")
    assert r.n == 120 and r.base == pytest.approx((a["nDCG@10"].mean() + b["nDCG@10"].mean()) / 2)


def test_markdown_and_junit_escape_names_and_count_cases(tmp_path: Path) -> None:
    name = "a|b <script>alert(1)</script>"
    base_units = units_frame()
    write_cell(tmp_path / "base", name, base_units)
    write_cell(tmp_path / "head", name, lowered(base_units, "R@100"))
    cmp = compare(tmp_path / "base", tmp_path / "head", settings=FAST)
    md = comparison_markdown(cmp)
    assert "a\\|b \\<script>alert(1)\\</script>" in md and "❌ fail" in md
    assert "<script>" not in MarkdownIt("commonmark").enable("table").render(md)  # text, not a tag
    root = ET.fromstring(comparison_junit(cmp))
    cases = root.findall(".//testcase")
    assert len(cases) == len(cmp.rows) == 3
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == [f"{name} R@100"]
    assert root.find("testsuite").get("failures") == "1"


def test_report_model_marks_best_by_direction_and_significance(tmp_path: Path) -> None:
    base_units = units_frame(300)
    worse = lowered(base_units, "nDCG@10", fraction=0.5)
    worse["logloss"] = worse["logloss"] - 0.1  # better (lower) logloss
    # a registered suite: its declared measure order (nDCG@10 first) sets the primary measure
    write_cell(tmp_path / "r", "good", base_units, suite="ir-synth-tiny", timings={"search_ms_per_query": 5.0})
    write_cell(tmp_path / "r", "fast", worse, suite="ir-synth-tiny", timings={"search_ms_per_query": 0.5})
    write_cell(tmp_path / "r", "dead", None, suite="ir-synth-tiny", error="boom")
    write_cell(tmp_path / "r", "x", None, suite="ir-synth", error="nope")  # a suite where every cell failed
    report = build_report([tmp_path / "r"], baseline="good", settings=FAST)
    failed_only, board = report.suites
    assert failed_only.rows[0].status == "failed" and failed_only.primary is None
    assert [r.adapter for r in board.rows] == ["good", "fast", "dead"]
    assert board.primary == "nDCG@10" and board.baseline == "good"
    assert board.best["logloss"] == pytest.approx(worse["logloss"].mean())
    fast = board.rows[1]
    assert fast.marks["nDCG@10"].verdict == WORSE and fast.marks["logloss"].verdict == "better"
    assert fast.latency == 0.5 and board.latency is not None and board.latency.key == "search_ms_per_query"
    wtl = {w.measure: w for w in fast.drill.wtl}
    assert wtl["nDCG@10"].loss == 150 and wtl["nDCG@10"].win + wtl["nDCG@10"].tie == 150
    assert fast.drill.losses[0].value < fast.drill.losses[0].baseline
    assert board.rows[2].status == "failed" and "boom" in board.rows[2].error
    doc = json.loads(report_json(report))
    assert doc["suites"][1]["rows"][1]["marks"]["nDCG@10"]["verdict"] == WORSE
    assert "| 2 | fast | " in report_markdown(report) and "▼" in report_markdown(report)
    html = render_html(report)
    assert html.count("<svg") == 1
    assert re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//|@import|url\((?!#)", html) is None  # nothing to fetch


def test_pareto_front_is_direction_aware() -> None:
    points = [(1.0, 0.5), (2.0, 0.7), (3.0, 0.6), (0.5, 0.2)]
    assert pareto_front(points, x_higher=False, y_higher=True) == [3, 0, 1]
    assert pareto_front(points, x_higher=True, y_higher=True) == [2, 1]
    assert pareto_front(points, x_higher=False, y_higher=False) == [3]


def test_history_trend_spans_result_sets(tmp_path: Path) -> None:
    base_units = units_frame()
    write_cell(tmp_path / "v1", "m", base_units)
    # v2: the same commit with other uncommitted changes, so another code state (sets of one state merge)
    write_cell(tmp_path / "v2", "m", lowered(base_units, "nDCG@10"), provenance={"git_diff": "1" * 64})
    report = build_report([tmp_path / "v1", tmp_path / "v2"], settings=FAST)
    trend = [p for p in report.trend if p.measure == "nDCG@10"]
    assert [p.source for p in trend] == ["v1", "v2"] and trend[1].value < trend[0].value
    html = render_html(report)
    assert 'id="history"' in html and html.count("<svg") == 1  # one adapter: a trend, but no Pareto trade-off


def test_html_renderer_entry_point_writes_leaderboard_html(tmp_path: Path) -> None:
    """What the quickstart calls at its end: the `html` renderer registered in pyproject."""
    from rankbench.harness.plugins import renderer

    write_cell(tmp_path / "results", "m", units_frame())
    render = renderer("html")
    assert render is not None
    page = render(tmp_path / "results", tmp_path / "out")
    assert page == tmp_path / "out" / "leaderboard.html"
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_auc_is_tested_with_delong_on_stored_labels_and_predictions(tmp_path: Path) -> None:
    """CTR cells keep label and prediction per impression; AUC gets a paired DeLong test."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 3000)
    good = 1 / (1 + np.exp(-(2.0 * labels - 1 + rng.normal(0, 1.2, 3000))))
    noisy = 1 / (1 + np.exp(-(0.6 * (2.0 * labels - 1) + rng.normal(0, 1.2, 3000))))
    ids = pd.Index(np.arange(3000), name="impression")
    for side, pred in (("base", good), ("head", noisy)):
        units = pd.DataFrame({"label": labels, "prediction": pred}, index=ids)
        result = Result(
            suite="ctr-unit",
            adapter="lr",
            seed=0,
            status="ok",
            measures={"AUC": Estimate(float(roc_auc_score(labels, pred)), math.nan, math.nan, 3000)},
            timings={},
            provenance=collect("ctr-unit", "0" * 64, 0, now_iso()).to_json(),
            family="ctr",
            unit="impression",
        )
        ResultStore(tmp_path / side).write(result, units)
    cmp = compare(tmp_path / "base", tmp_path / "head", settings=FAST)
    (auc,) = cmp.rows
    assert auc.note == "DeLong test" and auc.n == 3000
    assert auc.base == pytest.approx(roc_auc_score(labels, good)) and auc.head == pytest.approx(
        roc_auc_score(labels, noisy)
    )
    assert auc.verdict == WORSE and auc.ci_high < 0 and auc.p_holm < 1e-6


def test_tested_cost_ratio_decides_direction_and_threshold_not_the_aggregates() -> None:
    """On a noisy machine BASE's p99 over few units can exceed HEAD's although HEAD is ~4x slower unit by unit
    (seen: HEAD/BASE x3.88 tested, yet verdict 'better' from the aggregates). The tested ratio decides."""
    from rankbench.harness.comparison import WORSE, Settings, fails, verdict

    assert verdict(math.log(3.88), 0.001, False, 0.05) == WORSE  # latency: lower is better, ratio > 1 is worse
    settings = Settings(max_slowdown=1.2)
    # aggregates say HEAD is 4x *faster* (19.6 -> 5.0 ms), the paired test says 3.88x slower
    assert fails("latency_p99_ms", WORSE, 19.6, 5.0, 5.0 - 19.6, settings, ratio=3.88)
    assert not fails("latency_p99_ms", WORSE, 19.6, 5.0, 5.0 - 19.6, settings, ratio=1.1)  # within --max-slowdown
    assert fails("QPS", WORSE, 100.0, 200.0, 100.0, settings, ratio=0.5)  # QPS halved by the test: fails
