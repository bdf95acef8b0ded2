"""Suites pin what is run: dataset, task and its settings, measures, unit of pairing, seeds, budgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from rankbench.harness.interfaces import Family
from rankbench.harness.measures import parse_measures
from rankbench.harness.records import Loaded
from rankbench.harness.stats import Estimate

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from rankbench.harness.result import Result


@dataclass(frozen=True)
class Budget:
    """Limits for one cell; the runner records a cell that passes them as failed."""

    max_seconds: float | None = None
    max_memory_mb: float | None = None


@dataclass(frozen=True, kw_only=True)
class Suite:
    name: str
    dataset: str
    task: str
    measures: tuple[str, ...]
    families: tuple[Family, ...]
    unit: str = "query"
    seeds: tuple[int, ...] = (0,)
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The task's parameters (a recommender suite's `split`, a latency suite's `repeats`, ...); stored in each
    result's provenance, and overridable by reference: `NAME(key=value)`."""
    dataset_params: Mapping[str, Any] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    description: str = ""
    needs_adapter: bool = True
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        parse_measures(self.measures)  # fail at definition time on a misspelt measure
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "dataset_params", MappingProxyType(dict(self.dataset_params)))


@dataclass(frozen=True)
class TaskOutput:
    """What a task returns for one cell.

    `per_unit` has one row per unit (query, user, impression) and one column per measure
    that is a mean over units (extra columns such as labels/predictions are kept too);
    `aggregates` holds measures that are not unit means (AUC, latency percentiles).
    `device` is `rankbench.harness.devices.describe` of the device a task ran its own tensors on
    (a task without an adapter, such as LIMIT's free embeddings); an adapter reports its own.
    """

    per_unit: pd.DataFrame
    timings: Mapping[str, float] = field(default_factory=dict)
    aggregates: Mapping[str, Estimate] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    device: Mapping[str, str] = field(default_factory=dict)


def resolve_suite(text: str) -> Suite:
    """A registered suite, a variant of one with settings overrides, or a dataset reference.

    `limit-critical-n(dims='2..8')` is a variant: the canonical text (sorted keys) is the stored
    suite name, so variants never share cells, and any worker can rebuild the same variant from the
    name alone. A text that names no registered suite goes to the suite sources (`SUITE_SOURCES`):
    `beir/nfcorpus`, `irds:<id>`, `mteb:<Task>`, a local folder or file; the suite they return is
    stored under its canonical name and its dataset is registered in this process. Such a reference
    takes overrides too, `./inter.csv(split=temporal)`, stored as `/abs/inter.csv(split='temporal')`;
    a path that exists as written (parentheses and all) is read as that path.

    Raises:
        UnknownName: no suite of that name, or an override key neither the suite nor its task knows.
        BadInput: an override that is not `key=value` or whose value has the wrong type, or a reference
            its source refuses (a local path that does not exist, a folder of no known layout).
    """
    from rankbench.harness.adapter_ref import parse_stage
    from rankbench.harness.errors import BadInput, UnknownName
    from rankbench.harness.registry import SUITES

    if text in _from_sources:
        return _from_sources[text]
    try:
        stage = parse_stage(text)
        base: Suite = SUITES.get(stage.name)
    except (UnknownName, BadInput) as exc:
        found = _source_variant(text) or suite_from_sources(text)
        if found is None:
            raise exc from None
        return found
    if stage.depth is not None:
        raise BadInput(f"suite reference {text!r} cannot take @depth")
    if not stage.params:
        return base
    _check_settings(base, dict(stage.params))
    return replace(base, name=str(stage), settings={**base.settings, **dict(stage.params)})


def split_overrides(text: str) -> tuple[str, str] | None:
    """`./inter.csv(split=temporal)` -> (`./inter.csv`, `split=temporal`): the reference before its last,
    balanced parenthesised group and that group's contents; None when `text` does not end in one."""
    stripped = text.rstrip()
    if not stripped.endswith(")"):
        return None
    depth = 0
    for i in range(len(stripped) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(stripped[i], 0)
        if depth == 0:
            base = stripped[:i].rstrip()
            return (base, stripped[i + 1 : -1]) if base else None
    return None


def _source_variant(text: str) -> Suite | None:
    """A suite source's reference with overrides (`./inter.csv(split=temporal)`, `beir/nfcorpus(depth=100)`):
    the source's suite with its settings overridden, named `BASE_NAME(key=value,...)` (sorted keys) as
    named variants are; None when `text` has no overrides or is a path that exists as written."""
    from pathlib import Path

    from rankbench.harness.adapter_ref import Stage, parse_params

    split = split_overrides(text)
    if split is None or _exists(Path(text)):
        return None
    base_text, inner = split
    base = resolve_suite(base_text)
    params = parse_params(inner, text)
    if not params:
        return base
    _check_settings(base, dict(params))
    name = str(Stage(base.name, params))
    variant = replace(base, name=name, settings={**base.settings, **dict(params)})
    _from_sources[text] = _from_sources[name] = variant
    return variant


def _exists(path: Path) -> bool:
    try:
        return path.expanduser().exists()
    except (OSError, RuntimeError):  # a name too long for the file system; `~user` of no such user
        return False


EXECUTOR_SETTINGS = ("num_cpus", "num_gpus")
"""Settings the executors read (a Ray cell's resources), open to every suite."""


def _check_settings(base: Suite, overrides: Mapping[str, Any]) -> None:
    """Raise `UnknownName` for a key neither the suite nor its task knows, and `BadInput` for a value
    whose type differs from the suite's own value for that key (`split_seed='abc'` where it holds 0).

    Without this, `ir-synth(dpeth=50)` would run, and be stored as a cell of its own, with the typo ignored.
    """
    from rankbench.harness.errors import BadInput, UnknownName
    from rankbench.harness.registry import TASKS

    task = TASKS.get(base.task) if base.task in TASKS else None
    known = {*base.settings, *EXECUTOR_SETTINGS, *(task.settings if task is not None else ())}
    for key, value in sorted(overrides.items()):
        if key not in known:
            unknown = UnknownName(f"setting of suite {base.name!r}", key, known)
            unknown.args = (f"{unknown}; its settings are {', '.join(sorted(known))}",)
            raise unknown
        choices = task.choices.get(key) if task is not None else None
        if choices is not None and value not in choices:
            raise BadInput(
                f"setting {key} of suite {base.name!r} takes one of {', '.join(map(str, choices))}; got {value!r}"
            )
        wanted = task.types.get(key) if task is not None else None
        if wanted is not None and (isinstance(value, bool) or not isinstance(value, wanted)):
            raise BadInput(f"setting {key} of suite {base.name!r} takes {wanted.__name__}, got {value!r}")
        if key not in base.settings or base.settings[key] is None:
            continue
        current = base.settings[key]
        numeric = (int, float) if isinstance(current, float) else type(current)
        if isinstance(value, bool) != isinstance(current, bool) or not isinstance(value, numeric):
            raise BadInput(
                f"setting {key} of suite {base.name!r} takes {type(current).__name__} "
                f"(the suite sets {current!r}), got {value!r}"
            )


def suite_tags(result: Result) -> tuple[str, ...]:
    """The tags of the suite a result was computed on, as stored in it (schema 2 on).

    Results stored before tags were (schema 1) get the tags their suite has now; a suite no
    longer registered has none. Reports select families of results by tag (`"limit"`), never by name.
    """
    if result.schema_version >= 2:
        return result.tags
    from rankbench.harness.errors import HarnessError

    try:
        return resolve_suite(result.suite).tags
    except HarnessError:
        return ()


_from_sources: dict[str, Suite] = {}
_registered_from_sources: set[str] = set()  # datasets that references registered in this process


def suite_from_sources(text: str) -> Suite | None:
    """Ask each registered suite source (in `order`) to turn `text` into a suite; None if none does."""
    from rankbench.harness.registry import DATASETS, SUITE_SOURCES, resolve

    for source in sorted(SUITE_SOURCES, key=lambda s: (s.order, s.name)):
        found = resolve(source.resolver)(text)
        if found is None:
            continue
        suite, spec = found
        if spec is not None and spec.name not in DATASETS:
            DATASETS.add(spec)
            _registered_from_sources.add(spec.name)
        _from_sources[text] = _from_sources[suite.name] = suite
        return suite
    return None


class Task(Protocol):
    def __call__(self, suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput: ...
