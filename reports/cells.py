"""Stored results grouped into cells (suite, adapter) with their per-unit values across seeds.

Reports and `compare` both need, for one cell, the per-unit values of every measure that
is a mean over units, with seeds folded in the same way, so that two cells can be paired
unit by unit. Seeds that share the same units are averaged per unit (the unit stays the
sampling unit); seeds with different units (e.g. a resampled split) are stacked with
`seed:unit` ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from rankbench.harness.result import Result
from rankbench.harness.stats import Estimate, bootstrap_ci
from rankbench.harness.store import ResultStore


@dataclass(frozen=True)
class Cell:
    """Every stored seed of one (suite, adapter) in one result set."""

    suite: str
    adapter: str
    results: tuple[Result, ...]
    store: ResultStore

    @property
    def ok(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.ok)

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(sorted(r.seed for r in self.ok))

    @property
    def family(self) -> str | None:
        return next((r.family for r in self.results if r.family), None)

    @property
    def device(self) -> str | None:
        """The device(s) its successful seeds ran on (`device_label`), None when none succeeded."""
        from rankbench.harness.devices import device_label

        labels = sorted({device_label(r.provenance) for r in self.ok})
        return ", ".join(labels) or None

    @property
    def unit(self) -> str:
        return self.results[0].unit

    @property
    def error(self) -> str | None:
        """The first failure, when no seed succeeded."""
        if self.ok:
            return None
        err = next((r.error for r in self.results if r.error), None)
        return f"{err.type}: {err.message}" if err else "failed"

    def measure_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for r in self.ok for m in r.measures))

    def estimate(self, measure: str) -> Estimate | None:
        """One seed: its stored estimate. Several: mean over seeds, interval over seed-averaged units."""
        ests = [r.measures[measure] for r in self.ok if measure in r.measures]
        if not ests:
            return None
        if len(ests) == 1:
            return ests[0]
        units = self.units(seeds=None)
        if units is not None and measure in units.columns:
            return bootstrap_ci(units[measure].to_numpy())
        return bootstrap_ci(np.array([e.value for e in ests]))

    def timings(self) -> dict[str, float]:
        """Mean of each timing over the successful seeds."""
        keys = dict.fromkeys(k for r in self.ok for k in r.timings)
        return {k: float(np.mean([r.timings[k] for r in self.ok if k in r.timings])) for k in keys}

    def units_by_seed(self, seeds: Sequence[int] | None = None) -> dict[int, pd.DataFrame]:
        wanted = set(self.seeds if seeds is None else seeds)
        out = {}
        for r in self.ok:
            if r.seed in wanted:
                frame = self.store.units(r)
                if frame is not None:
                    out[r.seed] = _measure_columns(frame, r)
        return out

    def raw_units(self, seed: int) -> pd.DataFrame | None:
        """Everything the task stored per unit for one seed (labels and predictions too)."""
        result = next((r for r in self.ok if r.seed == seed), None)
        return None if result is None else self.store.units(result)

    @cached_property
    def _all_units(self) -> pd.DataFrame | None:
        return fold_seeds(self.units_by_seed())

    def units(self, seeds: Sequence[int] | None = None) -> pd.DataFrame | None:
        """Per-unit measure values with seeds folded (see the module docstring); index: unit id."""
        return self._all_units if seeds is None else fold_seeds(self.units_by_seed(seeds))


def _measure_columns(frame: pd.DataFrame, result: Result) -> pd.DataFrame:
    """The numeric columns that are stored measures (tasks may keep labels or predictions too)."""
    cols = [c for c in frame.columns if c in result.measures and pd.api.types.is_numeric_dtype(frame[c])]
    out = frame[cols].astype(np.float64)
    out.index = out.index.astype(str)
    return out


def fold_seeds(by_seed: dict[int, pd.DataFrame]) -> pd.DataFrame | None:
    if not by_seed:
        return None
    frames = [by_seed[s] for s in sorted(by_seed)]
    if len(frames) == 1:
        return frames[0]
    same_units = all(f.index.sort_values().equals(frames[0].index.sort_values()) for f in frames[1:])
    if same_units:
        return pd.concat(frames).groupby(level=0, sort=True).mean()
    stacked = []
    for seed in sorted(by_seed):
        f = by_seed[seed].copy()
        f.index = [f"{seed}:{u}" for u in f.index]
        stacked.append(f)
    return pd.concat(stacked)


def load_cells(path: Path | str | ResultStore) -> dict[tuple[str, str], Cell]:
    """All verified cells of a results directory (or one result file), keyed by (suite, adapter).

    Damaged cells are left out; `ResultStore.damaged()` names them.
    """
    store = path if isinstance(path, ResultStore) else ResultStore(path)
    grouped: dict[tuple[str, str], list[Result]] = {}
    for r in store.results():
        grouped.setdefault((r.suite, r.adapter), []).append(r)
    return {
        key: Cell(key[0], key[1], tuple(sorted(rs, key=lambda r: r.seed)), store) for key, rs in sorted(grouped.items())
    }
