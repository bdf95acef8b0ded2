"""A damaged result cell is never reused: `run` recomputes it, `compare`/`report`/`show` name it in one line.

Each case damages a cell of a real run the way a full disk, a killed copy or a hand edit does
(truncated or deleted `.units.parquet`, truncated or edited JSON) and drives the real CLI.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rankbench.harness.runner import plan, run_plan
from rankbench.harness.store import CellKey, ResultStore
from tests.integration._cli import rankbench

ADAPTERS = ["bm25", "bm25(k1=1.5,b=0.75)"]
DAMAGED = CellKey("ir-synth-tiny", "bm25", 0)


def truncate_units(json_path: Path) -> None:
    units = json_path.with_suffix(".units.parquet")
    units.write_bytes(units.read_bytes()[: units.stat().st_size // 2])


def delete_units(json_path: Path) -> None:
    json_path.with_suffix(".units.parquet").unlink()


def truncate_json(json_path: Path) -> None:
    json_path.write_bytes(json_path.read_bytes()[:200])


def delete_json(json_path: Path) -> None:
    json_path.unlink()


def edit_json(json_path: Path) -> None:
    """Valid JSON, valid schema, one measure changed by hand: the recorded checksum catches it."""
    doc = json.loads(json_path.read_text())
    doc["measures"]["nDCG@10"]["value"] = 0.99
    json_path.write_text(json.dumps(doc))


def flip_one_units_byte(json_path: Path) -> None:
    """Same size, one byte different inside the data pages: Parquet may still read it, the checksum does not."""
    units = json_path.with_suffix(".units.parquet")
    data = bytearray(units.read_bytes())
    data[len(data) // 3] ^= 0xFF
    units.write_bytes(bytes(data))


DAMAGES: dict[str, Callable[[Path], None]] = {
    "units-truncated": truncate_units,
    "units-deleted": delete_units,
    "units-byte-flipped": flip_one_units_byte,
    "json-truncated": truncate_json,
    "json-edited": edit_json,
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("damaged") / "clean"
    summary = run_plan(plan(["ir-synth-tiny"], ADAPTERS), ResultStore(out))
    assert summary.ok and len(summary.ran) == 2
    return out


def damaged_copy(clean: Path, tmp_path: Path, damage: Callable[[Path], None]) -> Path:
    out = tmp_path / "results"
    shutil.copytree(clean, out)
    damage(ResultStore(out).json_path(DAMAGED))
    return out


@pytest.mark.parametrize("kind", [*DAMAGES, "json-deleted"])
def test_run_recomputes_a_damaged_cell(kind: str, clean: Path, tmp_path: Path) -> None:
    out = damaged_copy(clean, tmp_path, {**DAMAGES, "json-deleted": delete_json}[kind])
    store = ResultStore(out)
    assert not store.has(DAMAGED)
    summary = run_plan(plan(["ir-synth-tiny"], ADAPTERS), store)
    assert summary.ran == [DAMAGED] and len(summary.cached) == 1
    fresh = ResultStore(out)
    assert fresh.has(DAMAGED) and fresh.damaged() == []
    expected = {r.adapter: r.measures["nDCG@10"].value for r in ResultStore(clean).results()}
    assert {r.adapter: r.measures["nDCG@10"].value for r in fresh.results()} == expected


def test_cli_run_says_ran_not_cached(clean: Path, tmp_path: Path) -> None:
    out = damaged_copy(clean, tmp_path, truncate_units)
    proc = rankbench("run", "ir-synth-tiny", *[f"-a{a}" for a in ADAPTERS], "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1 ran, 1 cached, 0 failed" in proc.stderr
    assert "damaged result cell" in proc.stderr and "recomputing it now" in proc.stderr


@pytest.mark.parametrize("kind", list(DAMAGES))
def test_show_and_report_name_the_damaged_cell_and_render_the_rest(kind: str, clean: Path, tmp_path: Path) -> None:
    out = damaged_copy(clean, tmp_path, DAMAGES[kind])
    bad_json = ResultStore(out).json_path(DAMAGED)
    show = rankbench("show", str(out))
    assert show.returncode == 0, show.stderr
    assert "Traceback" not in show.stdout + show.stderr
    assert "bm25(b=0.75,k1=1.5)" in show.stdout and "bm25 " not in show.stdout.replace("bm25(", "")
    [line] = [line for line in show.stderr.splitlines() if line.strip()]
    assert line.startswith(f"damaged result cell {bad_json}: ") and "`rankbench run` recomputes it" in line

    site = tmp_path / "site"
    report = rankbench("report", str(out), "-o", str(site), "--format", "json")
    assert report.returncode == 0, report.stderr
    assert [line for line in report.stderr.splitlines() if line.strip()] == [line]
    doc = json.loads((site / "leaderboard.json").read_text())
    assert [r["adapter"] for s in doc["suites"] for r in s["rows"]] == ["bm25(b=0.75,k1=1.5)"]


@pytest.mark.parametrize("side", ["base", "head"])
def test_compare_gate_fails_on_a_damaged_cell_unless_allowed(side: str, clean: Path, tmp_path: Path) -> None:
    damaged = damaged_copy(clean, tmp_path, truncate_units)
    base, head = (damaged, clean) if side == "base" else (clean, damaged)
    markdown = tmp_path / "compare.md"
    proc = rankbench("compare", str(base), str(head), "--gate", "--markdown", str(markdown))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "**Gate: ❌ fail**" in markdown.read_text() and "Damaged cells (left out)" in markdown.read_text()
    assert "Traceback" not in proc.stdout + proc.stderr
    [line] = [line for line in proc.stderr.splitlines() if line.strip()]
    assert line.startswith(f"gate failed: {side.upper()}: damaged result cell ") and "seed-0.json" in line
    # named once, as damaged: not also as a cell "only in" the other side
    assert "not compared" not in proc.stdout and "only in" not in proc.stdout + markdown.read_text()
    allowed = rankbench("compare", str(base), str(head), "--gate", "--allow-untested")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "gate passed" in allowed.stdout and "damaged result cell" in allowed.stderr


def test_old_cells_without_checksums_are_still_read_and_a_broken_one_is_caught(clean: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    shutil.copytree(clean, out)
    for path in out.rglob("seed-*.json"):  # as rankbench wrote them before checksums were recorded (schema 1)
        doc = json.loads(path.read_text())
        del doc["sha256"], doc["files"], doc["tags"]
        doc["schema_version"] = doc["provenance"]["schema_version"] = 1
        doc["provenance"]["protocol"] = doc["provenance"].pop("settings")
        path.write_text(json.dumps(doc))
    assert len(ResultStore(out).results()) == 2
    truncate_units(ResultStore(out).json_path(DAMAGED))
    store = ResultStore(out)
    assert not store.has(DAMAGED)
    [damaged] = store.damaged()
    assert "not readable Parquet" in damaged.reason
