"""A damaged file in the data home (a truncated gzip, a `.gz` that is not gzip) is named with its fix,
by `rankbench data verify` as by every reader; an `EOFError` never becomes a bare `aborted`."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rankbench.harness import datahome
from rankbench.harness.errors import DamagedFile
from rankbench.harness.registry import DATASETS
from tests.inprocess import invoke


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    (tmp_path / "ml-100k").mkdir()
    return tmp_path


def truncated(home: Path) -> Path:
    path = home / "ml-100k" / "u.data.gz"
    path.write_bytes(gzip.compress(b"1\t2\t3\t4\n" * 5000)[:-30])
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [(gzip.compress(b"1\t2\t3\t4\n" * 5000, mtime=0)[:-30], "truncated"), (b"1\t2\t3\t4\n", "not gzip")],
    ids=["truncated", "not-gzip"],  # the same test ids in every worker (a gzip header holds the time: mtime=0)
)
def test_content_digest_names_a_damaged_gzip(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "u.data.gz"
    path.write_bytes(content)
    with pytest.raises(DamagedFile, match=rf"u\.data\.gz: damaged \({reason}"):
        datahome.content_digest(path)


def test_verify_reports_a_truncated_gzip_as_damaged(home: Path) -> None:
    path = truncated(home)
    [status] = datahome.verify(DATASETS.get("ml-100k"))
    assert (status.path, status.status) == (path, "damaged")
    assert status.detail.startswith(f"{path}: damaged (truncated")
    assert status.detail.endswith("delete it and run `rankbench data fetch ml-100k`, or restore the original")


def test_cli_data_verify_names_the_damaged_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = truncated(home)
    before = path.read_bytes()
    code, out, err = invoke(["data", "verify", "ml-100k"], capsys)
    assert code == 1
    assert "damaged" in out
    assert err.strip().splitlines() == [
        f"error: {path}: damaged (truncated: the gzip stream ends before its end marker); "
        "delete it and run `rankbench data fetch ml-100k`, or restore the original"
    ]
    assert path.read_bytes() == before


@pytest.mark.parametrize("argv", [["data", "fetch", "ml-100k"], ["run", "ml-100k-holdout", "-a", "popularity"]])
def test_cli_commands_name_the_damaged_file(
    home: Path, argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = truncated(home)
    code, out, err = invoke([*argv, *(["-o", str(tmp_path / "results")] if argv[0] == "run" else [])], capsys)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"error: {path}: damaged (truncated")
    assert "aborted" not in out + err
    assert not (tmp_path / "results").exists()


def test_an_eoferror_out_of_a_command_is_not_a_bare_abort(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def ends_early() -> Path:
        raise EOFError("Ran out of input")

    monkeypatch.setattr(datahome, "data_home", ends_early)
    code, out, err = invoke(["data", "path"], capsys)
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: a file ended early while being read (EOFError: Ran out of input, raised at ")
    assert "test_damaged_data_home.py" in line
    assert "Traceback" not in out + err
