"""BASE vs HEAD on stored results: paired tests per suite x adapter x measure, and the CI gate.

Cells pair by (suite, adapter, seed) and units by unit id, so a verdict only ever compares
the same queries (or users) scored by two versions of a model. p-values are Holm-corrected
across every comparison of the run: a gate over 20 measures must not fail by chance one
time in three.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.stats import DeLong, compare_paired, delong_test, holm
from rankbench.reports.cells import Cell, fold_seeds, load_cells
from rankbench.reports.leaderboard import higher_is_better

BETTER, WORSE, SAME, UNTESTED, FAILED = "better", "worse", "no significant change", "not tested", "failed"


@dataclass(frozen=True)
class Settings:
    alpha: float = 0.05
    min_delta: float = 0.0
    test: str = "randomization"
    resamples: int = 10_000
    seed: int = 0
    level: float = 0.95


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

    def fails(self, min_delta: float) -> bool:
        """Significantly worse by more than `min_delta`, or HEAD failed where BASE ran."""
        return self.verdict == FAILED or (self.verdict == WORSE and abs(self.delta) > min_delta)


@dataclass(frozen=True)
class Comparison:
    base: str
    head: str
    settings: Settings
    rows: tuple[Row, ...]
    unpaired: tuple[str, ...]  # cells present on one side only

    def suites(self) -> list[str]:
        return list(dict.fromkeys(r.suite for r in self.rows))

    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.fails(self.settings.min_delta)]


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


@dataclass(frozen=True)
class _Tested:
    measure: str
    base: float
    head: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    effect_size: float
    n: int


def paired_tests(base: pd.DataFrame, head: pd.DataFrame, measures: Sequence[str], settings: Settings) -> list[_Tested]:
    """Paired tests of the measures both unit tables hold; complete rows share one vectorised call."""
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
        for i, name in enumerate(names):
            out.append(
                _Tested(
                    name,
                    float(res.base[i]),
                    float(res.head[i]),
                    float(res.delta[i]),
                    float(res.ci_low[i]),
                    float(res.ci_high[i]),
                    float(res.p_value[i]),
                    float(res.effect_size[i]),
                    res.n,
                )
            )
    return out


def _verdict(delta: float, p_holm: float, higher: bool, alpha: float) -> str:
    if math.isnan(p_holm):
        return UNTESTED
    if p_holm > alpha or delta == 0:
        return SAME
    return BETTER if (delta > 0) == higher else WORSE


def _select(measures: Sequence[str] | None, available: Sequence[str]) -> list[str]:
    if not measures:
        return list(available)
    missing = [m for m in measures if m not in available]
    if missing:
        raise UnknownName("measure in both result sets", missing[0], available)
    return list(measures)


def compare(
    base_path: Path | str,
    head_path: Path | str,
    measures: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> Comparison:
    """Compare every cell both result sets hold; Holm-correct across all tested rows."""
    settings = settings or Settings()
    base_cells, head_cells = load_cells(base_path), load_cells(head_path)
    common = [k for k in base_cells if k in head_cells]
    unpaired = [f"{s} / {a} (only in BASE)" for s, a in base_cells if (s, a) not in head_cells]
    unpaired += [f"{s} / {a} (only in HEAD)" for s, a in head_cells if (s, a) not in base_cells]
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
        names = [m for m in selected if m in base.measure_names()]
        if base.ok and not head.ok:
            for m in names or ["-"]:
                est = base.estimate(m) if m != "-" else None
                pending.append(_row(key, m, est.value if est else math.nan, math.nan, FAILED, note=head.error or ""))
            continue
        names = [m for m in names if m in head.measure_names()]
        pairs = paired_units(base, head)
        tested = {t.measure: t for t in paired_tests(*pairs, names, settings)} if pairs else {}
        for m in names:
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
    adjusted = holm(np.array([p["p_value"] for p in pending]))
    rows = []
    for p, adj in zip(pending, adjusted, strict=True):
        verdict = p.pop("verdict") or _verdict(p["delta"], adj, p["higher_is_better"], settings.alpha)
        rows.append(Row(**p, p_holm=float(adj), verdict=verdict))
    return Comparison(str(base_path), str(head_path), settings, tuple(rows), tuple(unpaired))


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
    }


def _tested_fields(t: _Tested) -> dict:
    return {
        "delta": t.delta,
        "ci_low": t.ci_low,
        "ci_high": t.ci_high,
        "p_value": t.p_value,
        "effect_size": t.effect_size,
        "n": t.n,
    }


def gate_message(cmp: Comparison) -> str:
    """One line per failing row, naming suite, adapter and measure."""
    lines = []
    for r in cmp.failures():
        if r.verdict == FAILED:
            lines.append(f"gate failed: {r.suite} / {r.adapter}: HEAD cell failed ({r.note})")
        else:
            lines.append(
                f"gate failed: {r.measure} on {r.suite} / {r.adapter} is significantly worse: "
                f"{r.base:.4f} -> {r.head:.4f} ({r.delta:+.4f}, p={r.p_holm:.3g} Holm, "
                f"min delta {cmp.settings.min_delta:g})"
            )
    return "\n".join(lines)
