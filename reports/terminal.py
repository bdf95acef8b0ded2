"""The terminal leaderboard (`rankbench show`): a rich table per suite, best value in bold."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rankbench.harness.store import ResultStore
from rankbench.reports import fmt
from rankbench.reports.compare import Comparison
from rankbench.reports.leaderboard import Leaderboard, load_leaderboards


def board_table(board: Leaderboard) -> Table:
    table = Table(title=f"suite: {board.suite}", header_style="bold", title_justify="left")
    table.add_column("adapter", overflow="fold")  # wrapped, never cut: run:FILE names differ at their end
    table.add_column("device")
    for m in board.measures:
        table.add_column(m, justify="right")
    for adapter, row in board.table.iterrows():
        cells = [escape(str(adapter)), escape(board.devices.get(str(adapter), "—"))]
        for m in board.measures:
            value = row[m]
            text = "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
            cells.append(f"[bold green]{text}[/]" if value == board.best(m) else text)
        table.add_row(*cells)
    for adapter in board.failed:
        table.add_row(f"[red]{escape(adapter)} (failed)[/]", *["—"] * (len(board.measures) + 1))
    return table


def render(results_dir: Path | ResultStore, out_dir: Path | None = None, console: Console | None = None) -> None:
    """Print one leaderboard table per suite found in `results_dir` (damaged cells are left out)."""
    console = console or Console()
    store = results_dir if isinstance(results_dir, ResultStore) else ResultStore(results_dir)
    boards = load_leaderboards(store)
    if not boards:
        console.print(f"no results in {store.root}")
    for board in boards:
        console.print(board_table(board))
    return None


_VERDICT_STYLE = {"better": "green", "worse": "bold red", "failed": "bold red", "not tested": "dim"}


def comparison_tables(cmp: Comparison) -> list[Table]:
    """One table per suite: base, head, delta with its CI, Holm p-value and verdict per measure."""
    tables = []
    for suite in cmp.suites():
        table = Table(
            title=f"suite: {suite}  (BASE {cmp.base} vs HEAD {cmp.head})",
            header_style="bold",
            title_justify="left",
        )
        for col in ("adapter", "measure", "base", "head", "delta", f"{cmp.settings.level:.0%} CI", "p (Holm)", "d"):
            left = col in ("adapter", "measure")
            table.add_column(col, justify="left" if left else "right", overflow="fold" if col == "adapter" else None)
        table.add_column("verdict")
        for r in (r for r in cmp.rows if r.suite == suite):
            style = _VERDICT_STYLE.get(r.verdict, "")
            verdict = f"[{style}]{r.verdict}[/]" if style else r.verdict
            arrow = "↑" if r.higher_is_better else "↓"
            table.add_row(
                escape(r.adapter),
                f"{escape(r.measure)} {arrow}",
                fmt.num(r.base),
                fmt.num(r.head),
                fmt.signed(r.delta),
                fmt.interval(r.ci_low, r.ci_high),
                fmt.pval(r.p_holm),
                fmt.num(r.effect_size, 2),
                verdict,
            )
        tables.append(table)
    return tables
