"""Statistics over per-unit values: confidence intervals, paired tests, multiple comparisons.

Every function takes units along the last axis and works on many comparisons at once
(one row per measure or per adapter), because a report or a CI gate tests dozens of
suite x measure pairs and the resamples can then be shared across rows: the same bootstrap
indices and the same sign flips for every measure keep the rows paired with each other.
Results have shape `values.shape[:-1]` (a 0-d array for one comparison).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rankbench.harness.errors import BadInput

_BLOCK_ELEMENTS = 2_000_000  # resampled values held in memory at once


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


@dataclass(frozen=True)
class PairedComparison:
    """HEAD against BASE on the same units: the mean difference (head - base) and its evidence.

    Arrays have one entry per compared row. `p_value` comes from the chosen test
    (`test`), before any correction for multiple comparisons.
    """

    base: np.ndarray
    head: np.ndarray
    delta: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    effect_size: np.ndarray
    n: int
    test: str


def _as_float(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _paired(base: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Differences head - base; both must hold the same units in the same order."""
    base, head = _as_float(base), _as_float(head)
    if base.shape != head.shape:
        raise BadInput(f"paired values need the same units: shapes {base.shape} and {head.shape} differ")
    return head - base


def _blocks(total: int, per_item: int) -> Iterator[tuple[int, int]]:
    block = max(1, min(total, _BLOCK_ELEMENTS // max(1, per_item)))
    for start in range(0, total, block):
        yield start, min(total, start + block)


def bootstrap_means(values: np.ndarray, *, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """Means of `resamples` bootstrap resamples of the units, shape `(*rows, resamples)`.

    Every row is resampled with the same unit indices, so paired rows stay paired.
    """
    values = _as_float(values)
    n = values.shape[-1]
    rng = np.random.default_rng(seed)
    means = np.empty((*values.shape[:-1], resamples))
    rows = int(np.prod(values.shape[:-1], dtype=np.int64))
    for start, stop in _blocks(resamples, n * max(1, rows)):
        idx = rng.integers(0, n, size=(stop - start, n))
        means[..., start:stop] = values[..., idx].mean(axis=-1)
    return means


def bootstrap_ci(values: np.ndarray, *, level: float = 0.95, resamples: int = 1000, seed: int = 0) -> Estimate:
    """Percentile bootstrap of the mean; resamples drawn in blocks to bound memory."""
    values = _as_float(values)
    n = len(values)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = float(values.mean())
    if n == 1:
        return Estimate(mean, mean, mean, 1)
    alpha = (1 - level) / 2
    low, high = np.quantile(bootstrap_means(values, resamples=resamples, seed=seed), [alpha, 1 - alpha])
    return Estimate(mean, float(low), float(high), n)


def paired_bootstrap_ci(
    base: np.ndarray, head: np.ndarray, *, level: float = 0.95, resamples: int = 1000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap interval of the mean difference head - base, resampling units."""
    diff = _paired(base, head)
    if diff.shape[-1] < 2:
        mean = diff.mean(axis=-1)
        return mean, mean
    means = bootstrap_means(diff, resamples=resamples, seed=seed)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha], axis=-1)
    return low, high


def paired_ttest(base: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided paired t-test of head - base: (t statistic, p-value), as `scipy.stats.ttest_rel`.

    Where all differences are equal scipy returns NaN (0/0) or p=0; here identical values
    give t=0, p=1 (no evidence of a change) and a constant non-zero shift gives p=0.
    """
    from scipy import special  # imported here: every result read imports this module, few run tests

    diff = _paired(base, head)
    n = diff.shape[-1]
    mean = diff.mean(axis=-1)
    sd = diff.std(axis=-1, ddof=1) if n > 1 else np.zeros_like(mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(n))
    t = np.where(sd > 0, t, np.where(mean == 0, 0.0, np.copysign(np.inf, mean)))
    p = 2 * special.stdtr(max(n - 1, 1), -np.abs(t))
    p = np.where(n > 1, p, 1.0)
    return t, np.minimum(p, 1.0)


def _sign_flips(n: int, resamples: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Sign vectors (resamples, n): all 2^n when that is no more than asked (exact test)."""
    if n < 63 and 2**n <= resamples:
        codes = np.arange(2**n, dtype=np.int64)
        bits = (codes[:, None] >> np.arange(n, dtype=np.int64)) & 1
        return 1.0 - 2.0 * bits, True
    return rng.choice(np.array([-1.0, 1.0]), size=(resamples, n)), False


def randomization_test(base: np.ndarray, head: np.ndarray, *, resamples: int = 10_000, seed: int = 0) -> np.ndarray:
    """Two-sided paired randomization test of the mean difference (Fisher's sign flips).

    Under the null hypothesis BASE and HEAD are exchangeable within each unit, so each
    difference keeps or flips its sign. Exact when 2^n <= resamples; otherwise Monte Carlo
    with the (count + 1) / (resamples + 1) correction. Same definition and p-values as
    `scipy.stats.permutation_test(..., permutation_type="samples")` on the mean difference.
    """
    diff = _paired(base, head)
    n = diff.shape[-1]
    rows_shape = diff.shape[:-1]
    flat = diff.reshape(-1, n)
    observed = flat.mean(axis=-1)
    signs, exact = _sign_flips(n, resamples, np.random.default_rng(seed))
    total = len(signs)
    greater = np.zeros(len(flat))
    less = np.zeros(len(flat))
    # scipy's tolerance: null statistics within a relative epsilon of the observed one count as ties
    gamma = np.abs(np.finfo(np.float64).eps * 100 * observed)
    for start, stop in _blocks(total, n + len(flat)):
        null = (signs[start:stop] @ flat.T / n).T  # (rows, block)
        greater += (null >= (observed - gamma)[:, None]).sum(axis=1)
        less += (null <= (observed + gamma)[:, None]).sum(axis=1)
    adjust = 0 if exact else 1
    p_greater = (greater + adjust) / (total + adjust)
    p_less = (less + adjust) / (total + adjust)
    p = np.minimum(1.0, 2 * np.minimum(p_greater, p_less))
    return p.reshape(rows_shape)


def cohens_d_paired(base: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Cohen's d_z for paired data: mean difference over the standard deviation of differences.

    Zero when nothing changed; infinite (signed) for a constant non-zero shift, also when the
    differences vary only by rounding (sd within 64 ulps of the largest difference: 0.1 - 0.3 and
    0.4 - 0.6 differ in their last bits, and d would be ~1e15 instead of a constant shift's inf).
    """
    diff = _paired(base, head)
    mean = diff.mean(axis=-1)
    sd = diff.std(axis=-1, ddof=1) if diff.shape[-1] > 1 else np.zeros_like(mean)
    rounding = 64 * np.finfo(np.float64).eps * np.abs(diff).max(axis=-1, initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = mean / sd
    return np.where(sd > rounding, d, np.where(mean == 0, 0.0, np.copysign(np.inf, mean)))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values: reject H_i at level alpha iff adjusted p_i <= alpha.

    Controls the family-wise error rate across all comparisons of one report or gate,
    with more power than plain Bonferroni. NaN entries (untested rows) stay NaN and do
    not count as hypotheses.
    """
    p = _as_float(p_values)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    m = int(tested.sum())
    if m == 0:
        return out
    order = np.argsort(p[tested], kind="stable")
    ranked = p[tested][order] * (m - np.arange(m))
    adjusted = np.minimum(1.0, np.maximum.accumulate(ranked))
    values = np.empty(m)
    values[order] = adjusted
    out[tested] = values
    return out


def compare_paired(
    base: np.ndarray,
    head: np.ndarray,
    *,
    test: str = "randomization",
    level: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> PairedComparison:
    """Everything a regression verdict needs for rows of paired per-unit values.

    `test` is "randomization" (no distributional assumption; the default, as recommended
    for IR by Smucker et al., 2007) or "t" (paired t-test).
    """
    base2, head2 = np.atleast_2d(_as_float(base)), np.atleast_2d(_as_float(head))
    _paired(base2, head2)
    if test == "randomization":
        p = randomization_test(base2, head2, resamples=resamples, seed=seed)
    elif test == "t":
        p = paired_ttest(base2, head2)[1]
    else:
        raise BadInput(f"unknown test {test!r}; expected 'randomization' or 't'")
    low, high = paired_bootstrap_ci(base2, head2, level=level, resamples=min(resamples, 2000), seed=seed)
    return PairedComparison(
        base=base2.mean(axis=-1),
        head=head2.mean(axis=-1),
        delta=(head2 - base2).mean(axis=-1),
        ci_low=low,
        ci_high=high,
        p_value=p,
        effect_size=cohens_d_paired(base2, head2),
        n=base2.shape[-1],
        test=test,
    )


@dataclass(frozen=True)
class DeLong:
    """Two correlated ROC AUCs on the same examples (DeLong, DeLong & Clarke-Pearson, 1988)."""

    auc_base: float
    auc_head: float
    delta: float
    se: float
    p_value: float
    n: int


def _midranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, method="average")


def delong_test(labels: np.ndarray, base_scores: np.ndarray, head_scores: np.ndarray) -> DeLong:
    """Paired two-sided test of AUC(head) - AUC(base) on the same examples.

    AUC is not a mean over units, so the per-unit tests do not apply; DeLong's variance of
    the difference comes from the placement values of each positive and negative, computed
    with midranks in O(n log n) (Sun & Xu, 2014).
    """
    labels = np.asarray(labels).astype(bool)
    scores = np.vstack([_as_float(base_scores), _as_float(head_scores)])
    if scores.shape[1] != len(labels):
        raise BadInput(f"DeLong test needs one score per label: {len(labels)} labels, {scores.shape[1]} scores")
    m, n = int(labels.sum()), int((~labels).sum())
    if m < 2 or n < 2:
        raise BadInput(f"DeLong test needs at least two positives and two negatives (got {m} and {n})")
    pos, neg = scores[:, labels], scores[:, ~labels]
    v10 = np.empty((2, m))
    v01 = np.empty((2, n))
    aucs = np.empty(2)
    for k in range(2):
        tz = _midranks(np.concatenate([pos[k], neg[k]]))
        tx, ty = _midranks(pos[k]), _midranks(neg[k])
        v10[k] = (tz[:m] - tx) / n  # share of negatives each positive beats (ties count half)
        v01[k] = 1.0 - (tz[m:] - ty) / m  # share of positives that beat each negative
        aucs[k] = v10[k].mean()
    cov = np.cov(v10) / m + np.cov(v01) / n
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    delta = float(aucs[1] - aucs[0])
    if var <= 0:
        p = 1.0 if delta == 0 else 0.0
        return DeLong(float(aucs[0]), float(aucs[1]), delta, 0.0, p, m + n)
    from scipy.special import ndtr

    se = float(np.sqrt(var))
    return DeLong(float(aucs[0]), float(aucs[1]), delta, se, float(2 * ndtr(-abs(delta) / se)), m + n)
