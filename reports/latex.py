"""LaTeX leaderboards for papers: one booktabs table per suite, from the report model.

Per column the best value is bold and the second best underlined (directions from the measure
grammar; ties share the mark; a column where every adapter ties marks nothing). A value that
is significantly better or worse than the suite's baseline carries a superscript
(:data:`BETTER_MARK` / :data:`WORSE_MARK`), one per comparison, and the caption names the test:
the paired test of `rankbench compare` (randomization or t; AUC by DeLong), Holm-corrected
across the comparisons of that table. Names are escaped, so `my_model%v2` prints as written.
Tables need `\\usepackage{booktabs}`; `standalone=True` wraps them in a document that compiles.
"""

from __future__ import annotations

import math
import re

from rankbench.harness.comparison import BETTER, WORSE
from rankbench.reports import fmt
from rankbench.reports.model import BoardRow, Report, SuiteBoard

BETTER_MARK = r"\dagger"
WORSE_MARK = r"\ddagger"
PREAMBLE = (
    r"\documentclass{article}",
    r"\usepackage[T1]{fontenc}",
    r"\usepackage{booktabs}",
)

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\n": " ",
}
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in _SPECIAL))


def escape(text: object) -> str:
    """`text` as LaTeX prints it literally: the ten special characters, <, > and | escaped, newlines as spaces."""
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], str(text))


def _label(suite: str) -> str:
    return "tab:rankbench-" + re.sub(r"[^A-Za-z0-9:.-]+", "-", suite).strip("-")


DIGITS = 4
"""Decimals printed; ranks compare printed values, so two cells that read the same share their mark."""


def ranks(board: SuiteBoard, measure: str) -> tuple[float | None, float | None]:
    """The best and second-best distinct printed values of a column (None where fewer distinct values exist)."""
    values = {
        round(e.value, DIGITS)
        for r in board.rows
        if r.status == "ok" and (e := r.values.get(measure)) is not None and not math.isnan(e.value)
    }
    if len(values) < 2:  # one value, or every adapter ties: nothing stands out
        return None, None
    ordered = sorted(values, reverse=board.higher[measure])
    return ordered[0], ordered[1]


def _test_name(report: Report, board: SuiteBoard) -> str:
    test = "paired randomization test" if report.settings.test == "randomization" else "paired t-test"
    if "AUC" in board.measures:
        test += ", AUC by DeLong's test"
    return test


def _cell(board: SuiteBoard, row: BoardRow, measure: str, marks: tuple[float | None, float | None], ci: bool) -> str:
    est = row.values.get(measure)
    if row.status != "ok" or est is None or math.isnan(est.value):
        return "--"
    text = fmt.num(est.value, DIGITS)
    best, second = marks
    shown = round(est.value, DIGITS)
    if best is not None and shown == best:
        text = rf"\textbf{{{text}}}"
    elif second is not None and shown == second:
        text = rf"\underline{{{text}}}"
    mark = row.marks.get(measure)
    if mark is not None and mark.verdict in (BETTER, WORSE):
        text += f"$^{{{BETTER_MARK if mark.verdict == BETTER else WORSE_MARK}}}$"
    if ci and est.n > 1 and not (math.isnan(est.ci_low) or math.isnan(est.ci_high)):
        text += rf" {{\scriptsize [{fmt.num(est.ci_low, 3)}, {fmt.num(est.ci_high, 3)}]}}"
    return text


def _caption(report: Report, board: SuiteBoard, ci: bool) -> str:
    n_tests = sum(len(r.marks) for r in board.rows)
    parts = [
        f"{escape(board.suite)} ({escape(board.unit)}-level measures on dataset {escape(board.dataset)}).",
        "Bold: best per column; underlined: second best.",
    ]
    if board.baseline is not None and n_tests:
        parts.append(
            f"${BETTER_MARK}$/${WORSE_MARK}$: significantly better/worse than the baseline "
            f"{escape(board.baseline)} ({_test_name(report, board)}, Holm-corrected across the {n_tests} "
            f"comparisons of this table, $\\alpha = {report.settings.alpha:g}$)."
        )
    if ci:
        parts.append(f"Brackets: {report.settings.level:.0%} bootstrap confidence interval.".replace("%", r"\%"))
    return " ".join(parts)


def suite_table(report: Report, board: SuiteBoard, *, ci: bool = False) -> str:
    """One `table` environment with a booktabs `tabular` for one suite."""
    ranked = {m: ranks(board, m) for m in board.measures}
    arrows = {True: r"$\uparrow$", False: r"$\downarrow$"}
    header = ["Adapter"] + [f"{escape(m)} {arrows[board.higher[m]]}" for m in board.measures]
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\caption{" + _caption(report, board, ci) + "}",
        r"\label{" + _label(board.suite) + "}",
        r"\begin{tabular}{l" + "r" * len(board.measures) + "}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
    ]
    for row in board.rows:
        name = escape(row.adapter)
        if row.is_baseline:
            name += " (baseline)"
        if row.status != "ok":
            name += " (failed)"
        cells = [_cell(board, row, m, ranked[m], ci) for m in board.measures]
        lines.append(" & ".join([name, *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


def report_latex(report: Report, *, ci: bool = False, standalone: bool = False) -> str:
    """Every suite's table; `standalone` wraps them in a minimal article that pdflatex compiles."""
    source = report.sources[-1]
    head = [
        f"% rankbench leaderboard, generated {report.generated_at} from {source.path}".replace("\n", " "),
        r"% needs \usepackage{booktabs}",
    ]
    body = "\n\n".join(suite_table(report, b, ci=ci) for b in report.suites)
    if not standalone:
        return "\n".join(head) + "\n\n" + body + "\n"
    return "\n".join([*head, *PREAMBLE, r"\begin{document}", "", body, "", r"\end{document}"]) + "\n"
