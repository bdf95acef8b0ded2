"""Datasets and suites on the command line: overrides on local paths, `data ls` on aliases, `data verify`
per dataset, `data fetch` of an unknown name, `reproduce` without a card. Each runs the real `rankbench`
command in a subprocess; data homes that are written to are the test's own."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.cli import VERIFY_LISTED, listing
from rankbench.harness.registry import DATASETS
from rankbench.harness.suite import resolve_suite
from tests.integration._cli import REPO, rankbench, stored

ZOO = "fuxictr-model-zoo"
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


# --- data ls: a dataset that `run` reads from another ---------------------------------------------------


def _ls(home: Path, *names: str) -> dict[str, dict]:
    proc = rankbench("data", "ls", *names, "--format", "json", RANKBENCH_DATA=str(home))
    assert proc.returncode == 0, proc.stderr
    return {row["name"]: row for row in json.loads(proc.stdout)}


def test_data_ls_shows_beir_scifact_present_when_run_reads_the_pinned_copy(real_data: Path, tmp_path: Path) -> None:
    """`run beir/scifact` reads the pinned `beir-scifact` copy: `data ls` says so, and says missing once it is not."""
    home = tmp_path / "home"
    shutil.copytree(real_data / "ir" / "scifact", home / "ir" / "scifact")
    rows = _ls(home, "beir/scifact", "beir-scifact", "beir/nfcorpus")
    assert rows["beir-scifact"]["status"] == "present"
    assert rows["beir/scifact"]["status"] == "present"
    assert rows["beir/scifact"]["served_by"] == "beir-scifact"
    assert rows["beir/scifact"]["size_bytes"] == rows["beir-scifact"]["size_bytes"] > 0
    assert rows["beir/nfcorpus"]["status"] == "missing"
    table = rankbench("data", "ls", RANKBENCH_DATA=str(home), **WIDE)
    [line] = [ln for ln in table.stdout.splitlines() if ln.split()[:1] == ["beir/scifact"]]
    assert line.split()[1] == "present*"
    assert "* beir/scifact: run reads the copy of beir-scifact" in table.stdout.splitlines()

    ran = rankbench(
        "run", "beir/scifact", "-a", "bm25", "--no-fetch", "-o", str(tmp_path / "r"), RANKBENCH_DATA=str(home)
    )
    assert ran.returncode == 0, ran.stderr
    assert [d["suite"] for d in stored(tmp_path / "r")] == ["beir-scifact"]

    (home / "ir" / "scifact" / "qrels" / "test.tsv").unlink()
    rows = _ls(home, "beir/scifact", "beir-scifact")
    assert rows["beir-scifact"]["status"] == "partial"
    assert (rows["beir/scifact"]["status"], rows["beir/scifact"]["served_by"]) == ("missing", "")


# --- data verify: one line per dataset whose files share a status ----------------------------------------


def _rows(stdout: str, dataset: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if line.split()[:1] == [dataset]]


def test_data_verify_gives_a_missing_dataset_one_line(tmp_path: Path) -> None:
    count = len(DATASETS.get(ZOO).files)
    assert count > VERIFY_LISTED
    proc = rankbench("data", "verify", RANKBENCH_DATA=str(tmp_path), **WIDE)
    assert proc.returncode == 0, proc.stderr  # nothing corrupt; absent files fail only datasets named
    [zoo] = _rows(proc.stdout, ZOO)
    assert zoo.split() == [ZOO, "missing", f"({count}", "files)", "rankbench", "data", "fetch", ZOO]
    with_files = [d.name for d in DATASETS if d.files]
    assert len(proc.stdout.strip().splitlines()) == 1 + len(with_files)  # the header, then one line each
    named = rankbench("data", "verify", ZOO, RANKBENCH_DATA=str(tmp_path), **WIDE)
    assert named.returncode == 1 and [r.split() for r in _rows(named.stdout, ZOO)] == [zoo.split()]


def test_data_verify_lists_the_first_mismatching_files_and_counts_the_rest(tmp_path: Path) -> None:
    spec = DATASETS.get(ZOO)
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "fuxictr"
    unpack = spec.downloads[0].unpack
    sources = {rel: fixture / rel.removeprefix(f"{unpack}/") for rel in spec.files}
    good = [rel for rel, src in sources.items() if src.is_file()]
    assert good, "the FuxiCTR fixture holds some of the zoo's sources verbatim"
    for rel in spec.files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel in good:
            shutil.copy(sources[rel], tmp_path / rel)
        else:
            (tmp_path / rel).write_text("# not the pinned source\n")
    proc = rankbench("data", "verify", ZOO, RANKBENCH_DATA=str(tmp_path), **WIDE)
    assert proc.returncode == 1
    rows = _rows(proc.stdout, ZOO)
    bad = len(spec.files) - len(good)
    mismatched = [r for r in rows if r.split()[1] == "mismatch"]
    assert len(mismatched) == VERIFY_LISTED
    assert all(Path(r.split()[2]).is_relative_to(tmp_path) for r in mismatched)
    assert f"{ZOO} … and {bad - VERIFY_LISTED} more ({bad - VERIFY_LISTED} mismatch)" in [
        " ".join(r.split()) for r in rows
    ]
    [ok] = [r for r in rows if r.split()[1] == "ok"]
    assert f"ok ({len(good)} files)" in ok
    assert len(rows) == VERIFY_LISTED + 2


# --- data fetch of an unknown name; reproduce without a card ---------------------------------------------


def test_data_fetch_of_an_unknown_name_says_dataset_and_suggests_datasets(tmp_path: Path) -> None:
    proc = rankbench("data", "fetch", "ml-1n", RANKBENCH_DATA=str(tmp_path))
    assert proc.returncode == 2
    [line] = errors(proc.stderr)
    assert line.startswith("error: unknown dataset 'ml-1n' (did you mean 'ml-1m'")
    assert "suite" not in line
    nosuch = rankbench("data", "fetch", "nosuch", RANKBENCH_DATA=str(tmp_path))
    [line] = errors(nosuch.stderr)
    suggested = line.split("did you mean ")[1].rstrip("?)").split(", ")
    assert line.startswith("error: unknown dataset 'nosuch'") and all(s.strip("'") in DATASETS for s in suggested)
    assert list(tmp_path.iterdir()) == []
    beir = rankbench("data", "fetch", "beir/nfcorps", RANKBENCH_DATA=str(tmp_path))  # its own kind, still
    assert errors(beir.stderr)[0].startswith(
        "error: unknown BEIR collection 'beir/nfcorps' (did you mean 'beir/nfcorpus'"
    )


def test_reproduce_without_a_card_lists_the_cards_and_exits_2() -> None:
    proc = rankbench("reproduce", **WIDE)
    assert proc.returncode == 2
    [line] = errors(proc.stderr)
    assert "rankbench reproduce NAME" in line
    listed = rankbench("list", "cards", **WIDE)
    assert listed.returncode == 0 and proc.stdout == listed.stdout
    names = [row["name"] for row in listing("cards").rows]
    assert len(names) > 1
    assert [ln.split()[0] for ln in proc.stdout.splitlines()[1:]] == names


@pytest.mark.parametrize("argv", [["reproduce", "--rerun"], ["reproduce", "-o", "somewhere"]])
def test_reproduce_with_options_but_no_card_still_lists_them(argv: list[str]) -> None:
    proc = rankbench(*argv, **WIDE)
    assert proc.returncode == 2 and len(errors(proc.stderr)) == 1
    assert all(row["name"] in proc.stdout for row in listing("cards").rows)
    assert not (REPO / "somewhere").exists()
