"""Markdown for pull-request comments and READMEs: the comparison verdict and the leaderboard.

Names are escaped for GitHub-flavoured Markdown with its own backslash escapes, only where a
character would format (pipes would split a table cell, `*` emphasise, `<` open raw HTML), so the
raw text reads as the names do (`bm25>>cross-encoder@20`) and any name renders as the text it is.
"""

from __future__ import annotations

import math
import re

from rankbench.reports import fmt
from rankbench.reports.compare import BETTER, FAILED, WORSE, Comparison
from rankbench.reports.model import Report

_ICON = {BETTER: "🟢 better", WORSE: "🔴 worse", FAILED: "🔴 failed"}
_SPECIAL = re.compile(r"[\\`*\[\]<&|~]|(?<![^\W_])_|_(?![^\W_])")
"""Characters that format in GFM text: `_` only where it can open or close emphasis (not inside a word)."""


def text(value: object) -> str:
    """`value` as literal GFM text, also inside a table cell: specials backslash-escaped, newlines as spaces.

    `>` needs no escape away from the start of a line, and `_` none inside a word (`latency_p50_ms`).
    """
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), str(value).replace("\n", " "))


def code(value: object, *, cell: bool = False) -> str:
    """`value` as a code span (literal: no escape works inside one); `cell`: it sits in a table row.

    The fence is one backtick longer than any run of backticks in `value`; in a table cell `|` is
    written `\\|`, which GFM reads as a pipe of the span rather than the end of the cell.
    """
    s = str(value).replace("\n", " ")
    if cell:
        s = s.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", s)), default=0) + 1)
    pad = " " if s.startswith(("`", " ")) or s.endswith(("`", " ")) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def comparison_markdown(cmp: Comparison) -> str:
    s = cmp.settings
    failures = cmp.failures()
    lines = [
        "## rankbench compare",
        "",
        f"**BASE** {code(cmp.base)} vs **HEAD** {code(cmp.head)} · {s.test} test, "
        f"Holm-corrected across {cmp.family_size()} comparisons (every tested suite × adapter × measure), "
        f"α = {s.alpha:g}, min delta = {s.min_delta:g}",
        "",
    ]
    failed = bool(failures or (cmp.damaged and not s.allow_untested))
    if failed:
        gate = "❌ fail — " + ", ".join(f"{text(r.measure)} on {text(r.suite)} / {text(r.adapter)}" for r in failures)
        gate = gate.removesuffix(" — ")
    elif cmp.vacuous():
        gate = f"✅ pass, vacuously — {text(cmp.vacuous_reason())}"
    else:
        gate = "✅ pass"
    lines += [f"**Gate: {gate}**", ""]
    lines += [f"⚠️ {text(w)}" + "  " for w in cmp.floor_warnings()]
    if cmp.floor_warnings():
        lines.append("")
    for suite in cmp.suites():
        lines += [
            f"### {text(suite)}",
            "",
            f"| adapter | measure | base | head | Δ | {s.level:.0%} CI of Δ | p (Holm) | verdict |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in (r for r in cmp.rows if r.suite == suite):
            arrow = "↑" if r.higher_is_better else "↓"
            lines.append(
                f"| {text(r.adapter)} | {text(r.measure)} {arrow} | {fmt.num(r.base)} | {fmt.num(r.head)} | "
                f"{fmt.signed(r.delta)} | {fmt.interval(r.ci_low, r.ci_high)} | {fmt.pval(r.p_holm)} | "
                f"{_ICON.get(r.verdict, r.verdict)} |"
            )
        lines.append("")
    if cmp.unpaired:
        lines += ["Unpaired cells (not compared): " + "; ".join(text(u) for u in cmp.unpaired), ""]
    if cmp.damaged:
        lines += ["Damaged cells (left out): " + "; ".join(text(d) for d in cmp.damaged), ""]
    return "\n".join(lines)


def report_markdown(report: Report) -> str:
    lines = [
        "# rankbench leaderboard",
        "",
        f"Generated {report.generated_at} from {code(report.sources[-1].path)}. "
        "★ best in column; ▲/▼ significantly better/worse than the baseline "
        f"(paired {report.settings.test} test, AUC by DeLong, Holm-corrected, α = {report.settings.alpha:g}).",
        "",
    ]
    for b in report.suites:
        lines += [
            f"## {text(b.suite)}",
            "",
            f"Baseline: {code(b.baseline) if b.baseline else 'none'} · unit: {text(b.unit)} · "
            f"dataset {code(b.dataset)}",
            "",
            "| "
            + " | ".join(["#", "adapter", *(f"{text(m)} {'↑' if b.higher[m] else '↓'}" for m in b.measures)])
            + " |",
            "|---:|---|" + "---:|" * len(b.measures),
        ]
        for i, r in enumerate(b.rows, 1):
            cells = []
            for m in b.measures:
                e = r.values.get(m)
                if e is None or math.isnan(e.value):
                    cells.append("—")
                    continue
                mark = r.marks.get(m)
                sig = f" {mark.symbol}" if mark and mark.symbol else ""
                star = "★ " if b.best.get(m) == e.value else ""
                cells.append(f"{star}{fmt.num(e.value)}{sig}")
            name = (
                text(r.adapter)
                + (" (baseline)" if r.is_baseline else "")
                + (
                    (f" (failed: {text(r.error.splitlines()[0])})" if r.error else " (failed)")
                    if r.status == "failed"
                    else ""
                )
            )
            lines.append("| " + " | ".join([str(i), name, *cells]) + " |")
        lines.append("")
    if len(report.sources) > 1:
        lines += _history_markdown(report)
    return "\n".join(lines)


def _history_markdown(report: Report) -> list[str]:
    """The result sets in commit order, and every significant drop from one to the next."""
    lines = [
        "## History",
        "",
        "Oldest commit first: "
        + " → ".join(code(s.label) + (f" ({text(s.committed_at)})" if s.committed_at else "") for s in report.sources),
        "",
    ]
    if not report.drops:
        return [*lines, "No measure dropped significantly between consecutive result sets.", ""]
    lines += [
        f"Significant drops (paired {report.settings.test} test, Holm-corrected per step, "
        f"α = {report.settings.alpha:g}):",
        "",
        "| commit | after | suite | adapter | measure | before | now | Δ | p (Holm) |",
        "|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for d in report.drops:
        lines.append(
            f"| {code(d.source, cell=True)} | {code(d.previous, cell=True)} | {text(d.suite)} | {text(d.adapter)} | "
            f"{text(d.measure)} | "
            f"{fmt.num(d.before)} | {fmt.num(d.after)} | {fmt.signed(d.delta)} | {fmt.pval(d.p_holm)} |"
        )
    return [*lines, ""]
