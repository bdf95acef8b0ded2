"""Corpus encoding sharded over a Ray cluster: N workers encode contiguous slices of one corpus.

A 5M-document BEIR corpus takes hours on one device; split into `shards` contiguous slices,
each slice is a Ray task on its own worker (one GPU each when the embedder's device asks for
CUDA, else one CPU), and the driver puts the slices back in corpus order. Each finished slice
goes to the output cache as it arrives (namespace `embedding-shards`, keyed by the full
corpus key and the slice), so a run that is stopped resumes with the slices still missing;
the assembled matrix is then cached like a locally encoded one.

Workers rebuild the embedder from its registered reference (`minilm(device=cuda)`), never
from a pickled model: every node loads the same weights the same way, once per worker process.
A slice is encoded by the same `encode(texts, role=)` as the local path; the vectors match it
to float32 rounding (a slice is batched on its own, so padding lengths can differ; the
embedder's rows do not otherwise depend on their batch-mates).

Ray is used through `ray.init(address=...)`: inside a Ray worker (the Ray executor) the
cluster already running is reused; elsewhere `address=None` follows Ray's own rule
(`RAY_ADDRESS`, else a new local instance).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rankbench.harness.cache import OutputCache
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, HarnessError

log = logging.getLogger(__name__)

SHARD_NAMESPACE = "embedding-shards"
_ENCODERS: dict[str, Any] = {}
"""Embedders built in this worker process, by reference (a worker that encodes two slices loads once)."""


def shard_bounds(n: int, shards: int) -> list[tuple[int, int]]:
    """`shards` contiguous [start, stop) slices of range(n), sizes differing by at most one; none empty.

    Raises BadInput for shards < 1.
    """
    if shards < 1:
        raise BadInput(f"shards must be >= 1, got {shards}")
    count = min(shards, max(n, 1))
    edges = [i * n // count for i in range(count + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def encode_slice(reference: str, texts: list[str], role: str) -> np.ndarray:
    """(len(texts), dim) float32: the registered embedder `reference`, built once per process, on `texts`."""
    if reference not in _ENCODERS:
        from rankbench.harness.adapter_ref import parse_adapter_ref

        _ENCODERS[reference] = parse_adapter_ref(reference).build()
    return np.asarray(_ENCODERS[reference].encode(texts, role=role), dtype=np.float32)


def slice_gpus(reference: str, cluster: Mapping[str, float]) -> float:
    """GPUs one slice asks for: 1 when the embedder's device is cuda, or auto on a cluster that has GPUs."""
    from rankbench.harness.adapter_ref import parse_adapter_ref
    from rankbench.harness.devices import needs_gpu

    devices = [str(dict(stage.params).get("device", "auto")) for stage in parse_adapter_ref(reference).stages]
    if any(needs_gpu(d) for d in devices):
        return 1.0
    auto = any(d.strip().lower() == "auto" for d in devices)
    return 1.0 if auto and cluster.get("GPU", 0) >= 1 else 0.0


def connect(address: str | None = None) -> Any:
    """The `ray` module, connected: the running cluster when there is one, else `ray.init(address=address)`."""
    ray = require("ray", "ray", "sharded corpus encoding")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    return ray


def encode_sharded(
    reference: str,
    texts: Sequence[str],
    *,
    role: str,
    shards: int,
    cache_key: Mapping[str, Any] | None = None,
    address: str | None = None,
    cpus_per_shard: float = 1.0,
) -> np.ndarray:
    """(len(texts), dim) float32 embeddings of `texts`, encoded as `shards` Ray tasks, in order.

    `reference` is a registered embedder reference (rebuilt on each worker). With `cache_key`
    each finished slice is cached under `{**cache_key, "shard": i, "shards": n}` and reused by
    a later call. Raises BadInput for shards < 1 or an empty text list.
    """
    if not texts:
        raise BadInput("cannot encode an empty list of texts")
    bounds = shard_bounds(len(texts), shards)
    cache = OutputCache() if cache_key is not None else OutputCache(None)
    keys = [{**(cache_key or {}), "shard": i, "shards": len(bounds)} for i in range(len(bounds))]
    parts: dict[int, np.ndarray] = {}
    for i, key in enumerate(keys):
        found = cache.get(SHARD_NAMESPACE, key)
        if found is not None:
            parts[i] = np.asarray(found)
    todo = [i for i in range(len(bounds)) if i not in parts]
    if todo:
        ray = connect(address)
        gpus = slice_gpus(reference, ray.cluster_resources())
        task = ray.remote(encode_slice).options(num_cpus=cpus_per_shard, num_gpus=gpus, max_retries=0)
        pending = {
            task.remote(reference, list(texts[lo:hi]), role): i for i, (lo, hi) in enumerate(bounds) if i in todo
        }
        log.info(
            "encoding %d texts as %d Ray slices (%d cached), %g GPU each",
            len(texts),
            len(bounds),
            len(bounds) - len(todo),
            gpus,
        )
        try:
            while pending:
                [done], _ = ray.wait(list(pending), num_returns=1)
                i = pending.pop(done)
                try:
                    parts[i] = np.asarray(ray.get(done), dtype=np.float32)
                except ray.exceptions.RayTaskError as exc:  # a worker's own one-line error stays one line
                    if isinstance(exc.cause, HarnessError):
                        raise exc.cause from None
                    raise
                lo, hi = bounds[i]
                if parts[i].shape[0] != hi - lo:
                    raise BadInput(f"slice {i} returned {parts[i].shape[0]} vectors for {hi - lo} texts")
                if cache_key is not None:
                    cache.put(SHARD_NAMESPACE, keys[i], parts[i])
        finally:
            for ref in pending:
                ray.cancel(ref)
    return np.concatenate([parts[i] for i in range(len(bounds))], axis=0)
