"""Model-output cache: embeddings, indexes and score matrices keyed by a fingerprint.

The key is whatever identifies an output (adapter config, weights identity, dataset checksum)
plus the rankbench version, hashed. Each entry is a data file (`.npy` for arrays, `.parquet`
for tables such as score matrices in long form) with a JSON sidecar that records its sha256
and size; a corrupted or truncated entry fails the check, is dropped and rebuilt. Arrays load
memory-mapped, so a warm re-run costs only the read. `rankbench cache ls|verify|clear` manage it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rankbench.harness import __version__
from rankbench.harness.datahome import sha256_file
from rankbench.harness.store import atomic_write_bytes

if TYPE_CHECKING:
    import pandas as pd

    from rankbench.harness.records import Corpus

log = logging.getLogger(__name__)
ENV_VAR = "RANKBENCH_CACHE"
FORMATS = {"npy": ".npy", "parquet": ".parquet"}
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def cache_root() -> Path | None:
    """`RANKBENCH_CACHE` (default `~/.cache/rankbench-outputs`); `off` disables caching."""
    value = os.environ.get(ENV_VAR)
    if value and value.lower() in {"off", "0", "none", "false"}:
        return None
    return Path(value or Path.home() / ".cache" / "rankbench-outputs").expanduser()


def fingerprint(key: Mapping[str, Any]) -> str:
    text = json.dumps({**key, "rankbench": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def texts_digest(texts: Iterable[str]) -> str:
    """sha256 hex of a sequence of texts (each UTF-8, then a 0x1f separator), for cache keys.

    Part of every key of an output computed from texts, so edited data never hits a stale entry.
    """
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def corpus_digest(corpus: Corpus) -> str:
    """`texts_digest` of a corpus's document ids followed by the texts an encoder sees (title + text)."""
    return texts_digest([*corpus.ids.tolist(), *corpus.full_texts()])


@dataclass(frozen=True)
class Entry:
    namespace: str
    fingerprint: str
    path: Path
    meta: dict[str, Any]

    @property
    def meta_path(self) -> Path:
        return self.path.with_suffix(".json")

    @property
    def size_bytes(self) -> int:
        """Bytes on disk, data file and sidecar together."""
        return sum(p.stat().st_size for p in (self.path, self.meta_path) if p.exists())

    @property
    def describe(self) -> str:
        if self.meta.get("format") == "parquet":
            return f"table {self.meta.get('rows', '?')} rows x {len(self.meta.get('columns', []))} columns"
        return f"{self.meta.get('dtype', '?')} {tuple(self.meta.get('shape', ()))}"


class OutputCache:
    def __init__(self, root: Path | str | None = "default") -> None:
        self.root = cache_root() if root == "default" else (Path(root) if root is not None else None)

    def _paths(self, namespace: str, fp: str, fmt: str = "npy") -> tuple[Path, Path]:
        if self.root is None:
            raise ValueError("the output cache is disabled (RANKBENCH_CACHE=off)")
        base = self.root / namespace / fp[:2] / fp
        return base.with_suffix(FORMATS[fmt]), base.with_suffix(".json")

    def _valid(self, data: Path, meta: Path) -> bool:
        if not (data.is_file() and meta.is_file()):
            return False
        try:
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            return recorded.get("sha256") == sha256_file(data)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return False

    def _lookup(self, namespace: str, key: Mapping[str, Any], fmt: str) -> tuple[Path, bool]:
        """The entry's data path and whether it is whole; a corrupt entry is dropped first."""
        fp = fingerprint(key)
        data, meta = self._paths(namespace, fp, fmt)
        if self._valid(data, meta):
            log.info("cache hit %s/%s", namespace, fp[:12])
            return data, True
        if data.exists() or meta.exists():
            log.warning("cache entry %s/%s is corrupt; rebuilding it", namespace, fp[:12])
            data.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
        return data, False

    def get(self, namespace: str, key: Mapping[str, Any]) -> np.ndarray | None:
        """The cached array for `key` (memory-mapped), or None when absent, corrupt or caching is off."""
        if self.root is None:
            return None
        data, hit = self._lookup(namespace, key, "npy")
        return np.load(data, mmap_mode="r", allow_pickle=False) if hit else None

    def array(self, namespace: str, key: Mapping[str, Any], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The cached array for `key`, computing and storing it on a miss or a corrupt entry."""
        if self.root is None:
            return compute()
        data, hit = self._lookup(namespace, key, "npy")
        if hit:
            return np.load(data, mmap_mode="r", allow_pickle=False)
        value = np.ascontiguousarray(compute())
        self.put(namespace, key, value)
        return value

    def arrays(
        self,
        namespace: str,
        key: Mapping[str, Any],
        parts: Sequence[str],
        compute: Callable[[], Mapping[str, np.ndarray]],
    ) -> dict[str, np.ndarray]:
        """Several arrays of one output (e.g. a CSR matrix's), each cached under `{**key, "part": name}`.

        `compute` returns every part by name; it runs at most once, and only if a part is missing.
        """
        built: list[Mapping[str, np.ndarray]] = []

        def part(name: str) -> np.ndarray:
            if not built:
                built.append(compute())
            return built[0][name]

        return {
            name: np.asarray(self.array(namespace, {**key, "part": name}, lambda n=name: part(n))) for name in parts
        }

    def frame(self, namespace: str, key: Mapping[str, Any], compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The cached table for `key` (Parquet), e.g. a score matrix in long form."""
        if self.root is None:
            return compute()
        data, hit = self._lookup(namespace, key, "parquet")
        if hit:
            import pandas as pd  # here, not at module level: adapter modules import this one and `list` stays fast

            return pd.read_parquet(data)
        value = compute()
        self.put_frame(namespace, key, value)
        return value

    def put(self, namespace: str, key: Mapping[str, Any], value: np.ndarray) -> Path:
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        extra = {"shape": list(value.shape), "dtype": str(value.dtype)}
        return self._write(namespace, key, "npy", buffer.getvalue(), extra)

    def put_frame(self, namespace: str, key: Mapping[str, Any], value: pd.DataFrame) -> Path:
        extra = {"rows": len(value), "columns": [str(c) for c in value.columns]}
        return self._write(namespace, key, "parquet", value.to_parquet(index=True), extra)

    def _write(self, namespace: str, key: Mapping[str, Any], fmt: str, payload: bytes, extra: dict[str, Any]) -> Path:
        """Data first, sidecar last: a reader never sees a sidecar whose data is not whole."""
        data, meta = self._paths(namespace, fingerprint(key), fmt)
        atomic_write_bytes(data, payload)
        record = {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "bytes": len(payload),
            "format": fmt,
            "key": json.loads(json.dumps(dict(key), default=str)),
            "rankbench": __version__,
            **extra,
        }
        atomic_write_bytes(meta, json.dumps(record, indent=1, sort_keys=True).encode())
        return data

    def entries(self, namespace: str | None = None) -> Iterator[Entry]:
        """Every entry (a fingerprint-named sidecar); other folders under the root are not entries."""
        if self.root is None or not self.root.is_dir():
            return
        for meta in sorted(self.root.glob(f"{namespace or '*'}/*/*.json")):
            if not _FINGERPRINT.match(meta.stem) or meta.parent.name != meta.stem[:2]:
                continue
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError, UnicodeDecodeError):
                info = {}
            fmt = info.get("format", "npy") if info.get("format") in FORMATS else "npy"
            yield Entry(meta.parent.parent.name, meta.stem, meta.with_suffix(FORMATS[fmt]), info)

    def total_bytes(self, namespace: str | None = None) -> int:
        return sum(e.size_bytes for e in self.entries(namespace))

    def verify(self, namespace: str | None = None) -> list[tuple[Entry, bool]]:
        return [(e, self._valid(e.path, e.meta_path)) for e in self.entries(namespace)]

    def clear(self, namespace: str | None = None) -> int:
        """Remove every entry (of one namespace); returns how many were removed."""
        if self.root is None or not self.root.is_dir():
            return 0
        targets = [self.root / namespace] if namespace else [p for p in self.root.iterdir() if p.is_dir()]
        n = sum(1 for t in targets for _ in self.entries(t.name))
        for t in targets:
            shutil.rmtree(t, ignore_errors=True)
        return n
