"""The report model: what every leaderboard renderer (HTML, Markdown, JSON) shows, built once.

It is generic over suites and measures: directions come from the measure grammar, the
primary measure of a suite is its first quality measure, and the latency axis of the
Pareto plot is a latency measure when the suite has one, else the cell's timing per query.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from rankbench.harness.comparison import BETTER, WORSE, Settings, higher_is_better, paired_tests, verdict
from rankbench.harness.errors import BadInput, HarnessError
from rankbench.harness.provenance import commit_time
from rankbench.harness.stats import Estimate, holm
from rankbench.harness.store import MergedStore, ResultStore
from rankbench.reports.cells import Cell, load_cells
from rankbench.reports.compare import auc_test, compare, paired_units
from rankbench.reports.leaderboard import load_leaderboards, primary_measure

LATENCY_MEASURES = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "qps")
TIMING_KEYS = ("search_ms_per_query",)
DRILL_ROWS = 10
SYMBOLS = {BETTER: "▲", WORSE: "▼"}
"""The mark of a value significantly better/worse than its suite's baseline, by verdict."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mark:
    """Significance of one value against the suite's baseline (Holm across the suite)."""

    delta: float
    p_holm: float
    verdict: str  # better | worse | no significant change

    @property
    def symbol(self) -> str:
        """What every leaderboard prints after the value: ▲ significantly better, ▼ worse, else nothing."""
        return SYMBOLS.get(self.verdict, "")


@dataclass(frozen=True)
class UnitRow:
    unit: str
    value: float
    baseline: float | None = None


@dataclass(frozen=True)
class WinTieLoss:
    measure: str
    win: int
    tie: int
    loss: int


@dataclass(frozen=True)
class Drill:
    """Per-unit drill-down of one cell: its worst units and how it fares against the baseline."""

    measure: str
    n_units: int
    worst: tuple[UnitRow, ...]
    losses: tuple[UnitRow, ...] = ()
    wtl: tuple[WinTieLoss, ...] = ()


@dataclass(frozen=True)
class BoardRow:
    adapter: str
    family: str | None
    status: str
    error: str | None
    device: str | None
    seeds: tuple[int, ...]
    values: dict[str, Estimate | None]
    marks: dict[str, Mark] = field(default_factory=dict)
    latency: float | None = None
    is_baseline: bool = False
    drill: Drill | None = None


@dataclass(frozen=True)
class Latency:
    """The Pareto x axis: which number, its unit, and its direction."""

    key: str
    label: str
    higher_is_better: bool


@dataclass(frozen=True)
class SuiteBoard:
    suite: str
    unit: str
    measures: tuple[str, ...]
    higher: dict[str, bool]
    rows: tuple[BoardRow, ...]
    best: dict[str, float | None]
    baseline: str | None
    primary: str | None
    latency: Latency | None
    dataset: str
    checksum: str


@dataclass(frozen=True)
class Source:
    """One result set of the history (one per commit), oldest commit first.

    `label` is the short sha when every result set is at its own commit, else the folder name;
    `committed_at` is the committer date stored with the results (ISO 8601).
    """

    label: str
    path: str
    git_sha: str | None
    finished_at: str | None
    committed_at: str | None = None
    git_dirty: bool = False
    git_diff: str | None = None  # sha256 of the uncommitted changes of a dirty tree (None: clean)
    merged: tuple[str, ...] = ()  # every folder of a set merged from several at one commit (else empty)

    def store(self) -> ResultStore:
        """The stored results of this set (the union of its folders when merged), read once per `Source`:
        a report with history asks for each set up to four times (sources, drops on both sides, trend)."""
        cached = self.__dict__.get("_store")
        if cached is None:
            cached = MergedStore(self.merged) if self.merged else ResultStore(self.path)
            object.__setattr__(self, "_store", cached)
        return cached

    def relabelled(self, label: str) -> Source:
        """This set under another label, its store kept (already read)."""
        out = replace(self, label=label)
        if "_store" in self.__dict__:
            object.__setattr__(out, "_store", self.__dict__["_store"])
        return out


@dataclass(frozen=True, kw_only=True)
class Drop:
    """A measure significantly worse at result set `source` than at `previous`, the one before it.

    The test is `rankbench compare PREVIOUS SOURCE` (paired, Holm-corrected across that step).
    """

    source: str
    previous: str
    suite: str
    adapter: str
    measure: str
    before: float
    after: float
    delta: float
    p_holm: float


@dataclass(frozen=True)
class TrendPoint:
    source: str
    suite: str
    adapter: str
    measure: str
    value: float


@dataclass(frozen=True)
class Report:
    generated_at: str
    sources: tuple[Source, ...]
    suites: tuple[SuiteBoard, ...]
    trend: tuple[TrendPoint, ...]
    provenance: dict[str, list[str]]
    settings: Settings
    damaged: tuple[str, ...] = ()  # one line per damaged cell left out of the report
    drops: tuple[Drop, ...] = ()

    @property
    def n_cells(self) -> int:
        return sum(len(s.rows) for s in self.suites)

    @property
    def n_failed(self) -> int:
        return sum(r.status == "failed" for s in self.suites for r in s.rows)

    @property
    def adapters(self) -> list[str]:
        return sorted({r.adapter for s in self.suites for r in s.rows})


def _latency_axis(measures: Sequence[str], cells: Sequence[Cell]) -> Latency | None:
    for m in LATENCY_MEASURES:
        if m in measures:
            return Latency(m, m, higher_is_better(m))
    timings = {k for c in cells for k in c.timings()}
    for k in TIMING_KEYS:
        if k in timings:
            return Latency(k, f"{k} (timing)", False)
    return None


def _latency_value(cell: Cell, axis: Latency | None) -> float | None:
    if axis is None or not cell.ok:
        return None
    est = cell.estimate(axis.key) if axis.key in cell.measure_names() else None
    value = est.value if est is not None else cell.timings().get(axis.key)
    return None if value is None or math.isnan(value) else float(value)


def _better(diff: np.ndarray, higher: bool) -> np.ndarray:
    return diff if higher else -diff


def _drill(cell_units: pd.DataFrame, base_units: pd.DataFrame | None, measures: Sequence[str], primary: str) -> Drill:
    values = cell_units[primary].dropna()
    higher = higher_is_better(primary)
    worst_ids = values.sort_values(ascending=higher, kind="stable").index[:DRILL_ROWS]
    base_col = base_units[primary] if base_units is not None else None
    worst = tuple(
        UnitRow(str(u), float(values[u]), None if base_col is None else float(base_col.get(u, math.nan)))
        for u in worst_ids
    )
    if base_units is None:
        return Drill(primary, len(cell_units), worst)
    wtl = []
    for m in measures:
        if m not in cell_units.columns or m not in base_units.columns:
            continue
        diff = _better((cell_units[m] - base_units[m]).dropna().to_numpy(), higher_is_better(m))
        tie = np.isclose(diff, 0, atol=1e-12)
        wtl.append(WinTieLoss(m, int((~tie & (diff > 0)).sum()), int(tie.sum()), int((~tie & (diff < 0)).sum())))
    gain = pd.Series(_better((cell_units[primary] - base_units[primary]).to_numpy(), higher), index=cell_units.index)
    gain = gain.dropna()
    loss_ids = gain[gain < 0].sort_values(kind="stable").index[:DRILL_ROWS]
    losses = tuple(UnitRow(str(u), float(cell_units[primary][u]), float(base_units[primary][u])) for u in loss_ids)
    return Drill(primary, len(cell_units), worst, losses, tuple(wtl))


def _choose_baseline(cells: dict[str, Cell], order: Sequence[str], wanted: str | None) -> str | None:
    """The requested adapter when the suite has it, else the leader on the primary measure."""
    ok = [a for a in order if cells[a].ok]
    if wanted is not None and wanted in ok:
        return wanted
    return ok[0] if ok else None


def stored_adapter(name: str, stored: Sequence[str], option: str = "--baseline") -> str:
    """The stored adapter name that `name` refers to: canonicalised by the adapter-reference parser.

    `bm25(k1=1.2,b=0.75)` is stored as `bm25(b=0.75,k1=1.2)`; text the parser cannot read (an
    adapter not registered here) is taken as written. Raises BadInput naming a few stored adapters
    when the name is not among `stored`.
    """
    from rankbench.harness.adapter_ref import parse_adapter_ref

    if name in stored:
        return name
    try:
        canonical = str(parse_adapter_ref(name))
    except HarnessError:
        canonical = name
    if canonical in stored:
        return canonical
    known = sorted(set(stored))
    close = difflib.get_close_matches(canonical, known, n=5, cutoff=0.3) or known[:5]
    more = f" (and {len(known) - len(close)} more)" if len(known) > len(close) else ""
    raise BadInput(f"{option} {name!r} is not among the stored adapters; stored are e.g. {', '.join(close)}{more}")


def build_suite(
    suite: str,
    cells: dict[str, Cell],
    order: Sequence[str],
    measures: Sequence[str],
    baseline: str | None,
    settings: Settings,
) -> SuiteBoard:
    primary = primary_measure(measures)
    axis = _latency_axis(measures, list(cells.values()))
    base_name = _choose_baseline(cells, order, baseline)
    base_cell = cells[base_name] if base_name else None
    pending: list[tuple[str, str, float, float]] = []  # adapter, measure, delta, p
    pairs: dict[str, tuple[pd.DataFrame, pd.DataFrame] | None] = {}
    for adapter in order:
        cell = cells[adapter]
        if base_cell is None or adapter == base_name or not cell.ok:
            continue
        try:
            pairs[adapter] = paired_units(base_cell, cell)
            auc = auc_test(base_cell, cell) if "AUC" in measures else None
        except BadInput:
            pairs[adapter], auc = None, None  # different units: no paired test is meaningful
        tested = paired_tests(*pairs[adapter], measures, settings) if pairs[adapter] is not None else []
        for t in tested:
            pending.append((adapter, t.measure, t.delta, t.p_value))
        if auc is not None and all(t.measure != "AUC" for t in tested):
            pending.append((adapter, "AUC", auc.delta, auc.p_value))
    adjusted = holm(np.array([p[3] for p in pending]))
    marks: dict[str, dict[str, Mark]] = {}
    for (adapter, m, delta, _), adj in zip(pending, adjusted, strict=True):
        marks.setdefault(adapter, {})[m] = Mark(
            delta, float(adj), verdict(delta, adj, higher_is_better(m), settings.alpha)
        )
    rows = []
    for adapter in order:
        cell = cells[adapter]
        units = cell.units() if cell.ok else None
        drill = None
        if units is not None and primary in units.columns:
            pair = pairs.get(adapter)
            drill = _drill(units, pair[0] if pair else None, measures, primary)
        rows.append(
            BoardRow(
                adapter=adapter,
                family=cell.family,
                status="ok" if cell.ok else "failed",
                device=cell.device,
                error=cell.error,
                seeds=cell.seeds,
                values={m: cell.estimate(m) for m in measures},
                marks=marks.get(adapter, {}),
                latency=_latency_value(cell, axis),
                is_baseline=adapter == base_name,
                drill=drill,
            )
        )
    best: dict[str, float | None] = {}
    for m in measures:
        vals = [e.value for r in rows if (e := r.values.get(m)) is not None and not math.isnan(e.value)]
        # a column where every adapter ties has no best value worth marking
        best[m] = (max(vals) if higher_is_better(m) else min(vals)) if len(set(vals)) > 1 else None
    first = next(iter(cells.values())).results[0]
    return SuiteBoard(
        suite=suite,
        unit=first.unit,
        measures=tuple(measures),
        higher={m: higher_is_better(m) for m in measures},
        rows=tuple(rows),
        best=best,
        baseline=base_name,
        primary=primary,
        latency=axis,
        dataset=str(first.provenance.get("dataset", "")),
        checksum=str(first.provenance.get("dataset_checksum", "")),
    )


SHORT_SHA = 7


def _sources(dirs: Sequence[Path]) -> list[Source]:
    out = []
    for d in dirs:
        store = ResultStore(d)
        results = store.results()
        shas = Counter(r.provenance.get("git_sha") for r in results if r.provenance.get("git_sha"))
        sha = shas.most_common(1)[0][0] if shas else None
        at_sha = [r.provenance for r in results if r.provenance.get("git_sha") == sha] if sha else []
        stored = next((p["git_committed_at"] for p in at_sha if p.get("git_committed_at")), None)
        finished = max((str(r.provenance.get("finished_at")) for r in results), default=None)
        source = Source(
            label=d.name or str(d),
            path=str(d),
            git_sha=sha,
            finished_at=finished,
            # results written before commit times were stored: ask this checkout about the sha
            committed_at=stored or (commit_time(sha) if sha else None),
            git_dirty=any(bool(p.get("git_dirty")) for p in at_sha),
            git_diff=next((str(p["git_diff"]) for p in at_sha if p.get("git_diff")), None),
        )
        object.__setattr__(source, "_store", store)  # already read: `Source.store()` returns it
        out.append(source)
    return out


def merge_same_commit(sources: Sequence[Source]) -> list[Source]:
    """Result sets stored at one code state merged into one set (the union of their cells, see `MergedStore`).

    History steps from commit to commit; two folders of one commit (and the same uncommitted changes,
    `git_diff`) are one step's results split across runs. The merged set keeps the place of its first
    folder; sets without a sha stay apart.
    """
    by_code: dict[tuple[str, str | None], list[Source]] = {}
    for s in sources:
        if s.git_sha:
            by_code.setdefault((s.git_sha, s.git_diff), []).append(s)
    out = []
    for s in sources:
        group = by_code.get((s.git_sha, s.git_diff), [s]) if s.git_sha else [s]
        if len(group) == 1:
            out.append(s)
        elif s is group[0]:
            log.warning(
                "%s are at one commit (%s): reported as one result set, the union of their cells",
                ", ".join(g.path for g in group),
                s.git_sha[:SHORT_SHA] if s.git_sha else "",
            )
            finished = [g.finished_at for g in group if g.finished_at]
            out.append(
                replace(
                    s,
                    label="+".join(g.label for g in group),
                    finished_at=max(finished) if finished else None,
                    git_dirty=any(g.git_dirty for g in group),
                    merged=tuple(g.path for g in group),
                )
            )
    return out


def _commit_key(source: Source) -> datetime:
    return datetime.fromisoformat(str(source.committed_at)).astimezone(UTC)


def order_by_commit(sources: Sequence[Source]) -> list[Source]:
    """Oldest commit first, by the committer date stored with the results (ties keep the typed order).

    A result set without a commit time keeps every set in the typed order (with a warning), and
    labels are short shas only when each set is at a commit of its own.
    """
    ordered = list(sources)
    if len(ordered) > 1:
        unknown = [s.path for s in ordered if not s.committed_at]
        if unknown:
            log.warning("no commit time stored in %s: result sets kept in the order given", ", ".join(unknown))
        else:
            ordered.sort(key=_commit_key)
    shas = [s.git_sha for s in ordered]
    if len(ordered) > 1 and all(shas) and len(set(shas)) == len(shas):
        return [s.relabelled(str(s.git_sha)[:SHORT_SHA] + ("-dirty" if s.git_dirty else "")) for s in ordered]
    names = Counter(s.label for s in ordered)
    # the same folder name on several commits: tell them apart by commit (and uncommitted changes)
    labelled = [
        s.relabelled(f"{s.label}@{s.git_sha[:8]}" + (f"+{s.git_diff[:6]}" if s.git_diff else ""))
        if names[s.label] > 1 and s.git_sha
        else s
        for s in ordered
    ]
    return labelled


def history_drops(sources: Sequence[Source], settings: Settings) -> list[Drop]:
    """Every measure that got significantly worse from one result set to the next (as `compare --gate` sees it)."""
    drops = []
    for previous, current in itertools.pairwise(sources):
        try:
            cmp = compare(previous.store(), current.store(), settings=settings)
        except BadInput as exc:  # nothing in common, or different units: no paired test
            log.warning("history %s -> %s not compared: %s", previous.label, current.label, exc)
            continue
        for r in cmp.rows:
            if r.verdict == WORSE:
                drops.append(
                    Drop(
                        source=current.label,
                        previous=previous.label,
                        suite=r.suite,
                        adapter=r.adapter,
                        measure=r.measure,
                        before=r.base,
                        after=r.head,
                        delta=r.delta,
                        p_holm=r.p_holm,
                    )
                )
    return drops


def _trend(sources: Sequence[Source]) -> list[TrendPoint]:
    points = []
    for src in sources:
        for board in load_leaderboards(src.store()):
            for adapter, row in board.table.iterrows():
                for m in board.measures:
                    if not pd.isna(row[m]):
                        points.append(TrendPoint(src.label, board.suite, str(adapter), m, float(row[m])))
    return points


def _provenance(cells: Sequence[Cell]) -> dict[str, list[str]]:
    """Distinct values of each provenance field across the current result set."""
    seen: dict[str, set[str]] = {}

    def add(key: str, value: object) -> None:
        if value is not None and value != "":
            seen.setdefault(key, set()).add(str(value))

    for cell in cells:
        for r in cell.results:
            p = r.provenance
            add("rankbench", p.get("rankbench_version"))
            sha = p.get("git_sha")
            add("git", f"{sha}{' (dirty)' if p.get('git_dirty') else ''}" if sha else None)
            add("python", p.get("python"))
            hw = p.get("hardware") or {}
            add("hardware", f"{hw.get('cpu', '?')} x{hw.get('cpu_count', '?')}, {hw.get('memory_gb', '?')} GB")
            add("dataset", f"{p.get('dataset')} sha256:{str(p.get('dataset_checksum', ''))[:16]}")
            for pkg, version in sorted((p.get("packages") or {}).items()):
                add("packages", f"{pkg} {version}")
            add("run between", p.get("started_at"))
            add("run between", p.get("finished_at"))
    out = {k: sorted(v) for k, v in seen.items()}
    if "run between" in out:
        out["run between"] = [out["run between"][0], out["run between"][-1]]
    return out


def build_report(dirs: Sequence[Path | str], baseline: str | None = None, settings: Settings | None = None) -> Report:
    """The report of the newest result set, with the history across all of them.

    Several result sets are ordered by the commit time stored with them (not the order given),
    labelled by short sha, and each step from one commit to the next is tested for drops.
    """
    if not dirs:
        raise BadInput("give at least one results directory")
    settings = settings or Settings()
    sources = order_by_commit(merge_same_commit(_sources([Path(d) for d in dirs])))
    store = sources[-1].store()
    cells = load_cells(store)
    if not cells:
        raise BadInput("no results found; run `rankbench run ... -o DIR` first", path=str(store))
    if baseline is not None:
        baseline = stored_adapter(baseline, [a for _, a in cells])
    boards = []
    for lb in load_leaderboards(store):
        suite_cells = {a: c for (s, a), c in cells.items() if s == lb.suite}
        order = [str(a) for a in lb.table.index] + [a for a in lb.failed if a not in lb.table.index]
        order += [a for a in suite_cells if a not in order]
        boards.append(build_suite(lb.suite, suite_cells, order, lb.measures, baseline, settings))
    return Report(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        sources=tuple(sources),
        suites=tuple(boards),
        trend=tuple(_trend(sources)) if len(sources) > 1 else (),
        provenance=_provenance(list(cells.values())),
        settings=settings,
        damaged=tuple(d.line() for d in store.damaged()),
        drops=tuple(history_drops(sources, settings)) if len(sources) > 1 else (),
    )
