"""TREC run files as systems (`-a run:FILE`): same numbers as `rankbench evaluate`, cells keyed by content,
one-line errors for ids absent from the suite, several files at once, and the gate between two files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, DatasetMissing
from rankbench.harness.formats import write_trec_run
from rankbench.harness.records import Run
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey, ResultStore
from rankbench.harness.testing.contract import check_adapter

RANKBENCH = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "1000"}  # no wrapped lines
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


def said(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def bm25_run(dataset: str, depth: int, path: Path, **params: float) -> Path:
    ds = load_dataset(dataset).data
    model = ADAPTERS.get("bm25").build(**params)
    model.index(ds.corpus)
    write_trec_run(model.search(ds.queries, depth), path)
    return path


def reversed_run(source: Path, target: Path) -> Path:
    """The same documents per query, ranked upside down: a planted regression."""
    run = Run.from_dict({q: {d: -s for d, s in docs.items()} for q, docs in load_run(source).to_dict().items()})
    write_trec_run(run, target)
    return target


def load_run(path: Path) -> Run:
    from rankbench.harness.formats import read_trec_run

    return read_trec_run(path)


def stored(out: Path) -> list:
    return sorted(ResultStore(out).results(), key=lambda r: r.adapter)


def test_run_file_on_scifact_equals_evaluate(tmp_path: Path) -> None:
    """Every measure of beir-scifact, per query, as `rankbench evaluate` gives it on the file and SciFact's qrels."""
    try:
        qrels = next((Path(os.environ.get("RANKBENCH_DATA", "")) / "ir/scifact/qrels").glob("test.tsv*"))
        load_dataset("beir-scifact")
    except (StopIteration, DatasetMissing):
        pytest.skip("SciFact is not in the data home")
    run_file = bm25_run("beir-scifact", 100, tmp_path / "bm25.trec")  # the suite's depth: AP@100 on both sides
    proc = cli("run", "beir-scifact", "-a", f"run:{run_file}", "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    (result,) = stored(tmp_path / "out")
    digest = dict(parse_adapter_ref(f"run:{run_file}").stages[0].params)["sha256"]
    assert result.adapter == f"run(path='{run_file}',sha256='{digest}')" and len(digest) == 16
    units = ResultStore(tmp_path / "out").units(result)
    measures = list(result.measures)
    args = [a for m in measures for a in ("-m", m)]
    proc = cli("evaluate", str(qrels), str(run_file), *args, "--format", "json", "--per-query")
    assert proc.returncode == 0, proc.stderr
    expected = json.loads(proc.stdout)
    assert expected["num_q"] == len(units) == 300 and set(measures) >= {"nDCG@10", "R@100", "AP"}
    for m in measures:
        assert result.measures[m].value == expected["measures"][m], m
        assert units[m].to_dict() == {q: v[m] for q, v in expected["per_query"].items()}, m


def test_cells_are_keyed_by_content(tmp_path: Path) -> None:
    run_file = bm25_run("ir-synth", 100, tmp_path / "a.trec")
    out = tmp_path / "out"
    first = cli("run", "ir-synth", "-a", f"run:{run_file}", "-o", str(out))
    again = cli("run", "ir-synth", "-a", f"run:{run_file.name}", "-o", str(out), cwd=tmp_path)  # relative path
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert "1 ran, 0 cached" in said(first) and "0 ran, 1 cached" in said(again)
    lines = run_file.read_text().splitlines()
    run_file.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # an edited file is a new cell
    edited = cli("run", "ir-synth", "-a", f"run:{run_file}", "-o", str(out))
    assert edited.returncode == 0 and "1 ran, 0 cached" in said(edited), said(edited)
    old, new = stored(out)
    assert old.adapter.split("sha256=")[0] == new.adapter.split("sha256=")[0] and old.adapter != new.adapter
    assert old.measures["nDCG@10"].value != new.measures["nDCG@10"].value


def test_a_file_changed_after_planning_fails_its_cell(tmp_path: Path) -> None:
    run_file = bm25_run("ir-synth-tiny", 20, tmp_path / "a.trec")
    name = str(parse_adapter_ref(f"run:{run_file}"))
    run_file.write_text(run_file.read_text().replace(" 1 ", " 1  ", 1))  # same rows, other bytes
    result, _ = execute_cell(CellKey("ir-synth-tiny", name, 0))
    assert result.status == "failed" and "changed since this cell was planned" in result.error.message
    assert str(run_file) in result.error.message


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("q0000 Q0 nosuchdoc 1 3.0 x", "1 documents absent from the corpus"),
        ("qX Q0 d00001 1 3.0 x", "1 queries absent"),
    ],
)
def test_ids_absent_from_the_suite_are_one_line(tmp_path: Path, line: str, what: str) -> None:
    run_file = bm25_run("ir-synth-tiny", 20, tmp_path / "a.trec")
    run_file.write_text(run_file.read_text() + line + "\n")
    proc = cli("run", "ir-synth-tiny", "-a", f"run:{run_file}", "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    failed = [x for x in said(proc).splitlines() if x.startswith("FAILED ")]
    assert len(failed) == 1 and str(run_file) in failed[0] and what in failed[0], said(proc)
    assert ("'nosuchdoc'" if "documents" in what else "'qX'") in failed[0]
    assert "Traceback" not in said(proc)
    assert not any(r.ok for r in ResultStore(tmp_path / "out").results())


def test_missing_file_and_bad_shorthand_stop_before_any_cell(tmp_path: Path) -> None:
    proc = cli("run", "ir-synth-tiny", "-a", f"run:{tmp_path / 'none.trec'}", "-o", str(tmp_path / "out"))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "none.trec does not exist" in proc.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(BadInput, match="takes no NAME:VALUE shorthand"):
        parse_adapter_ref("bm25:x")
    with pytest.raises(BadInput, match="nothing after 'run:'"):
        parse_adapter_ref("run:")


def test_several_files_and_the_gate_between_two(tmp_path: Path) -> None:
    good = bm25_run("ir-synth", 100, tmp_path / "good.trec")
    bad = reversed_run(good, tmp_path / "bad.trec")
    out = tmp_path / "out"
    proc = cli("run", "ir-synth", "-a", f"run:{good}", "-a", f"run:{bad}", "-o", str(out))
    assert proc.returncode == 0 and "2 ran" in said(proc), said(proc)
    gate = ["compare", str(out), str(out), "--gate", "--resamples", "2000"]
    worse = cli(*gate, "--base-adapter", f"run:{good}", "--head-adapter", f"run:{bad}")
    assert worse.returncode == 1 and "nDCG@10" in worse.stderr, said(worse)
    better = cli(*gate, "--base-adapter", f"run:{bad}", "--head-adapter", f"run:{good}")
    assert better.returncode == 0 and "gate passed" in said(better), said(better)
    unknown = cli(*gate, "--base-adapter", "bm25", "--head-adapter", f"run:{good}")
    assert unknown.returncode == 2 and "BASE stores no cell of adapter 'bm25'" in unknown.stderr


def test_run_adapter_passes_the_retriever_contract(tmp_path: Path) -> None:
    run_file = bm25_run("ir-synth-tiny", 50, tmp_path / "a.trec")
    check_adapter(replace(ADAPTERS.get("run"), smoke_params={"path": str(run_file)}))
    run = ADAPTERS.get("run").build(path=str(run_file))
    queries = load_dataset("ir-synth-tiny").data.queries
    top = run.search(queries, 5)  # cut to k, ranked as in the file
    assert np.all(top.lengths == 5) and top.to_dict() == load_run(run_file).cut(5).to_dict()
    with pytest.raises(BadInput, match=r"names 13 queries absent from the queries searched \(3\)"):
        run.search(queries.subset(np.arange(3)), 5)  # a file for other queries than those asked
