"""One self-contained static HTML leaderboard: jinja2 (autoescape on), inline CSS/JS, inline SVG plots.

Nothing is fetched at view time: the page carries its own script, styles and matplotlib
SVGs, and a Content-Security-Policy that allows only that exact script (by hash) and no
network at all, so a hostile adapter name can neither run code nor phone home.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

from rankbench.harness.deps import require
from rankbench.harness.store import atomic_write_bytes
from rankbench.reports import fmt
from rankbench.reports.leaderboard import measure_kind
from rankbench.reports.model import Report, SuiteBoard, build_report

PALETTE = ("#2f5bd3", "#d9480f", "#2b8a3e", "#9c36b5", "#e8590c", "#0b7285", "#c2255c", "#5c940d", "#495057")


@dataclass(frozen=True)
class Plots:
    pareto: str | None
    trend: str | None


def _static(name: str) -> str:
    return files("rankbench.reports").joinpath(f"static/{name}").read_text(encoding="utf-8")


def plain_label(text: str) -> str:
    """Matplotlib reads `$...$` as math; adapter names are plain text."""
    return text.replace("$", r"\$")


def figure_svg(fig: object, salt: str) -> str:
    """The figure as an inline <svg> element; the salt keeps element ids unique across figures."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    text = buf.getvalue()
    # drop the prolog and the metadata block (creation date, tool URLs): the page stays byte-stable
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg") :], flags=re.S)


def pareto_front(points: Sequence[tuple[float, float]], x_higher: bool, y_higher: bool) -> list[int]:
    """Indices of the points no other point beats on both axes, in x order from best."""
    order = sorted(range(len(points)), key=lambda i: -points[i][0] if x_higher else points[i][0])
    front, best_y = [], -math.inf
    for i in order:
        y = points[i][1] if y_higher else -points[i][1]
        if y > best_y:
            front.append(i)
            best_y = y
    return front


def pareto_svg(board: SuiteBoard, salt: str) -> str | None:
    if board.latency is None or board.primary is None or measure_kind(board.primary) in ("latency", "resource"):
        return None  # no quality measure to trade against speed
    pts = [
        (r.latency, e.value, r.adapter)
        for r in board.rows
        if r.latency is not None and (e := r.values.get(board.primary)) is not None and not math.isnan(e.value)
    ]
    if len(pts) < 2:  # one point has no trade-off to show
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 3.8))
    ax = fig.add_subplot()
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    front = pareto_front([(x, y) for x, y, _ in pts], board.latency.higher_is_better, board.higher[board.primary])
    ax.scatter(xs, ys, s=36, color="#98a2b3", zorder=2)
    ax.plot(
        [xs[i] for i in front], [ys[i] for i in front], "-o", color=PALETTE[0], ms=6, zorder=3, label="Pareto front"
    )
    for x, y, name in pts:
        ax.annotate(plain_label(name), (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8, color="#344054")
    if min(xs) > 0 and max(xs) / min(xs) > 20:
        ax.set_xscale("log")
    arrow = "→ better" if board.latency.higher_is_better else "← better"
    ax.set_xlabel(f"{plain_label(board.latency.label)}  ({arrow})")
    ax.set_ylabel(f"{plain_label(board.primary)}  ({'↑' if board.higher[board.primary] else '↓'} better)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure_svg(fig, salt)


def trend_svg(report: Report, board: SuiteBoard, salt: str) -> str | None:
    """One panel per quality measure: each adapter's value across the result sets."""
    points = [p for p in report.trend if p.suite == board.suite]
    if len({p.source for p in points}) < 2:  # a suite in one result set has no history yet
        return None
    from matplotlib.figure import Figure

    labels = [s.label for s in report.sources]
    measures = [m for m in board.measures if measure_kind(m) not in ("latency", "resource")][:4] or list(
        board.measures[:4]
    )
    adapters = list(dict.fromkeys(p.adapter for p in points))
    fig = Figure(figsize=(min(3.6 * len(measures), 12.5), 3.0))
    axes = fig.subplots(1, len(measures), squeeze=False)[0]
    drops = [d for d in report.drops if d.suite == board.suite]
    for ax, m in zip(axes, measures, strict=True):
        for i, adapter in enumerate(adapters):
            series = {p.source: p.value for p in points if p.adapter == adapter and p.measure == m}
            xs = [j for j, label in enumerate(labels) if label in series]
            if xs:
                ys = [series[labels[j]] for j in xs]
                ax.plot(xs, ys, "-o", ms=4, color=PALETTE[i % len(PALETTE)], label=plain_label(adapter))
        dropped = [(labels.index(d.source), d.after) for d in drops if d.measure == m and d.source in labels]
        if dropped:  # the commit where the measure got significantly worse
            ax.plot(
                [x for x, _ in dropped],
                [y for _, y in dropped],
                "v",
                ms=11,
                mfc="none",
                mec="#d92d20",
                mew=1.8,
                ls="none",
                label="significant drop",
            )
        ax.set_title(plain_label(m), fontsize=10)
        ax.set_xticks(range(len(labels)), [plain_label(label) for label in labels], rotation=30, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    legend = {}
    for ax in axes:  # every adapter, and the drop marker wherever a panel has one
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(name, handle)
    handles, names = list(legend.values()), list(legend)
    fig.legend(
        handles,
        names,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=min(4, len(names)),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    return figure_svg(fig, salt)


def _script_hash(js: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")


def render_html(report: Report) -> str:
    """The page as a string: every value reaches the template as text and is escaped there."""
    jinja2 = require("jinja2", "report", "HTML reports")
    require("matplotlib", "report", "report plots")
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rankbench.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    js = _static("leaderboard.js")
    plots = {}
    for i, board in enumerate(report.suites):
        pareto, trend = pareto_svg(board, f"p{i}"), trend_svg(report, board, f"t{i}")
        # matplotlib escapes every text it writes into the SVG (labels are drawn as paths)
        plots[board.suite] = Plots(Markup(pareto) if pareto else None, Markup(trend) if trend else None)
    from rankbench.reports.limit_plots import page_figures  # imports this module: import it late

    limit = [replace(f, svg=Markup(f.svg)) for f in page_figures(report.sources[-1].path)]
    html = env.get_template("leaderboard.html.j2").render(
        report=report,
        plots=plots,
        limit=limit,
        fmt=fmt,
        plural=fmt.plural,
        css=Markup(_static("leaderboard.css")),
        js=Markup(js),
        script_hash=_script_hash(js),
    )
    return re.sub(r"[ \t]+\n", "\n", html)


def write_html(dirs: Sequence[Path | str], out: Path, baseline: str | None = None) -> Path:
    atomic_write_bytes(out, render_html(build_report(dirs, baseline)).encode("utf-8"))
    out.chmod(0o644)  # a page to publish, not a private temp file
    return out


def render(results_dir: Path, out_dir: Path | None = None) -> Path:
    """The `html` renderer entry point: `leaderboard.html` in `out_dir` (default: beside the results)."""
    out = Path(out_dir if out_dir is not None else Path(results_dir).parent) / "leaderboard.html"
    return write_html([results_dir], out)
