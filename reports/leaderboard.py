"""The leaderboard model: one table per suite, adapters x measures, aggregated over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from rankbench.harness.comparison import higher_is_better, measure_kind
from rankbench.harness.errors import HarnessError
from rankbench.harness.store import ResultStore
from rankbench.harness.suite import resolve_suite


@dataclass(frozen=True)
class Leaderboard:
    suite: str
    measures: tuple[str, ...]
    table: pd.DataFrame  # index adapter; columns measures (mean over seeds)
    failed: tuple[str, ...]
    devices: dict[str, str] = field(default_factory=dict)
    """Adapter -> the device(s) its results ran on (`rankbench.harness.devices.device_label`)."""

    def best(self, measure: str) -> float | None:
        col = self.table[measure].dropna()
        if col.empty:
            return None
        return float(col.max() if higher_is_better(measure) else col.min())


def primary_measure(measures: Sequence[str]) -> str | None:
    """The first quality measure: what a leaderboard ranks by and plots against latency."""
    quality = [m for m in measures if measure_kind(m) not in ("latency", "resource")]
    return quality[0] if quality else (measures[0] if measures else None)


def ordered_measures(suite: str, stored: Sequence[str]) -> tuple[str, ...]:
    """The suite's declared measure order (stored files sort keys), then any extra stored measures."""
    try:
        declared = list(resolve_suite(suite).measures)
    except HarnessError:
        declared = []
    known = set(stored)
    return tuple(dict.fromkeys([m for m in declared if m in known] + list(stored)))


def leaderboards(frame: pd.DataFrame) -> list[Leaderboard]:
    """Group the store's long table into per-suite leaderboards, sorted by the primary measure."""
    boards = []
    for suite, rows in frame.groupby("suite", sort=True):
        ok = rows[rows.status == "ok"].dropna(subset=["measure"])
        failed = tuple(sorted(set(rows[rows.status == "failed"].adapter) - set(ok.adapter)))
        measures = ordered_measures(str(suite), list(dict.fromkeys(ok.measure)))
        table = ok.pivot_table(index="adapter", columns="measure", values="value", aggfunc="mean")
        table = table.reindex(columns=list(measures))
        primary = primary_measure(measures)
        if primary is not None:
            table = table.sort_values(primary, ascending=not higher_is_better(primary), kind="stable")
        devices = {str(a): ", ".join(sorted(set(d.dropna()))) for a, d in ok.groupby("adapter").device}
        boards.append(Leaderboard(str(suite), measures, table, failed, devices))
    return boards


def load_leaderboards(results: ResultStore) -> list[Leaderboard]:
    return leaderboards(results.frame())
