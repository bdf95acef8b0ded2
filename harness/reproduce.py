"""Reproduction cards: a paper's experiment, its published numbers with citation and tolerance.

`reproduce(name)` runs the card's cells through the ordinary runner (so they are stored
and resumable), then sets each published target beside our computed value. Cards whose
check is not "run a suite" (agreement with another library) name a `check` function.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from types import MappingProxyType

from rankbench.harness.datahome import checked_file
from rankbench.harness.registry import DATASETS, Registry, resolve
from rankbench.harness.result import Result
from rankbench.harness.runner import current_checksum, plan, run_plan
from rankbench.harness.store import REPORT_FILE, CellKey, ResultStore, atomic_write_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A published number: measure, value, tolerance (absolute) and where it was published."""

    adapter: str
    measure: str
    published: float
    tolerance: float
    citation: str


@dataclass(frozen=True, kw_only=True)
class Card:
    name: str
    description: str
    suite: str = ""
    targets: tuple[Target, ...] = ()
    check: str | None = None  # "module:function(card, out_dir) -> list[ReproRow]" for custom cards
    options: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


@dataclass(frozen=True)
class ReproRow:
    label: str
    measure: str
    published: float
    ours: float
    tolerance: float
    citation: str
    detail: str = ""

    @property
    def delta(self) -> float:
        return self.ours - self.published

    @property
    def verdict(self) -> str:
        if math.isnan(self.ours):
            return "failed"
        return "reproduced" if abs(self.delta) <= self.tolerance else "differs"


CARDS: Registry[Card] = Registry("reproduction card", "CARDS", ("rankbench.suites",), "rankbench.suites")


def require_files(dataset: str) -> None:
    """Stop with one line naming the first missing file of a dataset (before any work)."""
    spec = DATASETS.get(dataset)
    for relpath in spec.files:
        checked_file(spec, relpath)


def reproduce(name: str, out: Path, *, rerun: bool = False) -> list[ReproRow]:
    """Run the card, then write `out/reproduction.json` (rows, verdicts, wall time, environment).

    A stored cell is reused only when the same code and suite settings computed it from the same data
    (`stale_reason`);
    a stale one is recomputed, and `rerun` recomputes every cell.
    """
    card = CARDS.get(name)
    start = time.perf_counter()
    rows = resolve(card.check)(card, out) if card.check else run_targets(card, out, rerun=rerun)
    write_report(card, rows, time.perf_counter() - start, out)
    return rows


def write_report(card: Card, rows: list[ReproRow], wall_s: float, out: Path) -> Path:
    """The card's outcome as JSON, written atomically beside its result cells."""
    from rankbench.harness.provenance import environment, now_iso

    report = {
        "card": card.name,
        "description": card.description,
        "wall_s": round(wall_s, 1),
        "reproduced": all(r.verdict == "reproduced" for r in rows),
        "rows": [{**asdict(r), "delta": r.delta, "verdict": r.verdict} for r in rows],
        "finished_at": now_iso(),
        **environment(),
    }
    path = out / REPORT_FILE
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(report, indent=2, allow_nan=True).encode())
    return path


def stale_cells(store: ResultStore, cells: list[CellKey]) -> dict[CellKey, str]:
    """The stored cells among `cells` that the current code did not compute, each with the reason."""
    from rankbench.harness.provenance import code_state, stale_reason
    from rankbench.harness.suite import resolve_suite

    current = code_state()
    checksums: dict[str, str | None] = {}
    out = {}
    for cell in cells:
        loaded = store.load(store.json_path(cell)) if store.json_path(cell).is_file() else None
        if isinstance(loaded, Result):
            suite = resolve_suite(cell.suite)
            settings = {"task": suite.task, **suite.settings}
            reason = stale_reason(loaded.provenance, current, settings, current_checksum(cell.suite, checksums))
            if reason is not None:
                out[cell] = reason
    return out


def run_targets(card: Card, out: Path, suite_name: str = "", *, rerun: bool = False) -> list[ReproRow]:
    """Run the card's target adapters on its suite (or on `suite_name`, a variant a custom check picks)."""
    from rankbench.harness.suite import resolve_suite

    suite_name = suite_name or card.suite
    suite = resolve_suite(suite_name)
    require_files(suite.dataset)
    adapters = list(dict.fromkeys(t.adapter for t in card.targets))
    store = ResultStore(out)
    cells = plan([suite_name], adapters)
    stale = {} if rerun else stale_cells(store, cells)
    for cell, reason in stale.items():
        log.warning("stored cell %s / %s / seed %d is stale (%s): recomputing it", *astuple(cell), reason)
    fresh = [c for c in cells if c not in stale]
    summary = run_plan(fresh, store, rerun=rerun)
    redone = run_plan(list(stale), store, rerun=True)
    summary.failed.extend(redone.failed)
    planned = set(cells)
    values: dict[tuple[str, str], list[float]] = {}
    for r in store.results():
        if CellKey(r.suite, r.adapter, r.seed) in planned and r.ok:  # this card's seeds only
            for m, est in r.measures.items():
                values.setdefault((r.adapter, m), []).append(est.value)
    rows = []
    for t in card.targets:
        got = values.get((t.adapter, t.measure))
        ours = float(sum(got) / len(got)) if got else float("nan")
        failed = [msg for cell, msg in summary.failed if cell.adapter == t.adapter]
        rows.append(
            ReproRow(t.adapter, t.measure, t.published, ours, t.tolerance, t.citation, failed[0] if failed else "")
        )
    return rows
