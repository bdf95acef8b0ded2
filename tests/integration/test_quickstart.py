"""The README's first command ends with `rankbench quickstart`: every cell runs, the terminal leaderboard and
the HTML page are drawn (they compare adapters over thousands of units: the CTR suite's 10,000 samples)."""

from __future__ import annotations

from pathlib import Path

from rankbench.harness.registry import QUICKSTART
from tests.integration._cli import rankbench


def test_quickstart_runs_every_cell_and_draws_the_leaderboard(tmp_path: Path) -> None:
    out = tmp_path / "quickstart"
    proc = rankbench("quickstart", "-o", str(out), timeout=900, COLUMNS="200")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert " 0 failed" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    page = (out / "leaderboard.html").read_text()
    suites = {entry.suite for entry in QUICKSTART}
    assert len(suites) >= 5
    for suite in suites:
        assert suite in page and f"suite: {suite}" in proc.stdout, suite
