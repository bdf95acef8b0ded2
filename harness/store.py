"""The result store: one JSON document per cell plus its per-unit values in Parquet.

Layout: `ROOT/<suite>/<adapter-slug>/seed-<n>.json` and `... .units.parquet`. Each file is
written to a unique temp file in the same folder and renamed into place, and the JSON is
renamed last, so a reader (or a resumed run) sees either a whole cell or none, and two
writers never interleave bytes.

Each cell is verified before it is reused or read: at commit the JSON records the sha256 and
size of its per-unit file (`files`) and the sha256 of its own canonical text (`sha256`). A cell
whose JSON does not parse or validate, whose checksum does not match, or whose per-unit file is
missing or altered is *damaged*: `has()` says it is not stored (so `rankbench run` recomputes
it), and `results()` leaves it out and lists it in `damaged()` so a report renders the rest and
names it in one line. A cell of schema 2 on without its `sha256` is damaged ("no checksum"): every
such cell was written with one, so a missing checksum means an edit. A schema-1 cell without one
(written before checksums were recorded) is *unverified*: reports read it, naming it in a warning,
if its per-unit file opens as Parquet, and `rankbench run` recomputes it. A cell whose stored mean of
a measure disagrees with the mean of that measure's per-unit values is damaged too. A run holds an
advisory lock (`flock`) on `.seed-<n>.lock` while it computes a cell, so two runs sharing a directory
never compute the same cell twice; the kernel drops the lock when its process dies, so a killed
run never blocks a resume.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rankbench.harness.devices import device_label
from rankbench.harness.errors import BadInput, HarnessError
from rankbench.harness.result import Result, validate

if TYPE_CHECKING:  # pandas loads on use: adapter modules reach this module and `rankbench list` stays fast
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CellKey:
    suite: str
    adapter: str
    seed: int


@dataclass(frozen=True)
class Damaged:
    """A stored cell that cannot be trusted: its JSON file and what is wrong with it."""

    path: Path
    reason: str

    def line(self) -> str:
        """One line for a user: which cell, what is wrong, what to do."""
        return f"damaged result cell {self.path}: {self.reason}; `rankbench run` recomputes it (it is left out here)"


CHECKSUMMED_SCHEMA = 2
"""Every cell of this schema version on was written with its `sha256`; schema 1 began without one."""


_WARNED_UNVERIFIED: set[Path] = set()


def _one_per_cell(store: ResultStore, read: list[tuple[Path, Result]]) -> tuple[list[Result], list[Damaged]]:
    """A cell read from two files (one copied or moved into another cell's place) counts once: the file at the
    cell's own place stays, the other is damaged. Layouts of other versions, one file per cell, are left as read."""
    by_key: dict[tuple[str, str, int], list[tuple[Path, Result]]] = {}
    for path, result in read:
        by_key.setdefault((result.suite, result.adapter, result.seed), []).append((path, result))
    kept: list[Result] = []
    misplaced: list[Damaged] = []
    for (suite, adapter, seed), found in by_key.items():
        home = store.json_path(CellKey(suite, adapter, seed))
        for path, result in found:
            if len(found) == 1 or path == home:
                kept.append(result)
            else:
                reason = f"it holds the cell {suite} / {adapter} / seed {seed}, whose place is {home}"
                misplaced.append(Damaged(path, reason))
    return kept, misplaced


def unverified_line(path: Path) -> str:
    """One line naming a cell read without a checksum (see `ResultStore.unverified`)."""
    return (
        f"unverified result cell {path}: written before checksums were recorded (schema 1), so an edit cannot "
        "be ruled out; `rankbench run` recomputes it"
    )


def _check_means(result: Result, units: Path, data: bytes) -> str | None:
    """Why a measure's stored value is not the aggregate of its per-unit column (`grammar.aggregate`: the
    mean, or exp of the mean for gm_map), or None when every measure with a per-unit column agrees (to 1e-9
    relative). `data` is the Parquet file's bytes, already read to check its checksum."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rankbench.harness.measures.grammar import aggregate, parse_measure

    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # any reader error means the file is damaged
        return f"its per-unit file {units.name} is not readable Parquet ({type(exc).__name__})"
    for name in (m for m in result.measures if m in table.column_names):
        try:
            values = np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
            measure = parse_measure(name)
        except (TypeError, ValueError, HarnessError):
            continue  # not a numeric column, or no measure this rankbench knows: nothing to compare
        stored = result.measures[name].value
        if not len(values) or np.isnan(stored):
            continue
        mean = aggregate(measure, values)
        if np.isnan(mean) or np.isclose(stored, mean, rtol=1e-9, atol=1e-12):
            continue
        return (
            f"its {name} of {stored:.6g} is not the mean of its {len(values)} per-unit values ({mean:.6g}), "
            "so it was edited"
        )
    return None


def canonical_sha256(doc: dict) -> str:
    """sha256 of a result document's canonical JSON text, without its own `sha256` field."""
    body = {k: v for k, v in doc.items() if k != "sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def slug(text: str) -> str:
    """A filesystem-safe, collision-free name: readable prefix + short hash of the exact text."""
    readable = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_.")[:60] or "x"
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


REPORT_FILE = "reproduction.json"
"""A reproduction's summary, kept beside its cells but not a cell itself."""


def make_folder(path: Path) -> None:
    """`mkdir -p path`; raises `BadInput` (one line naming the folder) where a part of it is a file or
    the folder cannot be created (permissions, read-only file system)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BadInput(
            "cannot create this folder: a part of its path is a file; choose another output path", path=path
        ) from None
    except OSError as exc:
        raise BadInput(f"cannot create this folder ({exc.strerror}); choose another output path", path=path) from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`.

    The file gets the permissions a plain `open` would give it (0666 less the umask; `mkstemp` makes 0600).
    Raises `BadInput` when the folder of `path` cannot be created (`make_folder`) or written (read-only, full).
    """
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BadInput(f"cannot write here ({exc.strerror}); choose another output path", path=path) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BadInput(f"cannot write here ({exc.strerror}); choose another output path", path=path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """This process's umask (read by setting it and putting it back: the only portable way)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    make_folder(path.parent)
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
        self.unverified: set[Path] = set()
        """Cells read without a checksum (schema 1, written before checksums were recorded)."""

    def __str__(self) -> str:
        return str(self.root)

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
        """Whether the cell is stored whole (and succeeded, with `ok_only`); a damaged cell is not stored."""
        return self.stored(key, ok_only=ok_only) is not None

    def stored(self, key: CellKey, *, ok_only: bool = True) -> Result | None:
        """The verified cell (one that succeeded, with `ok_only`), or None: absent, damaged or unverified
        cells (each named in a warning) are not stored."""
        path = self.json_path(key)
        if not path.is_file():
            return None
        loaded = self.load(path)
        if isinstance(loaded, Damaged):
            log.warning("%s", loaded.line().replace("it is left out here", "recomputing it now"))
            return None
        if self.is_unverified(path):
            log.warning("%s", unverified_line(path).replace("`rankbench run` recomputes it", "recomputing it now"))
            return None
        if (loaded.suite, loaded.adapter, loaded.seed) != (key.suite, key.adapter, key.seed):  # copied or moved here
            log.warning(
                "%s holds the cell %s / %s / seed %d, not %s / %s / seed %d: recomputing it now",
                path,
                loaded.suite,
                loaded.adapter,
                loaded.seed,
                key.suite,
                key.adapter,
                key.seed,
            )
            return None
        return loaded if loaded.ok or not ok_only else None

    def write(self, result: Result, units: pd.DataFrame | None) -> Path:
        """Write one cell atomically: units first, then the JSON that commits the cell and their checksums."""
        path = self.json_path(CellKey(result.suite, result.adapter, result.seed))
        units_name = None
        files: dict[str, dict[str, object]] = {}
        if units is not None and len(units):
            units_name = path.with_suffix(".units.parquet").name
            buffer = units.to_parquet(index=True)
            atomic_write_bytes(path.with_name(units_name), buffer)
            files[units_name] = {"sha256": hashlib.sha256(buffer).hexdigest(), "bytes": len(buffer)}
        doc = {**result.with_units_file(units_name).to_json(), "files": files}
        doc["sha256"] = canonical_sha256(doc)
        atomic_write_bytes(path, json.dumps(doc, indent=1, sort_keys=True, allow_nan=False).encode("utf-8"))
        self.unverified.discard(path)
        return path

    def load(self, path: Path) -> Result | Damaged:
        """The verified cell at `path`, or what is wrong with it.

        A document of a newer schema version is no damage but an old rankbench: that raises `BadInput`.
        """
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Damaged(path, "the result file is missing")
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            return Damaged(path, f"not a valid result file ({exc})")
        try:
            validate(doc, str(path))
        except BadInput as exc:
            if "newer than this rankbench" in str(exc):
                raise
            return Damaged(path, str(exc).removeprefix(f"{path}: "))
        recorded = doc.get("sha256")
        if recorded is None and doc["schema_version"] >= CHECKSUMMED_SCHEMA:
            return Damaged(path, "no checksum (its sha256 is missing, so an edit cannot be ruled out)")
        if recorded is not None and recorded != canonical_sha256(doc):
            return Damaged(path, "its content does not match the checksum recorded when it was written")
        result = Result.from_json(doc, str(path))
        if result.units_file:
            units = path.with_name(result.units_file)
            problem, data = self._check_units(units, (doc.get("files") or {}).get(result.units_file))
            if problem is None and data is not None and result.ok:
                problem = _check_means(result, units, data)
            if problem:
                return Damaged(path, problem)
        if recorded is None:
            self.unverified.add(path)
        else:
            self.unverified.discard(path)
        return result

    def is_unverified(self, path: Path) -> bool:
        """Whether the cell at `path` was read without a checksum to verify it by (a schema-1 cell)."""
        return path in self.unverified

    @staticmethod
    def _check_units(units: Path, recorded: dict | None) -> tuple[str | None, bytes | None]:
        """(what is wrong with the per-unit file or None, its bytes when they were read to check them)."""
        if not units.is_file():
            return f"its per-unit file {units.name} is missing", None
        if recorded is None:  # written before checksums: at least the Parquet footer must be whole
            try:
                import pyarrow.parquet as pq

                pq.read_metadata(units)
            except Exception as exc:  # any reader error means the file is damaged
                return f"its per-unit file {units.name} is not readable Parquet ({type(exc).__name__})", None
            return None, None
        data = units.read_bytes()
        if len(data) != recorded.get("bytes") or hashlib.sha256(data).hexdigest() != recorded.get("sha256"):
            return (
                f"its per-unit file {units.name} has {len(data)} bytes that do not match the checksum "
                f"recorded when it was written ({recorded.get('bytes')} bytes)"
            ), None
        return None, data

    def paths(self) -> Iterator[Path]:
        if self.root.is_file():
            yield self.root
            return
        if not self.root.is_dir():
            raise BadInput("no such results directory; run `rankbench run ... -o DIR` first", path=self.root)
        yield from sorted(p for p in self.root.rglob("*.json") if not p.name.startswith(".") and p.name != REPORT_FILE)

    @cached_property
    def _scan(self) -> tuple[list[Result], list[Damaged]]:
        read: list[tuple[Path, Result]] = []
        bad: list[Damaged] = []
        for path in self.paths():
            loaded = self.load(path)
            if isinstance(loaded, Damaged):
                bad.append(loaded)
            else:
                read.append((path, loaded))
            if self.is_unverified(path) and path not in _WARNED_UNVERIFIED:  # once per process, not per reader
                _WARNED_UNVERIFIED.add(path)
                log.warning("%s", unverified_line(path))
        good, misplaced = _one_per_cell(self, read)
        return good, bad + misplaced

    def results(self) -> list[Result]:
        """Every verified cell; damaged ones are left out (see `damaged()`).

        Raises `BadInput` naming the first damaged cell when nothing else is left to read.
        """
        good, bad = self._scan
        if bad and not good:
            first = bad[0]
            raise BadInput(f"{first.reason}; `rankbench run` recomputes the cell", path=first.path)
        return list(good)

    def damaged(self) -> list[Damaged]:
        """Cells left out by `results()` because they are damaged (read once per store object)."""
        return list(self._scan[1])

    def units(self, result: Result) -> pd.DataFrame | None:
        """Per-unit values of a stored result (index: unit id)."""
        if not result.units_file:
            return None
        key = CellKey(result.suite, result.adapter, result.seed)
        json_path = self.root if self.root.is_file() else self.json_path(key)  # a single result file
        path = json_path.with_name(result.units_file)
        if not path.is_file():
            raise BadInput("per-unit file is missing; `rankbench run` recomputes the cell", path=path)
        import pandas as pd

        try:
            return pd.read_parquet(path)
        except Exception as exc:  # a reader error on a file changed since it was verified
            raise BadInput(
                f"per-unit file is damaged ({type(exc).__name__}); `rankbench run` recomputes the cell", path=path
            ) from None

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
                "device": device_label(r.provenance),
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
                "device",
                "measure",
                "value",
                "ci_low",
                "ci_high",
                "n",
            ],
        )


class MergedStore(ResultStore):
    """Several result folders read as one result set (e.g. two runs at the same commit).

    The union of their cells; a (suite, adapter) cell stored in more than one folder is taken whole
    (all its seeds) from the folder where it finished last (`finished_at` of its seeds), and a warning
    names the cell and both folders. Damaged cells of every folder are reported. Read-only: `write`
    and `lock` go to the first folder, as on a `ResultStore` of it.
    """

    def __init__(self, roots: Sequence[Path | str]) -> None:
        if not roots:
            raise BadInput("give at least one results directory")
        super().__init__(roots[0])
        self.stores = tuple(ResultStore(r) for r in roots)
        self._owner: dict[int, ResultStore] = {}

    def __str__(self) -> str:
        return " + ".join(str(s.root) for s in self.stores)

    @cached_property
    def _scan(self) -> tuple[list[Result], list[Damaged]]:
        chosen: dict[tuple[str, str], tuple[str, ResultStore, list[Result]]] = {}
        bad: list[Damaged] = []
        for store in self.stores:
            good, damaged = store._scan
            bad += damaged
            grouped: dict[tuple[str, str], list[Result]] = {}
            for r in good:
                grouped.setdefault((r.suite, r.adapter), []).append(r)
            for key, results in grouped.items():
                finished = max(str(r.provenance.get("finished_at") or "") for r in results)
                if key in chosen:
                    other_finished, other, _ = chosen[key]
                    newer = store if finished >= other_finished else other
                    log.warning(
                        "%s / %s is stored in both %s and %s: the newer one, from %s, is reported",
                        *key,
                        other.root,
                        store.root,
                        newer.root,
                    )
                    if newer is other:
                        continue
                chosen[key] = (finished, store, results)
        out = []
        for _, store, results in chosen.values():
            for r in results:
                self._owner[id(r)] = store
                out.append(r)
        return out, bad

    def units(self, result: Result) -> pd.DataFrame | None:
        """Per-unit values of a result, read from the folder it came from."""
        self._scan  # noqa: B018 - fills the owner map
        return self._owner.get(id(result), self.stores[0]).units(result)
