"""The CLI end to end on the shipped generated suite: run, resume, show, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RANKBENCH = [sys.executable, "-c", "from rankbench.harness.cli import main; main()"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_unknown_suite_is_one_line_exit_2() -> None:
    proc = cli("run", "nosuch", "-a", "bm25")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unknown suite 'nosuch' (did you mean" in lines[0]
    assert "Traceback" not in proc.stderr


def test_run_show_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "results"
    first = cli("run", "ir-synth-tiny", "-a", "bm25", "-a", "bm25(k1=1.2,b=0.75)", "-o", str(out))
    assert first.returncode == 0, first.stderr
    assert "2 ran, 0 cached" in first.stderr
    docs = [json.loads(p.read_text()) for p in out.rglob("*.json")]
    assert {d["adapter"] for d in docs} == {"bm25", "bm25(b=0.75,k1=1.2)"}
    assert all(d["status"] == "ok" and d["measures"]["nDCG@10"]["value"] > 0.3 for d in docs)
    second = cli("run", "ir-synth-tiny", "-a", "bm25", "-o", str(out))
    assert "0 ran, 1 cached" in second.stderr
    show = cli("show", str(out))
    assert show.returncode == 0 and "nDCG@10" in show.stdout and "bm25(b=0.75,k1=1.2)" in show.stdout


def test_list_commands() -> None:
    for what in ("adapters", "suites", "datasets", "measures", "tasks"):
        proc = cli("list", what)
        assert proc.returncode == 0, proc.stderr
    assert "bm25" in cli("list", "adapters").stdout
