"""Corpus encoding sharded over a local two-CPU Ray cluster equals the local encoding."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rankbench.adapters.ir.sharded import SHARD_NAMESPACE, encode_sharded, shard_bounds, slice_gpus
from rankbench.harness.cache import OutputCache
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.registry import ADAPTERS
from tests.integration._cli import REPO

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}}
    )
    try:
        yield
    finally:
        ray.shutdown()


def test_shard_bounds_cover_the_corpus_in_order() -> None:
    assert shard_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert shard_bounds(2, 5) == [(0, 1), (1, 2)]
    with pytest.raises(BadInput, match="shards must be >= 1"):
        shard_bounds(10, 0)
    assert slice_gpus("minilm(device=cuda)", {}) == 1.0
    assert slice_gpus("minilm", {"GPU": 2.0}) == 1.0 and slice_gpus("minilm(device=cpu)", {"GPU": 2.0}) == 0.0
    assert slice_gpus("minilm", {"CPU": 2.0}) == 0.0


def test_sharded_vectors_equal_the_local_ones_and_slices_are_cached(
    cluster: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANKBENCH_CACHE", str(tmp_path / "cache"))
    texts = load_dataset("ir-synth-tiny").data.corpus.full_texts()[:90]
    local = ADAPTERS.get("minilm").build(device="cpu").encode(texts, role="document")
    key = {"test": "sharded", "n": len(texts)}
    sharded = encode_sharded("minilm(device=cpu)", texts, role="document", shards=3, cache_key=key)
    assert sharded.shape == local.shape and sharded.dtype == np.float32
    np.testing.assert_allclose(sharded, local, rtol=0, atol=1e-6)  # float32 rounding: each slice batched alone
    cache = OutputCache()
    slices = [cache.get(SHARD_NAMESPACE, {**key, "shard": i, "shards": 3}) for i in range(3)]
    assert all(s is not None for s in slices)
    np.testing.assert_array_equal(np.concatenate(slices), sharded)  # in corpus order
    # a stopped run resumes: the cached slices are reused, only the missing one is encoded again
    [entry] = [e for e in cache.entries(SHARD_NAMESPACE) if e.meta["key"]["shard"] == 1]
    entry.path.unlink()
    kept = {e.path: e.path.stat().st_mtime_ns for e in cache.entries(SHARD_NAMESPACE) if e.path.exists()}
    again = encode_sharded("minilm(device=cpu)", texts, role="document", shards=3, cache_key=key)
    np.testing.assert_array_equal(again, sharded)
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())
    assert cache.get(SHARD_NAMESPACE, {**key, "shard": 1, "shards": 3}) is not None


def test_dense_with_shards_ranks_like_dense(cluster: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_CACHE", "off")
    data = load_dataset("ir-synth-tiny").data
    runs = []
    for shards in (0, 2):
        dense = ADAPTERS.get("dense").build(embedder="minilm(device=cpu)", shards=shards)
        dense.index(data.corpus)
        runs.append(dense.search(data.queries, 10))
    local, sharded = runs
    np.testing.assert_array_equal(sharded.doc_ids, local.doc_ids)
    np.testing.assert_allclose(sharded.scores, local.scores, atol=1e-6)


def test_a_worker_error_is_the_same_one_line(cluster: None) -> None:
    with pytest.raises(BadInput, match="max_seq_length=100000 exceeds"):
        encode_sharded("minilm(max_seq_length=100000)", ["a", "b"], role="document", shards=2)
    with pytest.raises(BadInput, match="needs the embedder as a registered reference"):
        ADAPTERS.get("dense").build(embedder=ADAPTERS.get("minilm").build(), shards=2)
