"""Provenance of a result: which code, data, seed and machine produced it."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rankbench.harness import __version__

SCHEMA_VERSION = 2
_TRACKED_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "torch",
    "bm25s",
    "sentence-transformers",
    "faiss-cpu",
    "scikit-learn",
    "onnxruntime",
    "ray",
)


@dataclass(frozen=True)
class Provenance:
    rankbench_version: str
    git_sha: str | None
    git_dirty: bool | None
    packages: dict[str, str]
    dataset: str
    dataset_checksum: str
    seed: int
    hardware: dict[str, str | int | float]
    python: str
    schema_version: int = SCHEMA_VERSION
    started_at: str = ""
    finished_at: str = ""
    settings: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@cache
def git_state() -> tuple[str | None, bool | None]:
    """sha and dirty flag of the rankbench source tree, or (None, None) outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
            != ""
        )
        return sha, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


@cache
def package_versions() -> dict[str, str]:
    out = {}
    for name in _TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


@cache
def hardware() -> dict[str, str | int | float]:
    import psutil

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info: dict[str, str | int | float] = {
        "cpu": cpu,
        "cpu_count": os.cpu_count() or 1,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    return info


def environment() -> dict[str, object]:
    """What ran a result: rankbench version and git state, package versions, hardware, Python."""
    sha, dirty = git_state()
    return {
        "rankbench_version": __version__,
        "git_sha": sha,
        "git_dirty": dirty,
        "packages": package_versions(),
        "hardware": hardware(),
        "python": platform.python_version(),
    }


def collect(
    dataset: str, checksum: str, seed: int, started_at: str, settings: dict[str, object] | None = None
) -> Provenance:
    return Provenance(
        **environment(),  # type: ignore[arg-type]
        dataset=dataset,
        dataset_checksum=checksum,
        seed=seed,
        started_at=started_at,
        finished_at=now_iso(),
        settings=dict(settings or {}),
    )
