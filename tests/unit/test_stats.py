"""Paired statistics against scipy on random inputs, and Holm against its step-down definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from rankbench.harness import stats
from rankbench.harness.errors import BadInput


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x - y, axis=axis)


def _pair(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    base = rng.random(n)
    return base, np.clip(base + rng.normal(shift, 0.2, n), 0, 1)


@pytest.mark.parametrize("seed", range(8))
def test_paired_ttest_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 300))
    base, head = _pair(rng, n, rng.normal(0, 0.05))
    t, p = stats.paired_ttest(base, head)
    ref = sps.ttest_rel(head, base)
    assert float(t) == pytest.approx(ref.statistic, rel=1e-10)
    assert float(p) == pytest.approx(ref.pvalue, rel=1e-10)


def test_paired_ttest_vectorised_rows_equal_scipy_axis() -> None:
    rng = np.random.default_rng(3)
    base, head = rng.random((5, 40)), rng.random((5, 40))
    t, p = stats.paired_ttest(base, head)
    ref = sps.ttest_rel(head, base, axis=-1)
    np.testing.assert_allclose(t, ref.statistic, rtol=1e-10)
    np.testing.assert_allclose(p, ref.pvalue, rtol=1e-10)


def test_paired_ttest_degenerate_differences() -> None:
    values = np.array([0.25, 0.5, 0.75])
    assert float(stats.paired_ttest(values, values)[1]) == 1.0
    assert float(stats.paired_ttest(values, values - 0.25)[1]) == 0.0


@pytest.mark.parametrize("n", [4, 9, 13])
def test_randomization_exact_equals_scipy(n: int) -> None:
    """With 2^n <= resamples both enumerate every sign flip: p-values agree exactly."""
    rng = np.random.default_rng(n)
    base, head = _pair(rng, n, 0.08)
    p = stats.randomization_test(base, head, resamples=10_000)
    ref = sps.permutation_test(
        (head, base), _mean_diff, permutation_type="samples", vectorized=True, n_resamples=10_000
    )
    assert float(p) == pytest.approx(ref.pvalue, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_randomization_monte_carlo_agrees_with_scipy(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    base, head = _pair(rng, 80, rng.choice([0.0, 0.03, 0.06]))
    p = float(stats.randomization_test(base, head, resamples=20_000, seed=seed))
    ref = sps.permutation_test(
        (head, base), _mean_diff, permutation_type="samples", vectorized=True, n_resamples=20_000, rng=seed
    ).pvalue
    # two independent Monte Carlo estimates of the same p: within 5 binomial standard errors
    se = np.sqrt(max(ref * (1 - ref), 1e-4) / 20_000) * np.sqrt(2)
    assert abs(p - ref) < 5 * se + 1e-4


def test_randomization_fixed_seed_is_deterministic_and_rows_match_single() -> None:
    rng = np.random.default_rng(7)
    base, head = rng.random((3, 50)), rng.random((3, 50))
    rows = stats.randomization_test(base, head, resamples=5000, seed=11)
    again = stats.randomization_test(base, head, resamples=5000, seed=11)
    np.testing.assert_array_equal(rows, again)
    for i in range(3):
        assert float(stats.randomization_test(base[i], head[i], resamples=5000, seed=11)) == rows[i]


def test_paired_bootstrap_ci_equals_scipy_percentile() -> None:
    """Same generator, same draws: scipy's percentile bootstrap of the mean difference."""
    rng = np.random.default_rng(5)
    base, head = _pair(rng, 70, 0.02)
    low, high = stats.paired_bootstrap_ci(base, head, resamples=3000, seed=9)
    ref = sps.bootstrap((head - base,), np.mean, method="percentile", n_resamples=3000, rng=9).confidence_interval
    assert float(low) == pytest.approx(ref.low, abs=1e-12)
    assert float(high) == pytest.approx(ref.high, abs=1e-12)


def test_bootstrap_ci_of_mean_equals_scipy() -> None:
    values = np.random.default_rng(2).random(200)
    est = stats.bootstrap_ci(values, resamples=2000, seed=4)
    ref = sps.bootstrap((values,), np.mean, method="percentile", n_resamples=2000, rng=4).confidence_interval
    assert (est.ci_low, est.ci_high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert est.value == pytest.approx(values.mean())


def test_cohens_d_paired_relates_to_t() -> None:
    """d_z = t / sqrt(n) by definition of the paired t statistic."""
    rng = np.random.default_rng(8)
    base, head = _pair(rng, 55, 0.05)
    d = float(stats.cohens_d_paired(base, head))
    diff = head - base
    assert d == pytest.approx(diff.mean() / diff.std(ddof=1))
    assert d == pytest.approx(sps.ttest_rel(head, base).statistic / np.sqrt(55))


def _holm_step_down_rejects(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm (1979) as written: reject in ascending order while p_(i) <= alpha / (m - i)."""
    order = np.argsort(p)
    rejected = np.zeros(len(p), dtype=bool)
    for i, j in enumerate(order):
        if p[j] > alpha / (len(p) - i):
            break
        rejected[j] = True
    return rejected


@pytest.mark.parametrize("seed", range(10))
def test_holm_matches_step_down_procedure(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.random(int(rng.integers(1, 30))) ** 3
    adjusted = stats.holm(p)
    assert np.all(adjusted >= p) and np.all(adjusted <= 1)
    for alpha in (0.01, 0.05, 0.1):
        np.testing.assert_array_equal(adjusted <= alpha, _holm_step_down_rejects(p, alpha))


def test_holm_ignores_untested_rows() -> None:
    adjusted = stats.holm(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])


def test_compare_paired_detects_a_regression_and_not_noise() -> None:
    rng = np.random.default_rng(12)
    base = rng.random((2, 200))
    head = base.copy()
    head[0, :60] -= 0.3  # row 0 regresses on 30% of units, row 1 is unchanged
    cmp = stats.compare_paired(base, head, resamples=4000)
    assert cmp.delta[0] < 0 and cmp.p_value[0] < 0.001 and cmp.ci_high[0] < 0
    assert cmp.delta[1] == 0 and cmp.p_value[1] == 1.0 and cmp.effect_size[1] == 0
    t_cmp = stats.compare_paired(base, head, test="t")
    assert t_cmp.p_value[0] < 0.001


def test_mismatched_shapes_and_unknown_test_raise_bad_input() -> None:
    with pytest.raises(BadInput, match="same units"):
        stats.paired_ttest(np.zeros(3), np.zeros(4))
    with pytest.raises(BadInput, match="unknown test"):
        stats.compare_paired(np.zeros(3), np.zeros(3), test="wilcoxon")


def _delong_brute(labels: np.ndarray, base: np.ndarray, head: np.ndarray) -> tuple[float, float]:
    """DeLong et al. (1988) as written: placement values from the full kernel matrix psi(x_i, y_j)."""
    pos, neg = labels == 1, labels == 0
    v10, v01 = [], []
    for s in (base, head):
        x, y = s[pos][:, None], s[neg][None, :]
        psi = (x > y) + 0.5 * (x == y)
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    s10, s01 = np.cov(np.array(v10)), np.cov(np.array(v01))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / pos.sum() + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / neg.sum()
    delta = v10[1].mean() - v10[0].mean()
    return delta, 2 * sps.norm.sf(abs(delta) / np.sqrt(var))


@pytest.mark.parametrize("seed", range(6))
def test_delong_equals_its_definition_and_sklearn_auc(seed: int) -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    labels = rng.integers(0, 2, n)
    labels[:2], labels[2:4] = 1, 0
    base = np.round(labels * 0.5 + rng.random(n), 1)  # rounding makes ties
    head = np.round(labels * rng.uniform(0.3, 0.8) + rng.random(n), 1)
    res = stats.delong_test(labels, base, head)
    assert res.auc_base == pytest.approx(roc_auc_score(labels, base), abs=1e-12)
    assert res.auc_head == pytest.approx(roc_auc_score(labels, head), abs=1e-12)
    delta, p = _delong_brute(labels, base, head)
    assert res.delta == pytest.approx(delta, abs=1e-12) and res.p_value == pytest.approx(p, rel=1e-9)


def test_delong_identical_scores_and_bad_input() -> None:
    labels = np.array([0, 1, 0, 1, 1, 0])
    scores = np.array([0.1, 0.9, 0.3, 0.7, 0.2, 0.4])
    assert stats.delong_test(labels, scores, scores).p_value == 1.0
    with pytest.raises(BadInput, match="two positives"):
        stats.delong_test(np.array([1, 0, 0]), np.zeros(3), np.zeros(3))


@pytest.mark.parametrize("n", range(3, 11))
def test_min_p_value_is_the_smallest_p_the_randomization_test_returns(n: int) -> None:
    """All deltas of one sign is the most extreme input: its p is the floor, 2 / 2^n (exact test)."""
    from rankbench.harness.comparison import min_p_value

    rng = np.random.default_rng(n)
    base = rng.random(n)
    up, down = base + rng.uniform(0.01, 0.5, n), base - rng.uniform(0.01, 0.5, n)
    extreme = stats.randomization_test(np.vstack([base, base]), np.vstack([up, down]))
    floor = min_p_value("randomization", n, 10_000)
    assert floor == pytest.approx(2 / 2**n) and extreme.tolist() == pytest.approx([floor, floor], rel=1e-12)
    # no other input of n units goes below it
    others = stats.randomization_test(base + np.zeros((200, n)), base + rng.normal(0, 0.3, (200, n)))
    assert others.min() >= floor - 1e-15
    # units that did not change leave the statistic as it is whatever their sign: only the changed ones count
    same = up.copy()
    same[: n // 2] = base[: n // 2]
    p = float(stats.randomization_test(base, same))
    assert p == pytest.approx(min_p_value("randomization", n, 10_000, changed=n - n // 2), rel=1e-12)


def test_min_p_value_monte_carlo_and_t_test() -> None:
    """Monte Carlo (2^n > resamples): (0 + 1) / (B + 1) per tail, so 2 / (B + 1); the t-test has no floor."""
    from rankbench.harness.comparison import min_p_value

    base = np.zeros(20)
    p = float(stats.randomization_test(base, base + 0.1 + np.arange(20) / 100, resamples=999))
    assert p == pytest.approx(min_p_value("randomization", 20, 999)) == pytest.approx(2 / 1000)
    # 3 changed units among 20: random flips match their signs one time in 8, as the exact floor 2 / 2^3 says
    three = base.copy()
    three[:3] = 0.5
    p3 = float(stats.randomization_test(base, three, resamples=20_000))
    assert p3 == pytest.approx(min_p_value("randomization", 20, 20_000, changed=3), rel=0.1)
    assert min_p_value("t", 6, 10_000) == 0.0
    assert float(stats.paired_ttest(base[:6], base[:6] + np.arange(1.0, 7.0))[1]) < 0.01


def test_holm_floors_are_the_family_size_times_a_common_floor() -> None:
    from rankbench.harness.comparison import holm_floors, min_p_value

    floor = min_p_value("randomization", 6, 10_000)
    np.testing.assert_allclose(holm_floors(np.array([floor] * 4)), [0.125] * 4)
    # rows outside the family (NaN) do not count; a floor of 0 (t-test, DeLong) lowers the others' reach
    np.testing.assert_allclose(holm_floors(np.array([floor, np.nan, floor])), [2 * floor, np.nan, 2 * floor])
    np.testing.assert_allclose(holm_floors(np.array([0.0, floor, floor])), [0.0, 2 * floor, 2 * floor])
    assert (holm_floors(np.array([1.0, 1.0, 1.0])) == 1.0).all()


def test_cohens_d_of_a_constant_shift_is_infinite_even_with_rounding_noise() -> None:
    base = np.array([0.1, 0.4, 0.7, 0.25, 0.33])
    head = base + 0.2  # the differences differ in their last bits
    assert np.std(head - base, ddof=1) > 0
    assert stats.cohens_d_paired(base, head) == np.inf and stats.cohens_d_paired(head, base) == -np.inf
    assert stats.cohens_d_paired(base, base) == 0.0


def test_the_p_value_floor_of_thousands_of_units_is_the_monte_carlo_floor() -> None:
    """2 / 2^n underflows past n = 1023 (a recommender suite has thousands of users): no OverflowError."""
    from rankbench.harness.comparison import min_p_value

    for n in (1023, 1100, 6040):
        assert min_p_value("randomization", n, 9999) == pytest.approx(2 / 10000)
        assert min_p_value("randomization", n, 9999, changed=n - 1) == pytest.approx(2 / 10000)
