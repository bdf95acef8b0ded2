"""Provenance of a result: which code, data, seed and machine produced it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
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
    "pyseismic-lsr",
    "ranx",
    "implicit",
    "recbole",
    "fuxictr",
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
    git_committed_at: str | None = None
    """Committer date of `git_sha` (ISO 8601): history reports order result sets by it."""
    git_diff: str | None = None  # sha256 of `git diff HEAD` when the tree is dirty, so dirty trees are told apart

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


SOURCE_ROOT = Path(__file__).resolve().parent.parent
"""The rankbench source tree, whose commit every result records."""


@dataclass(frozen=True, kw_only=True)
class GitState:
    """The commit a tree is at: full sha, committer date (ISO 8601 with offset), uncommitted changes.

    Every field is None outside a git checkout (an installed wheel, a tarball).
    """

    sha: str | None = None
    committed_at: str | None = None
    dirty: bool | None = None


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


def read_git_state(root: Path) -> GitState:
    """The commit of the checkout at `root` (`git rev-parse HEAD`, `git show -s --format=%cI`, `git status`)."""
    try:
        sha = _git(root, "rev-parse", "HEAD")
        committed_at = _git(root, "show", "-s", "--format=%cI", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no") != ""
    except (OSError, subprocess.SubprocessError):
        return GitState()
    return GitState(sha=sha, committed_at=committed_at, dirty=dirty)


@cache
def git_state() -> GitState:
    """The commit of the rankbench source tree (asked once per process)."""
    return read_git_state(SOURCE_ROOT)


def commit_time(sha: str, root: Path | None = None) -> str | None:
    """The committer date of `sha` in the checkout at `root` (default: rankbench's), None where unknown there."""
    if not re.fullmatch(r"[0-9a-f]{7,64}", sha):  # a stored value, never an option for git
        return None
    try:
        return _git(root or SOURCE_ROOT, "show", "-s", "--format=%cI", sha) or None
    except (OSError, subprocess.SubprocessError):
        return None


@cache
def git_diff(root: Path | None = None) -> str | None:
    """sha256 of `git diff HEAD` (tracked files' uncommitted changes), or None for a clean tree or outside git."""
    root = root or SOURCE_ROOT
    try:
        diff = subprocess.run(["git", "-C", str(root), "diff", "HEAD"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return hashlib.sha256(diff.stdout).hexdigest() if diff.stdout else None


def code_state(root: Path | None = None) -> dict[str, object]:
    """The code a result comes from: rankbench version, git sha, commit time, dirty flag and the digest of the diff."""
    git = read_git_state(root) if root is not None else git_state()
    return {
        "rankbench_version": __version__,
        "git_sha": git.sha,
        "git_dirty": git.dirty,
        "git_committed_at": git.committed_at,
        "git_diff": git_diff(root),
    }


def stale_reason(
    provenance: dict, current: dict[str, object], settings: dict[str, object], dataset_checksum: str | None = None
) -> str | None:
    """Why a stored cell may not stand for what the current code computes, or None when it may.

    A cell is current when its rankbench version, git sha, dirty flag and diff digest equal
    `current` (`code_state()`), its settings equal `settings` (the task and the suite's
    settings) and, when `dataset_checksum` is given (the dataset's checksum now), it recorded that
    checksum. A cell from a dirty tree whose diff was not recorded is stale: its code cannot be
    told from another dirty tree's.
    """
    for key, what in (("rankbench_version", "rankbench"), ("git_sha", "commit"), ("git_dirty", "dirty tree")):
        if provenance.get(key) != current[key]:
            return f"{what} {provenance.get(key)} (now {current[key]})"
    if current["git_dirty"] and provenance.get("git_diff") != current["git_diff"]:
        return "other uncommitted changes"
    return suite_reason(provenance, settings, dataset_checksum)


def suite_reason(provenance: dict, settings: dict[str, object], dataset_checksum: str | None = None) -> str | None:
    """Why a stored cell does not stand for its suite as it is now, whatever the code: other `settings` (the
    task and the suite's settings) or, when `dataset_checksum` is given, another dataset; None when it does."""
    stored = json.loads(json.dumps(provenance.get("settings", {}), sort_keys=True, default=str))
    if stored != json.loads(json.dumps(settings, sort_keys=True, default=str)):
        return f"settings {stored} (now {settings})"
    before = provenance.get("dataset_checksum")
    if dataset_checksum is not None and before != dataset_checksum:
        return f"dataset changed: checksum {str(before)[:8]}… → {dataset_checksum[:8]}…"
    return None


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
    return {
        **code_state(),
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
