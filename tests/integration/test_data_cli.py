"""Datasets and suites on the command line: overrides on local paths. Each runs the real `rankbench`
command in a subprocess; data homes that are written to are the test's own."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from rankbench.harness.suite import resolve_suite
from tests.integration._cli import rankbench, stored

WIDE = {"COLUMNS": "250"}


def interactions(path: Path, rows: int = 400, seed: int = 0) -> Path:
    """A random interactions CSV (user, item, timestamp), one row per (user, item) pair."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"user": rng.integers(0, 30, rows), "item": rng.integers(0, 300, rows), "timestamp": rng.permutation(rows)}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.drop_duplicates(["user", "item"]).to_csv(path, index=False)
    return path


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# --- overrides on local paths ---------------------------------------------------------------------------


def test_a_local_interactions_file_takes_split_overrides_stored_under_their_own_names(tmp_path: Path) -> None:
    csv = interactions(tmp_path / "inter.csv")
    out = tmp_path / "results"
    temporal, strong = f"{csv}(split=temporal)", f"{csv}(split=strong-generalization,heldout_users=6)"
    proc = rankbench("run", temporal, strong, "-a", "ease", "-o", str(out), "--executor", "process", **WIDE)
    assert proc.returncode == 0, proc.stderr
    cells = {d["suite"]: d for d in stored(out)}
    names = {
        f"{csv}(split='temporal')": "temporal",
        f"{csv}(heldout_users=6,split='strong-generalization')": "strong-generalization",
    }
    assert set(cells) == set(names)
    for name, split in names.items():
        doc = cells[name]
        assert doc["status"] == "ok", doc.get("error")
        assert doc["provenance"]["dataset"] == str(csv) and doc["provenance"]["settings"]["split"] == split
        assert 0.0 <= doc["measures"]["nDCG@10"]["value"] <= 1.0
    # a relative path with overrides names the same suite as the absolute one
    relative = resolve_suite(f"{os.path.relpath(csv)}(split=temporal)")
    assert relative.name == f"{csv}(split='temporal')" and relative.settings["split"] == "temporal"


def test_an_unknown_override_of_a_local_path_is_one_line_listing_the_settings(tmp_path: Path) -> None:
    csv = interactions(tmp_path / "inter.csv")
    out = tmp_path / "results"
    proc = rankbench("run", f"{csv}(splt=temporal)", "-a", "ease", "-o", str(out))
    assert proc.returncode == 2
    [line] = errors(proc.stderr)
    assert "'splt'" in line and str(csv) in line
    for key in resolve_suite(str(csv)).settings:
        assert key in line
    assert "Traceback" not in proc.stderr and not out.exists()
    wrong_type = rankbench("run", f"{csv}(test_frac=abc)", "-a", "ease", "-o", str(out))
    assert wrong_type.returncode == 2 and "test_frac" in errors(wrong_type.stderr)[0]
    missing = rankbench("run", f"{tmp_path / 'absent.csv'}(split=temporal)", "-a", "ease", "-o", str(out))
    assert missing.returncode == 2
    assert errors(missing.stderr) == [f"error: {tmp_path / 'absent.csv'}: no such file or folder"]


def test_a_path_with_parentheses_is_read_as_written_when_it_exists(tmp_path: Path) -> None:
    literal = interactions(tmp_path / "ratings(split=temporal).csv")
    assert resolve_suite(str(literal)).name == str(literal)  # the file itself, not `ratings` with an override
    folder = interactions(tmp_path / "copy (2)" / "inter.csv").parent
    suite = resolve_suite(f"{folder}/inter.csv(split=temporal)")
    assert suite.name == f"{folder}/inter.csv(split='temporal')" and suite.dataset == f"{folder}/inter.csv"
    named = resolve_suite(f"{literal}(split=leave-one-out)")
    assert named.dataset == str(literal) and named.settings["split"] == "leave-one-out"


def test_overrides_of_a_local_folder_are_checked_against_its_suite(tmp_path: Path) -> None:
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "oil"}\n{"_id": "d2", "text": "gas"}\n')
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "oil"}\n')
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    known = resolve_suite(str(folder))
    proc = rankbench("run", f"{folder}(nosuch=1)", "-a", "bm25", "-o", str(tmp_path / "results"))
    assert proc.returncode == 2
    [line] = errors(proc.stderr)
    assert f"unknown setting of suite {str(folder)!r} 'nosuch'" in line
    assert all(key in line for key in ("num_cpus", *known.settings))
