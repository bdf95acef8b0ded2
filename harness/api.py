"""The Python API: benchmark registered adapters or your own adapter objects on suites.

    from rankbench.harness import run
    results = run("ir-synth", MyRetriever(), out="results")
    print(results)  # per-measure means, one row per (suite, adapter)

`run` takes what `rankbench run` takes (suite names, adapter references such as
`bm25(k1=1.2)`) and also adapter *objects* that were never registered: any object that
implements a family protocol of `rankbench.harness.interfaces`. Cells go through the
same runner and land in the same `ResultStore` as the command line's.

An object's cells are stored under a name derived from it: its class name and a digest of
its class path and parameters (`get_params()` where it has one, else its dataclass fields or
the constructor parameters it keeps as attributes of the same name, else its whole
attribute state), so two objects with different parameters never share a cell and the same
parameters find their stored cells again. `name=` overrides the derived name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import logging
import pickle
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import PROTOCOLS, Family
from rankbench.harness.store import CellKey, ResultStore

if TYPE_CHECKING:
    import pandas as pd

    from rankbench.harness.result import Result

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, kw_only=True)
class AdapterObject:
    """An unregistered adapter object, the family it runs as and the name its cells are stored under."""

    adapter: Any
    family: Family
    name: str
    params: Mapping[str, str] = field(default_factory=dict)
    """The parameters the name was derived from, as canonical text (stored in each result's info)."""


def _canonical(value: Any, where: str) -> Any:
    """A JSON-able, deterministic description of a parameter value (arrays and objects by digest).

    Raises `BadInput` for a value that has neither a plain form nor a pickle.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v, f"{where}[{k!r}]") for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v, where) for v in value), key=repr)
    if isinstance(value, type) or inspect.isroutine(value):
        return f"{value.__module__}.{value.__qualname__}"
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.tobytes() if data.dtype != object else pickle.dumps(data)).hexdigest()[:16]
        return f"ndarray(dtype={data.dtype}, shape={data.shape}, sha256={digest})"
    try:
        blob = pickle.dumps(value, protocol=4)
    except Exception as exc:
        raise BadInput(
            f"cannot derive a stable name from {where} ({type(value).__name__} cannot be pickled: {exc}); "
            "pass run(..., name='...')"
        ) from None
    return f"{type(value).__module__}.{type(value).__qualname__}(pickle sha256={hashlib.sha256(blob).hexdigest()[:16]})"


def adapter_params(obj: Any) -> dict[str, Any]:
    """The parameters that identify an adapter object, as canonical JSON-able values.

    In order: `obj.get_params()` (scikit-learn's convention), the init fields of a dataclass, the
    constructor parameters when there are some and each is kept as an attribute of the same name;
    otherwise every attribute in `vars(obj)` (its state now, so an object fitted in between gets a
    new name: pass `name=` to `run` for a stable one).
    Raises `BadInput` when a value can be neither written out nor pickled.
    """
    cls = type(obj)
    where = cls.__name__
    if callable(getattr(obj, "get_params", None)):
        params = dict(obj.get_params())
    elif dataclasses.is_dataclass(obj):
        params = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
    else:
        try:
            signature = inspect.signature(cls)
        except (TypeError, ValueError):
            signature = None
        names = [
            p.name
            for p in (signature.parameters.values() if signature else ())
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if names and all(hasattr(obj, n) for n in names):
            params = {n: getattr(obj, n) for n in names}
        else:
            params = dict(getattr(obj, "__dict__", {}))
    return {k: _canonical(v, f"{where}.{k}") for k, v in sorted(params.items())}


def adapter_name(obj: Any) -> str:
    """`ClassName-<12 hex>`: the class name and a digest of the class path and `adapter_params(obj)`."""
    cls = type(obj)
    text = json.dumps([f"{cls.__module__}.{cls.__qualname__}", adapter_params(obj)], sort_keys=True)
    readable = re.sub(r"[^A-Za-z0-9_.\-]+", "_", cls.__name__).strip("_.") or "adapter"
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def infer_family(obj: Any, accepted: Iterable[Family]) -> Family:
    """The one family among `accepted` whose protocol `obj` implements (checked with `isinstance`).

    Raises `BadInput` when it implements none of them, or several (then `family=` decides).
    """
    accepted = tuple(accepted)
    matches = [f for f in accepted if isinstance(obj, PROTOCOLS[f])]
    if len(matches) == 1:
        return matches[0]
    kind = type(obj).__name__
    if not matches:
        wanted = ", ".join(f"{f} ({', '.join(_methods(f))})" for f in accepted)
        raise BadInput(f"{kind} implements no family these suites take; give it the methods of one of: {wanted}")
    raise BadInput(f"{kind} implements {' and '.join(matches)}; pass run(..., family=...) to choose")


def _methods(family: Family) -> list[str]:
    protocol = PROTOCOLS[family]
    return sorted(n for n in vars(protocol) if not n.startswith("_") and callable(getattr(protocol, n)))


def as_adapter_object(
    obj: Any, accepted: Iterable[Family], *, family: Family | None = None, name: str | None = None
) -> AdapterObject:
    """Check an unregistered adapter object and name its cells; `family` and `name` override inference.

    Raises `BadInput` when the object does not implement `family` (or any accepted family), or when
    `name` is not a plain name or is a registered adapter's (their cells must stay theirs).
    """
    from rankbench.harness.registry import ADAPTERS

    if family is not None:
        if family not in PROTOCOLS:
            raise BadInput(f"unknown family {family!r}; known: {', '.join(PROTOCOLS)}")
        if not isinstance(obj, PROTOCOLS[family]):
            raise BadInput(f"{type(obj).__name__} is not a {family}: it needs {', '.join(_methods(family))}")
    else:
        family = infer_family(obj, accepted)
    params = adapter_params(obj)
    if name is None:
        name = adapter_name(obj)
    elif not _NAME.match(name):
        raise BadInput(f"adapter name {name!r} must be a letter followed by letters, digits, '_', '.' or '-'")
    elif name in ADAPTERS:
        raise BadInput(f"{name!r} is a registered adapter; give your object another name")
    return AdapterObject(adapter=obj, family=family, name=name, params=params)


class ObjectExecutor:
    """Runs cells one after another in this process; cells named after an `AdapterObject` use it.

    The same object is fitted anew in each of its cells, in the order the cells are planned.
    """

    def __init__(self, objects: Mapping[str, AdapterObject]) -> None:
        self.objects = dict(objects)

    def map(self, cells: Iterable[CellKey]) -> Iterator[tuple[CellKey, Result, pd.DataFrame | None]]:
        from rankbench.harness.runner import execute_cell

        for cell in cells:
            obj = self.objects.get(cell.adapter)
            if obj is None:
                yield cell, *execute_cell(cell)
                continue
            result, units = execute_cell(cell, adapter=obj.adapter, family=obj.family)
            cls = type(obj.adapter)
            described = {"class": f"{cls.__module__}.{cls.__qualname__}", "params": dict(obj.params)}
            yield cell, dataclasses.replace(result, info={**result.info, "adapter_object": described}), units


@dataclass(frozen=True, kw_only=True)
class RunResults:
    """What `run` did: the planned cells, which ran, were cached or failed, and where they are stored."""

    store: ResultStore
    cells: tuple[CellKey, ...]
    ran: tuple[CellKey, ...]
    cached: tuple[CellKey, ...]
    failed: tuple[tuple[CellKey, str], ...]

    @property
    def ok(self) -> bool:
        """True when no cell failed."""
        return not self.failed

    def results(self) -> list[Result]:
        """The stored `Result` of every planned cell, in plan order (failed cells included)."""
        from rankbench.harness.result import Result

        out = []
        for key in self.cells:
            path = self.store.json_path(key)
            out.append(Result.from_json(json.loads(path.read_text(encoding="utf-8")), str(path)))
        return out

    def means(self) -> pd.DataFrame:
        """Per-measure values averaged over seeds: index (suite, adapter), one column per measure.

        Each cell's value is its stored estimate (the mean over units, or an aggregate such as AUC);
        failed cells contribute nothing.
        """
        import pandas as pd

        rows = [
            {"suite": r.suite, "adapter": r.adapter, "measure": m, "value": est.value}
            for r in self.results()
            if r.ok
            for m, est in r.measures.items()
        ]
        frame = pd.DataFrame(rows, columns=["suite", "adapter", "measure", "value"])
        table = frame.pivot_table(index=["suite", "adapter"], columns="measure", values="value", aggfunc="mean")
        table.columns.name = None
        return table

    def __str__(self) -> str:
        head = f"{len(self.ran)} ran, {len(self.cached)} cached, {len(self.failed)} failed -> {self.store.root}"
        lines = [head, *(f"FAILED {c.suite} / {c.adapter} / seed {c.seed}: {why}" for c, why in self.failed)]
        means = self.means()
        if len(means):
            lines.append(means.to_string(float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)


def run(
    suites: str | Sequence[str],
    adapters: Any = (),
    *,
    out: str | Path | ResultStore = "results",
    seeds: Sequence[int] | None = None,
    family: Family | None = None,
    name: str | None = None,
    rerun: bool = False,
) -> RunResults:
    """Run suites x adapters x seeds like `rankbench run`, storing each cell in `out`; stored cells are reused.

    `adapters` is one adapter or a list/tuple of them; each is a registered reference
    (`"bm25"`, `"bm25(k1=1.2)"`, `"bm25>>cross-encoder@100"`) or an object implementing a family
    protocol of `rankbench.harness.interfaces` (its family is inferred with `isinstance`, or given
    as `family=`; its cells are named by `adapter_name` or `name=`; `family` and `name` apply to
    the objects, and `name` only when there is one object). Cells of registered references run in
    the executor `rankbench run` would choose; with objects every cell runs in this process
    (suite budgets are then not enforced). `out` is a results folder or a `ResultStore`; `seeds`
    overrides the suites' seeds; `rerun` runs cells even when stored.

    Returns a `RunResults` (print it for per-measure means). Raises `BadInput`/`UnknownName` for
    unknown suites or references, an object of no (or the wrong) family, or a bad `name`; a cell
    that fails while running is recorded as failed and reported, not raised.
    """
    from rankbench.harness.executors import default_executor, make_executor
    from rankbench.harness.runner import plan, run_plan
    from rankbench.harness.suite import resolve_suite

    suite_names = [suites] if isinstance(suites, str) else list(suites)
    items = list(adapters) if isinstance(adapters, list | tuple) else [adapters]
    resolved = [resolve_suite(s) for s in suite_names]
    accepted = tuple(dict.fromkeys(f for s in resolved for f in s.families))
    n_objects = sum(not isinstance(a, str) for a in items)
    if name is not None and n_objects != 1:
        raise BadInput(f"name= names one adapter object; {n_objects} were given")
    if family is not None and n_objects == 0:
        raise BadInput("family= is for adapter objects; a registered reference knows its family")
    objects: dict[str, AdapterObject] = {}
    refs: list[str] = []
    for item in items:
        if isinstance(item, str):
            refs.append(item)
            continue
        obj = as_adapter_object(item, accepted, family=family, name=name)
        if obj.name in objects:  # the same parameters: the same cells
            log.info("%s appears twice among the adapters; its cells run once", obj.name)
            continue
        objects[obj.name] = obj
        refs.append(obj.name)
    cells = plan(suite_names, refs, seeds, objects={k: v.family for k, v in objects.items()})
    if objects:
        budgeted = default_executor(resolved) != "local"
        if budgeted:
            log.warning("adapter objects run in this process: the suites' time and memory budgets are not enforced")
        executor: Any = ObjectExecutor(objects)
    else:
        executor = make_executor(default_executor(resolved))
    store = out if isinstance(out, ResultStore) else ResultStore(out)
    summary = run_plan(cells, store, executor, rerun=rerun)
    return RunResults(
        store=store,
        cells=tuple(cells),
        ran=tuple(summary.ran),
        cached=tuple(summary.cached),
        failed=tuple(summary.failed),
    )
