"""Shared fixtures: the shared data home when present, temporary result stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_data() -> Path | None:
    """The real data home: RANKBENCH_DATA if set, else ../shared/data beside the repo."""
    env = os.environ.get("RANKBENCH_DATA")
    if env and Path(env).is_dir():
        return Path(env)
    return SHARED_DATA if SHARED_DATA.is_dir() else None


@pytest.fixture
def real_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("real data home not present (set RANKBENCH_DATA=../shared/data)")
    monkeypatch.setenv("RANKBENCH_DATA", str(path))
    return path
