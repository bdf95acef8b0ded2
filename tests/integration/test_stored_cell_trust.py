"""Stored numbers are reused or shown only while they can be trusted, through the real CLI.

A cell of a local dataset that changed since it was computed is recomputed (the warning names both
checksums), and `reproduce` follows the same rule; a cell whose checksum was removed, or whose mean
disagrees with its per-unit values, is damaged everywhere; `cache verify` fails on a corrupt entry;
`compare --resamples` below the minimum is one line and exit 2.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.cache import OutputCache
from rankbench.harness.comparison import MIN_RESAMPLES
from rankbench.harness.reproduce import Card, Target, stale_cells
from rankbench.harness.runner import plan
from rankbench.harness.store import CellKey, ResultStore, canonical_sha256
from tests.integration._cli import rankbench

DOCS = {
    "d0": "cats purr softly",
    "d1": "dogs bark loudly",
    "d2": "fish swim in water",
    "d3": "birds fly high",
    "d4": "cats and dogs play",
    "d5": "the water is cold",
    "d6": "birds sing songs",
    "d7": "a dog chases cats",
}
QUERIES = {"q1": "cats", "q2": "dogs bark", "q3": "water fish", "q4": "birds"}
QRELS = [("q1", "d0"), ("q1", "d4"), ("q2", "d1"), ("q3", "d2"), ("q4", "d3"), ("q4", "d6")]


def write_beir(folder: Path, qrels: list[tuple[str, str]], docs: dict[str, str] = DOCS) -> None:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": d, "title": "", "text": t}) + "\n" for d, t in docs.items())
    )
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    lines = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t1" for q, d in qrels)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")


def only_cell(out: Path) -> dict:
    (path,) = [p for p in out.rglob("seed-*.json")]
    return json.loads(path.read_text())


def ndcg(out: Path) -> float:
    return only_cell(out)["measures"]["nDCG@10"]["value"]


RELABELLED = [(q, f"d{(int(d[1:]) + 3) % 8}") for q, d in QRELS]


@pytest.mark.parametrize(
    "edit",
    [
        lambda folder: write_beir(folder, RELABELLED),
        lambda folder: write_beir(folder, QRELS, {**DOCS, "d5": "cats cats cats in the water"}),
    ],
    ids=["qrels-relabelled", "corpus-text-changed"],
)
def test_run_recomputes_a_cell_whose_local_dataset_changed(tmp_path: Path, edit: Callable[[Path], None]) -> None:
    folder, out = tmp_path / "beirS", tmp_path / "res"
    write_beir(folder, QRELS)
    first = rankbench("run", str(folder), "-a", "bm25", "-o", str(out))
    assert first.returncode == 0 and "1 ran, 0 cached, 0 failed" in first.stderr, first.stderr
    again = rankbench("run", str(folder), "-a", "bm25", "-o", str(out))
    assert "0 ran, 1 cached, 0 failed" in again.stderr and "stale" not in again.stderr, again.stderr
    before = only_cell(out)["provenance"]["dataset_checksum"]

    edit(folder)
    changed = rankbench("run", str(folder), "-a", "bm25", "-o", str(out), COLUMNS="400")  # the warning on one line
    assert changed.returncode == 0 and "1 ran, 0 cached, 0 failed" in changed.stderr, changed.stderr
    after = only_cell(out)["provenance"]["dataset_checksum"]
    assert after != before
    assert f"dataset changed: checksum {before[:8]}… → {after[:8]}…" in changed.stderr
    assert changed.stderr.count("is stale") == 1
    recomputed = ndcg(out)

    fresh = tmp_path / "fresh"
    assert rankbench("run", str(folder), "-a", "bm25", "-o", str(fresh), "--rerun").returncode == 0
    assert recomputed == ndcg(fresh)
    assert "0 ran, 1 cached" in rankbench("run", str(folder), "-a", "bm25", "-o", str(out)).stderr


def test_run_recomputes_a_cell_of_an_interactions_file_cut_short(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = {(int(u), int(i)) for u, i in zip(rng.integers(0, 40, 900), rng.integers(0, 60, 900), strict=True)}
    lines = ["user_id,item_id,rating", *(f"u{u},i{i},5" for u, i in sorted(rows))]
    data, out = tmp_path / "inter.csv", tmp_path / "res"
    data.write_text("\n".join(lines) + "\n")
    assert rankbench("run", str(data), "-a", "popularity", "-o", str(out)).returncode == 0
    before = only_cell(out)["provenance"]["dataset_checksum"]
    data.write_text("\n".join(lines[: len(lines) * 2 // 3]) + "\n")
    proc = rankbench("run", str(data), "-a", "popularity", "-o", str(out), COLUMNS="400")
    assert proc.returncode == 0 and "1 ran, 0 cached, 0 failed" in proc.stderr, proc.stderr
    after = only_cell(out)["provenance"]["dataset_checksum"]
    assert f"dataset changed: checksum {before[:8]}… → {after[:8]}…" in proc.stderr


def test_reproduce_follows_the_same_rule(tmp_path: Path) -> None:
    folder, out = tmp_path / "beirS", tmp_path / "repro"
    write_beir(folder, QRELS)
    assert rankbench("run", str(folder), "-a", "bm25", "-o", str(out)).returncode == 0
    card = Card(
        name="t",
        description="tiny",
        suite=str(folder),
        targets=(Target(adapter="bm25", measure="nDCG@10", published=0.5, tolerance=0.5, citation="none"),),
    )
    cells = plan([card.suite], ["bm25"])
    assert stale_cells(ResultStore(out), cells) == {}
    before = only_cell(out)["provenance"]["dataset_checksum"]
    write_beir(folder, RELABELLED)
    [(cell, reason)] = stale_cells(ResultStore(out), cells).items()
    assert cell == cells[0]
    assert reason.startswith(f"dataset changed: checksum {before[:8]}… → ")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trust") / "clean"
    proc = rankbench("run", "ir-synth-tiny", "-a", "bm25", "-a", "bm25(k1=1.5,b=0.75)", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def edited_copy(synth: Path, tmp_path: Path, *, keep_checksum: bool) -> tuple[Path, Path, float]:
    out = tmp_path / "results"
    shutil.copytree(synth, out)
    path = ResultStore(out).json_path(CellKey("ir-synth-tiny", "bm25", 0))
    doc = json.loads(path.read_text())
    true_value = doc["measures"]["nDCG@10"]["value"]
    doc["measures"]["nDCG@10"]["value"] = 0.5
    del doc["sha256"]
    if keep_checksum:  # a deliberate edit that recomputes the checksum: the per-unit values still disagree
        doc["sha256"] = canonical_sha256(doc)
    path.write_text(json.dumps(doc))
    return out, path, true_value


@pytest.mark.parametrize("keep_checksum", [False, True], ids=["sha256-removed", "mean-disagrees"])
def test_an_edited_cell_is_damaged_everywhere(synth: Path, tmp_path: Path, keep_checksum: bool) -> None:
    out, path, true_value = edited_copy(synth, tmp_path, keep_checksum=keep_checksum)
    assert true_value != 0.5
    reason = "is not the mean of its" if keep_checksum else "no checksum"
    show = rankbench("show", str(out))
    assert show.returncode == 0, show.stderr
    assert "0.5000" not in show.stdout
    [line] = [line for line in show.stderr.splitlines() if line.strip()]
    assert line.startswith(f"damaged result cell {path}: ") and reason in line

    report = rankbench("report", str(out), "-o", str(tmp_path / "site.md"), "--format", "md")
    assert report.returncode == 0, report.stderr
    assert "0.5000" not in (tmp_path / "site.md").read_text() and reason in report.stderr

    run = rankbench("run", "ir-synth-tiny", "-a", "bm25", "-a", "bm25(k1=1.5,b=0.75)", "-o", str(out))
    assert run.returncode == 0 and "1 ran, 1 cached, 0 failed" in run.stderr, run.stderr
    assert json.loads(path.read_text())["measures"]["nDCG@10"]["value"] == true_value


def test_a_schema_1_cell_without_checksum_is_unverified(synth: Path, tmp_path: Path) -> None:
    """Cells written before checksums were recorded (schema 1) are read, named, and recomputed by run."""
    out = tmp_path / "results"
    shutil.copytree(synth, out)
    for path in out.rglob("seed-*.json"):
        doc = json.loads(path.read_text())
        del doc["sha256"], doc["files"], doc["tags"]
        doc["schema_version"] = doc["provenance"]["schema_version"] = 1
        doc["provenance"]["protocol"] = doc["provenance"].pop("settings")
        path.write_text(json.dumps(doc))
    store = ResultStore(out)
    assert len(store.results()) == 2 and store.damaged() == [] and len(store.unverified) == 2
    show = rankbench("show", str(out))
    assert show.returncode == 0 and show.stderr.count("unverified result cell") == 2, show.stderr
    run = rankbench("run", "ir-synth-tiny", "-a", "bm25", "-o", str(out))
    assert "1 ran, 0 cached, 0 failed" in run.stderr, run.stderr
    assert "sha256" in json.loads(ResultStore(out).json_path(CellKey("ir-synth-tiny", "bm25", 0)).read_text())


def test_cache_verify_exits_1_on_a_corrupt_entry(tmp_path: Path) -> None:
    cache = OutputCache(tmp_path / "cache")
    cache.put("emb", {"a": 1}, np.arange(10.0))
    bad = cache.put("emb", {"a": 2}, np.arange(20.0))
    ok = rankbench("cache", "verify", "--dir", str(tmp_path / "cache"))
    assert ok.returncode == 0 and "2 ok, 0 corrupt" in ok.stdout, ok.stdout + ok.stderr
    bad.write_bytes(bad.read_bytes()[:50])
    proc = rankbench("cache", "verify", "--dir", str(tmp_path / "cache"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 ok, 1 corrupt" in proc.stdout and f"corrupt: {bad}" in proc.stdout.replace("\n", "")
    [line] = [line for line in proc.stderr.splitlines() if line.strip()]
    assert line.startswith("error: 1 corrupt cache entry left in place") and "cache clear" in line
    assert bad.exists()  # verify changes nothing


@pytest.mark.parametrize("value", ["0", "-5", str(MIN_RESAMPLES - 1)])
def test_compare_refuses_too_few_resamples(synth: Path, value: str) -> None:
    proc = rankbench("compare", str(synth), str(synth), "--resamples", value)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = [line for line in proc.stderr.splitlines() if line.strip()]
    assert f"--resamples must be at least {MIN_RESAMPLES}" in line and f"got {value}" in line
    assert rankbench("compare", str(synth), str(synth), "--resamples", str(MIN_RESAMPLES)).returncode == 0


def test_a_cell_copied_into_another_cells_place_is_not_trusted(synth: Path, tmp_path: Path) -> None:
    """bm25's cell copied where `bm25(k1=1.5,b=0.75)` keeps its own: `run` said `cached`, and `show` counted
    bm25 twice and the other adapter not at all."""
    out = tmp_path / "results"
    shutil.copytree(synth, out)
    store = ResultStore(out)
    other = "bm25(b=0.75,k1=1.5)"  # as stored: parameters in canonical order
    source, target = (store.json_path(CellKey("ir-synth-tiny", a, 0)) for a in ("bm25", other))
    for suffix in (".json", ".units.parquet"):
        shutil.copyfile(source.with_suffix("").with_suffix(suffix), target.with_suffix("").with_suffix(suffix))
    assert not ResultStore(out).has(CellKey("ir-synth-tiny", other, 0))
    show = rankbench("show", str(out))
    assert show.returncode == 0 and f"damaged result cell {target}: it holds the cell ir-synth-tiny / bm25 /" in (
        show.stderr.replace("\n", " ")
    ), show.stderr
    run = rankbench("run", "ir-synth-tiny", "-a", "bm25", "-a", "bm25(k1=1.5,b=0.75)", "-o", str(out))
    assert run.returncode == 0 and "1 ran, 1 cached, 0 failed" in run.stderr, run.stderr
    assert json.loads(target.read_text())["adapter"] == other


def test_a_cell_of_other_settings_under_the_same_suite_name_is_recomputed(tmp_path: Path) -> None:
    """`./qq(depth=5)` is stored under the name `/…/qq(depth=5)`; a folder later named exactly that is its
    own suite with the default depth, and must not reuse the depth-5 cell."""
    write_beir(tmp_path / "qq", QRELS)
    out = tmp_path / "results"
    first = rankbench("run", f"{tmp_path / 'qq'}(depth=5)", "-a", "bm25", "-o", str(out))
    assert first.returncode == 0 and "1 ran" in first.stderr, first.stderr
    assert only_cell(out)["provenance"]["settings"]["depth"] == 5
    shutil.copytree(tmp_path / "qq", tmp_path / "qq(depth=5)")  # now a folder by that very name
    second = rankbench("run", f"{tmp_path / 'qq'}(depth=5)", "-a", "bm25", "-o", str(out))
    assert second.returncode == 0 and "1 ran, 0 cached" in second.stderr, second.stderr
    assert "is stale (settings" in " ".join(second.stderr.split())  # the log line wraps at the terminal width
    assert "depth" not in only_cell(out)["provenance"]["settings"]  # the folder's own suite: the task's default
