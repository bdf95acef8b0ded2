from __future__ import annotations

from pathlib import Path

import numpy as np

from rankbench.harness.cache import OutputCache


def test_hit_miss_and_corruption_rebuild(tmp_path: Path) -> None:
    cache = OutputCache(tmp_path)
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(12, dtype=np.float32).reshape(3, 4)

    key = {"adapter": "x", "data": "abc"}
    first = cache.array("emb", key, compute)
    second = cache.array("emb", key, compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(first, second)
    [entry] = list(cache.entries())
    entry.path.write_bytes(entry.path.read_bytes()[:-8])  # truncate
    assert cache.verify() == [(entry, False)]
    third = cache.array("emb", key, compute)
    assert len(calls) == 2
    np.testing.assert_array_equal(first, third)
    assert all(ok for _, ok in cache.verify())
    assert cache.clear() == 1 and not list(cache.entries())
