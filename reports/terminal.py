"""The terminal leaderboard (`rankbench show`): a rich table per suite, best value in bold."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rankbench.harness.store import ResultStore
from rankbench.reports.leaderboard import Leaderboard, load_leaderboards


def board_table(board: Leaderboard) -> Table:
    table = Table(title=f"suite: {board.suite}", header_style="bold", title_justify="left")
    table.add_column("adapter")
    for m in board.measures:
        table.add_column(m, justify="right")
    for adapter, row in board.table.iterrows():
        cells = [str(adapter)]
        for m in board.measures:
            value = row[m]
            text = "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
            cells.append(f"[bold green]{text}[/]" if value == board.best(m) else text)
        table.add_row(*cells)
    for adapter in board.failed:
        table.add_row(f"[red]{adapter} (failed)[/]", *["—"] * len(board.measures))
    return table


def render(results_dir: Path, out_dir: Path | None = None, console: Console | None = None) -> None:
    """Print one leaderboard table per suite found in `results_dir`."""
    console = console or Console()
    boards = load_leaderboards(ResultStore(results_dir))
    if not boards:
        console.print(f"no results in {results_dir}")
    for board in boards:
        console.print(board_table(board))
    return None
