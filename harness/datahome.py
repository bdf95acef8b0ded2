"""The data home: where datasets live, checks of every file read from it, and fetching what is missing.

`RANKBENCH_DATA` points at it (default `~/.cache/rankbench`). rankbench works offline on what is
cached or shipped; a dataset with downloads in the manifest is fetched on first use (`fetch=True`),
everything else is a `DatasetMissing` error saying where to put it. A file may sit in the data home
as published or gzipped (`PATH.gz`); its checksum is that of the uncompressed content.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rankbench.harness.download import Download, Progress, fetch, parse_checksum
from rankbench.harness.download import file_digest as raw_digest
from rankbench.harness.download import status as download_status
from rankbench.harness.errors import ChecksumMismatch, DamagedFile, DatasetMissing
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


def content_digest(path: Path, algo: str = "sha256") -> str:
    """Hex digest of a file's content, gunzipped first when the file is `*.gz`.

    Raises:
        DamagedFile: a `*.gz` file that is truncated or not gzip.
    """
    digest = hashlib.new(algo)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    except EOFError as exc:
        raise DamagedFile(path, "truncated: the gzip stream ends before its end marker") from exc
    except gzip.BadGzipFile as exc:
        raise DamagedFile(path, f"not gzip: {exc}") from exc
    except zlib.error as exc:
        raise DamagedFile(path, f"corrupt gzip data: {exc}") from exc
    return digest.hexdigest()


_digests: dict[tuple[str, int, int, str, bool], str] = {}


def file_digest(path: Path, algo: str = "sha256", *, gunzip: bool = True) -> str:
    """`content_digest` of `path` (the raw bytes' digest with `gunzip=False`), computed once per process for
    each (path, size, modification time): the checksum of a local dataset is asked for before its cells are
    reused and again when it is loaded, and a file is read for it only once unless it changed.

    Raises:
        DamagedFile: a `*.gz` file that is truncated or not gzip (with `gunzip`).
    """
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, algo, gunzip)
    if key not in _digests:
        _digests[key] = content_digest(path, algo) if gunzip else raw_digest(path, algo)
    return _digests[key]


def find_file(relpath: str, home: Path | None = None) -> Path | None:
    """The file for `relpath` in the data home: as named, else gzipped (`relpath.gz`); None when absent."""
    home = home or data_home()
    for candidate in (home / relpath, home / f"{relpath}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _matches(path: Path, expected: str) -> tuple[bool, str]:
    algo, digest = parse_checksum(expected)
    actual = file_digest(path, algo)  # once per process while the file is unchanged
    return actual == digest, actual


def checked_file(spec: DatasetSpec, relpath: str, hint: str = "") -> Path:
    """Path of a dataset file in the data home (as named or gzipped), after checking its checksum."""
    path = find_file(relpath)
    if path is None:
        raise DatasetMissing(spec.name, data_home() / relpath, fetch_hint(spec, relpath) or hint or spec.source)
    expected = spec.files.get(relpath)
    if expected:
        try:
            ok, actual = _matches(path, expected)
        except DamagedFile as exc:
            raise DamagedFile(path, exc.reason, damaged_fix(spec, relpath)) from exc
        if not ok:
            raise ChecksumMismatch(path, parse_checksum(expected)[1], actual)
    return path


def fetch_hint(spec: DatasetSpec, relpath: str = "") -> str:
    """`run rankbench data fetch NAME (from URL)` when a download provides the file, else ""."""
    providing = [d for d in spec.downloads if not relpath or _provides(d, relpath)]
    if not providing:
        return ""
    return f"run `rankbench data fetch {spec.name}` (downloads {providing[0].url})"


def damaged_fix(spec: DatasetSpec, relpath: str) -> str:
    """How to replace a damaged file: delete it and fetch the dataset again, or restore the original."""
    if fetch_hint(spec, relpath):
        return f"delete it and run `rankbench data fetch {spec.name}`, or restore the original"
    return "restore the original file"


@dataclass(frozen=True)
class FileStatus:
    dataset: str
    path: Path
    status: str  # "ok" | "missing" | "mismatch" | "damaged" | "unpinned" (no published checksum to check against)
    detail: str = ""  # for "damaged": one line naming the file, what is wrong and the fix


def verify(spec: DatasetSpec) -> list[FileStatus]:
    """Check every file of a dataset; used by `rankbench data verify`."""
    out = []
    for relpath, expected in spec.files.items():
        path = find_file(relpath)
        if path is None:
            out.append(FileStatus(spec.name, data_home() / relpath, "missing"))
        elif not expected:
            out.append(FileStatus(spec.name, path, "unpinned"))
        else:
            try:
                out.append(FileStatus(spec.name, path, "ok" if _matches(path, expected)[0] else "mismatch"))
            except DamagedFile as exc:
                detail = str(DamagedFile(path, exc.reason, damaged_fix(spec, relpath)))
                out.append(FileStatus(spec.name, path, "damaged", detail))
    return out


def files_checksum(spec: DatasetSpec) -> str:
    """One checksum for a file-backed dataset: the hash of its files' and downloads' recorded checksums."""
    lines = [f"{k} {v}" for k, v in sorted(spec.files.items())]
    lines += sorted(f"{d.url} {d.checksum}" for d in spec.downloads)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _provides(download: Download, relpath: str) -> bool:
    if download.unpack:
        return relpath.startswith(download.unpack.rstrip("/") + "/")
    return relpath == download.path


def missing_downloads(spec: DatasetSpec) -> list[Download]:
    """The downloads still needed: those providing an absent file, or (no files listed) not yet done."""
    home = data_home()
    if spec.files:
        absent = [rel for rel in spec.files if find_file(rel, home) is None]
        return [d for d in spec.downloads if any(_provides(d, rel) for rel in absent) and not d.is_done(home)]
    return [d for d in spec.downloads if not d.is_done(home)]


def ensure(
    spec: DatasetSpec, *, fetch_missing: bool = True, progress: Callable[[Download], Progress | None] | None = None
) -> None:
    """Fetch what the dataset still needs (or, with `fetch_missing=False`, say how), then check its files."""
    needed = missing_downloads(spec)
    if needed and not fetch_missing:
        first = needed[0]
        raise DatasetMissing(
            spec.name,
            first.target(data_home()),
            f"run `rankbench data fetch {spec.name}` (fetching is off: --no-fetch)",
        )
    for download in needed:
        fetch(download, data_home(), progress=progress(download) if progress else None)
    for relpath in spec.files:
        checked_file(spec, relpath)


def dataset_status(spec: DatasetSpec) -> tuple[str, int]:
    """(`present` | `partial` | `missing`, bytes on disk) for `rankbench data ls`."""
    home = data_home()
    found = [find_file(rel, home) for rel in spec.files]
    size = sum(p.stat().st_size for p in found if p is not None)
    states = [download_status(d, home) for d in spec.downloads]
    if not spec.files:
        from rankbench.harness.download import size_on_disk

        size = sum(size_on_disk(d.target(home)) for d in spec.downloads if d.is_done(home))
        if states and all(s == "present" for s in states):
            return "present", size
        return ("partial" if "partial" in states or "present" in states else "missing"), size
    if all(p is not None for p in found):
        return "present", size
    if any(p is not None for p in found) or "partial" in states:
        return "partial", size
    return "missing", size


_loaded: dict[tuple[str, tuple[tuple[str, Any], ...]], Loaded] = {}


def dataset_checksum(name: str, **params: Any) -> str | None:
    """The checksum a load of the dataset records now (`Loaded.checksum`), without loading it where its spec
    has a `checksum` function (a local folder or file: its files' content hashes, each file read once per
    process while unchanged); the loaded dataset's when it is loaded in this process; else None (generated
    data, whose content is a function of the suite's settings, or files checked on every load).

    Raises what the checksum function raises for a file that is missing or damaged (`DamagedFile`, `OSError`).
    """
    spec = DATASETS.get(name)
    merged = {**spec.params, **params}
    key = (name, tuple(sorted((k, repr(v)) for k, v in merged.items())))
    if spec.checksum:
        return str(resolve(spec.checksum)(spec, **merged))
    if key in _loaded:
        return _loaded[key].checksum
    return None


def load_dataset(name: str, **params: Any) -> Loaded:
    """Load (or generate) a dataset by registered name; cached per process."""
    spec = DATASETS.get(name)
    merged = {**spec.params, **params}
    key = (name, tuple(sorted((k, repr(v)) for k, v in merged.items())))
    if key not in _loaded:
        loader = resolve(spec.loader)
        _loaded[key] = loader(spec, **merged)
    return _loaded[key]
