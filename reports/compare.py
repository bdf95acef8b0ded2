"""BASE vs HEAD on stored results: pairs cells and units, then runs the harness's paired-test engine.

Cells pair by (suite, adapter, seed) and units by unit id, so a verdict only ever compares
the same queries (or users) scored by two versions of a model. p-values are Holm-corrected
across every comparison of the run (every tested suite x adapter x measure row, quality and
cost alike: the family is everything the gate decides on): a gate over 20 measures must not
fail by chance one time in three. A row whose test cannot reach significance after that
correction (few units: see `harness.comparison.holm_floors`) is marked `cannot fail: n=...`
and named in `Comparison.floor_warnings()`. The tests, the verdicts and the gate's rules live in `harness/comparison.py`
(quality and cost measures alike); this module reads the two result sets and renders lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from rankbench.harness.comparison import (
    BETTER,
    CANNOT_FAIL,
    EXACT_MEASURES,
    FAILED,
    INFO,
    INFORMATIONAL,
    LATENCY_COLUMN,
    REPEATED_MEASURES,
    SAME,
    UNIT_LATENCY_MEASURES,
    UNTESTED,
    WORSE,
    RatioTest,
    Settings,
    Tested,
    fails,
    higher_is_better,
    holm_floors,
    is_cost,
    latency_test,
    paired_tests,
    repeats_test,
    verdict,
    worsening,
)
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.stats import DeLong, delong_test, holm
from rankbench.harness.store import CellKey, ResultStore
from rankbench.reports import fmt
from rankbench.reports.cells import Cell, fold_seeds, load_cells

__all__ = [
    "BETTER",
    "CANNOT_FAIL",
    "FAILED",
    "INFO",
    "SAME",
    "UNTESTED",
    "WORSE",
    "Comparison",
    "Row",
    "Settings",
    "Tested",
    "auc_test",
    "compare",
    "gate_message",
    "paired_tests",
    "paired_units",
]


@dataclass(frozen=True)
class Row:
    """One suite x adapter x measure comparison; delta = head - base in the measure's own units."""

    suite: str
    adapter: str
    measure: str
    higher_is_better: bool
    base: float
    head: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    effect_size: float
    n: int
    verdict: str
    note: str = ""
    changed: int = 0
    """Units (or repeats) whose value differs between BASE and HEAD; the test's floor depends on them."""
    min_p: float = math.nan
    """The smallest raw p-value this row's test can return (0 for the t-test and DeLong; NaN when untested)."""
    min_p_holm: float = math.nan
    """The smallest Holm-adjusted p-value this row can reach in its family: above alpha it cannot fail the gate."""
    unit: str = "unit"
    ratio: float = math.nan
    """Cost rows tested on units or repeats: the tested HEAD/BASE ratio (geometric mean), which decides the
    verdict's direction and the `--max-slowdown`/`--max-growth` check. The aggregates `base`/`head` (e.g. a
    p99 over few units) can move the other way under a noisy machine; the test is what the gate trusts."""

    def cannot_fail(self, alpha: float) -> bool:
        """Whether no outcome of this row's test can be significant at `alpha` after Holm (and something changed)."""
        return self.changed > 0 and self.min_p_holm > alpha

    def fails(self, settings: Settings) -> bool:
        """Whether this row fails the gate under `settings` (see `harness.comparison.fails`)."""
        return fails(self.measure, self.verdict, self.base, self.head, self.delta, settings, ratio=self.ratio)


@dataclass(frozen=True)
class Comparison:
    base: str
    head: str
    settings: Settings
    rows: tuple[Row, ...]
    unpaired: tuple[str, ...]  # cells present on one side only
    damaged: tuple[str, ...] = ()  # one line per damaged cell of either side, left out of the rows

    def suites(self) -> list[str]:
        return list(dict.fromkeys(r.suite for r in self.rows))

    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.fails(self.settings)]

    def family_size(self) -> int:
        """How many hypotheses the Holm correction counts: every row with a p-value, over all suites."""
        return sum(not math.isnan(r.p_value) for r in self.rows)

    def unable(self) -> list[Row]:
        """Rows whose test cannot reach significance after Holm: a regression there cannot fail the gate."""
        return [r for r in self.rows if r.cannot_fail(self.settings.alpha)]

    def vacuous(self) -> bool:
        """Whether no tested quality row could have failed: some cannot reach significance, the rest are unchanged."""
        quality = [r for r in self.rows if not is_cost(r.measure) and not math.isnan(r.p_value)]
        unable = [r for r in quality if r.cannot_fail(self.settings.alpha)]
        return bool(unable) and all(r.cannot_fail(self.settings.alpha) or r.changed == 0 for r in quality)

    def vacuous_reason(self) -> str:
        """Why a passing gate says nothing (see `vacuous`): one clause for the gate's last line and the reports."""
        quality = [r for r in self.rows if not is_cost(r.measure) and not math.isnan(r.p_value)]
        unable = sum(r.cannot_fail(self.settings.alpha) for r in quality)
        who = f"all {unable}" if unable == len(quality) else f"{unable} of {len(quality)}"
        rest = "" if unable == len(quality) else " and the others did not change"
        return (
            f"{who} tested quality row(s) cannot reach p < {self.settings.alpha:g} after Holm over "
            f"{self.family_size()}{rest}, so no regression could fail this gate"
        )

    def floor_warnings(self) -> list[str]:
        """One line per suite x adapter x unit count whose rows cannot reach significance after Holm.

        E.g. `ir-synth nDCG@10: with 6 paired queries the randomization test cannot reach p < 0.05 after
        Holm over 4 (smallest 0.125): this gate cannot fail it; use more queries or --test t`.
        """
        return [line for _, line in self.floor_groups()]

    def floor_groups(self) -> list[tuple[list[Row], str]]:
        """The rows of each `floor_warnings` line, with the line."""
        alpha, m = self.settings.alpha, self.family_size()
        groups: dict[tuple[str, str, int, int, float, str, bool], list[Row]] = {}
        for r in self.unable():
            key = (r.suite, r.adapter, r.n, r.changed, r.min_p_holm, r.unit, is_cost(r.measure))
            groups.setdefault(key, []).append(r)
        adapters = {s: {r.adapter for r in self.rows if r.suite == s} for s in self.suites()}
        lines = []
        for (suite, adapter, n, changed, floor, unit, cost), rows in groups.items():
            measures = [r.measure for r in rows]
            where = suite if len(adapters[suite]) == 1 else f"{suite} / {adapter}"
            units = fmt.plural(unit)
            if unit == "repeat":
                what, advice = f"{n} repeats a side the permutation test", "time more repeats"
            else:
                kind = "timed" if cost else "paired"
                changed_text = f" ({changed} of them changed)" if changed < n else ""
                what = f"{n} {kind} {units}{changed_text} the randomization test"
                advice = f"use more {units} or --test t"
            line = (
                f"{where} {', '.join(measures)}: with {what} cannot reach p < {alpha:g} after Holm over {m} "
                f"(smallest {floor:.3g}): this gate cannot fail {'it' if len(measures) == 1 else 'them'}; {advice}"
            )
            lines.append((rows, line))
        return lines


def _examples(ids: Sequence[str]) -> str:
    shown = ", ".join(sorted(ids)[:3])
    return shown + (", ..." if len(ids) > 3 else "")


def _same_units(cell: Cell, seed: int, base_ids: pd.Index, head_ids: pd.Index) -> None:
    b_ids, h_ids = set(base_ids), set(head_ids)
    if b_ids != h_ids:
        only_b, only_h = sorted(map(str, b_ids - h_ids)), sorted(map(str, h_ids - b_ids))
        raise BadInput(
            f"units differ for {cell.suite} / {cell.adapter} / seed {seed}: "
            f"{len(only_b)} {cell.unit}(s) only in BASE ({_examples(only_b)}), "
            f"{len(only_h)} only in HEAD ({_examples(only_h)}); compare results of the same data and split"
        )


def auc_test(base: Cell, head: Cell) -> DeLong | None:
    """AUC is no mean over units: test it with DeLong on the stored labels and predictions.

    Needs one common seed whose units hold `label` and `prediction` on both sides (the CTR task
    stores them per impression).
    """
    seeds = sorted(set(base.seeds) & set(head.seeds))
    if len(seeds) != 1:
        return None
    b, h = base.raw_units(seeds[0]), head.raw_units(seeds[0])
    needed = {"label", "prediction"}
    if b is None or h is None or not needed <= set(b.columns) or not needed <= set(h.columns):
        return None
    _same_units(base, seeds[0], b.index, h.index)
    h = h.reindex(b.index)
    if not np.array_equal(b["label"].to_numpy(), h["label"].to_numpy()):
        raise BadInput(f"labels differ between BASE and HEAD for {base.suite} / {base.adapter}; same data needed")
    return delong_test(b["label"].to_numpy(), b["prediction"].to_numpy(), h["prediction"].to_numpy())


def paired_units(base: Cell, head: Cell) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Per-unit values of both cells on the seeds both ran, aligned by unit id.

    Different unit sets are an error: a paired test over different queries is meaningless.
    """
    seeds = sorted(set(base.seeds) & set(head.seeds))
    if not seeds:
        return None
    base_units, head_units = base.units_by_seed(seeds), head.units_by_seed(seeds)
    if not base_units or not head_units:
        return None
    for seed in seeds:
        if seed not in base_units or seed not in head_units:
            return None
        _same_units(base, seed, base_units[seed].index, head_units[seed].index)
    folded_base, folded_head = fold_seeds(base_units), fold_seeds(head_units)
    if folded_base is None or folded_head is None:
        return None
    return folded_base, folded_head.reindex(folded_base.index)


def _select(measures: Sequence[str] | None, available: Sequence[str]) -> list[str]:
    if not measures:
        return list(available)
    missing = [m for m in measures if m not in available]
    if missing:
        raise UnknownName("measure in both result sets", missing[0], available)
    return list(measures)


def unit_latencies(base: Cell, head: Cell) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-unit batch-1 latencies (ms) of both cells on their common seeds, aligned by unit id."""
    seeds = sorted(set(base.seeds) & set(head.seeds))
    sides = []
    for cell in (base, head):
        frames = {s: f for s in seeds if (f := cell.raw_units(s)) is not None and LATENCY_COLUMN in f.columns}
        if len(frames) != len(seeds) or not frames:
            return None
        folded = fold_seeds(
            {s: f[[LATENCY_COLUMN]].astype(np.float64).set_axis(f.index.astype(str)) for s, f in frames.items()}
        )
        sides.append(folded)
    b, h = sides
    common = b.index.intersection(h.index)
    return b.loc[common, LATENCY_COLUMN].to_numpy(), h.loc[common, LATENCY_COLUMN].to_numpy()


def repeated_values(cell: Cell, measure: str) -> list[float]:
    """Every repeat's value of `measure` over the cell's seeds (the latency task stores them in info)."""
    return [float(v) for r in cell.ok for v in (r.info.get("per_repeat") or {}).get(measure, [])]


def cost_row(key: tuple[str, str], m: str, base: Cell, head: Cell, settings: Settings) -> dict:
    """A cost measure: tested on per-unit latencies or repeats, compared exactly, or listed as untested."""
    b_est, h_est = base.estimate(m), head.estimate(m)
    b_val = b_est.value if b_est else math.nan
    h_val = h_est.value if h_est else math.nan
    if m in INFORMATIONAL:
        return _row(key, m, b_val, h_val, INFO, note="a setting or diagnostic, not gated")
    test: RatioTest | None = None
    if m in UNIT_LATENCY_MEASURES:
        pair = unit_latencies(base, head)
        test = latency_test(*pair, settings) if pair is not None else None
        why = "no per-unit latencies stored on both sides (results of an older rankbench?)"
    elif m in REPEATED_MEASURES:
        test = repeats_test(repeated_values(base, m), repeated_values(head, m), settings)
        why = "fewer than two stored repeats on a side"
    elif m in EXACT_MEASURES and not (math.isnan(b_val) or math.isnan(h_val)):
        factor = worsening(m, b_val, h_val)
        exact = SAME if factor == 1.0 else (WORSE if factor > 1.0 else BETTER)
        return _row(key, m, b_val, h_val, exact, note=f"determined by the build, compared exactly (x{factor:.3g})")
    else:
        why = "one measurement per cell, nothing to test it against"
    if test is None:
        return _row(key, m, b_val, h_val, UNTESTED, note=why)
    floor = {"min_p": test.min_p, "changed": test.n} | ({"unit": "repeat"} if m in REPEATED_MEASURES else {})
    if test.min_p > settings.alpha:
        what = "units timed" if m in UNIT_LATENCY_MEASURES else "repeats"
        return _row(
            key,
            m,
            b_val,
            h_val,
            UNTESTED,
            note=f"{test.n} {what} give p >= {test.min_p:.3g} at best, never below alpha {settings.alpha:g}; "
            "time more (latency_units, repeats)",
        )
    ci = f"{settings.level:.0%} CI x{test.ci_low:.3g} to x{test.ci_high:.3g}"
    note = f"HEAD/BASE x{test.ratio:.3g} ({ci}), {test.method}"
    # the effect is a ratio, reported in the note: the delta's CI and Cohen's d do not apply
    return {
        **_row(key, m, b_val, h_val, "", note=note),
        **floor,
        "p_value": test.p_value,
        "n": test.n,
        "ratio": test.ratio,
    }


def compare(
    base_path: Path | str | ResultStore,
    head_path: Path | str | ResultStore,
    measures: Sequence[str] | None = None,
    settings: Settings | None = None,
    pairs: Sequence[tuple[str, str]] = (),
) -> Comparison:
    """Compare every cell both result sets hold; Holm-correct across all tested rows.

    Cells pair by (suite, adapter). `pairs` of (BASE adapter, HEAD adapter) names pair differently
    named adapters instead (two run files, two parameter settings): per suite, BASE's cell of the
    first is compared with HEAD's cell of the second, in a row named `BASE vs HEAD`, and only
    those pairs are compared. Raises `BadInput` when a pair names an adapter neither side stores.

    Damaged cells (see `ResultStore.damaged`) are left out and named in `Comparison.damaged`; the gate
    fails on them unless `settings.allow_untested`.
    """
    settings = settings or Settings()
    base_store, head_store = (p if isinstance(p, ResultStore) else ResultStore(p) for p in (base_path, head_path))
    base_cells, head_cells = load_cells(base_store), load_cells(head_store)
    if pairs:
        base_cells, head_cells = _paired_names(base_cells, head_cells, pairs)
    damaged = [f"BASE: {d.line()}" for d in base_store.damaged()] + [f"HEAD: {d.line()}" for d in head_store.damaged()]
    common = [k for k in base_cells if k in head_cells]
    # a cell missing on one side because its file there is damaged is named once, as damaged
    names = {f"{first} vs {second}": (first, second) for first, second in pairs}
    unpaired = [
        f"{s} / {a} (only in BASE)"
        for s, a in base_cells
        if (s, a) not in head_cells and not _damaged_cell(head_store, s, names.get(a, (a, a))[1])
    ]
    unpaired += [
        f"{s} / {a} (only in HEAD)"
        for s, a in head_cells
        if (s, a) not in base_cells and not _damaged_cell(base_store, s, names.get(a, (a, a))[0])
    ]
    if not common:
        raise BadInput(
            f"BASE ({base_path}) and HEAD ({head_path}) share no (suite, adapter) cell; "
            "run the same suites and adapters on both sides"
        )
    available = list(
        dict.fromkeys(m for k in common for m in base_cells[k].measure_names() if m in head_cells[k].measure_names())
    )
    selected = _select(measures, available)
    pending: list[dict] = []
    for key in common:
        base, head = base_cells[key], head_cells[key]
        first = len(pending)
        names = [m for m in selected if m in base.measure_names()]
        if base.ok and not head.ok:
            for m in names or ["-"]:
                est = base.estimate(m) if m != "-" else None
                pending.append(_row(key, m, est.value if est else math.nan, math.nan, FAILED, note=head.error or ""))
            continue
        names = [m for m in names if m in head.measure_names()]
        pairs = paired_units(base, head)
        quality = [m for m in names if not is_cost(m)]
        tested = {t.measure: t for t in paired_tests(*pairs, quality, settings)} if pairs else {}
        for m in names:
            if is_cost(m):
                pending.append(cost_row(key, m, base, head, settings))
                continue
            auc = auc_test(base, head) if m == "AUC" and m not in tested else None
            if m in tested:
                t = tested[m]
                pending.append({**_row(key, m, t.base, t.head, ""), **_tested_fields(t)})
            elif auc is not None:
                z = float(ndtri(0.5 + settings.level / 2))
                pending.append(
                    {
                        **_row(key, m, auc.auc_base, auc.auc_head, "", note="DeLong test"),
                        "ci_low": auc.delta - z * auc.se,
                        "ci_high": auc.delta + z * auc.se,
                        "p_value": auc.p_value,
                        "n": auc.n,
                        "changed": auc.n,
                        "min_p": 0.0,  # DeLong's normal approximation has no floor
                    }
                )
            else:
                b_est, h_est = base.estimate(m), head.estimate(m)
                pending.append(
                    _row(
                        key,
                        m,
                        b_est.value if b_est else math.nan,
                        h_est.value if h_est else math.nan,
                        UNTESTED,
                        note="no paired per-unit values (aggregate measure, or no common seed)",
                    )
                )
        for p in pending[first:]:
            p.setdefault("unit", base.unit)
    adjusted = holm(np.array([p["p_value"] for p in pending]))
    # the family's floors: the least adjusted p each row can reach (rows without a p-value stay out)
    floors = holm_floors(np.array([math.nan if math.isnan(p["p_value"]) else p["min_p"] for p in pending]))
    rows = []
    for p, adj, floor in zip(pending, adjusted, floors, strict=True):
        ratio = p.get("ratio", math.nan)
        # a tested cost row's direction is its tested ratio's (ratio > 1: HEAD's value is larger)
        effect = p["delta"] if math.isnan(ratio) else math.log(ratio)
        v = p.pop("verdict") or verdict(effect, adj, p["higher_is_better"], settings.alpha)
        if v == SAME and p["changed"] > 0 and floor > settings.alpha:
            v = f"{CANNOT_FAIL}: n={p['changed']}"
        rows.append(Row(**p, p_holm=float(adj), min_p_holm=float(floor), verdict=v))
    return Comparison(str(base_path), str(head_path), settings, tuple(rows), tuple(unpaired), tuple(damaged))


def _damaged_cell(store: ResultStore, suite: str, adapter: str) -> bool:
    """Whether a damaged file of `store` belongs to the cell (suite, adapter): same folder as its seeds' files."""
    folder = store.json_path(CellKey(suite, adapter, 0)).parent
    return any(d.path.parent == folder for d in store.damaged())


def _paired_names(
    base: dict[tuple[str, str], Cell], head: dict[tuple[str, str], Cell], pairs: Sequence[tuple[str, str]]
) -> tuple[dict[tuple[str, str], Cell], dict[tuple[str, str], Cell]]:
    """BASE's cells of each pair's first adapter and HEAD's of its second, both keyed `first vs second`."""
    out_base: dict[tuple[str, str], Cell] = {}
    out_head: dict[tuple[str, str], Cell] = {}
    for first, second in pairs:
        for side, name, what in ((base, first, "BASE"), (head, second, "HEAD")):
            if not any(a == name for _, a in side):
                stored = sorted({a for _, a in side})
                shown = ", ".join(stored[:5]) or "none"
                raise BadInput(f"{what} stores no cell of adapter {name!r}; it stores {shown}")
        label = f"{first} vs {second}"
        out_base |= {(s, label): c for (s, a), c in base.items() if a == first}
        out_head |= {(s, label): c for (s, a), c in head.items() if a == second}
    return out_base, out_head


def _row(key: tuple[str, str], measure: str, base: float, head: float, verdict: str, note: str = "") -> dict:
    higher = higher_is_better(measure) if measure != "-" else True
    return {
        "suite": key[0],
        "adapter": key[1],
        "measure": measure,
        "higher_is_better": higher,
        "base": base,
        "head": head,
        "delta": head - base,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "p_value": math.nan,
        "effect_size": math.nan,
        "n": 0,
        "verdict": verdict,
        "note": note,
        "changed": 0,
        "min_p": math.nan,
    }


def _tested_fields(t: Tested) -> dict:
    return {
        "delta": t.delta,
        "ci_low": t.ci_low,
        "ci_high": t.ci_high,
        "p_value": t.p_value,
        "effect_size": t.effect_size,
        "n": t.n,
        "changed": t.changed,
        "min_p": t.min_p,
    }


def gate_message(cmp: Comparison) -> str:
    """One line per gate failure: a failing row (naming suite, adapter and measure) or a damaged cell."""
    lines = []
    s = cmp.settings
    for r in cmp.failures():
        if r.verdict == FAILED:
            lines.append(f"gate failed: {r.suite} / {r.adapter}: HEAD cell failed ({r.note})")
        elif r.verdict == UNTESTED:
            lines.append(
                f"gate failed: {r.measure} on {r.suite} / {r.adapter} is not tested ({r.note}); "
                "pass --allow-untested to accept untested measures"
            )
        elif is_cost(r.measure):
            factor = worsening(r.measure, r.base, r.head)
            limit = s.max_growth if r.measure in ("index_mb", "params_m", "peak_rss_mb") else s.max_slowdown
            option = (
                "--max-growth"
                if limit is s.max_growth and r.measure in ("index_mb", "params_m", "peak_rss_mb")
                else "--max-slowdown"
            )
            p_text = f"p={r.p_holm:.3g} Holm" if not math.isnan(r.p_holm) else "exact"
            lines.append(
                f"gate failed: {r.measure} on {r.suite} / {r.adapter} is significantly worse: "
                f"{r.base:.4g} -> {r.head:.4g} ({factor:.3g}x worse, {p_text}, {option} {limit:g})"
            )
        else:
            lines.append(
                f"gate failed: {r.measure} on {r.suite} / {r.adapter} is significantly worse: "
                f"{r.base:.4f} -> {r.head:.4f} ({r.delta:+.4f}, p={r.p_holm:.3g} Holm, "
                f"min delta {s.min_delta:g})"
            )
    if not s.allow_untested:
        lines += [f"gate failed: {d} (pass --allow-untested to accept)" for d in cmp.damaged]
    return "\n".join(lines)
