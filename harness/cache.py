"""Model-output cache: embeddings, indexes and score matrices keyed by a fingerprint.

The key is whatever identifies an output (adapter config, weights identity, dataset checksum)
plus the rankbench version, hashed. Each entry is an `.npy` file with a JSON sidecar that
records its sha256; a corrupted or truncated entry fails the check, is dropped and rebuilt.
Entries load memory-mapped, so a warm re-run costs only the read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness import __version__
from rankbench.harness.datahome import sha256_file
from rankbench.harness.store import atomic_write_bytes

log = logging.getLogger(__name__)
ENV_VAR = "RANKBENCH_CACHE"


def cache_root() -> Path | None:
    """`RANKBENCH_CACHE` (default `~/.cache/rankbench-outputs`); `off` disables caching."""
    value = os.environ.get(ENV_VAR)
    if value and value.lower() in {"off", "0", "none", "false"}:
        return None
    return Path(value or Path.home() / ".cache" / "rankbench-outputs").expanduser()


def fingerprint(key: Mapping[str, Any]) -> str:
    text = json.dumps({**key, "rankbench": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    namespace: str
    fingerprint: str
    path: Path
    meta: dict[str, Any]

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0


class OutputCache:
    def __init__(self, root: Path | str | None = "default") -> None:
        self.root = cache_root() if root == "default" else (Path(root) if root is not None else None)

    def _paths(self, namespace: str, fp: str) -> tuple[Path, Path]:
        assert self.root is not None
        base = self.root / namespace / fp[:2] / fp
        return base.with_suffix(".npy"), base.with_suffix(".json")

    def _valid(self, data: Path, meta: Path) -> bool:
        if not (data.is_file() and meta.is_file()):
            return False
        try:
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            return recorded.get("sha256") == sha256_file(data)
        except (OSError, json.JSONDecodeError):
            return False

    def array(self, namespace: str, key: Mapping[str, Any], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The cached array for `key`, computing and storing it on a miss or a corrupt entry."""
        if self.root is None:
            return compute()
        fp = fingerprint(key)
        data, meta = self._paths(namespace, fp)
        if self._valid(data, meta):
            log.info("cache hit %s/%s", namespace, fp[:12])
            return np.load(data, mmap_mode="r", allow_pickle=False)
        if data.exists() or meta.exists():
            log.warning("cache entry %s/%s is corrupt; rebuilding it", namespace, fp[:12])
            data.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
        value = np.ascontiguousarray(compute())
        self.put(namespace, key, value)
        return value

    def put(self, namespace: str, key: Mapping[str, Any], value: np.ndarray) -> Path:
        assert self.root is not None
        fp = fingerprint(key)
        data, meta = self._paths(namespace, fp)
        data.parent.mkdir(parents=True, exist_ok=True)
        import io

        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        payload = buffer.getvalue()
        atomic_write_bytes(data, payload)
        record = {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "shape": list(value.shape),
            "dtype": str(value.dtype),
            "key": json.loads(json.dumps(dict(key), default=str)),
            "rankbench": __version__,
        }
        atomic_write_bytes(meta, json.dumps(record, indent=1, sort_keys=True).encode())
        return data

    def entries(self) -> Iterator[Entry]:
        if self.root is None or not self.root.is_dir():
            return
        for meta in sorted(self.root.glob("*/*/*.json")):
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                info = {}
            yield Entry(meta.parent.parent.name, meta.stem, meta.with_suffix(".npy"), info)

    def verify(self) -> list[tuple[Entry, bool]]:
        return [(e, self._valid(e.path, e.path.with_suffix(".json"))) for e in self.entries()]

    def clear(self, namespace: str | None = None) -> int:
        if self.root is None or not self.root.is_dir():
            return 0
        targets = [self.root / namespace] if namespace else [p for p in self.root.iterdir() if p.is_dir()]
        n = sum(1 for t in targets for _ in t.glob("*/*.npy"))
        for t in targets:
            shutil.rmtree(t, ignore_errors=True)
        return n
