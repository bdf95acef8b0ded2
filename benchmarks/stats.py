"""Paired tests of a CI gate: our vectorised statistics against scipy, same inputs, one run.

A gate compares rows = (suite, adapter, measure) over the same units. Ours tests every row in
one call with shared sign flips / bootstrap indices (a matrix product per block); scipy runs
`permutation_test` and `bootstrap` once per row. Runs alternate and the median is kept, so
background load hits both alike. Prints seconds and the ratio scipy / ours (higher: ours faster),
plus the largest p-value difference (Monte Carlo noise only: both estimate the same p).

    python benchmarks/stats.py [--rows 10] [--units 2000] [--resamples 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import stats as sps

from rankbench.harness.stats import paired_bootstrap_ci, randomization_test


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    base = rng.random((args.rows, args.units))
    head = np.clip(base + rng.normal(0.005, 0.1, base.shape), 0, 1)

    def ours_perm() -> np.ndarray:
        return randomization_test(base, head, resamples=args.resamples, seed=0)

    def scipy_perm() -> np.ndarray:
        return np.array(
            [
                sps.permutation_test(
                    (head[i], base[i]),
                    lambda x, y, axis: np.mean(x - y, axis=axis),
                    permutation_type="samples",
                    vectorized=True,
                    n_resamples=args.resamples,
                    rng=i,
                ).pvalue
                for i in range(args.rows)
            ]
        )

    def ours_boot() -> tuple[np.ndarray, np.ndarray]:
        return paired_bootstrap_ci(base, head, resamples=args.resamples, seed=0)

    def scipy_boot() -> list[object]:
        return [
            sps.bootstrap((head[i] - base[i],), np.mean, method="percentile", n_resamples=args.resamples, rng=i)
            for i in range(args.rows)
        ]

    print(f"{args.rows} rows x {args.units} units, {args.resamples} resamples, median of {args.repeats}")
    for label, ours, theirs in (
        ("randomization test", ours_perm, scipy_perm),
        ("paired bootstrap CI", ours_boot, scipy_boot),
    ):
        t_ours, ours_out = timed(ours, args.repeats)
        t_scipy, scipy_out = timed(theirs, args.repeats)
        print(f"{label:22s} ours {t_ours:7.3f} s   scipy {t_scipy:7.3f} s   scipy/ours {t_scipy / t_ours:6.1f}x")
        if label == "randomization test":
            print(f"{'':22s} max |p_ours - p_scipy| = {np.max(np.abs(ours_out - scipy_out)):.4f}")


if __name__ == "__main__":
    main()
