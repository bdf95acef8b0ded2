"""Two `rankbench run` processes on one results directory: every cell once, none computed twice."""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration._cli import measures_by_cell, rankbench, start, stored

SEEDS = [x for s in range(6) for x in ("--seed", str(s))]


def counts(stderr: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+) ran, (\d+) cached, (\d+) failed", stderr)
    assert m, stderr
    return int(m[1]), int(m[2]), int(m[3])


def test_two_runs_share_one_directory(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    args = ("run", "ir-synth-tiny", "-a", "sleepy(delay=0.4)", *SEEDS, "--executor", "local", "-o", str(out))
    procs = [start(*args), start(*args)]
    results = [(p.wait(180), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 for code, _ in results), results
    (ran_a, cached_a, _), (ran_b, cached_b, _) = (counts(err) for _, err in results)
    assert ran_a + ran_b == 6, results  # each cell computed by exactly one of them
    assert cached_a + cached_b == 6
    docs = stored(out)
    assert sorted(d["seed"] for d in docs) == list(range(6))
    assert not list(out.rglob(".*.lock")) and not list(out.rglob("*.tmp"))

    reference = tmp_path / "reference"
    assert rankbench("run", "ir-synth-tiny", "-a", "sleepy(delay=0.4)", *SEEDS, "-o", str(reference)).returncode == 0
    assert measures_by_cell(out) == measures_by_cell(reference)
