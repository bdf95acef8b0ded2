"""The data home: where datasets live, and sha256 checks of every file read from it.

`RANKBENCH_DATA` points at it (default `~/.cache/rankbench`). Nothing is downloaded:
a missing file is a `DatasetMissing` error saying where to put it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rankbench.harness.errors import ChecksumMismatch, DatasetMissing
from rankbench.harness.records import Loaded
from rankbench.harness.registry import DATASETS, DatasetSpec, resolve

ENV_VAR = "RANKBENCH_DATA"


def data_home() -> Path:
    return Path(os.environ.get(ENV_VAR) or Path.home() / ".cache" / "rankbench").expanduser()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_verified: dict[tuple[str, int, int], str] = {}


def checked_file(spec: DatasetSpec, relpath: str, hint: str = "") -> Path:
    """Path of a dataset file in the data home, after checking it exists and matches its sha256."""
    path = data_home() / relpath
    if not path.is_file():
        raise DatasetMissing(spec.name, path, hint or spec.source)
    expected = spec.files.get(relpath)
    if expected:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        actual = _verified.get(key) or sha256_file(path)
        if actual != expected:
            raise ChecksumMismatch(path, expected, actual)
        _verified[key] = actual
    return path


@dataclass(frozen=True)
class FileStatus:
    dataset: str
    path: Path
    status: str  # "ok" | "missing" | "mismatch" | "unpinned" (no published checksum to check against)


def verify(spec: DatasetSpec) -> list[FileStatus]:
    """Check every file of a dataset; used by `rankbench data verify`."""
    out = []
    for relpath, expected in spec.files.items():
        path = data_home() / relpath
        if not path.is_file():
            out.append(FileStatus(spec.name, path, "missing"))
        elif not expected:
            out.append(FileStatus(spec.name, path, "unpinned"))
        else:
            out.append(FileStatus(spec.name, path, "ok" if sha256_file(path) == expected else "mismatch"))
    return out


def files_checksum(spec: DatasetSpec) -> str:
    """One checksum for a file-backed dataset: the hash of its files' recorded hashes."""
    joined = "\n".join(f"{k} {v}" for k, v in sorted(spec.files.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


_loaded: dict[tuple[str, tuple[tuple[str, Any], ...]], Loaded] = {}


def load_dataset(name: str, **params: Any) -> Loaded:
    """Load (or generate) a dataset by registered name; cached per process."""
    spec = DATASETS.get(name)
    merged = {**spec.params, **params}
    key = (name, tuple(sorted((k, repr(v)) for k, v in merged.items())))
    if key not in _loaded:
        loader = resolve(spec.loader)
        _loaded[key] = loader(spec, **merged)
    return _loaded[key]
