"""The terminal leaderboard (`rankbench show`): a rich table per suite, from the report model.

Per column the best value is bold green, and a value significantly better or worse than the
suite's baseline carries ▲/▼ (the marks of every report format: `reports.model`). Nothing is cut:
a table too wide for the terminal wraps its measure headers at `_`, and when that is still too
wide the suite is shown as one row per (adapter, measure).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rankbench.harness.store import ResultStore
from rankbench.reports import fmt
from rankbench.reports.compare import Comparison
from rankbench.reports.model import BoardRow, Report, SuiteBoard, build_report

UNBOUNDED = 1 << 20  # a width no table reaches: its measurement is then its natural width
WRAP_MIN = 8
"""Header lines are never cut narrower than this many characters (nor than a part between `_`)."""


def value_text(board: SuiteBoard, row: BoardRow, measure: str) -> str:
    """One cell as rich markup: the value to 4 decimals, bold green when best, ▲/▼ against the baseline."""
    est = row.values.get(measure)
    if row.status != "ok" or est is None or math.isnan(est.value):
        return "—"
    text = fmt.num(est.value)
    mark = row.marks.get(measure)
    if mark is not None and mark.symbol:
        text += f" {mark.symbol}"
    return f"[bold green]{text}[/]" if board.best.get(measure) == est.value else text


def _pack(parts: list[str], width: int) -> list[str]:
    """`parts` joined greedily into lines of at most `width` characters (a longer part is a line of its own)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return lines


def wrap_name(name: str, width: int) -> str:
    """`name` broken after `_` into lines of at most `width` characters (or its longest part).

    Joining the lines gives `name` back: `latency_p95_ms` at width 8 reads `latency_` / `p95_ms`.
    """
    return "\n".join(_pack(re.findall(r"[^_]*_|[^_]+", name), width))


def wrap_words(text: str, width: int) -> str:
    """`text` broken at spaces into lines of at most `width` characters (or its longest word)."""
    return "\n".join(line.rstrip() for line in _pack(re.findall(r"\S+\s*", text), width)) or text


def _adapter_text(row: BoardRow) -> str:
    return f"[red]{escape(row.adapter)} (failed)[/]" if row.status != "ok" else escape(row.adapter)


def board_table(board: SuiteBoard, *, wrap_headers: bool = False) -> Table:
    """Adapters x measures; every name whole (columns never fold).

    `wrap_headers`: measure headers wrapped at `_` and devices at spaces, to fit a narrower terminal.
    """
    table = Table(title=f"suite: {escape(board.suite)}", header_style="bold", title_justify="left")
    table.add_column("adapter", no_wrap=True)  # never cut: run:FILE names differ at their end
    table.add_column("device", no_wrap=True)
    cells = {m: [value_text(board, r, m) for r in board.rows] for m in board.measures}
    for m in board.measures:
        header = m
        if wrap_headers:
            widest = max((Text.from_markup(c).cell_len for c in cells[m]), default=0)
            header = wrap_name(m, max(WRAP_MIN, widest))
        table.add_column(header, justify="right", no_wrap=True)
    for i, row in enumerate(board.rows):
        device = row.device or "—"
        if wrap_headers:
            device = wrap_words(device, WRAP_MIN)
        table.add_row(_adapter_text(row), escape(device), *(cells[m][i] for m in board.measures))
    return table


def long_table(board: SuiteBoard) -> Table:
    """One row per (adapter, measure): what a narrow terminal shows when the adapters x measures table is too wide."""
    table = Table(title=f"suite: {escape(board.suite)}", header_style="bold", title_justify="left")
    table.add_column("adapter", overflow="fold")  # folded only where even this table is too wide
    table.add_column("measure", overflow="fold")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("device", overflow="fold")
    for row in board.rows:
        measures = board.measures if row.status == "ok" else ("—",)
        for j, m in enumerate(measures):
            first, last = j == 0, j == len(measures) - 1
            table.add_row(
                _adapter_text(row) if first else "",
                escape(m),
                value_text(board, row, m) if row.status == "ok" else "—",
                escape(row.device or "—") if first else "",
                end_section=last,
            )
    return table


def suite_table(board: SuiteBoard, width: int, console: Console | None = None) -> Table:
    """The most readable table of `board` that fits `width` columns.

    Adapters x measures with one-line headers; else with headers wrapped at `_` (and devices at
    spaces); else one row per
    (adapter, measure). No layout cuts a name or a number.
    """
    console = console or Console(width=width)
    for table in (board_table(board), board_table(board, wrap_headers=True)):
        natural = console.measure(table, options=console.options.update_width(UNBOUNDED)).maximum
        if natural <= width:
            return table
    return long_table(board)


def legend(report: Report, board: SuiteBoard) -> str | None:
    """The line under a suite's table naming its baseline and test, when any value was tested against it."""
    if board.baseline is None or not any(r.marks for r in board.rows):
        return None
    s = report.settings
    auc = ", AUC by DeLong" if "AUC" in board.measures else ""
    return (
        f"▲/▼ significantly better/worse than the baseline {board.baseline} "
        f"(paired {s.test} test{auc}, Holm-corrected, α = {s.alpha:g}); bold: best per column"
    )


def print_report(report: Report, console: Console) -> None:
    """Every suite of `report` as the table that fits `console`, each followed by its legend."""
    for board in report.suites:
        console.print(suite_table(board, console.width, console))
        line = legend(report, board)
        if line is not None:
            console.print(line, markup=False, highlight=False)


def render(
    results_dir: Path | ResultStore,
    out_dir: Path | None = None,
    console: Console | None = None,
    baseline: str | None = None,
) -> None:
    """Print one leaderboard table per suite stored in `results_dir` (damaged cells are left out).

    Values are marked against `baseline` (default: each suite's leader) as every report format marks
    them. Raises BadInput when nothing is stored there or `baseline` names no stored adapter.
    """
    root = results_dir.root if isinstance(results_dir, ResultStore) else results_dir
    print_report(build_report([root], baseline), console or Console())


_VERDICT_STYLE = {"better": "green", "worse": "bold red", "failed": "bold red", "not tested": "dim"}


def comparison_tables(cmp: Comparison) -> list[Table]:
    """One table per suite: base, head, delta with its CI, Holm p-value and verdict per measure."""
    tables = []
    for suite in cmp.suites():
        table = Table(
            title=escape(f"suite: {suite}  (BASE {cmp.base} vs HEAD {cmp.head})"),
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
