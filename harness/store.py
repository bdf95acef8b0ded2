"""The result store: one JSON document per cell plus its per-unit values in Parquet.

Layout: `ROOT/<suite>/<adapter-slug>/seed-<n>.json` and `... .units.parquet`. Each file is
written to a unique temp file in the same folder and renamed into place, and the JSON is
renamed last, so a reader (or a resumed run) sees either a whole cell or none, and two
writers never interleave bytes. A run holds an advisory lock (`flock`) on `.seed-<n>.lock`
while it computes a cell, so two runs sharing a directory never compute the same cell twice;
the kernel drops the lock when its process dies, so a killed run never blocks a resume.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rankbench.harness.errors import BadInput
from rankbench.harness.result import Result, dumps

if TYPE_CHECKING:  # pandas loads on use: adapter modules reach this module and `rankbench list` stays fast
    import pandas as pd


@dataclass(frozen=True)
class CellKey:
    suite: str
    adapter: str
    seed: int


def slug(text: str) -> str:
    """A filesystem-safe, collision-free name: readable prefix + short hash of the exact text."""
    readable = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_.")[:60] or "x"
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


REPORT_FILE = "reproduction.json"
"""A reproduction's summary, kept beside its cells but not a cell itself."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CellLock:
    """An exclusive lock on one cell, held by an open file descriptor of its lock file."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    def release(self) -> None:
        """Remove the lock file, then unlock: a waiter that opened the old file retries on the new one."""
        if self._fd < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = -1


def lock_file(path: Path, *, wait: bool) -> CellLock | None:
    """Take the lock at `path`; `None` when another live process holds it and `wait` is false."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return CellLock(path, fd)
        os.close(fd)  # the holder released and removed the file while we waited: lock the new one


class ResultStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def lock(self, key: CellKey, *, wait: bool = False) -> CellLock | None:
        """Claim a cell before computing it (see the module docstring)."""
        path = self.json_path(key)
        lock = lock_file(path.with_name(f".{path.stem}.lock"), wait=wait)
        if lock is not None:  # only a lock holder writes this cell: temp files left here are a dead writer's
            for leftover in path.parent.glob(f".{path.stem}.*.tmp"):
                leftover.unlink(missing_ok=True)
        return lock

    def json_path(self, key: CellKey) -> Path:
        return self.root / slug(key.suite) / slug(key.adapter) / f"seed-{key.seed}.json"

    def has(self, key: CellKey, *, ok_only: bool = True) -> bool:
        path = self.json_path(key)
        if not path.is_file():
            return False
        if not ok_only:
            return True
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("status") == "ok"
        except (OSError, json.JSONDecodeError):
            return False

    def write(self, result: Result, units: pd.DataFrame | None) -> Path:
        """Write one cell atomically: units first, then the JSON that commits the cell."""
        path = self.json_path(CellKey(result.suite, result.adapter, result.seed))
        units_name = None
        if units is not None and len(units):
            units_name = path.with_suffix(".units.parquet").name
            buffer = units.to_parquet(index=True)
            atomic_write_bytes(path.with_name(units_name), buffer)
        atomic_write_bytes(path, dumps(result.with_units_file(units_name)).encode("utf-8"))
        return path

    def paths(self) -> Iterator[Path]:
        if self.root.is_file():
            yield self.root
            return
        if not self.root.is_dir():
            raise BadInput("no such results directory; run `rankbench run ... -o DIR` first", path=self.root)
        yield from sorted(p for p in self.root.rglob("*.json") if not p.name.startswith(".") and p.name != REPORT_FILE)

    def results(self) -> list[Result]:
        out = []
        for path in self.paths():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BadInput(f"not a valid result file ({exc}); delete it to re-run the cell", path=path) from None
            out.append(Result.from_json(doc, str(path)))
        return out

    def units(self, result: Result) -> pd.DataFrame | None:
        """Per-unit values of a stored result (index: unit id)."""
        if not result.units_file:
            return None
        key = CellKey(result.suite, result.adapter, result.seed)
        json_path = self.root if self.root.is_file() else self.json_path(key)  # a single result file
        path = json_path.with_name(result.units_file)
        if not path.is_file():
            raise BadInput("per-unit file is missing; re-run the cell", path=path)
        import pandas as pd

        return pd.read_parquet(path)

    def frame(self) -> pd.DataFrame:
        """All results as one long table: a row per (suite, adapter, seed, measure)."""
        rows = []
        for r in self.results():
            base = {
                "suite": r.suite,
                "adapter": r.adapter,
                "family": r.family,
                "seed": r.seed,
                "status": r.status,
                "git_sha": r.provenance.get("git_sha"),
                "finished_at": r.provenance.get("finished_at"),
            }
            if not r.measures:
                rows.append({**base, "measure": None, "value": None, "ci_low": None, "ci_high": None, "n": 0})
            for name, est in r.measures.items():
                rows.append(
                    {
                        **base,
                        "measure": name,
                        "value": est.value,
                        "ci_low": est.ci_low,
                        "ci_high": est.ci_high,
                        "n": est.n,
                    }
                )
        import pandas as pd

        return pd.DataFrame(
            rows,
            columns=[
                "suite",
                "adapter",
                "family",
                "seed",
                "status",
                "git_sha",
                "finished_at",
                "measure",
                "value",
                "ci_low",
                "ci_high",
                "n",
            ],
        )
