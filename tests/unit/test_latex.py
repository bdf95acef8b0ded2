"""LaTeX tables: escaping, best/second marks, significance superscripts, CIs, and pdflatex when present."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rankbench.reports.latex import BETTER_MARK, WORSE_MARK, escape, ranks, report_latex
from rankbench.reports.model import Report, build_report
from tests.unit.test_compare import FAST, lowered, units_frame, write_cell

BASE, WORSE_NAME, BETTER_NAME, SAME_NAME = "base_line", "R&D #1", "50%_better", "same~{x}^2"
ESCAPED = {
    BASE: r"base\_line",
    WORSE_NAME: r"R\&D \#1",
    BETTER_NAME: r"50\%\_better",
    SAME_NAME: r"same\textasciitilde{}\{x\}\textasciicircum{}2",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("latex")
    base = units_frame(n=200)
    better = base.copy()
    better["nDCG@10"] = np.clip(better["nDCG@10"] + 0.25, 0, 1)
    better["logloss"] = better["logloss"] + 0.05  # worse: logloss is lower-is-better
    worse = lowered(base, "nDCG@10", fraction=0.5)
    worse["R@100"] = np.clip(worse["R@100"] + 0.02, 0, 1)
    write_cell(root, BASE, base)
    write_cell(root, WORSE_NAME, worse)
    write_cell(root, BETTER_NAME, better)
    same = base.copy()
    same.iloc[0, same.columns.get_loc("nDCG@10")] = min(1.0, same["nDCG@10"].iloc[0] + 1e-3)
    write_cell(root, SAME_NAME, same)
    return build_report([root], baseline=BASE, settings=FAST)


def test_escape_covers_every_special_character() -> None:
    assert escape("a_b%c&d#e$f{g}h~i^j\\k<l>m|n") == (
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"
        r"\textless{}l\textgreater{}m\textbar{}n"
    )
    assert escape("two\nlines") == "two lines"


def _rows(table: str) -> dict[str, list[str]]:
    """Data rows between \\midrule and \\bottomrule, split on unescaped column separators."""
    body = table.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    out = {}
    for line in body.strip().splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)&", line.removesuffix(r"\\").strip())]
        out[cells[0]] = cells[1:]
    return out


def test_names_are_escaped_and_never_split_a_row(report: Report) -> None:
    text = report_latex(report)
    rows = _rows(text)
    board = report.suites[0]
    assert set(rows) == {ESCAPED[BASE] + " (baseline)", ESCAPED[WORSE_NAME], ESCAPED[BETTER_NAME], ESCAPED[SAME_NAME]}
    assert all(len(cells) == len(board.measures) for cells in rows.values())
    assert r"baseline base\_line (paired randomization test, Holm-corrected" in text
    for raw in (WORSE_NAME, BETTER_NAME, SAME_NAME):
        assert raw not in text


def _value(cell: str) -> float:
    return float(re.search(r"\d+\.\d+", cell).group(0))


def test_best_is_bold_second_underlined_by_the_measure_direction(report: Report) -> None:
    board = report.suites[0]
    rows = _rows(report_latex(report))
    for j, measure in enumerate(board.measures):
        cells = {name: row[j] for name, row in rows.items()}
        values = sorted({_value(c) for c in cells.values()}, reverse=board.higher[measure])
        best, second = ranks(board, measure)
        assert best is not None and second is not None  # the fixture makes every column differ
        assert (best, second) == (values[0], values[1])
        for cell in cells.values():
            assert cell.startswith(r"\textbf{") == (_value(cell) == values[0])
            assert cell.startswith(r"\underline{") == (_value(cell) == values[1])
    # logloss is lower-is-better: its bold values are the smallest of the column
    j = board.measures.index("logloss")
    bold = [c for c in (r[j] for r in rows.values()) if c.startswith(r"\textbf{")]
    assert len(bold) == 3 and _value(bold[0]) == min(_value(r[j]) for r in rows.values())


def test_a_column_where_every_adapter_ties_marks_nothing(tmp_path: Path) -> None:
    units = units_frame()
    write_cell(tmp_path, "a", units)
    write_cell(tmp_path, "b", units)
    text = report_latex(build_report([tmp_path], settings=FAST))
    assert r"\textbf{" not in text and r"\underline{" not in text and "$^" not in text


def test_significance_superscripts_follow_the_report_marks(report: Report) -> None:
    board = report.suites[0]
    rows = _rows(report_latex(report))
    j = board.measures.index("nDCG@10")
    marks = {r.adapter: r.marks.get("nDCG@10") for r in board.rows}
    assert marks[WORSE_NAME].verdict == "worse" and marks[BETTER_NAME].verdict == "better"
    assert marks[SAME_NAME].verdict == "no significant change"
    assert rows[ESCAPED[WORSE_NAME]][j].endswith(f"$^{{{WORSE_MARK}}}$")
    assert rows[ESCAPED[BETTER_NAME]][j].endswith(f"$^{{{BETTER_MARK}}}$")
    assert "$^" not in rows[ESCAPED[SAME_NAME]][j] and "$^" not in rows[ESCAPED[BASE] + " (baseline)"][j]
    n_tests = sum(len(r.marks) for r in board.rows)
    assert f"Holm-corrected across the {n_tests} comparisons of this table" in report_latex(report)


def test_booktabs_structure_and_optional_intervals(report: Report) -> None:
    board = report.suites[0]
    plain, with_ci = report_latex(report), report_latex(report, ci=True)
    for rule in (r"\toprule", r"\midrule", r"\bottomrule", r"\begin{tabular}{l" + "r" * len(board.measures) + "}"):
        assert plain.count(rule) == len(report.suites)
    assert r"\scriptsize [" not in plain and "confidence interval" not in plain
    cells = _rows(with_ci)[ESCAPED[BASE] + " (baseline)"]
    est = next(r for r in board.rows if r.is_baseline).values["nDCG@10"]
    assert not math.isnan(est.ci_low)
    assert f"[{est.ci_low:.3f}, {est.ci_high:.3f}]" in cells[board.measures.index("nDCG@10")]
    assert r"95\% bootstrap confidence interval" in with_ci


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex here")
def test_the_standalone_document_compiles(report: Report, tmp_path: Path) -> None:
    tex = tmp_path / "board.tex"
    tex.write_text(report_latex(report, ci=True, standalone=True), encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "board.pdf").stat().st_size > 1000
    log = (tmp_path / "board.log").read_text(encoding="utf-8", errors="replace")
    assert "Undefined control sequence" not in log and "Missing $ inserted" not in log
    if shutil.which("pdftotext"):
        subprocess.run(["pdftotext", "board.pdf", "board.txt"], cwd=tmp_path, check=True, timeout=60)
        printed = (tmp_path / "board.txt").read_text(encoding="utf-8")
        for name in (BASE, WORSE_NAME, BETTER_NAME):
            assert name in printed


def test_report_and_show_commands_write_latex(report: Report, tmp_path: Path) -> None:
    root = Path(report.sources[-1].path)
    run = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
    written = subprocess.run(
        [*run, "report", str(root), "-o", str(tmp_path), "--format", "latex", "--baseline", BASE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert written.returncode == 0, written.stderr
    tex = (tmp_path / "leaderboard.tex").read_text(encoding="utf-8")
    shown = subprocess.run(
        [*run, "show", str(root), "--format", "latex", "--baseline", BASE], capture_output=True, text=True, timeout=300
    )
    assert shown.returncode == 0, shown.stderr
    strip = re.compile(r"^% rankbench leaderboard, generated .*$", re.M)  # the time stamp differs
    assert strip.sub("", shown.stdout) == strip.sub("", tex)
    assert _rows(tex) == _rows(report_latex(report))
