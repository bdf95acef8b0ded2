"""`rankbench show` and `rankbench report` as a user drives them: baseline marks in the terminal table,
tables that fit 80 and 150 columns without cutting a name, `-o` suffixes that choose the format,
Markdown that keeps names as written, and one error line (exit 2) for bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt

from rankbench.harness.stats import Estimate
from rankbench.reports import fmt
from rankbench.reports.cli import report_target
from rankbench.reports.markdown import report_markdown
from rankbench.reports.model import Report, build_report
from tests.unit.test_compare import FAST, lowered, units_frame, write_cell

RUN = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
SUITE = "latency-ir-synth-tiny"
RERANKER = "bm25>>cross-encoder@20"
ODD = "a|b <i>*c*</i> `d`"  # every Markdown special a name could carry
LATENCY = {"latency_p50_ms": 0.35, "latency_p95_ms": 0.37, "latency_p99_ms": 0.38, "qps": 19919.4, "peak_rss_mb": 202.0}


def _latency(scale: float) -> dict[str, Estimate]:
    return {m: Estimate(v * scale if m != "qps" else v / scale, np.nan, np.nan, 1) for m, v in LATENCY.items()}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A latency suite: bm25, a reranker significantly worse on nDCG@10 and 160x slower, and an odd name."""
    root = tmp_path_factory.mktemp("results")
    base = units_frame(n=150)
    write_cell(root, "bm25", base, suite=SUITE, aggregates=_latency(1.0))
    write_cell(root, RERANKER, lowered(base, "nDCG@10", fraction=0.5), suite=SUITE, aggregates=_latency(160.0))
    write_cell(root, ODD, lowered(base, "R@100", fraction=0.5), suite=SUITE, aggregates=_latency(2.0))
    return root


def rankbench(*args: str, columns: int = 250, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def shown_cells(out: str) -> dict[tuple[str, str], str]:
    """(adapter, measure) -> the cell text, read back from rich tables of either layout.

    Header cells are joined across header lines (a wrapped header reads as its name); in the layout
    with one row per (adapter, measure) the measure is a column; an empty adapter cell continues the
    adapter above it.
    """
    cells: dict[tuple[str, str], str] = {}
    header: list[str] = []
    in_header, adapter = False, ""
    for line in out.splitlines():
        if line.startswith("┏"):
            in_header, header, adapter = True, [], ""
        elif line.startswith("┡"):
            in_header = False
        elif line.startswith("┃") and in_header:
            parts = [p.strip() for p in line.strip().strip("┃").split("┃")]
            header = parts if not header else [h + p for h, p in zip(header, parts, strict=True)]
        elif line.startswith("│"):
            row = dict(zip(header, (p.strip() for p in line.strip().strip("│").split("│")), strict=True))
            adapter = row["adapter"] or adapter
            if "measure" in row:
                if row["measure"]:
                    cells[(adapter, row["measure"])] = row["value"]
            else:
                cells.update({(adapter, m): v for m, v in row.items() if m not in ("adapter", "device") and v})
    return cells


def expected_cells(report: Report) -> dict[tuple[str, str], str]:
    """What the table must show: each value to 4 decimals and the model's mark against the baseline."""
    [board] = report.suites
    out = {}
    for r in board.rows:
        for m in board.measures:
            mark = r.marks.get(m)
            out[(r.adapter, m)] = fmt.num(r.values[m].value) + (f" {mark.symbol}" if mark and mark.symbol else "")
    return out


def test_table_marks_values_against_the_baseline_as_the_report_model_does(results: Path) -> None:
    for baseline in ("bm25", RERANKER):
        done = rankbench("show", str(results), "--baseline", baseline)
        assert done.returncode == 0, done.stderr
        expected = expected_cells(build_report([results], baseline))
        assert shown_cells(done.stdout) == expected
        marks = {k: v[-1] for k, v in expected.items() if v[-1] in "▲▼"}
        # the reranker's nDCG@10 is significantly lower: ▼ against bm25, and bm25's is ▲ against it
        assert marks[(RERANKER if baseline == "bm25" else "bm25", "nDCG@10")] == ("▼" if baseline == "bm25" else "▲")
        assert f"than the baseline {baseline} (paired randomization test" in done.stdout


@pytest.mark.parametrize(("columns", "layout"), [(150, "adapters x measures"), (80, "one row per measure")])
def test_table_fits_the_terminal_with_every_header_and_name_whole(results: Path, columns: int, layout: str) -> None:
    done = rankbench("show", str(results), columns=columns)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "…" not in done.stdout
    # p50/p95/p99 told apart: each (adapter, measure) reads back as its own value
    assert shown_cells(done.stdout) == expected_cells(build_report([results]))
    header = next(line for line in lines if line.startswith("┃"))
    assert ("measure" in header) == (layout == "one row per measure")
    assert any(RERANKER in line for line in lines)  # on one line, not folded


def test_an_unknown_baseline_is_one_error_line_in_every_format(results: Path) -> None:
    for args in (["show"], ["show", "--format", "latex"], ["report", "-o", "site"]):
        done = rankbench(args[0], str(results), *args[1:], "--baseline", "nosuch")
        line = one_error_line(done)
        assert line.startswith("error: --baseline 'nosuch' is not among the stored adapters") and "bm25" in line


def test_show_of_a_folder_without_results_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    line = one_error_line(rankbench("show", "empty", cwd=tmp_path))
    assert "empty: no results found" in line


@pytest.mark.parametrize(
    ("out", "format", "written", "chosen"),
    [
        ("out.md", None, "out.md", "md"),
        ("out.markdown", None, "out.markdown", "md"),
        ("out.HTML", None, "out.HTML", "html"),
        ("out.json", "json", "out.json", "json"),
        ("paper.tex", None, "paper.tex", "latex"),
        ("site", None, "site/leaderboard.html", "html"),
        ("site.v2", "md", "site.v2/leaderboard.md", "md"),
    ],
)
def test_report_suffix_chooses_the_format(tmp_path: Path, out: str, format: str | None, written: str, chosen: str):
    assert report_target(tmp_path / out, format) == (chosen, tmp_path / written)


def test_report_writes_the_file_its_suffix_names(results: Path, tmp_path: Path) -> None:
    done = rankbench("report", str(results), "-o", "out.md", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.md").is_file()
    assert (tmp_path / "out.md").read_text(encoding="utf-8").startswith("# rankbench leaderboard\n")
    done = rankbench("report", str(results), "-o", "board.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "board.json").read_text(encoding="utf-8"))["suites"][0]["suite"] == SUITE


def test_report_suffix_against_format_is_an_error(results: Path, tmp_path: Path) -> None:
    line = one_error_line(rankbench("report", str(results), "-o", "out.md", "--format", "html", cwd=tmp_path))
    assert "-o out.md names a md file but --format is html" in line
    (tmp_path / "old.md").mkdir()  # what an earlier version made of `-o old.md`
    line = one_error_line(rankbench("report", str(results), "-o", "old.md", cwd=tmp_path))
    assert "-o old.md is a folder" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.md"]


def test_markdown_keeps_names_as_written_and_renders_one_cell_per_column(results: Path) -> None:
    report = build_report([results], RERANKER, settings=FAST)
    md = report_markdown(report)
    assert "&gt;" not in md and "&lt;" not in md
    assert f"| {RERANKER} (baseline) |" in md and f"Baseline: `{RERANKER}`" in md
    html = MarkdownIt("commonmark").enable("table").render(md)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    widths = {len(re.findall(r"<t[hd][ >]", row)) for row in rows}
    assert widths == {2 + len(report.suites[0].measures)}  # `#`, adapter, one per measure
    names = re.findall(r"<td[^>]*>\d+</td>\s*<td[^>]*>(.*?)</td>", html, flags=re.S)
    escaped_odd = "a|b &lt;i&gt;*c*&lt;/i&gt; `d`"  # rendered as the text it is: no emphasis, no tag, no code
    assert sorted(names) == sorted([f"{RERANKER.replace('>', '&gt;')} (baseline)", "bm25", escaped_odd])
    assert f"<code>{RERANKER.replace('>', '&gt;')}</code>" in html


def test_report_help_says_result_sets_are_sorted_by_commit_time() -> None:
    done = rankbench("report", "--help")
    shown = " ".join(done.stdout.split())
    assert "in any order: sorted by the commit time stored with them" in shown
    assert "the newest is reported" in shown
    assert "(.html, .md, .json, .tex) chooses the format" in shown


def test_a_suite_whose_cells_all_failed_is_a_valid_markdown_table_naming_the_failure(tmp_path: Path) -> None:
    write_cell(tmp_path / "r", "broken", None, error="adapter bug: index() blew up")
    md = report_markdown(build_report([tmp_path / "r"], settings=FAST))
    html = MarkdownIt("commonmark").enable("table").render(md)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    assert len(rows) == 2 and {len(re.findall(r"<t[hd][ >]", row)) for row in rows} == {2}  # `#`, adapter
    assert "broken (failed: RuntimeError: adapter bug: index() blew up)" in html
    assert "Baseline: none" in md


def test_names_that_look_like_terminal_markup_are_shown_as_written(tmp_path: Path) -> None:
    for adapter, seed in (("a[/x]", 0), ("b[red]c", 1)):
        write_cell(tmp_path / "r", adapter, units_frame(n=30, seed=seed), suite="s[/x]y[bold]z")
    shown = rankbench("show", str(tmp_path / "r"))
    assert shown.returncode == 0, shown.stderr
    assert "suite: s[/x]y[bold]z" in shown.stdout and "a[/x]" in shown.stdout and "b[red]c" in shown.stdout
    compared = rankbench("compare", str(tmp_path / "r"), str(tmp_path / "r"))
    assert compared.returncode == 0 and "suite: s[/x]y[bold]z" in compared.stdout, compared.stderr
