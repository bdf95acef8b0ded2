"""CTR measures: AUC, logloss, gAUC, and bootstrap resamples of AUC over impressions.

AUC is the Mann-Whitney statistic on score groups (tied scores count one half), which is
exactly what scikit-learn's `roc_auc_score` integrates. Working on sorted tie groups lets a
bootstrap resample be scored by counting, without re-sorting: one sort serves every resample,
which is what makes confidence intervals of AUC over 10^5 impressions cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.stats import Estimate

_BLOCK_ELEMENTS = 4_000_000  # resample x group counts held in memory at once


def _check(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise BadInput(f"labels and scores must be 1-d arrays of the same length, got {y.shape} and {s.shape}")
    if y.size and not np.isin(y, (0, 1)).all():
        raise BadInput("CTR labels must be 0 or 1")
    if s.size and not np.all(np.isfinite(s)):
        raise BadInput("CTR predictions must be finite")
    return y.astype(np.int8), s


@dataclass(frozen=True)
class TieGroups:
    """Impressions grouped by distinct score, ascending: the sufficient statistic of AUC."""

    group: np.ndarray  # group index of every impression
    labels: np.ndarray
    n_groups: int

    @classmethod
    def build(cls, labels: np.ndarray, scores: np.ndarray) -> TieGroups:
        y, s = _check(labels, scores)
        _, group = np.unique(s, return_inverse=True)
        return cls(group.astype(np.int64), y, int(group.max()) + 1 if len(group) else 0)

    def auc_from_counts(self, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
        """AUC from per-group positive/negative counts (last axis = groups); NaN without both classes."""
        neg_below = np.cumsum(neg, axis=-1) - neg
        wins = (pos * (neg_below + 0.5 * neg)).sum(axis=-1)
        total = pos.sum(axis=-1) * neg.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, wins / np.where(total > 0, total, 1), np.nan)

    def counts(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-group weighted positive and negative counts for one weight vector per row."""
        rows = np.atleast_2d(weights)
        offset = (np.arange(rows.shape[0]) * self.n_groups)[:, None]
        flat = (self.group[None, :] + offset).ravel()
        size = rows.shape[0] * self.n_groups
        pos = np.bincount(flat, (rows * self.labels).ravel(), minlength=size).reshape(rows.shape[0], -1)
        neg = np.bincount(flat, (rows * (1 - self.labels)).ravel(), minlength=size).reshape(rows.shape[0], -1)
        return pos, neg


def auc(labels: np.ndarray, scores: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """Area under the ROC curve, equal to `sklearn.metrics.roc_auc_score` (ties count one half)."""
    groups = TieGroups.build(labels, scores)
    if groups.labels.size == 0 or groups.labels.min() == groups.labels.max():
        raise BadInput("AUC needs both positive and negative impressions")
    weights = np.ones(len(groups.labels)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    pos, neg = groups.counts(weights)
    return float(groups.auc_from_counts(pos, neg)[0])


def _probabilities(probs: np.ndarray) -> np.ndarray:
    """Predictions in the float dtype scikit-learn computes `log_loss` in: float16/32/64 kept, others float64."""
    p = np.asarray(probs)
    return p if p.dtype in (np.float16, np.float32, np.float64) else p.astype(np.float64)


def logloss_per_impression(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of every impression (natural log), shape (n,), float64.

    Computed as `sklearn.metrics.log_loss` computes it: in the predictions' own float dtype,
    with both class probabilities (1 - p, p) clipped to [eps, 1 - eps] where eps is that
    dtype's machine epsilon, so a float32 prediction of exactly 1.0 for a negative costs
    -log(float32 eps) = 15.94, not -log(float64 eps) = 36.04. Raises `BadInput` for labels
    other than 0/1, non-finite predictions or predictions outside [0, 1].
    """
    y, _ = _check(labels, probs)
    p = _probabilities(probs)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise BadInput("logloss needs probabilities in [0, 1]")
    eps = np.finfo(p.dtype).eps
    one = p.dtype.type(1)
    chosen = np.where(y == 1, p, one - p)  # the probability given to the observed class
    chosen = np.clip(chosen, eps, one - eps)
    return -np.log(chosen).astype(np.float64)


def logloss(labels: np.ndarray, probs: np.ndarray) -> float:
    """Mean binary cross-entropy, equal to `sklearn.metrics.log_loss` for every float dtype of `probs`."""
    return float(logloss_per_impression(labels, probs).mean())


def gauc(labels: np.ndarray, scores: np.ndarray, users: np.ndarray) -> float:
    """Group AUC: per-user AUC averaged with impression-count weights over users with both classes.

    This is the definition of Zhou et al. (DIN, 2018) and FuxiCTR's `gAUC`.
    """
    y, s = _check(labels, scores)
    u = np.asarray(users)
    if u.shape != y.shape:
        raise BadInput("gAUC needs one user per impression")
    _, user_idx = np.unique(u, return_inverse=True)
    _, score_rank = np.unique(s, return_inverse=True)
    order = np.lexsort((score_rank, user_idx))
    uu, rr, yy = user_idx[order], score_rank[order], y[order].astype(np.float64)
    # tie groups inside users: consecutive equal (user, score) pairs
    new_group = np.r_[True, (uu[1:] != uu[:-1]) | (rr[1:] != rr[:-1])]
    gid = np.cumsum(new_group) - 1
    g_user = uu[new_group]
    pos = np.bincount(gid, yy)
    neg = np.bincount(gid, 1 - yy)
    user_start = np.r_[True, g_user[1:] != g_user[:-1]]
    # negatives strictly below each group within its user
    cum_neg = np.cumsum(neg) - neg
    user_first = np.maximum.accumulate(np.where(user_start, np.arange(len(g_user)), 0))
    neg_below = cum_neg - cum_neg[user_first]
    n_users = int(g_user.max()) + 1 if len(g_user) else 0
    wins = np.bincount(g_user, pos * (neg_below + 0.5 * neg), minlength=n_users)
    p_u = np.bincount(g_user, pos, minlength=n_users)
    n_u = np.bincount(g_user, neg, minlength=n_users)
    valid = (p_u > 0) & (n_u > 0)
    if not valid.any():
        raise BadInput("gAUC needs at least one user with both positive and negative impressions")
    per_user = wins[valid] / (p_u[valid] * n_u[valid])
    weight = (p_u + n_u)[valid]
    return float((per_user * weight).sum() / weight.sum())


def _resample_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """Multinomial counts of `resamples` bootstrap draws of n units (shape resamples x n)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def bootstrap_auc_resamples(
    labels: np.ndarray, score_sets: list[np.ndarray], *, resamples: int = 1000, seed: int = 0
) -> np.ndarray:
    """AUC of each score set on the same bootstrap resamples of impressions, shape (len(score_sets), resamples).

    Sharing the resampled impressions keeps the score sets paired.
    """
    groups = [TieGroups.build(labels, s) for s in score_sets]
    n = len(np.asarray(labels))
    out = np.empty((len(score_sets), resamples))
    block = max(1, _BLOCK_ELEMENTS // max(1, n))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        weights = _resample_counts(n, stop - start, seed + start)
        for i, g in enumerate(groups):
            pos, neg = g.counts(weights)
            out[i, start:stop] = g.auc_from_counts(pos, neg)
    return out


def auc_estimate(
    labels: np.ndarray, scores: np.ndarray, *, level: float = 0.95, resamples: int = 1000, seed: int = 0
) -> Estimate:
    """AUC with a percentile-bootstrap confidence interval over impressions."""
    value = auc(labels, scores)
    boot = bootstrap_auc_resamples(labels, [scores], resamples=resamples, seed=seed)[0]
    alpha = (1 - level) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    return Estimate(value, float(low), float(high), len(np.asarray(labels)))


@dataclass(frozen=True)
class PairedAUC:
    """AUC of B minus AUC of A on the same impressions, with a paired bootstrap CI and p-value."""

    auc_a: float
    auc_b: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def paired_auc_test(
    labels: np.ndarray,
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> PairedAUC:
    """Paired bootstrap over impressions; the two-sided p-value is twice the smaller tail of deltas around 0."""
    a, b = auc(labels, scores_a), auc(labels, scores_b)
    boot = bootstrap_auc_resamples(labels, [scores_a, scores_b], resamples=resamples, seed=seed)
    deltas = boot[1] - boot[0]
    deltas = deltas[np.isfinite(deltas)]
    alpha = (1 - level) / 2
    low, high = np.quantile(deltas, [alpha, 1 - alpha])
    tail = min((deltas <= 0).mean(), (deltas >= 0).mean())
    p = min(1.0, 2 * max(tail, 1.0 / (len(deltas) + 1)))
    return PairedAUC(a, b, b - a, float(low), float(high), float(p), len(np.asarray(labels)))
