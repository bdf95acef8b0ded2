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


@pytest.fixture(autouse=True)
def _datasets_resolved_in_a_test_stay_in_it() -> object:
    """A dataset reference resolved in one test (a local folder, `beir/...`) registers its dataset in
    the process; forget it afterwards, so that another test on the same worker sees the built-in list."""
    from rankbench.harness import suite

    before, sources = set(suite._registered_from_sources), dict(suite._from_sources)
    yield
    if suite._registered_from_sources != before:
        from rankbench.harness.registry import DATASETS

        for name in suite._registered_from_sources - before:
            DATASETS.remove(name)
        suite._registered_from_sources.intersection_update(before)
    suite._from_sources.clear()
    suite._from_sources.update(sources)
