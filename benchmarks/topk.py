"""Row-wise top-k: `harness.topk.topk_rows` against the plain selections it replaced, in CPU time.

    python benchmarks/topk.py [--repeats 7]

For each block shape (dense-search blocks, recommender score blocks, a sparse retriever's
query block) it prints the best-of-repeats CPU milliseconds of `topk_rows` (with torch loaded,
so its radix-select path is eligible), `np.argpartition` plus a stable sort of the k selected
(the copies in the retrievers), and `np.argpartition` plus a lexsort by (score, column) (the
copy in the recommender measures); the first two differ only in which tied entries they keep.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

SHAPES = (((256, 65536), 10), ((256, 65536), 100), ((256, 65536), 1000), ((1024, 3706), 100), ((300, 5183), 1000))


def partition_then_sort(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)


def partition_then_lexsort(scores: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.arange(scores.shape[0])[:, None]
    return part[rows, np.lexsort((part, -scores[rows, part]), axis=1)]


def cpu_ms(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return 1000 * best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import torch

    from rankbench.harness.topk import topk_rows

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"{'shape':<16}{'k':>6}{'topk_rows':>12}{'part+sort':>12}{'part+lexsort':>14}   (CPU ms, one thread)")
    for shape, k in SHAPES:
        scores = rng.standard_normal(shape).astype(np.float32)
        ours = cpu_ms(lambda s=scores, k=k: topk_rows(s, k), args.repeats)
        plain = cpu_ms(lambda s=scores, k=k: partition_then_sort(s, k), args.repeats)
        lex = cpu_ms(lambda s=scores, k=k: partition_then_lexsort(s, k), args.repeats)
        print(f"{shape!s:<16}{k:>6}{ours:>12.1f}{plain:>12.1f}{lex:>14.1f}")


if __name__ == "__main__":
    main()
