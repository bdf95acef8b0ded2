"""A run killed with SIGKILL mid-plan resumes to exactly the results of an uninterrupted run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.integration._cli import RANKBENCH, REPO, measures_by_cell, plugin_env, rankbench, start, stored

SEEDS = [x for s in range(6) for x in ("--seed", str(s))]


def test_sigkill_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    proc = start("run", "ir-synth-tiny", "-a", "sleepy(delay=0.8)", *SEEDS, "--executor", "local", "-o", str(out))
    deadline = time.monotonic() + 120
    while len(stored(out)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    finished = len(stored(out))
    assert 2 <= finished < 6, f"kill landed after {finished} cells"
    assert len(list(out.rglob("seed-*.units.parquet"))) >= finished  # no JSON without its units

    resumed = rankbench("run", "ir-synth-tiny", "-a", "sleepy(delay=0.8)", *SEEDS, "-o", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{6 - finished} ran, {finished} cached, 0 failed" in resumed.stderr
    docs = stored(out)
    assert sorted(d["seed"] for d in docs) == list(range(6))  # every cell exactly once
    assert all(d["status"] == "ok" for d in docs)
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.lock"))

    reference = tmp_path / "reference"
    clean = rankbench("run", "ir-synth-tiny", "-a", "sleepy(delay=0.0)", *SEEDS, "-o", str(reference))
    assert clean.returncode == 0, clean.stderr
    strip = re.compile(r"\(delay=[0-9.]+\)")
    expected = {(s, strip.sub("", a), n): m for (s, a, n), m in measures_by_cell(reference).items()}
    got = {(s, strip.sub("", a), n): m for (s, a, n), m in measures_by_cell(out).items()}
    assert got == expected
    assert len({m["nDCG@10"] for m in got.values()}) > 1  # seeds differ, so equality is not vacuous


def test_ctrl_c_on_the_process_executor_stops_quietly_and_resumes(tmp_path: Path) -> None:
    """Ctrl-C signals the whole process group: the run stops with exit 130 and no cell's traceback,
    and the next run computes only what is missing."""
    out = tmp_path / "interrupted"
    args = ["run", "ir-synth-tiny", "-a", "sleepy(delay=1.5)", *SEEDS[:6], "--executor", "process", "-o", str(out)]
    proc = subprocess.Popen(
        [*RANKBENCH, *args], stderr=subprocess.PIPE, text=True, cwd=REPO, env=plugin_env(), start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not stored(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the next cell is inside the adapter now
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    finished = len(stored(out))
    resumed = rankbench(*args)
    assert resumed.returncode == 0 and f"{3 - finished} ran, {finished} cached, 0 failed" in resumed.stderr
