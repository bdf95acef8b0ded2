"""Report commands plugged into the `rankbench` CLI through the `rankbench.commands` entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FORMATS = {"html": "leaderboard.html", "md": "leaderboard.md", "json": "leaderboard.json", "latex": "leaderboard.tex"}
SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json", ".tex": "latex"}
"""File suffixes of `report -o` that name a format (any other `-o` is a folder)."""
Baseline = Annotated[
    str | None, typer.Option("--baseline", help="adapter to test against (default: each suite's leader)")
]
WithCI = Annotated[bool, typer.Option("--ci", help="latex: print each value's bootstrap confidence interval")]


def _name_damaged(lines: list[str] | tuple[str, ...]) -> None:
    """One stderr line per damaged cell that a command left out."""
    for line in lines:
        typer.echo(line, err=True)


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show_cmd(
        results: Annotated[Path, typer.Argument(help="results directory or file")],
        format: Annotated[str, typer.Option("--format", help="table | latex")] = "table",
        baseline: Baseline = None,
        ci: WithCI = False,
    ) -> None:
        """Print the leaderboard of stored results as terminal tables, or as LaTeX (booktabs) tables."""
        from rankbench.harness.errors import UnknownName
        from rankbench.reports.model import build_report

        if format not in ("table", "latex"):
            raise UnknownName("output format", format, ["table", "latex"])
        report = build_report([results], baseline)  # no results, or an unknown baseline: one error line
        if format == "table":
            from rich.console import Console

            from rankbench.reports.terminal import print_report

            print_report(report, Console())
        else:
            from rankbench.reports.latex import report_latex

            typer.echo(report_latex(report, ci=ci), nl=False)
        _name_damaged(report.damaged)

    @app.command("report")
    def report_cmd(
        dirs: Annotated[
            list[Path],
            typer.Argument(
                help="results directories, in any order: sorted by the commit time stored with them "
                "(kept as given when one has none); the newest is reported"
            ),
        ],
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                "-o",
                help="output folder, or a file whose suffix (.html, .md, .json, .tex) chooses the format",
            ),
        ],
        baseline: Baseline = None,
        format: Annotated[
            str | None,
            typer.Option("--format", help="html | md | json | latex (default: from -o's suffix, else html)"),
        ] = None,
        ci: WithCI = False,
        standalone: Annotated[
            bool, typer.Option("--standalone", help="latex: a whole document (pdflatex compiles it as is)")
        ] = False,
    ) -> None:
        """Render a static leaderboard from stored results: one self-contained HTML file, Markdown, JSON or LaTeX."""
        from rankbench.harness.store import atomic_write_bytes
        from rankbench.reports.model import build_report

        format, target = report_target(out, format)
        report = build_report(dirs, baseline)
        if format == "html":
            from rankbench.reports.html import render_html

            body = render_html(report)
        elif format == "latex":
            from rankbench.reports.latex import report_latex

            body = report_latex(report, ci=ci, standalone=standalone)
        elif format == "md":
            from rankbench.reports.markdown import report_markdown

            body = report_markdown(report)
        else:
            from rankbench.reports.json_report import report_json

            body = report_json(report)
        atomic_write_bytes(target, body.encode("utf-8"))
        target.chmod(0o644)
        typer.echo(f"report written to {target}")
        _name_damaged(report.damaged)

    @app.command("compare")
    def compare_cmd(
        base: Annotated[Path, typer.Argument(help="BASE results directory or file")],
        head: Annotated[Path, typer.Argument(help="HEAD results directory or file")],
        measure: Annotated[list[str], typer.Option("--measure", "-m", help="measure to compare, repeatable")] = [],  # noqa: B006
        gate: Annotated[bool, typer.Option("--gate", help="exit 1 when any measure is significantly worse")] = False,
        alpha: Annotated[
            float,
            typer.Option(
                "--alpha", help="family-wise error rate, Holm over every tested suite x adapter x measure row"
            ),
        ] = 0.05,
        min_delta: Annotated[
            float, typer.Option("--min-delta", help="ignore quality regressions no larger than this")
        ] = 0.0,
        max_slowdown: Annotated[
            float,
            typer.Option(
                "--max-slowdown", help="ignore latency/QPS/index-time regressions up to this HEAD/BASE factor"
            ),
        ] = 1.0,
        max_growth: Annotated[
            float, typer.Option("--max-growth", help="ignore memory/index-size/parameter growth up to this factor")
        ] = 1.0,
        allow_untested: Annotated[
            bool, typer.Option("--allow-untested", help="with --gate: untested measures and damaged cells pass")
        ] = False,
        test: Annotated[str, typer.Option("--test", help="randomization | t")] = "randomization",
        resamples: Annotated[
            int, typer.Option("--resamples", help="randomization/bootstrap resamples (at least 100)")
        ] = 10_000,
        seed: Annotated[int, typer.Option("--seed", help="seed of the resampling")] = 0,
        markdown: Annotated[Path | None, typer.Option("--markdown", help="write a Markdown summary here")] = None,
        junit: Annotated[Path | None, typer.Option("--junit", help="write JUnit XML here")] = None,
        base_adapter: Annotated[
            list[str],
            typer.Option("--base-adapter", help="with --head-adapter: compare BASE's cells of this adapter ..."),
        ] = [],  # noqa: B006
        head_adapter: Annotated[
            list[str],
            typer.Option("--head-adapter", help="... with HEAD's cells of this one (repeatable, in pairs)"),
        ] = [],  # noqa: B006
    ) -> None:
        """Paired significance tests of HEAD against BASE per suite x adapter x measure; --gate fails CI.

        Holm's correction runs over one family: every tested row of the comparison, all suites,
        adapter pairs and measures (quality and cost) together, because the gate fails on any
        significant drop among them. Comparing more suites or measures at once therefore raises
        each p-value (`evaluate --compare` corrects over its own rows instead: every later run x
        measure against the first). A row whose test cannot reach p < alpha after that correction (few queries:
        the exact randomization test gives at least 2/2^n on n changed queries) is marked
        "cannot fail" with a warning; when no tested quality row could fail, a passing gate says
        "gate passed vacuously".
        """
        from rich.console import Console

        from rankbench.harness.comparison import Settings
        from rankbench.harness.store import atomic_write_bytes
        from rankbench.reports.compare import compare, gate_message
        from rankbench.reports.terminal import comparison_tables

        settings = Settings(
            alpha=alpha,
            min_delta=min_delta,
            test=test,
            resamples=resamples,
            seed=seed,
            max_slowdown=max_slowdown,
            max_growth=max_growth,
            allow_untested=allow_untested,
        )
        if len(base_adapter) != len(head_adapter):
            from rankbench.harness.errors import BadInput

            raise BadInput(
                f"--base-adapter and --head-adapter come in pairs: got {len(base_adapter)} and {len(head_adapter)}"
            )
        pairs = [(_stored_name(b), _stored_name(h)) for b, h in zip(base_adapter, head_adapter, strict=True)]
        cmp = compare(base, head, measure or None, settings, pairs)
        console = Console()
        if not console.is_terminal:  # CI logs: wide enough that numbers are never cut
            console = Console(width=160)
        for table in comparison_tables(cmp):
            console.print(table)
        for r in cmp.rows:
            if r.note and r.verdict not in ("informational", "failed"):
                console.print(f"note: {r.measure} on {r.suite} / {r.adapter}: {r.note}", markup=False)
        for note in cmp.unpaired:
            console.print(f"not compared: {note}", markup=False)
        warn = Console(stderr=True)
        for line in cmp.floor_warnings():
            warn.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
        if not gate:
            _name_damaged(cmp.damaged)
        if markdown is not None:
            from rankbench.reports.markdown import comparison_markdown

            atomic_write_bytes(markdown, comparison_markdown(cmp).encode("utf-8"))
        if junit is not None:
            from rankbench.reports.junit import write_junit

            write_junit(cmp, junit)
        if gate:
            message = gate_message(cmp)
            if message:
                Console(stderr=True).print(message, markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(1)
            from rankbench.harness.comparison import is_cost

            worse = [r for r in cmp.rows if r.verdict == "worse"]
            quality, cost = sum(not is_cost(r.measure) for r in worse), sum(is_cost(r.measure) for r in worse)
            tolerated = []
            if quality:
                tolerated.append(f"{quality} significant regression(s) no larger than --min-delta {min_delta:g}")
            if cost:
                tolerated.append(
                    f"{cost} cost regression(s) within --max-slowdown {max_slowdown:g} / --max-growth {max_growth:g}"
                )
            if cmp.vacuous():
                message = "gate passed vacuously: " + "; ".join([cmp.vacuous_reason(), *tolerated])
            else:
                message = "gate passed: " + ("; ".join(tolerated) or "no measure is significantly worse")
            untested = sum(r.verdict == "not tested" for r in cmp.rows) + len(cmp.damaged)
            if untested:
                message += f" ({untested} untested measure(s) or damaged cell(s) allowed by --allow-untested)"
            console.print(message, markup=False)
            _name_damaged(cmp.damaged)


def report_target(out: Path, format: str | None) -> tuple[str, Path]:
    """The format and file `report -o OUT [--format FORMAT]` writes.

    An `out` whose suffix names a format (:data:`SUFFIXES`) is the file itself and chooses the format
    when `format` is None; any other `out` is a folder that gets the format's `leaderboard.*` file.
    Raises UnknownName for an unknown format, BadInput when the suffix names another format than
    `format`, or when a file name is an existing folder.
    """
    from rankbench.harness.errors import BadInput, UnknownName

    if format is not None and format not in FORMATS:
        raise UnknownName("report format", format, FORMATS)
    named = SUFFIXES.get(out.suffix.lower())
    if named is None:
        return format or "html", out / FORMATS[format or "html"]
    if format is not None and format != named:
        raise BadInput(
            f"-o {out} names a {named} file but --format is {format}: "
            f"give -o a {Path(FORMATS[format]).suffix} file or a folder, or leave --format out"
        )
    if out.is_dir():
        raise BadInput(f"-o {out} is a folder, but its suffix names a {named} file: remove it or choose another name")
    return named, out


def _stored_name(text: str) -> str:
    """The name cells of adapter reference `text` are stored under (`run:FILE` -> `run(path=...,sha256=...)`).

    Text that is not a reference of a registered adapter (or a run file no longer on disk) is taken
    as the stored name itself.
    """
    from rankbench.harness.adapter_ref import parse_adapter_ref
    from rankbench.harness.errors import HarnessError

    try:
        return str(parse_adapter_ref(text))
    except HarnessError:
        return text


def register_plots(app: typer.Typer) -> None:
    """`rankbench plots ...`: figures of stored results (imports matplotlib only when run)."""
    plots = typer.Typer(
        rich_markup_mode=None,  # help texts are plain: `[/<split>]` is grammar, not markup
        no_args_is_help=True,
        help="Plots of stored results, as SVG files.",
    )
    app.add_typer(plots, name="plots")

    @plots.command("limit")
    def limit_cmd(
        results: Annotated[Path, typer.Argument(help="results directory")],
        out: Annotated[Path, typer.Option("--out", "-o", help="folder for the SVG files")] = Path("plots"),
    ) -> None:
        """Recall vs corpus size, critical n vs d, recall by qrel pattern (from stored LIMIT results)."""
        from rankbench.harness.errors import BadInput
        from rankbench.reports.limit_plots import render

        if render(results, out) is None:
            raise BadInput(f"no LIMIT results in {results}: run e.g. `rankbench run limit-small -a bm25` first")
        for path in sorted(out.glob("limit-*.svg")):
            typer.echo(str(path))
