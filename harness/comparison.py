"""The paired-test engine: HEAD against BASE on the same units, verdicts, and the rules of the CI gate.

Quality measures that are means over units (nDCG@10, R@100, logloss, ...) are tested on their
per-unit values, paired by unit id (`paired_tests`). Cost measures are measures too, with a
direction from the measure grammar (lower is better for latency, index time, memory, index size
and parameters; higher for QPS):

- `latency_p50_ms`/`latency_p95_ms`/`latency_p99_ms`: the latency task stores each unit's batch-1
  latency (`LATENCY_COLUMN`, the median over the timed repeats). `latency_test` runs the paired
  test on log latencies, unit by unit, so a change is judged on the same queries (users,
  impressions) and the effect is a ratio (geometric mean of HEAD/BASE, with its bootstrap CI).
- `qps`: the task stores the QPS of every timed repeat (`info["per_repeat"]["qps"]`); `repeats_test`
  is a two-sample permutation test on log QPS (exact when all splits fit in `resamples`).
- `index_mb`, `params_m`: sizes a build determines; compared exactly (no test is needed).
- `index_s`, `peak_rss_mb`: one measurement per cell, so nothing to test against: `UNTESTED`.
- `threads`, `latency_cv`: settings and diagnostics, not outcomes: `INFO`, never gated.

A measure that cannot be tested is `UNTESTED`, and the gate treats it as a failure unless
`Settings.allow_untested`: a regression must never pass because nothing looked at it.
A significant cost regression fails the gate when its ratio passes `max_slowdown` (timings,
QPS) or `max_growth` (memory, sizes, parameters); a quality regression when its delta passes
`min_delta`. p-values are Holm-corrected across every row of one comparison by the caller.

A test on few units has a floor: the exact randomization test cannot give p below 2/2^n on n
changed units (0.03125 for 6), and Holm over m hypotheses multiplies the smallest p by m. When
the smallest adjusted p a row can reach (`holm_floors`) is above alpha, no HEAD can fail the
gate on it; the caller marks it (`CANNOT_FAIL`) instead of reporting a pass that tested nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.measures import parse_measure
from rankbench.harness.stats import compare_paired, holm

BETTER, WORSE, SAME, UNTESTED, FAILED, INFO = (
    "better",
    "worse",
    "no significant change",
    "not tested",
    "failed",
    "informational",
)
CANNOT_FAIL = "cannot fail"
"""Verdict prefix of a row whose test cannot reach significance after Holm (`holm_floors`), e.g. `cannot fail: n=6`."""
LATENCY_COLUMN = "latency_ms"
"""Per-unit column of latency results: a unit's batch-1 latency in ms (median over repeats)."""
UNIT_LATENCY_MEASURES = frozenset({"latency_p50_ms", "latency_p95_ms", "latency_p99_ms"})
REPEATED_MEASURES = frozenset({"qps"})
EXACT_MEASURES = frozenset({"index_mb", "params_m"})
INFORMATIONAL = frozenset({"threads", "latency_cv"})


MIN_RESAMPLES = 100
"""Fewest resamples `Settings` accepts: 2/(100+1) ~ 0.02 is the smallest p-value they can give."""


@dataclass(frozen=True)
class Settings:
    """How to compare, and what fails the gate.

    `alpha`: family-wise error rate (Holm). `min_delta`: quality regressions no larger than this (in
    the measure's units) pass. `max_slowdown`: timing regressions (latency, index time, QPS drop) up
    to this HEAD/BASE factor pass (1.2 = 20% slower). `max_growth`: the same for memory, index size
    and parameters. `allow_untested`: untested rows do not fail the gate.
    """

    alpha: float = 0.05
    min_delta: float = 0.0
    test: str = "randomization"
    resamples: int = 10_000
    seed: int = 0
    level: float = 0.95
    max_slowdown: float = 1.0
    max_growth: float = 1.0
    allow_untested: bool = False

    def __post_init__(self) -> None:
        if self.resamples < MIN_RESAMPLES:
            raise BadInput(
                f"--resamples must be at least {MIN_RESAMPLES} (the smallest p-value a randomization test can "
                f"reach is 2/(resamples+1), and the bootstrap interval needs draws to take percentiles of), "
                f"got {self.resamples}"
            )
        if self.test not in ("randomization", "t"):
            raise BadInput(f"--test must be 'randomization' or 't', got {self.test!r}")
        if not 0 < self.alpha < 1:
            raise BadInput(f"--alpha must lie in (0, 1), got {self.alpha}")
        for name in ("max_slowdown", "max_growth"):
            if not getattr(self, name) >= 1.0:
                raise BadInput(
                    f"--{name.replace('_', '-')} is a HEAD/BASE factor of at least 1, got {getattr(self, name)}"
                )


def higher_is_better(measure: str) -> bool:
    """The measure's direction from the grammar; names it does not know count as higher-is-better."""
    try:
        return parse_measure(measure).higher_is_better
    except (UnknownName, BadInput):
        return True


def measure_kind(measure: str) -> str:
    """ranking | ctr | latency | resource, from the grammar; unknown names count as quality measures."""
    try:
        spec = parse_measure(measure).spec
    except (UnknownName, BadInput):
        return "ranking"
    return spec.kind if spec is not None else "ranking"


def is_cost(measure: str) -> bool:
    return measure_kind(measure) in ("latency", "resource")


def worsening(measure: str, base: float, head: float) -> float:
    """How many times worse HEAD is than BASE in the measure's direction (1.0: same; < 1: better)."""
    if base == head:
        return 1.0
    if base <= 0 or head <= 0:
        return math.inf if (head > base) != higher_is_better(measure) else 0.0
    return base / head if higher_is_better(measure) else head / base


def allowed_worsening(measure: str, settings: Settings) -> float:
    return settings.max_growth if measure_kind(measure) == "resource" else settings.max_slowdown


def fails(
    measure: str, verdict: str, base: float, head: float, delta: float, settings: Settings, *, ratio: float = math.nan
) -> bool:
    """Whether one compared row fails the gate (see the module docstring).

    `ratio`: for a cost measure tested on units or repeats, the tested HEAD/BASE ratio; the slowdown or
    growth checked against the threshold is then that ratio, not the ratio of the two aggregates.
    """
    if verdict == FAILED:
        return True
    if verdict == UNTESTED:
        return not settings.allow_untested
    if verdict != WORSE:
        return False
    if is_cost(measure):
        factor = worsening(measure, base, head) if math.isnan(ratio) else worsening(measure, 1.0, ratio)
        return factor > allowed_worsening(measure, settings)
    return abs(delta) > settings.min_delta


def verdict(delta: float, p_holm: float, higher: bool, alpha: float) -> str:
    """better / worse / no significant change from a Holm-adjusted p-value; untested when p is NaN."""
    if math.isnan(p_holm):
        return UNTESTED
    if p_holm > alpha or delta == 0:
        return SAME
    return BETTER if (delta > 0) == higher else WORSE


@dataclass(frozen=True)
class Tested:
    """One measure tested on paired units: means, delta = head - base with its CI, raw p-value."""

    measure: str
    base: float
    head: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    effect_size: float
    n: int
    note: str = ""
    changed: int = 0
    """Units whose value differs between BASE and HEAD (the sign flips that can move the statistic)."""
    min_p: float = 0.0
    """The smallest p-value the test can return on these units (`min_p_value`); 0 for the t-test."""


def paired_tests(base: pd.DataFrame, head: pd.DataFrame, measures: Sequence[str], settings: Settings) -> list[Tested]:
    """Paired tests of the measures both unit tables hold (rows aligned by unit id).

    Columns without missing values share one vectorised call (the same resamples for every
    measure); a column with missing values is tested on the units both sides scored.
    """
    cols = [m for m in measures if m in base.columns and m in head.columns]
    full = [m for m in cols if not (base[m].isna().any() or head[m].isna().any())]
    groups: list[tuple[list[str], np.ndarray]] = []
    if full:
        groups.append((full, np.ones(len(base), dtype=bool)))
    for m in cols:
        if m not in full:
            groups.append(([m], (base[m].notna() & head[m].notna()).to_numpy()))
    out = []
    for names, mask in groups:
        if mask.sum() == 0:
            continue
        b = base.loc[mask, names].to_numpy().T
        h = head.loc[mask, names].to_numpy().T
        res = compare_paired(
            b, h, test=settings.test, level=settings.level, resamples=settings.resamples, seed=settings.seed
        )
        changed = (h != b).sum(axis=1)
        for i, name in enumerate(names):
            out.append(
                Tested(
                    name,
                    float(res.base[i]),
                    float(res.head[i]),
                    float(res.delta[i]),
                    float(res.ci_low[i]),
                    float(res.ci_high[i]),
                    float(res.p_value[i]),
                    float(res.effect_size[i]),
                    res.n,
                    changed=int(changed[i]),
                    min_p=min_p_value(settings.test, res.n, settings.resamples, changed=int(changed[i])),
                )
            )
    return out


@dataclass(frozen=True)
class RatioTest:
    """A cost change as a ratio HEAD/BASE (geometric mean), its CI and the test's raw p-value."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    method: str
    min_p: float = 0.0
    """The smallest p-value this test can return with these units/repeats: above alpha it cannot detect anything."""


def min_p_value(test: str, n: int, resamples: int, *, changed: int | None = None) -> float:
    """Smallest two-sided p-value the paired test of `harness.stats.compare_paired` can return on `n` units.

    `changed`: how many of the units differ between BASE and HEAD (default: all `n`); a unit whose
    difference is 0 keeps the statistic whatever its sign, so only the `changed` units count.
    Randomization test: exact (every sign flip, when 2^n <= `resamples`) it is 2 / 2^changed, reached
    when every changed unit moves the same way (n = 5: 0.0625; 6: 0.03125). Monte Carlo with the
    (count + 1) / (resamples + 1) correction it is 2 / (resamples + 1), and about the exact floor
    2 / 2^changed when that is larger (random flips then match the observed signs that often).
    The paired t-test has no floor (a large effect gives p near 0): 0.0. Capped at 1.
    """
    if test == "t":
        return 0.0
    changed = n if changed is None else changed
    exact = math.ldexp(1.0, 1 - changed)  # 2 / 2^changed, 0.0 past float range (thousands of users), no overflow
    if n < 63 and 2**n <= resamples:
        return min(1.0, exact)
    return min(1.0, max(exact, 2.0 / (resamples + 1)))


def holm_floors(min_p: np.ndarray) -> np.ndarray:
    """The smallest Holm-adjusted p-value each hypothesis of one family can reach.

    `min_p`: each hypothesis' smallest raw p-value (`min_p_value`; 0 where its test has none, NaN
    for rows outside the family). Holm's adjusted p-values only grow with each raw p-value, so the
    adjustment of the floors is the least any outcome can give: with m hypotheses of the same floor
    f it is m * f (capped at 1). A row whose value is above alpha cannot be significant whatever
    HEAD does, so a gate cannot fail on it.
    """
    return holm(np.asarray(min_p, dtype=np.float64))


def latency_test(base_ms: np.ndarray, head_ms: np.ndarray, settings: Settings) -> RatioTest | None:
    """Paired test of per-unit latencies (same units, same order) on the log scale.

    Returns `None` when fewer than two units were timed on both sides. Zero latencies (below the
    clock's resolution) are clipped to 1 ns before the log.
    """
    base_ms, head_ms = np.asarray(base_ms, dtype=np.float64), np.asarray(head_ms, dtype=np.float64)
    both = ~(np.isnan(base_ms) | np.isnan(head_ms))
    if both.sum() < 2:
        return None
    b, h = np.log(np.maximum(base_ms[both], 1e-6)), np.log(np.maximum(head_ms[both], 1e-6))
    res = compare_paired(
        b, h, test=settings.test, level=settings.level, resamples=settings.resamples, seed=settings.seed
    )
    return RatioTest(
        float(np.exp(res.delta[0])),
        float(np.exp(res.ci_low[0])),
        float(np.exp(res.ci_high[0])),
        float(res.p_value[0]),
        int(both.sum()),
        f"paired {settings.test} test of log per-unit latency",
        min_p_value(settings.test, int(both.sum()), settings.resamples),
    )


def repeats_test(base: Sequence[float], head: Sequence[float], settings: Settings) -> RatioTest | None:
    """Two-sample permutation test of the mean log value of repeated measurements (e.g. QPS per repeat).

    Exact when every split of the pooled repeats fits in `settings.resamples` (5 + 5 repeats: 252
    splits, smallest two-sided p = 2/252). Returns `None` with fewer than two repeats a side.
    """
    from scipy.stats import permutation_test

    b, h = np.log(np.asarray(base, dtype=np.float64)), np.log(np.asarray(head, dtype=np.float64))
    if len(b) < 2 or len(h) < 2 or not (np.isfinite(b).all() and np.isfinite(h).all()):
        return None
    res = permutation_test(
        (h, b),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        permutation_type="independent",
        vectorized=True,
        n_resamples=settings.resamples,
        alternative="two-sided",
        random_state=settings.seed,
    )
    diff = float(h.mean() - b.mean())
    splits = math.comb(len(b) + len(h), len(b))
    min_p = 2.0 / splits if splits <= settings.resamples else 2.0 / (settings.resamples + 1)
    rng = np.random.default_rng(settings.seed)
    boots = rng.choice(h, (2000, len(h))).mean(axis=1) - rng.choice(b, (2000, len(b))).mean(axis=1)
    alpha = (1 - settings.level) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    return RatioTest(
        float(np.exp(diff)),
        float(np.exp(low)),
        float(np.exp(high)),
        float(res.pvalue),
        min(len(b), len(h)),
        "permutation test of log value per repeat",
        min(1.0, min_p),
    )
