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


def test_tables_sizes_and_foreign_folders(tmp_path: Path) -> None:
    import pandas as pd

    cache = OutputCache(tmp_path)
    scores = pd.DataFrame({"query_id": ["q1", "q2"], "doc_id": ["d1", "d2"], "score": [0.5, 0.25]})
    calls = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return scores

    pd.testing.assert_frame_equal(cache.frame("scores", {"k": 1}, compute), scores)
    pd.testing.assert_frame_equal(cache.frame("scores", {"k": 1}, compute), scores)
    assert len(calls) == 1
    cache.array("emb", {"k": 1}, lambda: np.zeros((4, 2), dtype=np.float32))
    model = tmp_path / "models" / "static-minilm-x"  # a distilled model folder is not an entry
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    entries = {e.namespace: e for e in cache.entries()}
    assert set(entries) == {"scores", "emb"}
    assert entries["scores"].describe == "table 2 rows x 3 columns"
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file() and "models" not in p.parts)
    assert cache.total_bytes() == on_disk
    parquet = entries["scores"].path
    parquet.write_bytes(parquet.read_bytes()[:20])
    assert dict((e.namespace, ok) for e, ok in cache.verify()) == {"scores": False, "emb": True}
    pd.testing.assert_frame_equal(cache.frame("scores", {"k": 1}, compute), scores)
    assert len(calls) == 2 and all(ok for _, ok in cache.verify())
