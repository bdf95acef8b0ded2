"""Paired tests of a CI gate: our vectorised statistics against scipy, same inputs, one run.

A gate compares rows = (suite, adapter, measure) over the same units. Ours tests every row in
one call with shared sign flips / bootstrap indices (a matrix product per block); scipy runs
`permutation_test` and `bootstrap` once per row. The two sides alternate, the same number of
times, and the median is kept, so background load hits both alike. Before any time is printed,
the results are asserted to agree within Monte Carlo noise (both estimate the same p-value and
the same percentile interval from `--resamples` draws). Prints seconds and the ratio scipy / ours.

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


def timed_pair(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float, object, object]:
    """(median seconds ours, median seconds theirs, last outputs), the two calls alternating."""
    t_ours, t_theirs, out_ours, out_theirs = [], [], None, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out_ours = ours()
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out_theirs = theirs()
        t_theirs.append(time.perf_counter() - t0)
    return statistics.median(t_ours), statistics.median(t_theirs), out_ours, out_theirs


def check_p_values(ours: np.ndarray, scipy_p: np.ndarray, resamples: int) -> float:
    """Largest |p_ours - p_scipy|, asserted within 5 Monte Carlo standard errors of the two estimates.

    Ours counts |T| >= |t|; scipy's two-sided p doubles the smaller one-sided count, whose
    standard error is larger: 2 sqrt(q (1 - q) / R) with q = p / 2.
    """
    p = np.clip((ours + scipy_p) / 2, 0, 1)
    se_ours = np.sqrt(p * (1 - p) / resamples)
    se_scipy = 2 * np.sqrt(p / 2 * (1 - p / 2) / resamples)
    allowed = 5 * np.hypot(se_ours, se_scipy) + 2 / resamples
    worst = np.abs(ours - scipy_p)
    assert np.all(worst <= allowed), f"p-values differ beyond Monte Carlo noise: {ours} vs {scipy_p}"
    return float(worst.max())


def check_intervals(ours: tuple[np.ndarray, np.ndarray], scipy_ci: list, diffs: np.ndarray) -> float:
    """Largest endpoint difference, asserted below a quarter of the mean difference's standard error."""
    low = np.array([r.confidence_interval.low for r in scipy_ci])
    high = np.array([r.confidence_interval.high for r in scipy_ci])
    se = diffs.std(axis=1, ddof=1) / np.sqrt(diffs.shape[1])
    worst = np.maximum(np.abs(ours[0] - low), np.abs(ours[1] - high))
    assert np.all(worst < se / 4), f"bootstrap intervals differ: {ours} vs {low}, {high} (se {se})"
    return float(worst.max())


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
    results = []
    for label, ours, theirs in (
        ("randomization test", ours_perm, scipy_perm),
        ("paired bootstrap CI", ours_boot, scipy_boot),
    ):
        t_ours, t_scipy, ours_out, scipy_out = timed_pair(ours, theirs, args.repeats)
        if label == "randomization test":
            worst = check_p_values(ours_out, scipy_out, args.resamples)
            agreement = f"max |p_ours - p_scipy| = {worst:.4f} (within Monte Carlo noise, asserted)"
        else:
            worst = check_intervals(ours_out, scipy_out, head - base)
            agreement = f"max |CI endpoint difference| = {worst:.5f} (< se/4, asserted)"
        results.append((label, t_ours, t_scipy, agreement))
    for label, t_ours, t_scipy, agreement in results:  # times only after every check passed
        print(f"{label:22s} ours {t_ours:7.3f} s   scipy {t_scipy:7.3f} s   scipy/ours {t_scipy / t_ours:6.1f}x")
        print(f"{'':22s} {agreement}")


if __name__ == "__main__":
    main()
