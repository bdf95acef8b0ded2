"""CTR measures equal scikit-learn on random inputs with ties; gAUC equals its per-user definition."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from rankbench.harness.errors import BadInput
from rankbench.harness.measures.ctr import (
    TieGroups,
    auc,
    bootstrap_auc_resamples,
    gauc,
    logloss,
    logloss_per_impression,
    paired_auc_test,
)


@pytest.mark.parametrize("seed", range(8))
def test_auc_equals_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 3000))
    y = rng.integers(0, 2, n)
    y[:2] = (0, 1)
    scores = rng.integers(0, 1 + int(rng.integers(1, 50)), n) / 7.0  # many ties
    assert auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    weights = rng.integers(0, 4, n).astype(float)
    weights[:2] = 1
    assert auc(y, scores, weights) == pytest.approx(roc_auc_score(y, scores, sample_weight=weights), abs=1e-12)
    cont = rng.random(n)
    assert auc(y, cont) == pytest.approx(roc_auc_score(y, cont), abs=1e-12)


def test_auc_needs_both_classes() -> None:
    with pytest.raises(BadInput):
        auc(np.ones(5, int), np.arange(5.0))


@pytest.mark.parametrize("seed", range(5))
def test_logloss_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    p = rng.random(500)
    p[:3] = (0.0, 1.0, 1e-20)  # clipping matters at the extremes
    assert logloss(y, p) == pytest.approx(log_loss(y, p), rel=1e-12)
    assert logloss_per_impression(y, p).shape == (500,)


def _gauc_loop(y: np.ndarray, s: np.ndarray, users: np.ndarray) -> float:
    num = den = 0.0
    for u in np.unique(users):
        m = users == u
        if 0 < y[m].sum() < m.sum():
            num += roc_auc_score(y[m], s[m]) * m.sum()
            den += m.sum()
    return num / den


@pytest.mark.parametrize("seed", range(5))
def test_gauc_equals_weighted_per_user_auc(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 2000
    users = rng.integers(0, 60, n)
    y = rng.integers(0, 2, n)
    s = np.round(rng.random(n) + 0.3 * y, 1)  # ties inside users
    assert gauc(y, s, users) == pytest.approx(_gauc_loop(y, s, users), abs=1e-12)


def test_bootstrap_resample_equals_auc_of_resampled_rows() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.random(400), 2)
    groups = TieGroups.build(y, s)
    idx = rng.integers(0, 400, 400)
    weights = np.bincount(idx, minlength=400).astype(float)
    pos, neg = groups.counts(weights)
    assert groups.auc_from_counts(pos, neg)[0] == pytest.approx(roc_auc_score(y[idx], s[idx]), abs=1e-12)
    boot = bootstrap_auc_resamples(y, [s], resamples=50, seed=1)
    assert boot.shape == (1, 50) and np.all((boot > 0) & (boot < 1))


def test_paired_auc_test_separates_better_scores() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    weak = rng.random(3000) + 0.2 * y
    strong = rng.random(3000) + 1.0 * y
    result = paired_auc_test(y, weak, strong, resamples=500)
    assert result.delta > 0 and result.ci_low > 0 and result.p_value < 0.01
    same = paired_auc_test(y, weak, weak, resamples=200)
    assert same.delta == 0 and same.p_value == 1.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_logloss_equals_sklearn_for_every_dtype(dtype) -> None:
    """sklearn clips at the predictions' own dtype's epsilon: a float32 p=1.0 for a negative costs
    15.94, not 36.04 (issue 18, example 5)."""
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(0)
    for probs in (np.array([1.0, 1.0, 0.0, 0.0, 0.5]), rng.random(500) ** 8, np.r_[rng.random(50), 0, 1, 1e-9]):
        labels = (rng.random(len(probs)) < 0.5).astype(int)
        labels[:2] = [0, 1]
        p = probs.astype(dtype)
        expected = log_loss(labels, p)
        assert logloss(labels, p) == pytest.approx(expected, rel=8 * float(np.finfo(dtype).eps))
    one = np.array([1.0], dtype=np.float32)
    assert logloss(np.array([0]), one) == pytest.approx(-np.log(np.finfo(np.float32).eps))
