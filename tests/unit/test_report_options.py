"""Options of `rankbench report`/`show` that name stored things: adapter names are read with the
adapter-reference grammar, and a name nothing is stored under is an error, not silently ignored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.errors import BadInput
from rankbench.reports.model import build_report
from tests.unit.test_compare import FAST, units_frame, write_cell

TUNED = "bm25(b=0.75,k1=1.2)"  # stored names are canonical: parameters sorted
RUN = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    base = units_frame(n=150)
    leader = base.copy()
    leader["nDCG@10"] = np.clip(leader["nDCG@10"] + 0.2, 0, 1)
    write_cell(root, "bm25", leader)  # the leader: the default baseline
    write_cell(root, TUNED, base)
    return root


def test_baseline_in_any_parameter_order_is_the_stored_adapter(results: Path) -> None:
    assert build_report([results], settings=FAST).suites[0].baseline == "bm25"
    report = build_report([results], "bm25(k1=1.2,b=0.75)", settings=FAST)
    assert report.suites[0].baseline == TUNED
    assert [r.adapter for r in report.suites[0].rows if r.is_baseline] == [TUNED]


def test_a_baseline_nothing_is_stored_under_is_an_error_naming_stored_ones(results: Path) -> None:
    with pytest.raises(BadInput, match=r"--baseline 'nope' is not among the stored adapters.*bm25"):
        build_report([results], "nope", settings=FAST)
    with pytest.raises(BadInput, match="bm25"):
        build_report([results], "bm25(k1=2.0)", settings=FAST)


@pytest.mark.parametrize("command", [["report", "-o", "site"], ["show", "--format", "latex"]])
def test_cli_rejects_an_unknown_baseline_in_one_line(results: Path, tmp_path: Path, command: list[str]) -> None:
    args = [command[0], str(results), *command[1:], "--baseline", "nope"]
    done = subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'nope'" in lines[0] and "bm25" in lines[0], done.stderr
    assert not (tmp_path / "site").exists()
