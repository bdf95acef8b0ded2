"""The leaderboard model: one table per suite, adapters x measures, aggregated over seeds."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rankbench.harness.errors import UnknownName
from rankbench.harness.measures import parse_measure
from rankbench.harness.store import ResultStore


@dataclass(frozen=True)
class Leaderboard:
    suite: str
    measures: tuple[str, ...]
    table: pd.DataFrame  # index adapter; columns measures (mean over seeds)
    failed: tuple[str, ...]

    def best(self, measure: str) -> float | None:
        col = self.table[measure].dropna()
        if col.empty:
            return None
        return float(col.max() if _higher_is_better(measure) else col.min())


def _higher_is_better(measure: str) -> bool:
    try:
        return parse_measure(measure).higher_is_better
    except UnknownName:
        return True


def leaderboards(frame: pd.DataFrame) -> list[Leaderboard]:
    """Group the store's long table into per-suite leaderboards, sorted by the first measure."""
    boards = []
    for suite, rows in frame.groupby("suite", sort=True):
        ok = rows[rows.status == "ok"].dropna(subset=["measure"])
        failed = tuple(sorted(set(rows[rows.status == "failed"].adapter) - set(ok.adapter)))
        measures = tuple(dict.fromkeys(ok.measure))
        table = ok.pivot_table(index="adapter", columns="measure", values="value", aggfunc="mean")
        table = table.reindex(columns=list(measures))
        if measures:
            table = table.sort_values(measures[0], ascending=not _higher_is_better(measures[0]))
        boards.append(Leaderboard(str(suite), measures, table, failed))
    return boards


def load_leaderboards(results: ResultStore) -> list[Leaderboard]:
    return leaderboards(results.frame())
