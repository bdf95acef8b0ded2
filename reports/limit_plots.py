"""Pictures of the LIMIT stress suites, drawn only from stored results (no model runs here).

- recall vs corpus size: one line per model over the dense-pattern LIMIT suites (LIMIT-small's
  46 people, the generated 1k/10k corpora, the reconstructed 50k), where single-vector
  embedders fall as distractors grow and lexical or multi-vector models hold;
- critical n vs d: the free-embedding experiment's points, our cubic fit and the paper's;
- recall by qrel pattern: each model on the dense/random/cycle/disjoint generated suites.

`rankbench plots limit RESULTS -o DIR` writes them as SVG files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.result import Result
from rankbench.harness.store import ResultStore, atomic_write_bytes
from rankbench.harness.suite import suite_tags
from rankbench.reports.html import PALETTE, figure_svg, plain_label

PATTERN_ORDER = ("dense", "random", "cycle", "disjoint")


def _limit_results(store: ResultStore) -> list[Result]:
    """The stored results of suites tagged `limit` (the LIMIT stress and theory suites)."""
    return [r for r in store.results() if r.ok and "limit" in suite_tags(r)]


def _style(ax: Any) -> None:
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def size_series(results: list[Result], measure: str) -> tuple[dict[str, dict[int, float]], dict[int, str]]:
    """`measure` per adapter per corpus size over the dense-pattern suites, and the suite of each size."""
    series: dict[str, dict[int, float]] = defaultdict(dict)
    names: dict[int, str] = {}
    for r in results:
        n_docs = r.info.get("n_docs")
        if n_docs is None or measure not in r.measures or r.info.get("pattern", "dense") != "dense":
            continue
        series[r.adapter][int(n_docs)] = r.measures[measure].value
        names[int(n_docs)] = r.suite
    return dict(series), names


def recall_vs_size_svg(results: list[Result], measures: tuple[str, ...] = ("R@2", "R@10", "R@100")) -> str | None:
    """One panel per measure, one line per adapter, against corpus size on the dense-pattern suites."""
    panels = [(m, *size_series(results, m)) for m in measures]
    panels = [p for p in panels if p[1]]
    if not panels:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.9 * len(panels), 3.8))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    adapters = sorted({a for _, series, _ in panels for a in series})
    for ax, (measure, series, names) in zip(axes, panels, strict=True):
        for adapter, points in sorted(series.items()):
            xs = sorted(points)
            color = PALETTE[adapters.index(adapter) % len(PALETTE)]
            ax.plot(xs, [points[x] for x in xs], "-o", ms=5, color=color, label=plain_label(adapter))
        ax.set_xscale("log")
        ax.set_xticks(sorted(names), [f"{n:,}\n{plain_label(names[n])}" for n in sorted(names)], fontsize=6)
        ax.minorticks_off()
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{plain_label(measure)}  (↑ better)", fontsize=10)
        _style(ax)
    axes[0].set_ylabel("recall on LIMIT-style suites")
    fig.supxlabel("documents in the corpus (suite)", fontsize=9, y=-0.06)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, fontsize=8, frameon=False, loc="upper center", ncol=len(adapters), bbox_to_anchor=(0.5, 1.06)
    )
    return figure_svg(fig, "limit-size")


def critical_n_svg(result: Result, units: Any) -> str | None:
    """Critical n per d (points), our cubic fit (line) and the paper's published cubic (dashed)."""
    if units is None or "critical_n" not in units.columns:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 4.0))
    ax = fig.add_subplot()
    grid = np.linspace(units["d"].min(), units["d"].max(), 200)
    for i, (k, rows) in enumerate(units.groupby("k")):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(rows["d"], rows["critical_n"], "o", color=color, label=f"critical n (k={k}), ours")
        fit = result.info.get("fits", {}).get(f"k={k}")
        if fit:
            curve = np.polynomial.polynomial.polyval(grid, fit["coefficients"])
            ext = ", ".join(f"d={d}: {v:,.0f}" for d, v in fit["extrapolated"].items())
            ax.plot(grid, curve, "-", color=color, label=f"cubic fit, r²={fit['r2']:.3f}")
            ax.text(
                0.01, 0.98 - 0.07 * i, f"k={k} fit extrapolated: {ext}", transform=ax.transAxes, fontsize=7, va="top"
            )
    paper = result.info.get("paper_fit")
    if paper:
        ax.plot(
            grid,
            np.polynomial.polynomial.polyval(grid, paper["coefficients"]),
            "--",
            color="#667085",
            label="paper's cubic (k=2)",
        )
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("largest n with every top-k set representable")
    ax.set_title("Free-embedding experiment: critical n vs d", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _style(ax)
    return figure_svg(fig, "limit-critical-n")


def pattern_values(results: list[Result], measure: str) -> dict[str, dict[str, float]]:
    """`measure` per adapter per qrel pattern over the small generated suites."""
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for r in results:
        pattern = r.info.get("pattern")
        if pattern in PATTERN_ORDER and measure in r.measures and r.suite.endswith("-small"):
            values[r.adapter][pattern] = r.measures[measure].value
    return dict(values)


def recall_by_pattern_svg(results: list[Result], measure: str = "R@2") -> str | None:
    """Grouped bars: `measure` of each adapter on each qrel pattern of the small generated suites."""
    values = pattern_values(results, measure)
    if not values:
        return None
    from matplotlib.figure import Figure

    patterns = [p for p in PATTERN_ORDER if any(p in v for v in values.values())]
    adapters = sorted(values)
    width = 0.8 / len(adapters)
    fig = Figure(figsize=(7.2, 3.6))
    ax = fig.add_subplot()
    for i, adapter in enumerate(adapters):
        xs = [j + (i - (len(adapters) - 1) / 2) * width for j in range(len(patterns))]
        ys = [values[adapter].get(p, np.nan) for p in patterns]
        ax.bar(xs, ys, width=width, color=PALETTE[i % len(PALETTE)], label=plain_label(adapter))
    ax.set_xticks(range(len(patterns)), patterns)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(f"{plain_label(measure)}  (↑ better)")
    ax.set_title("Recall by qrel pattern (limit-synth-*-small)", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside, never on a bar
    _style(ax)
    return figure_svg(fig, "limit-patterns")


def pattern_caption(values: dict[str, dict[str, float]], measure: str) -> str:
    """What the recall-by-pattern bars show, read off `values` (adapter -> pattern -> `measure`).

    Each model's lowest and highest value over the qrel patterns, best first (by the lowest), and
    which models reach `measure` = 1 (every relevant pair in the top k) on every pattern.
    """
    spans = sorted(((min(v.values()), max(v.values()), a) for a, v in values.items() if v), key=lambda t: (-t[0], t[2]))
    ranges = "; ".join(
        f"{a} {low:.2f}" if round(low, 2) == round(high, 2) else f"{a} {low:.2f}–{high:.2f}" for low, high, a in spans
    )
    text = (
        f"{measure} of each model on the generated LIMIT-style suites (limit-synth-*-small), one bar group per "
        f"qrel pattern. Lowest–highest over the patterns: {ranges}."
    )
    whole = [a for low, _, a in spans if low >= 1.0 - 1e-9]
    if whole:
        text += f" {measure} = 1 on every pattern (every relevant pair retrieved together): {', '.join(whole)}."
    return text


@dataclass(frozen=True, kw_only=True)
class PageFigure:
    """One LIMIT figure for a page: its title, a one-sentence caption and the inline SVG."""

    title: str
    caption: str
    svg: str


def page_figures(results_dir: Path | str) -> list[PageFigure]:
    """The LIMIT figures the leaderboard page shows (recall by qrel pattern, recall vs corpus size)."""
    results = _limit_results(ResultStore(results_dir))
    figures = []
    pattern = recall_by_pattern_svg(results)
    if pattern is not None:
        figures.append(
            PageFigure(
                title="Recall by qrel pattern",
                caption=pattern_caption(pattern_values(results, "R@2"), "R@2"),
                svg=pattern,
            )
        )
    sizes = size_series(results, "R@10")[1]
    size = recall_vs_size_svg(results) if len(sizes) > 1 else None  # one corpus size draws no trend
    if size is not None:
        figures.append(
            PageFigure(
                title="Recall vs corpus size",
                caption="Recall on the dense-pattern LIMIT suites as distractor people are added.",
                svg=size,
            )
        )
    return figures


def render(results_dir: Path, out_dir: Path | None = None) -> Path | None:
    """Write every LIMIT plot the stored results allow into `out_dir`; None when there is none."""
    store = ResultStore(results_dir)
    results = _limit_results(store)
    out = out_dir or Path(results_dir)
    svgs = {
        "limit-recall-vs-size.svg": recall_vs_size_svg(results),
        "limit-recall-by-pattern.svg": recall_by_pattern_svg(results),
    }
    for r in results:
        if r.suite.startswith("limit-critical-n"):
            svgs["limit-critical-n.svg"] = critical_n_svg(r, store.units(r))
    written = {name: svg for name, svg in svgs.items() if svg is not None}
    for name, svg in written.items():
        atomic_write_bytes(out / name, svg.encode("utf-8"))
    return out if written else None
