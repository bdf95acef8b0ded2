"""`reproduce` reuses a stored cell only when the same code and suite settings computed it (issue 18):
a real git tree tells commits and uncommitted changes apart, and a cell whose provenance names
other code, another diff or other suite settings is recomputed; `rerun` recomputes every cell."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from rankbench.harness.provenance import code_state, git_diff, git_state, stale_reason
from rankbench.harness.reproduce import Card, Target, run_targets
from rankbench.harness.store import ResultStore, canonical_sha256


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_git_state_tells_commits_and_diffs_apart(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.org")
    _git(tmp_path, "config", "user.name", "t")
    (tmp_path / "m.py").write_text("X = 1\n")
    _git(tmp_path, "add", "m.py")
    _git(tmp_path, "commit", "-qm", "one")
    first = code_state(tmp_path)
    assert first["git_dirty"] is False and first["git_diff"] is None and len(str(first["git_sha"])) == 40
    assert stale_reason(first, first, {}) is None
    before = first
    for edit in ("X = 2\n", "X = 3\n"):
        (tmp_path / "m.py").write_text(edit)
        git_state.cache_clear(), git_diff.cache_clear()
        dirty = code_state(tmp_path)
        assert dirty["git_sha"] == first["git_sha"] and dirty["git_dirty"] is True
        assert stale_reason(first, dirty, {}) == "dirty tree False (now True)"
        assert stale_reason(dirty, dirty, {}) is None
        if edit == "X = 3\n":  # the same commit with other uncommitted changes is other code
            assert stale_reason(before, dirty, {}) == "other uncommitted changes"
        before = dirty
    _git(tmp_path, "commit", "-qam", "two")
    git_state.cache_clear(), git_diff.cache_clear()
    second = code_state(tmp_path)
    assert second["git_sha"] != first["git_sha"] and second["git_dirty"] is False
    assert stale_reason(first, second, {}).startswith(f"commit {first['git_sha']}")
    assert stale_reason(second, second, {"k": 1}) == "settings {} (now {'k': 1})"
    git_state.cache_clear(), git_diff.cache_clear()


def _tamper(store: ResultStore, value: float, **provenance: object) -> None:
    """Mark the stored cell (as another run of other code would have left it) with a known value."""
    (path,) = store.paths()
    doc = json.loads(path.read_text())
    doc["measures"]["nDCG@10"]["value"] = value
    doc["provenance"].update(provenance)
    units_path = path.with_name(doc["units_file"])  # per-unit values whose mean is the value: a whole cell
    units = pd.read_parquet(units_path)
    units["nDCG@10"] = value
    data = units.to_parquet(index=True)
    units_path.write_bytes(data)
    doc["files"] = {units_path.name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}
    doc["sha256"] = canonical_sha256(doc)  # a whole cell, not a damaged one
    path.write_text(json.dumps(doc))


def test_reproduce_recomputes_stale_cells(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    target = Target(adapter="bm25", measure="nDCG@10", published=0.5, tolerance=0.5, citation="none")
    card = Card(name="t", description="tiny", suite="ir-synth-tiny", targets=(target,))
    store = ResultStore(tmp_path)
    (computed,) = run_targets(card, tmp_path)
    assert 0.3 < computed.ours < 1
    _tamper(store, 0.123)  # same code and settings: the stored cell is reused as it is
    assert run_targets(card, tmp_path)[0].ours == 0.123
    stale_provenance = [
        {"git_sha": "0" * 40},
        {"rankbench_version": "0.0.1"},
        {"git_dirty": not code_state()["git_dirty"]},
        {"settings": {"task": "retrieval", "k": 7}},
    ]
    for changed in stale_provenance:
        _tamper(store, 0.123, **changed)
        caplog.clear()
        assert run_targets(card, tmp_path)[0].ours == pytest.approx(computed.ours, abs=1e-12), changed
        assert "is stale" in caplog.text and "recomputing" in caplog.text
    _tamper(store, 0.123)
    assert run_targets(card, tmp_path, rerun=True)[0].ours == pytest.approx(computed.ours, abs=1e-12)
