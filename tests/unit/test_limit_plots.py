"""LIMIT plots and `run --dims`: real cells are stored, the plots read only the store."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from rankbench.harness.cli import _with_setting
from rankbench.harness.errors import BadInput
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey, ResultStore
from rankbench.reports.limit_plots import (
    _limit_results,
    page_figures,
    pattern_caption,
    pattern_values,
    render,
    size_series,
)

pytest.importorskip("bm25s")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ResultStore:
    out = ResultStore(tmp_path_factory.mktemp("limit-results"))
    cells = [
        CellKey("limit-synth-dense-small", "bm25", 0),
        CellKey("limit-synth-cycle-small", "bm25", 0),
        CellKey("limit-critical-n(dims='2..5',max_iters=300,patience=50,window=4)", "-", 0),
    ]
    for cell in cells:
        result, units = execute_cell(cell)
        assert result.ok, result.error
        out.write(result, units)
    return out


def test_series_come_from_the_stored_measures(store: ResultStore) -> None:
    results = store.results()
    dense = next(r for r in results if r.suite == "limit-synth-dense-small")
    series, names = size_series(results, "R@100")
    assert series == {"bm25": {200: dense.measures["R@100"].value}} and names == {200: dense.suite}
    values = pattern_values(results, "R@2")
    assert set(values["bm25"]) == {"dense", "cycle"}


def test_render_writes_every_plot_as_svg(store: ResultStore, tmp_path: Path) -> None:
    assert render(store.root, tmp_path) == tmp_path
    written = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert written == ["limit-critical-n.svg", "limit-recall-by-pattern.svg", "limit-recall-vs-size.svg"]
    for path in tmp_path.glob("*.svg"):
        assert ET.fromstring(path.read_text(encoding="utf-8")).tag.endswith("svg")
    critical = next(r for r in store.results() if r.suite.startswith("limit-critical-n"))
    units = store.units(critical)
    assert list(units["d"]) == [2, 3, 4, 5] and "k=2" in critical.info["fits"]
    assert units["critical_n"].is_monotonic_increasing  # each d starts from the last d's certificate


def test_render_without_limit_results_writes_nothing(tmp_path: Path) -> None:
    assert render(tmp_path, tmp_path / "plots") is None


def test_dims_option_names_the_stored_variant() -> None:
    assert _with_setting("limit-critical-n", "dims", "2..12") == "limit-critical-n(dims='2..12')"
    assert _with_setting("limit-critical-n(k=3)", "dims", "4") == "limit-critical-n(dims='4',k=3)"
    with pytest.raises(BadInput, match="takes no --dims"):
        _with_setting("limit-small", "dims", "2..12")


def test_limit_results_are_selected_by_stored_tag(store: ResultStore, tmp_path: Path) -> None:
    """The plots take cells whose suite is tagged `limit`, whatever the suite is called."""
    dense = next(r for r in store.results() if r.suite == "limit-synth-dense-small")
    doc = json.loads(store.json_path(CellKey(dense.suite, dense.adapter, dense.seed)).read_text())
    assert doc["tags"] == ["limit", "stress"] and dense.tags == ("limit", "stress")
    other = ResultStore(tmp_path / "other")
    other.write(replace(dense, suite="renamed-stress", units_file=None), None)
    other.write(replace(dense, suite="limitless-but-untagged", tags=(), units_file=None), None)
    assert [r.suite for r in _limit_results(other)] == ["renamed-stress"]


def test_schema_1_limit_cells_use_their_suites_registered_tags(store: ResultStore, tmp_path: Path) -> None:
    """Cells stored before tags were (schema 1) are selected through their suite's tags today."""
    dense = next(r for r in store.results() if r.suite == "limit-synth-dense-small")
    old = ResultStore(tmp_path / "v1")
    for suite in ("limit-synth-dense-small", "ir-synth-tiny"):
        doc = json.loads(json.dumps(replace(dense, suite=suite, units_file=None).to_json()))
        del doc["tags"]
        doc["schema_version"] = doc["provenance"]["schema_version"] = 1
        doc["provenance"]["protocol"] = doc["provenance"].pop("settings")
        path = old.json_path(CellKey(suite, dense.adapter, 0))
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(doc))
    assert [r.suite for r in _limit_results(old)] == ["limit-synth-dense-small"]


def test_pattern_caption_states_the_stored_numbers(store: ResultStore) -> None:
    """The caption reads each model's range off the bars; a claim like 'keeps every pair apart' only when R@2 = 1."""
    values = pattern_values(store.results(), "R@2")
    caption = next(f.caption for f in page_figures(store.root) if f.title == "Recall by qrel pattern")
    low, high = min(values["bm25"].values()), max(values["bm25"].values())
    assert f"bm25 {low:.2f}" in caption and (f"–{high:.2f}" in caption or round(low, 2) == round(high, 2))
    made_up = {
        "maxsim": {"dense": 0.88, "cycle": 0.93},
        "lexical": {"dense": 1.0, "cycle": 1.0},
        "pooled": {"dense": 0.1},
    }
    text = pattern_caption(made_up, "R@2")
    assert "lexical 1.00; maxsim 0.88–0.93; pooled 0.10." in text
    assert text.endswith("R@2 = 1 on every pattern (every relevant pair retrieved together): lexical.")
    assert "apart" not in text and "maxsim" not in text.split("together")[-1]
