"""Statistics over per-unit values: confidence intervals for aggregates.

Paired tests and multiple-comparison correction build on the same bootstrap resamples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A mean with its percentile-bootstrap confidence interval over units."""

    value: float
    ci_low: float
    ci_high: float
    n: int

    def to_json(self) -> dict[str, float | int | None]:
        """JSON has no NaN: undefined values are stored as null."""

        def clean(x: float) -> float | None:
            return None if x != x else x

        return {"value": clean(self.value), "ci_low": clean(self.ci_low), "ci_high": clean(self.ci_high), "n": self.n}


def bootstrap_ci(values: np.ndarray, *, level: float = 0.95, resamples: int = 1000, seed: int = 0) -> Estimate:
    """Percentile bootstrap of the mean; resamples drawn in blocks to bound memory."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = float(values.mean())
    if n == 1:
        return Estimate(mean, mean, mean, 1)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, min(resamples, 2_000_000 // n))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[idx].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Estimate(mean, float(low), float(high), n)
