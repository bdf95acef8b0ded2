"""Adapters that raise, hang past the time budget, exceed the memory budget or crash the
interpreter are recorded as failed with a reason; the other cells complete; the exit code is 1."""

from __future__ import annotations

from pathlib import Path

from tests.integration._cli import measures_by_cell, rankbench, stored


def test_misbehaving_cells_fail_alone(tmp_path: Path) -> None:
    out = tmp_path / "results"
    bad = ("raises", "hangs", "eats-memory", "crashes")
    args = ["run", "budgeted-tiny", "-a", "sleepy(delay=0.0)", *(x for a in bad for x in ("-a", a)), "-o", str(out)]
    proc = rankbench(*args)
    assert proc.returncode == 1, proc.stderr
    assert "1 ran, 0 cached, 4 failed" in proc.stderr
    docs = {d["adapter"]: d for d in stored(out)}
    assert set(docs) == {"sleepy(delay=0.0)", *bad}
    ok = docs.pop("sleepy(delay=0.0)")
    assert ok["status"] == "ok" and 0 <= ok["measures"]["nDCG@10"]["value"] <= 1
    assert all(d["status"] == "failed" and d["measures"] == {} for d in docs.values())
    errors = {name: d["error"] for name, d in docs.items()}
    assert errors["raises"]["type"] == "RuntimeError"
    assert "index() blew up" in errors["raises"]["traceback"]
    assert errors["hangs"]["type"] == "BudgetExceeded" and "budget of 20 s" in errors["hangs"]["message"]
    assert "in index" in errors["hangs"]["traceback"]  # the stack the hung child was in
    assert errors["eats-memory"]["type"] == "BudgetExceeded" and "600 MiB" in errors["eats-memory"]["message"]
    assert docs["eats-memory"]["resources"]["peak_rss_mb"] > 600
    assert errors["crashes"]["type"] == "WorkerDied" and "signal 9" in errors["crashes"]["message"]
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.lock"))


def test_failed_cells_rerun_on_resume_and_ok_cells_do_not(tmp_path: Path) -> None:
    out = tmp_path / "results"
    first = rankbench("run", "budgeted-tiny", "-a", "sleepy(delay=0.0)", "-a", "raises", "-o", str(out))
    assert first.returncode == 1
    [doc] = [d for d in stored(out) if d["adapter"] == "raises"]
    assert first.stderr.count("index() blew up") == 1, first.stderr  # said once, as the cell ends
    [line] = [x for x in first.stderr.splitlines() if x.startswith("FAILED ")]
    [where] = [p for p in out.rglob("seed-0.json") if p.parent.name.startswith("raises")]
    assert where.is_file() and "index() blew up" in doc["error"]["traceback"]
    assert (
        line
        == f"FAILED budgeted-tiny / raises / seed 0: RuntimeError: adapter bug: index() blew up (traceback in {where})"
    )
    second = rankbench("run", "budgeted-tiny", "-a", "sleepy(delay=0.0)", "-a", "raises", "-o", str(out))
    assert second.returncode == 1
    assert "0 ran, 1 cached, 1 failed" in second.stderr


def test_process_executor_gives_local_metrics(tmp_path: Path) -> None:
    args = ("run", "ir-synth-tiny", "-a", "bm25", "-a", "sleepy(delay=0.0)", "--seed", "2")
    assert rankbench(*args, "--executor", "process", "-o", str(tmp_path / "process")).returncode == 0
    assert rankbench(*args, "--executor", "local", "-o", str(tmp_path / "local")).returncode == 0
    assert measures_by_cell(tmp_path / "process") == measures_by_cell(tmp_path / "local")
    assert len(measures_by_cell(tmp_path / "local")) == 2
