"""The `rankbench` command line. User errors print one line and exit 2, never a traceback."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rankbench.harness import __version__
from rankbench.harness.errors import BadInput, HarnessError
from rankbench.harness.evaluate_options import DEFAULT_ALPHA, DEFAULT_FORMAT, DEFAULT_TEST, QRELS_HELP, RUNS_HELP
from rankbench.harness.evaluate_options import OPTIONS as EVALUATE_OPTIONS

if TYPE_CHECKING:
    from rankbench.harness.cache import OutputCache
    from rankbench.harness.result import ErrorInfo


class _Commands(typer.core.TyperGroup):
    """The root command group. An `EOFError` out of a command is a file that ended early, not the user's
    Ctrl-D (a prompt turns that into an abort itself): typer would report it as a bare `aborted`."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except EOFError as exc:
            raise ended_early(exc) from exc


def ended_early(exc: EOFError) -> HarnessError:
    """One line for an `EOFError` no reader turned into a file's error: where it was raised, and the fix."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f", raised at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    log.info("input ended early", exc_info=exc)
    error = HarnessError(
        f"a file ended early while being read (EOFError{': ' + str(exc) if str(exc) else ''}{where}); "
        "it is truncated: replace it, or rerun with -v for the traceback"
    )
    error.exit_code = 1
    return error


app = typer.Typer(
    cls=_Commands,
    rich_markup_mode=None,  # help texts are plain: `[/<split>]` is grammar, not markup
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Benchmark ranking models: run suites, show leaderboards, gate regressions.",
)
data_app = typer.Typer(
    rich_markup_mode=None,  # help texts are plain: `[/<split>]` is grammar, not markup
    no_args_is_help=True,
    help="The data home: where datasets live, and their checksums.",
)
app.add_typer(data_app, name="data")
cache_app = typer.Typer(
    rich_markup_mode=None,  # help texts are plain: `[/<split>]` is grammar, not markup
    no_args_is_help=True,
    help="The model-output cache (RANKBENCH_CACHE): list, verify, clear.",
)
app.add_typer(cache_app, name="cache")
console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("rankbench")


def _print_version(value: bool) -> None:
    if value:
        console.print(__version__)
        raise typer.Exit


@app.callback(context_settings={"help_option_names": ["-h", "--help"]})
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log progress details")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    handler = RichHandler(console=err_console, show_path=False, level=level)
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)


@app.command("version")
def version_cmd() -> None:
    """Print the rankbench version."""
    console.print(__version__)


LISTINGS = ("adapters", "models", "suites", "datasets", "measures", "tasks", "cards")


@dataclass(frozen=True, kw_only=True)
class Listing:
    """Rows of one `rankbench list` table: every field (JSON, --wide) and the columns a terminal shows."""

    columns: tuple[str, ...]
    narrow: tuple[str, ...]
    rows: tuple[dict[str, object], ...]
    cut: tuple[str, ...] = ("description",)  # narrow columns shortened with `…` to fit the terminal


def listing(what: str) -> Listing:
    """The records of one kind as plain rows (lists stay lists for JSON).

    Raises:
        UnknownName: `what` is not one of `LISTINGS`.
    """
    from rankbench.harness import registry
    from rankbench.harness.errors import UnknownName
    from rankbench.harness.measures import MEASURES

    if what == "adapters":
        rows = [
            {"name": a.name, "family": a.family, "extra": a.extra or "", "description": a.description}
            for a in registry.ADAPTERS
        ]
        return Listing(
            columns=("name", "family", "extra", "description"),
            narrow=("name", "family", "description"),
            rows=tuple(rows),
        )
    if what == "models":
        rows = [
            {
                "name": m.name,
                "family": m.family,
                "hub_id": m.hub_id,
                "revision": m.revision or "(main)",
                "params_m": m.parameters_m,
                "dim": m.dim,
                "licence": m.licence or "(see card)",
                "description": f"{m.hub_id}@{m.revision or 'main'}",
            }
            for m in registry.MODELS
        ]
        columns = ("name", "family", "hub_id", "revision", "params_m", "dim", "licence")
        return Listing(columns=columns, narrow=("name", "family", "licence", "description"), rows=tuple(rows))
    if what == "suites":
        rows = [
            {
                "name": s.name,
                "task": s.task,
                "dataset": s.dataset,
                "families": list(s.families),
                "measures": list(s.measures),
                "unit": s.unit,
                "description": s.description,
            }
            for s in registry.SUITES
        ]
        columns = ("name", "task", "dataset", "families", "measures", "unit", "description")
        return Listing(columns=columns, narrow=("name", "task", "description"), rows=tuple(rows))
    if what == "datasets":
        rows = [
            {
                "name": d.name,
                "kind": "generated" if d.generated else f"{len(d.files)} files",
                "description": d.description,
            }
            for d in registry.DATASETS
        ]
        return Listing(
            columns=("name", "kind", "description"), narrow=("name", "kind", "description"), rows=tuple(rows)
        )
    if what == "measures":
        rows = [
            {
                "name": m.name,
                "better": "higher" if m.higher_is_better else "lower",
                "kind": m.kind,
                "cutoff": m.cutoff,
                "description": m.description,
            }
            for m in MEASURES.values()
        ]
        return Listing(
            columns=("name", "better", "kind", "cutoff", "description"),
            narrow=("name", "better", "description"),
            rows=tuple(rows),
        )
    if what == "cards":
        from rankbench.harness.reproduce import CARDS

        rows = [{"name": c.name, "suite": c.suite or "(custom check)", "description": c.description} for c in CARDS]
        return Listing(
            columns=("name", "suite", "description"), narrow=("name", "suite", "description"), rows=tuple(rows)
        )
    if what == "tasks":
        rows = [{"name": t.name, "description": t.description} for t in registry.TASKS]
        return Listing(columns=("name", "description"), narrow=("name", "description"), rows=tuple(rows))
    raise UnknownName("listing", what, LISTINGS)


def _cell_text(value: object) -> str:
    return " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)].rstrip() + "…"


def listing_table(found: Listing, *, wide: bool, width: int = 80) -> Table:
    """A rich table. Narrow: one line per row within `width` columns, every value whole but those of
    the `found.cut` columns, which share the room left and are cut with an ellipsis. Wide: every
    column, nothing cut."""
    columns = found.columns if wide else found.narrow
    cells = [{c: _cell_text(row[c]) for c in columns} for row in found.rows]
    longest = {c: max([len(c), *(len(r[c]) for r in cells)]) for c in columns}
    cut = [] if wide else sorted((c for c in columns if c in found.cut), key=lambda c: longest[c])
    if cut:
        room = width - sum(longest[c] for c in columns if c not in cut) - 2 * (len(columns) - 1)
        room = max(room, 12 * len(cut))
        for i, col in enumerate(cut):  # the shortest first: what it leaves goes to the longer ones
            share = min(longest[col], room // (len(cut) - i))
            room -= share
            for r in cells:
                r[col] = _shorten(r[col], share)
            longest[col] = max([len(col), *(len(r[col]) for r in cells)])
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in columns:
        table.add_column(col, no_wrap=True, min_width=longest[col])
    for r in cells:
        table.add_row(*(escape(r[c]) for c in columns))
    return table


def print_listing(found: Listing, *, wide: bool, fmt: str) -> None:
    """Print `found` as a table fitting the terminal, every column (`wide`), or JSON rows (`fmt="json"`).

    Raises:
        UnknownName: `fmt` is neither `table` nor `json`.
    """
    from rankbench.harness.errors import UnknownName

    if fmt not in ("table", "json"):
        raise UnknownName("output format", fmt, ["table", "json"])
    if fmt == "json":
        typer.echo(json.dumps(list(found.rows), indent=2))
        return
    table = listing_table(found, wide=wide, width=console.width)
    if wide:  # as wide as the table needs: long lines are the point of --wide
        width = Console(width=10_000).measure(table).maximum
        Console(width=max(width, 1), soft_wrap=False).print(table)
    else:
        console.print(table)


Wide = Annotated[bool, typer.Option("--wide", help="every column, nothing cut (lines may pass the terminal)")]
Format = Annotated[str, typer.Option("--format", help="table | json")]


@app.command("list")
def list_cmd(
    what: Annotated[
        str, typer.Argument(help="adapters | models | suites | datasets | measures | tasks | cards")
    ] = "adapters",
    wide: Wide = False,
    fmt: Format = "table",
) -> None:
    """List registered adapters, named model checkpoints, suites, datasets, measures, tasks or reproduction cards."""
    print_listing(listing(what), wide=wide, fmt=fmt)


def _progress_run(cells: list, out: Path, executor_name: str, rerun: bool, **executor_options: object) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rankbench.harness.executors import make_executor
    from rankbench.harness.runner import run_plan
    from rankbench.harness.store import ResultStore

    store = ResultStore(out)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    ) as progress:
        bar = progress.add_task("cells", total=len(cells))

        def on_event(kind: str, cell, result) -> None:
            label = {"cached": "cached", "done": "done  ", "failed": "FAILED"}[kind]
            progress.console.print(
                f"{label} {cell.suite} / {cell.adapter} / seed {cell.seed}"
                + (
                    f": {failure_line(result.error, store.json_path(cell))}"
                    if kind == "failed" and result.error
                    else ""
                ),
                markup=False,
                highlight=False,
                soft_wrap=True,  # one line per cell, whatever the width: logs and grep read it whole
            )
            progress.advance(bar)

        executor = make_executor(executor_name, **executor_options)
        summary = run_plan(cells, store, executor, rerun=rerun, on_event=on_event)
    err_console.print(f"{len(summary.ran)} ran, {len(summary.cached)} cached, {len(summary.failed)} failed -> {out}")
    return 1 if summary.failed else 0


def _with_setting(ref: str, key: str, value: str) -> str:
    """`limit-critical-n` + dims=2..12 -> `limit-critical-n(dims='2..12')`, so the stored cell names it."""
    from rankbench.harness.adapter_ref import Stage, parse_stage
    from rankbench.harness.suite import resolve_suite

    stage = parse_stage(ref)
    if key not in resolve_suite(stage.name).settings:
        raise BadInput(f"suite {stage.name!r} takes no --{key} (its settings have no {key!r})")
    return str(Stage(stage.name, tuple(sorted({**dict(stage.params), key: value}.items())), stage.depth))


@app.command("run")
def run_cmd(
    suites: Annotated[list[str], typer.Argument(help="suite names (see `rankbench list suites`)")],
    adapter: Annotated[list[str], typer.Option("--adapter", "-a", help="adapter reference, repeatable")] = [],  # noqa: B006
    out: Annotated[Path, typer.Option("--out", "-o", help="results directory")] = Path("results"),
    seed: Annotated[
        list[int], typer.Option("--seed", min=0, help="override the suite's seeds (added to seeded adapters' own)")
    ] = [],  # noqa: B006
    executor: Annotated[
        str, typer.Option("--executor", help="local | process | ray (default: process when a suite sets budgets)")
    ] = "auto",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster address (with --executor ray)")] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="with --executor ray: seconds to wait for all cells, then fail the rest"),
    ] = None,
    rerun: Annotated[bool, typer.Option("--rerun", help="run cells even if stored")] = False,
    dims: Annotated[
        str | None, typer.Option("--dims", help="dimensions for suites that take them, e.g. 2..12 (limit-critical-n)")
    ] = None,
    no_fetch: Annotated[
        bool, typer.Option("--no-fetch", help="never download: a dataset missing from the data home is an error")
    ] = False,
) -> None:
    """Run suites x adapters x seeds; stored cells are skipped (reported as cached).

    A suite is a registered name (`rankbench list suites`) or a dataset reference: `beir/<name>[/<split>]`,
    `irds:<ir_datasets id>`, `mteb:<TaskName>`, or a local path (a BEIR folder, a folder of TREC topics and
    qrels, a RecBole `.inter` file, a BARS CSV folder, an interactions CSV/Parquet). Datasets with downloads
    are fetched into the data home on first use unless --no-fetch.
    """
    from rankbench.harness.executors import default_executor
    from rankbench.harness.registry import DATASETS
    from rankbench.harness.runner import plan
    from rankbench.harness.suite import resolve_suite

    if dims is not None:
        suites = [_with_setting(s, "dims", dims) for s in suites]
    if not no_fetch:
        _fetch_datasets([DATASETS.get(resolve_suite(s).dataset) for s in suites])
    cells = plan(suites, adapter, seed or None, fetch=not no_fetch)
    if executor == "auto":
        executor = default_executor(resolve_suite(s) for s in suites)
    options: dict[str, object] = {"address": address} if address else {}
    if address and executor != "ray":
        raise BadInput("--address is for the Ray executor: add --executor ray")
    if timeout is not None:
        if executor != "ray":
            raise BadInput("--timeout bounds the wait for Ray: add --executor ray (budgets bound local cells)")
        options["timeout"] = timeout
    raise typer.Exit(_progress_run(cells, out, executor, rerun, **options))


@app.command("quickstart")
def quickstart_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for results and the leaderboard")] = Path(
        "rankbench-quickstart"
    ),
) -> None:
    """Run several model families on shipped/generated data and render the leaderboard."""
    from rankbench.harness.plugins import renderer
    from rankbench.harness.registry import QUICKSTART
    from rankbench.harness.runner import plan

    cells = []
    for entry in sorted(QUICKSTART, key=lambda e: (e.order, e.name)):
        cells += plan([entry.suite], list(entry.adapters))
    code = _progress_run(cells, out / "results", "local", rerun=False)
    for name in ("terminal", "html"):
        render = renderer(name)
        if render is not None:
            written = render(out / "results", out)
            if written is not None:
                console.print(f"leaderboard written to {written} (open it in a browser)")
    raise typer.Exit(code)


def _evaluate_option(name: str) -> typer.models.OptionInfo:
    """The typer option of `rankbench evaluate`'s `name`, from its one definition (`harness.evaluate_options`)."""
    option = EVALUATE_OPTIONS[name]
    return typer.Option(*option.flags, help=option.help)


@app.command("evaluate")
def evaluate_cmd(
    qrels: Annotated[Path, typer.Argument(help=QRELS_HELP)],
    runs: Annotated[list[Path], typer.Argument(help=RUNS_HELP)],
    measure: Annotated[list[str], _evaluate_option("measure")] = [],  # noqa: B006
    per_query: Annotated[bool, _evaluate_option("per_query")] = False,
    fmt: Annotated[str, _evaluate_option("fmt")] = DEFAULT_FORMAT,
    missing_as_zero: Annotated[bool, _evaluate_option("missing_as_zero")] = False,
    compare: Annotated[bool, _evaluate_option("compare")] = False,
    alpha: Annotated[float, _evaluate_option("alpha")] = DEFAULT_ALPHA,
    test: Annotated[str, _evaluate_option("test")] = DEFAULT_TEST,
) -> None:
    """Evaluate run files against qrels with trec_eval's semantics: one run in trec_eval's layout,
    several in one table with a column per run (`--compare` adds paired tests against the first)."""
    from rankbench.harness.errors import BadInput, UnknownName
    from rankbench.harness.measures.evaluate_files import (
        as_json,
        as_table,
        as_text,
        compare_runs,
        evaluate_files,
        table_json,
    )

    writers = {"text": as_text, "json": as_json}
    if fmt not in writers:
        raise UnknownName("output format", fmt, list(writers))
    if compare and len(runs) == 1:
        raise BadInput("--compare needs at least two run files (the first is the baseline)")
    if per_query and len(runs) > 1:
        raise BadInput("--per-query prints one run in trec_eval's layout; give one run file with it")
    from rankbench.harness.formats import regular_files

    with regular_files([qrels, *runs]) as (qrels_file, *run_files):  # `-` and pipes read once
        results = [evaluate_files(qrels_file, run, measure, missing_as_zero) for run in run_files]
    if len(results) == 1:
        typer.echo(writers[fmt](results[0], per_query))
        return
    from rankbench.harness.comparison import Settings

    compared = compare_runs(results, Settings(alpha=alpha, test=test)) if compare else []
    typer.echo((as_table if fmt == "text" else table_json)(results, compared))


@app.command("reproduce")
def reproduce_cmd(
    name: Annotated[
        str | None, typer.Argument(help="reproduction card (without one: the cards, as `rankbench list cards`)")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="results directory")] = Path("reproductions"),
    rerun: Annotated[bool, typer.Option("--rerun", help="recompute every cell, even current stored ones")] = False,
) -> None:
    """Re-run a paper's experiment and set the published numbers beside ours.

    Stored cells are reused only when this rankbench version, commit (and uncommitted diff) and
    suite settings computed them; stale ones are recomputed. Without a card name, lists the cards and exits 2."""
    from rankbench.harness.reproduce import reproduce

    if name is None:
        print_listing(listing("cards"), wide=False, fmt="table")
        raise BadInput("name a reproduction card: `rankbench reproduce NAME`, NAME one of those listed above")

    rows = reproduce(name, out / name, rerun=rerun)
    table = Table(
        "model",
        "measure",
        "published",
        "ours",
        "delta",
        "tolerance",
        "verdict",
        "src",
        title=f"reproduction: {name}",
        box=None,
        header_style="bold",
        title_justify="left",
    )
    sources = list(dict.fromkeys(r.citation for r in rows))
    for r in rows:
        style = {"reproduced": "green", "differs": "yellow", "failed": "red"}[r.verdict]
        table.add_row(
            r.label,
            r.measure,
            f"{r.published:.4f}",
            f"{r.ours:.4f}",
            f"{r.delta:+.4f}",
            f"±{r.tolerance:.4g}",
            f"[{style}]{r.verdict}[/]",
            f"[{sources.index(r.citation) + 1}]",
        )
    console.print(table)
    for i, source in enumerate(sources, 1):
        console.print(f"[{i}] {source}", markup=False)
    for r in rows:
        if r.detail:
            console.print(f"{r.label} {r.measure}: {r.detail}", markup=False)
    console.print(f"written: {out / name / 'reproduction.json'}", markup=False)
    raise typer.Exit(0 if all(r.verdict == "reproduced" for r in rows) else 1)


@data_app.command("path")
def data_path_cmd() -> None:
    """Print the data home (RANKBENCH_DATA, default ~/.cache/rankbench)."""
    from rankbench.harness.datahome import data_home

    console.print(str(data_home()))


VERIFY_LISTED = 10
"""Files of one dataset `rankbench data verify` lists one per line before `… and N more`."""


def verify_rows(spec: Any, statuses: Sequence[Any], limit: int = VERIFY_LISTED) -> list[tuple[str, str]]:
    """`(status, where)` rows of one dataset for `rankbench data verify`.

    Files that all share one status are one row: `missing (123 files)` with the fetch command (or, with no
    download, the folder to place them in), `ok (4 files)` with their folder; one file keeps its path. Otherwise
    each file that is not ok is a row (at most `limit`, then `… and N more`), and the ok files one row.
    """
    from os.path import commonpath

    from rankbench.harness.datahome import data_home

    def where(found: Sequence[Any]) -> str:
        return commonpath([str(f.path) for f in found]) if found else str(data_home())

    def counted(status: str, found: Sequence[Any]) -> str:
        return status if len(found) == 1 else f"{status} ({len(found)} files)"

    kinds = {f.status for f in statuses}
    if len(kinds) == 1 and "missing" in kinds:
        place = f"rankbench data fetch {spec.name}" if spec.downloads else f"place them under {where(statuses)}"
        return [(counted("missing", statuses), place if len(statuses) > 1 or spec.downloads else where(statuses))]
    ok = [f for f in statuses if f.status == "ok"]
    rows = [(f.status, str(f.path)) for f in statuses if f.status != "ok"]
    if len(rows) > limit:
        left = rows[limit:]
        counts = ", ".join(f"{sum(r[0] == k for r in left)} {k}" for k in dict.fromkeys(r[0] for r in left))
        rows = [*rows[:limit], ("…", f"and {len(left)} more ({counts})")]
    if ok:
        rows.append((counted("ok", ok), where(ok)))
    return rows


@data_app.command("verify")
def data_verify_cmd(names: Annotated[list[str], typer.Argument(help="datasets (default: all)")] = []) -> None:  # noqa: B006
    """Check every file of the datasets against its recorded checksum (exit 1 on a corrupt file, or on a
    missing one of a dataset named). One line per dataset whose files share a status; files that are not
    ok are listed one per line, the first 10 of a dataset."""
    from rankbench.harness.datahome import data_home, verify
    from rankbench.harness.registry import DATASETS

    if not data_home().is_dir():
        raise BadInput(
            f"the data home {data_home()} is not a folder: set RANKBENCH_DATA to the folder of your datasets"
        )
    table = Table("dataset", "status", "file", box=None, header_style="bold")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    table.columns[2].overflow = "fold"  # a path cut short names no file
    bad = 0
    damaged: list[str] = []
    specs = [DATASETS.get(n) for n in names] if names else [d for d in DATASETS if d.files]
    style = {"ok": "green", "unpinned": "cyan", "missing": "yellow", "mismatch": "red", "damaged": "red", "…": ""}
    for spec in specs:
        statuses = verify(spec)
        # a corrupt file always fails; an absent one only when that dataset was asked for by name
        bad += sum(s.status in ("mismatch", "damaged") or (bool(names) and s.status == "missing") for s in statuses)
        for status, where in verify_rows(spec, statuses):
            table.add_row(spec.name, Text(status, style=style[status.split()[0]]), Text(where))
        damaged += [s.detail for s in statuses if s.status == "damaged"]
    console.print(table)
    for line in damaged[:VERIFY_LISTED]:
        error_line(line)
    if len(damaged) > VERIFY_LISTED:
        error_line(f"… and {len(damaged) - VERIFY_LISTED} more damaged files")
    raise typer.Exit(1 if bad else 0)


def _fetch_datasets(specs: list) -> list[Path]:
    """Fetch every missing download of `specs` with a progress bar per file; returns what was placed."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from rankbench.harness.datahome import data_home, missing_downloads
    from rankbench.harness.download import fetch, mirrored

    needed = [(spec, d) for spec in specs for d in missing_downloads(spec)]
    placed: list[Path] = []
    if not needed:
        return placed
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
    ) as progress:
        for spec, download in needed:
            bar = progress.add_task(f"{spec.name}: {download.path}", total=download.size)

            def advance(done: int, total: int | None, bar: int = bar) -> None:
                progress.update(bar, completed=done, total=total)

            err_console.print(
                f"fetching {mirrored(download.url)} -> {download.target(data_home())}", markup=False, soft_wrap=True
            )
            placed.append(fetch(download, data_home(), progress=advance))
    return placed


@data_app.command("fetch")
def data_fetch_cmd(
    names: Annotated[list[str], typer.Argument(help="datasets or suite references (see `rankbench data ls`)")],
) -> None:
    """Download, verify (sha256 or the publisher's md5), unpack and place datasets in the data home.

    Resumes partial downloads; RANKBENCH_MIRROR=URL fetches URL/<host>/<path> instead of each publisher URL.
    """
    from rankbench.harness.datahome import ensure
    from rankbench.harness.errors import UnknownName
    from rankbench.harness.registry import DATASETS
    from rankbench.harness.suite import resolve_suite

    specs = []
    for name in names:
        if name in DATASETS:
            specs.append(DATASETS.get(name))
            continue
        try:
            suite = resolve_suite(name)
        except UnknownName as exc:
            if exc.kind != "suite":  # a known kind's unknown member (`beir/nfcorps`) says so itself
                raise
            raise UnknownName("dataset", exc.name, [d.name for d in DATASETS if d.files or d.downloads]) from None
        specs.append(DATASETS.get(suite.dataset))
    for spec in specs:
        if not spec.downloads and not spec.files:
            console.print(f"{spec.name}: nothing to fetch (generated, or read by its own library)", markup=False)
    _fetch_datasets(specs)
    for spec in specs:
        ensure(spec, fetch_missing=False)
        console.print(f"{spec.name}: present", markup=False)


def data_listing(names: Sequence[str] = ()) -> Listing:
    """`rankbench data ls` rows: status in the data home, size on disk, download size, licence.

    JSON rows also carry the sizes in bytes (`size_bytes`, `download_bytes`; 0 when none). A dataset that
    `run` reads from another one (`beir/scifact` from the pinned `beir-scifact`) is `present`,
    with that dataset's size and its name in `served_by` ("" for the others; `present*` in the table).

    Raises:
        UnknownName: a name in `names` is not a registered dataset.
    """
    from rankbench.harness.datahome import dataset_status
    from rankbench.harness.registry import DATASETS

    specs = [DATASETS.get(n) for n in names] if names else [d for d in DATASETS if d.files or d.downloads or d.licence]
    rows = []
    for spec in specs:
        state, size = dataset_status(spec)
        served_by = _served_by(spec.name) if state != "present" else None
        if served_by is not None:
            state, size = "present", dataset_status(DATASETS.get(served_by))[1]
        download = sum(d.size or 0 for d in spec.downloads)
        rows.append(
            {
                "name": spec.name,
                "status": state,
                "served_by": served_by or "",
                "size": _mib(size) if size else "-",
                "download": _mib(download) if download else ("yes" if spec.downloads else "-"),
                "licence": spec.licence or "-",
                "size_bytes": size,
                "download_bytes": download,
            }
        )
    columns = ("name", "status", "size", "download", "licence")
    return Listing(columns=columns, narrow=columns, rows=tuple(rows), cut=("licence",))


def _served_by(name: str) -> str | None:
    """The present dataset that `rankbench run NAME` reads instead of dataset `name`, if any: `beir/scifact`
    runs as the built-in `beir-scifact` when that pinned copy is in the data home. Found as `run` finds it,
    by resolving `name` as a suite reference; None when it names no suite or its suite reads `name` itself."""
    from rankbench.harness.datahome import dataset_status
    from rankbench.harness.registry import DATASETS
    from rankbench.harness.suite import resolve_suite

    try:
        dataset = resolve_suite(name).dataset
    except HarnessError:
        return None
    if dataset == name or dataset not in DATASETS or dataset_status(DATASETS.get(dataset))[0] != "present":
        return None
    return dataset


@data_app.command("ls")
def data_ls_cmd(
    names: Annotated[list[str], typer.Argument(help="datasets (default: every dataset with files or downloads)")] = [],  # noqa: B006
    wide: Wide = False,
    fmt: Format = "table",
) -> None:
    """Each known dataset: present / partial / missing in the data home, size on disk, licence."""
    from rankbench.harness.datahome import data_home

    found = data_listing(names)
    if fmt != "table":
        print_listing(found, wide=wide, fmt=fmt)
        return
    served = [row for row in found.rows if row["served_by"]]
    marked = tuple({**row, "status": "present*"} if row["served_by"] else row for row in found.rows)
    print_listing(dataclasses.replace(found, rows=marked), wide=wide, fmt=fmt)
    console.print(f"data home: {data_home()}", markup=False)
    for row in served:
        console.print(f"* {row['name']}: run reads the copy of {row['served_by']}", markup=False)


CacheDir = Annotated[Path | None, typer.Option("--dir", help="cache folder (default: RANKBENCH_CACHE)")]
Namespace = Annotated[str | None, typer.Option("--namespace", "-n", help="only this namespace (embeddings, ...)")]


def _output_cache(folder: Path | None) -> OutputCache:
    from rankbench.harness.cache import OutputCache

    cache = OutputCache(folder) if folder is not None else OutputCache()
    if cache.root is None:
        raise BadInput("the output cache is off (RANKBENCH_CACHE=off); set RANKBENCH_CACHE to a folder")
    return cache


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"


@cache_app.command("ls")
def cache_ls_cmd(folder: CacheDir = None, namespace: Namespace = None) -> None:
    """List cache entries with their size, shape and key."""
    cache = _output_cache(folder)
    table = Table("namespace", "fingerprint", "content", "size", "key", box=None, header_style="bold")
    entries = list(cache.entries(namespace))
    for e in entries:
        key = ", ".join(f"{k}={v}" for k, v in sorted((e.meta.get("key") or {}).items()))
        table.add_row(e.namespace, e.fingerprint[:12], e.describe, _mib(e.size_bytes), key[:80])
    console.print(table)
    console.print(f"{len(entries)} entries, {_mib(sum(e.size_bytes for e in entries))} in {cache.root}")


@cache_app.command("verify")
def cache_verify_cmd(folder: CacheDir = None, namespace: Namespace = None) -> None:
    """Check every entry against its recorded sha256; exit 1 if any is corrupt.

    Nothing is changed: a corrupt entry is left in place, and the next run that looks it up drops and
    rebuilds it (`rankbench cache clear` removes every entry now)."""
    checked = _output_cache(folder).verify(namespace)
    bad = [e for e, ok in checked if not ok]
    for e in bad:
        console.print(f"corrupt: {e.path}", markup=False, soft_wrap=True)
    console.print(f"{len(checked) - len(bad)} ok, {len(bad)} corrupt")
    if bad:
        error_line(
            f"{len(bad)} corrupt cache entr{'y' if len(bad) == 1 else 'ies'} left in place: the next run that "
            "needs one drops and rebuilds it; `rankbench cache clear` removes them now"
        )
    raise typer.Exit(1 if bad else 0)


@cache_app.command("clear")
def cache_clear_cmd(folder: CacheDir = None, namespace: Namespace = None) -> None:
    """Delete cache entries (all, or one namespace)."""
    cache = _output_cache(folder)
    console.print(f"removed {cache.clear(namespace)} entries from {cache.root}")


def _install_plugin_commands() -> None:
    from rankbench.harness.plugins import command_registrars

    for register in command_registrars():
        register(app)


ClickError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
"""The base of typer's usage errors: click's `ClickException`, or its copy inside newer typer releases."""
_SHOWS_HELP = getattr(sys.modules[ClickError.__module__], "NoArgsIsHelpError", ())
"""Raised for a bare `rankbench` or group (click >= 8.2 and typer's copy): its `show()` prints the help."""


def error_line(message: str) -> None:
    """Print a user error as the command line prints every one: `error: MESSAGE`, one line on stderr."""
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def usage_error(exc: Any) -> str:
    """A command-line usage error (`--seed abc`, an unknown option, a missing argument) as one line, with
    the command whose help lists the options: typer would print a usage block and the error under it."""
    message = exc.format_message()
    message = message[:1].lower() + message[1:].rstrip(".")
    ctx = getattr(exc, "ctx", None)
    return f"{message} (see `{ctx.command_path} --help`)" if ctx is not None else message


def failure_line(error: ErrorInfo, path: Path) -> str:
    """What a failed cell prints: the message of a user error (bad input, a missing dependency: it names
    its fix); for anything else the exception's type too, and where its stored traceback is."""
    if not error.traceback:
        return error.message
    return f"{error.type}: {error.message} (traceback in {path})"


def main() -> None:
    """The full `rankbench` command line (the executable, `entry.main`, takes `evaluate`'s lean path first);
    errors print one line and set the exit status."""
    try:
        _install_plugin_commands()
        code = app(prog_name="rankbench", standalone_mode=False)  # typer.Exit: its code returned; usage errors raise
        if isinstance(code, int) and code != 0:
            sys.exit(code)
        return
    except ClickError as exc:
        if isinstance(exc, _SHOWS_HELP):
            exc.show()
            sys.exit(exc.exit_code)
        error_line(usage_error(exc))
        sys.exit(exc.exit_code)
    except typer.Abort:
        error_line("aborted")
        sys.exit(1)
    except HarnessError as exc:
        error_line(str(exc))
        sys.exit(exc.exit_code)
