"""The CLI end to end on the shipped generated suite: run, resume, show, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rankbench.harness.cli import LISTINGS, data_listing, listing

RANKBENCH = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_unknown_suite_is_one_line_exit_2() -> None:
    proc = cli("run", "nosuch", "-a", "bm25")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unknown suite 'nosuch' (did you mean" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "ir-synth-tiny", "-a", "bm25", "--seed", "abc"), "error: invalid value for '--seed': "),
        (("run", "ir-synth-tiny", "-a", "bm25", "--timeout", "x"), "error: invalid value for '--timeout': "),
        (("evaluate", "q.txt", "r1.txt", "r2.txt", "--alpha", "x"), "error: invalid value for '--alpha': "),
        (("compare", "a", "b", "--resamples", "x"), "error: invalid value for '--resamples': "),
        (("run", "ir-synth-tiny", "--nosuch"), "error: no such option: --nosuch"),
        (("run",), "error: missing argument 'suites'"),
    ],
    ids=["seed", "timeout", "alpha", "resamples", "unknown-option", "missing-argument"],
)
def test_usage_errors_of_typed_options_are_one_line_exit_2(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    proc = cli(*args, "-o", str(tmp_path / "results")) if args[0] == "run" and len(args) > 1 else cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), proc.stderr
    assert lines[0].endswith(f"(see `rankbench {args[0]} --help`)")
    assert not (tmp_path / "results").exists()


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


def _cli_at(columns: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([*RANKBENCH, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("what", LISTINGS)
def test_list_fits_80_columns_with_names_whole(what: str) -> None:
    """One line per record within 80 columns; every name (and short column) whole, descriptions cut with '…'."""
    found = listing(what)
    proc = _cli_at(80, "list", what)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.rstrip("\n").splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert len(lines) == 1 + len(found.rows)  # header + one line per record: nothing wraps
    start = lines[0].index("description")
    cut = 0
    for line, row in zip(lines[1:], found.rows, strict=True):
        assert line.split()[0] == row["name"]
        for col in found.narrow:
            if col != "description":
                assert f" {row[col]} " in f" {line[:start]} "
        description, shown = str(row["description"]), line[start:].rstrip()
        cut += shown != description
        assert shown == description or (shown.endswith("…") and description.startswith(shown[:-1].rstrip()))
    if what in ("adapters", "suites"):
        assert cut  # long descriptions exist there, and they were cut rather than wrapped
    if what == "suites":
        assert any(line.startswith("latency-ir-synth-tiny ") for line in lines)  # was cut to `latency-ir-sy…`


def test_list_wide_and_json_show_every_field() -> None:
    found = listing("suites")
    wide = _cli_at(80, "list", "suites", "--wide")
    assert wide.returncode == 0, wide.stderr
    header = wide.stdout.splitlines()[0].split()
    assert header == list(found.columns)
    latency = next(r for r in found.rows if r["name"] == "latency-ir-synth")
    assert any(str(latency["description"]) in line for line in wide.stdout.splitlines())
    assert any(" ".join(latency["measures"]) in line for line in wide.stdout.splitlines())
    as_json = _cli_at(80, "list", "suites", "--format", "json")
    assert json.loads(as_json.stdout) == list(found.rows)
    bad = _cli_at(80, "list", "suites", "--format", "yaml")
    assert bad.returncode == 2 and "unknown output format 'yaml'" in bad.stderr


def test_data_ls_fits_80_columns_with_status_and_size() -> None:
    """At 80 columns every dataset's name, status, size and download are whole, the licence cut with '…'."""
    found = data_listing()
    proc = _cli_at(80, "data", "ls")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.rstrip("\n").splitlines()
    assert lines[0].split() == ["name", "status", "size", "download", "licence"]
    rows = lines[1 : 1 + len(found.rows)]
    assert max(len(line.rstrip()) for line in rows) <= 80
    assert lines[1 + len(found.rows)].startswith("data home: ")  # one line per dataset: nothing wraps
    start = lines[0].index("licence")
    cut = 0
    for line, row in zip(rows, found.rows, strict=True):
        assert line[:start].split() == [
            row["name"],
            str(row["status"]) + ("*" if row["served_by"] else ""),  # read from another dataset's copy
            *str(row["size"]).split(),
            *str(row["download"]).split(),
        ]
        licence, shown = str(row["licence"]), line[start:].rstrip()
        cut += shown != licence
        assert shown == licence or (shown.endswith("…") and licence.startswith(shown[:-1].rstrip()))
    assert cut  # some licences are long: cut, not wrapped or dropped
    wide = _cli_at(80, "data", "ls", "--wide")
    assert all(str(row["licence"]) in wide.stdout for row in found.rows)
    as_json = json.loads(_cli_at(80, "data", "ls", "beir-scifact", "--format", "json").stdout)
    assert as_json == list(data_listing(["beir-scifact"]).rows)
    assert set(as_json[0]) >= {"name", "status", "size_bytes", "licence"}


def test_version_option_and_short_help() -> None:
    from rankbench.harness import __version__

    for args in (["--version"], ["version"]):
        proc = cli(*args)
        assert (proc.returncode, proc.stdout.strip()) == (0, __version__), proc.stderr
    for args in (["-h"], ["run", "-h"], ["data", "fetch", "-h"]):
        proc = cli(*args)
        assert proc.returncode == 0 and proc.stdout.startswith("Usage: rankbench"), (args, proc.stderr)


def test_a_plugin_module_that_does_not_import_is_reported_once_with_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "RANKBENCH_PLUGINS": "no_such_plugin_module", "COLUMNS": "400"}
    proc = subprocess.run([*RANKBENCH, "list", "adapters"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0 and "bm25" in proc.stdout
    assert proc.stderr.count("skipping no_such_plugin_module") == 1, proc.stderr
    assert "add the folder that holds it to PYTHONPATH" in proc.stderr


def test_model_weight_loading_bars_show_only_with_verbose(tmp_path: Path) -> None:
    quiet = cli("run", "ir-synth-tiny", "-a", "minilm", "-o", str(tmp_path / "quiet"))
    assert quiet.returncode == 0 and "done   ir-synth-tiny / minilm" in quiet.stderr, quiet.stderr
    assert "Loading weights" not in quiet.stderr
    verbose = cli("-v", "run", "ir-synth-tiny", "-a", "minilm", "-o", str(tmp_path / "verbose"))
    assert verbose.returncode == 0 and "Loading weights" in verbose.stderr
