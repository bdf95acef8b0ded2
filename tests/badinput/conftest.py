"""A scratch world per case: a results store with one real cell, an output cache with one entry,
an empty data home, and a folder for the malformed files. Every byte under it is hashed before
and after the case, so a case that writes anything fails."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.cache import OutputCache
from rankbench.harness.provenance import collect, now_iso
from rankbench.harness.result import Result
from rankbench.harness.stats import bootstrap_ci
from rankbench.harness.store import ResultStore


@dataclass(frozen=True)
class World:
    root: Path
    results: Path
    cache: Path
    data: Path
    work: Path

    def fill(self, text: str) -> str:
        return text.format(results=self.results, cache=self.cache, data=self.data, work=self.work)


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World(tmp_path, tmp_path / "results", tmp_path / "cache", tmp_path / "data", tmp_path / "work")
    for folder in (w.data, w.work):
        folder.mkdir()
    monkeypatch.setenv("RANKBENCH_CACHE", str(w.cache))
    monkeypatch.setenv("RANKBENCH_DATA", str(w.data))
    monkeypatch.delenv("RANKBENCH_PLUGINS", raising=False)
    values = np.array([0.25, 0.5, 1.0])
    result = Result(
        suite="ir-synth-tiny",
        adapter="bm25",
        seed=0,
        status="ok",
        measures={"nDCG@10": bootstrap_ci(values, seed=0)},
        timings={"total_s": 1.0},
        provenance=collect("ir-synth-tiny", "abc", 0, now_iso()).to_json(),
        family="retriever",
    )
    units = pd.DataFrame({"nDCG@10": values}, index=pd.Index(["q1", "q2", "q3"], name="query_id"))
    ResultStore(w.results).write(result, units)
    OutputCache(w.cache).array("embeddings", {"model": "m", "corpus": "c"}, lambda: np.eye(3, dtype=np.float32))
    yield w
