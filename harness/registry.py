"""Registries of named records: adapters, suites, datasets, tasks and quickstart entries.

Built-in adapter and suite modules declare module-level tuples (`ADAPTERS`, `CHECKPOINTS`, `SUITES`,
`DATASETS`, `TASKS`, `QUICKSTART`, `CARDS`, `SUITE_SOURCES`) instead of mutating a global at import; discovery
walks every subpackage of `rankbench.adapters` / `rankbench.suites` and takes each module that
declares one of those tuples (a helper module without them is simply not registered), plus the
modules named by the `rankbench.adapters` / `rankbench.suites` entry-point groups.
Adapter modules import only numpy and the harness at module level, so `rankbench list`
stays instant; the model class behind `factory` is resolved only when an adapter is built or
its parameters are read (`AdapterSpec.defaults`, from the constructor's signature).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import math
import os
import pkgutil
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from rankbench.harness.errors import BadInput, HarnessError, MissingDependency, UnknownName
from rankbench.harness.interfaces import Family

log = logging.getLogger(__name__)
PLUGINS_ENV = "RANKBENCH_PLUGINS"
"""Comma-separated modules scanned like `rankbench.adapters`/`rankbench.suites` modules."""


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


def resolve(factory: str, extra: str | None = None) -> Any:
    """Import `"module:attr"`; a missing third-party module becomes `MissingDependency`."""
    module_name, _, attr = factory.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or module_name
        if missing.startswith("rankbench"):
            raise
        raise MissingDependency(missing, extra, factory, requested=module_name) from exc
    return getattr(module, attr)


def _keyword_parameters(factory: Any) -> dict[str, inspect.Parameter]:
    """The keyword parameters `factory(...)` accepts, own class first.

    A constructor that takes `**kwargs` passes them to its base class (the CTR models pass
    the shared training knobs to `TorchCTRModel`), so the walk continues up the MRO until an
    `__init__` without `**kwargs`; a subclass's default wins over its base's.
    """
    signatures = (
        [inspect.signature(init) for klass in factory.__mro__ if (init := klass.__dict__.get("__init__")) is not None]
        if inspect.isclass(factory)
        else [inspect.signature(factory)]
    )
    found: dict[str, inspect.Parameter] = {}
    for i, sig in enumerate(signatures):
        params = list(sig.parameters.values())[1 if inspect.isclass(factory) else 0 :]  # drop `self`
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                found.setdefault(p.name, p)
        if not any(p.kind is p.VAR_KEYWORD for p in params) or i == len(signatures) - 1:
            break
    return found


@cache
def constructor_defaults(factory: str, extra: str | None = None) -> Mapping[str, Any]:
    """Every keyword parameter of the class behind `factory` (`"module:attr"`) and its default.

    A parameter without a default maps to `inspect.Parameter.empty`. Resolving imports the
    model module (torch for the CTR models), so only building or checking parameters calls it.
    """
    params = _keyword_parameters(resolve(factory, extra))
    return MappingProxyType({name: p.default for name, p in params.items()})


_SCALARS = {"bool": bool, "int": int, "float": float, "None": type(None)}


@cache
def scalar_types(factory: str, extra: str | None = None) -> Mapping[str, frozenset[str]]:
    """The parameters of `factory` annotated only with `bool`, `int`, `float` and `None`, and those type names.

    `float` accepts an int too, as a type checker does; other parameters are not checked.
    """
    found = {}
    for name, p in _keyword_parameters(resolve(factory, extra)).items():
        annotation = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
        kinds = frozenset(t.strip() for t in str(annotation).split("|"))
        if kinds and kinds <= _SCALARS.keys():
            found[name] = kinds
    return MappingProxyType(found)


def _fits(value: Any, kinds: frozenset[str]) -> bool:
    if isinstance(value, bool):
        return "bool" in kinds
    if isinstance(value, int):
        return "int" in kinds or "float" in kinds
    if isinstance(value, float):
        return "float" in kinds and value == value and abs(value) != float("inf")
    return value is None and "None" in kinds


POSITIVE_INTEGERS = ("epochs", "max_epochs", "batch_size", "dim", "factors", "embedding_size", "num_epochs")
"""Training hyper-parameters every adapter reads as a positive count (`AdapterSpec.check_params`)."""
POSITIVE_NUMBERS = ("lr", "learning_rate")
"""Training hyper-parameters every adapter reads as a positive number."""


@dataclass(frozen=True, kw_only=True)
class AdapterSpec:
    """Metadata of one adapter: how to build it, which family protocol it implements.

    Each default is stated once, in the constructor's signature: `params` holds only the
    values this record sets differently (`bm25-rocchio` sets `method="rocchio"`), and
    `defaults()` reads the rest from the constructor when they are needed, so listing
    adapters imports no model library.
    """

    name: str
    family: Family
    factory: str
    extra: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    """Overrides of the constructor's defaults (only values that differ from them)."""
    description: str = ""
    weights: str = ""
    smoke_params: Mapping[str, Any] = field(default_factory=dict)
    """Overrides that make the adapter fast enough for the contract tests (fewer epochs, ...)."""
    shorthand: str = ""
    """The parameter `NAME:VALUE` sets on the command line (`run:FILE` is `run(path=FILE)`); "" for none."""
    canonical: str = ""
    """`"module:function"` mapping a reference's parameters to the ones its cell is stored under (called when
    the reference is parsed: e.g. a file's path made absolute and its content digest added); "" for none."""
    open_params: bool = False
    """Also accepts parameters not in `params` (a wrapped library's hyper-parameters, checked by the factory)."""
    prepare: str = ""
    """`"module:function"` that `plan` calls before any cell runs, with a reference's parameters (this record's
    `params` updated by the reference's) and `fetch=` (False under `--no-fetch`): it fetches what the adapter
    reads from the data home besides the suite's dataset (FuxiCTR's model zoo), or raises one line saying how
    to get it; "" for none."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "smoke_params", MappingProxyType(dict(self.smoke_params)))

    def defaults(self) -> dict[str, Any]:
        """Every parameter the adapter takes with the value `build()` uses: the constructor's defaults
        updated by `params` (`inspect.Parameter.empty` for a required parameter this record leaves unset).

        Raises `MissingDependency` when the model module's library is not installed.
        """
        return {**constructor_defaults(self.factory, self.extra), **self.params}

    def reject_unknown(self, names: Iterable[str]) -> None:
        """Raise `UnknownName` (one line, with did-you-mean) for the first name the adapter does not take."""
        names = sorted(names)
        if not names or self.open_params:
            return
        known = self.defaults()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UnknownName(f"parameter of adapter {self.name!r}", unknown[0], known)

    def check_params(self, params: Mapping[str, Any]) -> None:
        """`reject_unknown`, then `BadInput` (one line) for the first value of the wrong type for its
        parameter: `bm25(k1=abc)` gives a word where the constructor's annotation says `float`.

        A parameter annotated with only `bool`, `int`, `float` and `None` is checked (an int passes
        for a float; NaN and infinity do not); others are left to the constructor.
        """
        self.reject_unknown(params)
        kinds = scalar_types(self.factory, self.extra)
        for name, value in sorted(params.items()):
            if name in kinds and not _fits(value, kinds[name]):
                wanted = " or ".join(sorted(kinds[name]))
                default = self.defaults().get(name)
                raise BadInput(
                    f"parameter {name} of adapter {self.name!r} takes {wanted} (default {default!r}), got {value!r}"
                )

    def check_ranges(self, params: Mapping[str, Any]) -> None:
        """`BadInput` (one line) for a conventional training hyper-parameter out of range (`POSITIVE_INTEGERS`,
        `POSITIVE_NUMBERS`), open-parameter adapters (RecBole's, FuxiCTR's) included. A reference is checked
        before any cell (`parse_adapter_ref`): `bpr(epochs=-1)` failed its cell with an unrelated message.
        `build()` does not check, so code may still build `bpr(lr=0)` to look at an untrained model."""
        for name, value in sorted(params.items()):
            counted = isinstance(value, int) and not isinstance(value, bool)
            if name in POSITIVE_INTEGERS and not (counted and value >= 1):
                raise BadInput(f"{self.name}: {name} must be a positive integer, got {value!r}")
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if name in POSITIVE_NUMBERS and not (number and math.isfinite(value) and value > 0):
                raise BadInput(f"{self.name}: {name} must be a positive number, got {value!r}")

    def build(self, **overrides: Any) -> Any:
        """Instantiate with this record's `params` updated by `overrides`; the constructor supplies the rest.

        Raises `UnknownName` for a parameter the adapter does not take and `BadInput` for a value of
        the wrong type (`check_params`).
        """
        self.check_params(overrides)
        cls = resolve(self.factory, self.extra)
        return cls(**{**self.params, **overrides})


@dataclass(frozen=True, kw_only=True)
class DatasetSpec:
    """A dataset: its loader and, for files in the data home, their relative paths and checksums.

    `files` maps a path relative to the data home to the checksum of its uncompressed content
    (`"sha256:<hex>"`, a bare sha256, `"md5:<hex>"` as some publishers give it, or `""` when none is
    published); the file may sit in the data home as it is or gzipped (`PATH.gz`). `downloads` are
    the `rankbench.harness.download.Download`s that provide the files (from the manifest
    `rankbench/suites/downloads.json`); `licence` and `citation` are shown by `rankbench data ls`.
    `checksum` (`"module:function"`, called like the loader with the spec and its params) returns the
    checksum the loader records (`Loaded.checksum`) without loading the data: a stored result cell of
    the dataset is reused only while it is unchanged. Without one (generated data, a function of the
    suite's settings; files checked against pinned checksums on every load) the loader's own is used
    when the dataset is loaded in this process, else the data is taken as unchanged.
    """

    name: str
    loader: str
    files: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    source: str = ""
    generated: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    downloads: tuple[Any, ...] = ()
    licence: str = ""
    citation: str = ""
    checksum: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "downloads", tuple(self.downloads))


@dataclass(frozen=True, kw_only=True)
class SuiteSource:
    """Turns a reference that is not a registered suite name into a suite: `beir/nfcorpus`, `./folder`.

    `resolver` (`"module:function"`) is called with the reference text and returns `None` when the
    text is not of its kind, else `(Suite, DatasetSpec)`: the suite is stored under its canonical
    name (`suite.name`), and the dataset is registered so that every process can load it. The
    resolver must give the same answer in any process, so workers can rebuild the suite from its name.
    """

    name: str
    resolver: str
    description: str = ""
    examples: tuple[str, ...] = ()
    order: int = 100


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """A task: the function that runs one cell of a suite (`"module:function"`).

    `settings` names every key the task reads from `Suite.settings`, set by the suite or not (the
    task has a default); a suite reference may override only these (`ir-synth(depth=50)`). `choices`
    lists the values a setting may take where they are few (`split`): another value is refused when
    the suite is resolved, before any cell; `types` the type of a setting a suite need not set (`depth`:
    int), checked there too (a suite's own value already fixes the type of its override).
    """

    name: str
    function: str
    description: str = ""
    settings: tuple[str, ...] = ()
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    types: Mapping[str, type] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class QuickstartEntry:
    """One row of the quickstart matrix: a suite and the adapters to run on it."""

    name: str
    suite: str
    adapters: tuple[str, ...]
    order: int = 100


class Registry(Generic[T]):
    """Records by name, filled lazily from the built-in packages and entry points."""

    def __init__(self, kind: str, attribute: str, packages: tuple[str, ...], group: str | None) -> None:
        self.kind, self.attribute, self.packages, self.group = kind, attribute, packages, group
        self._items: dict[str, T] | None = None

    def _load(self) -> dict[str, T]:
        if self._items is None:
            items: dict[str, T] = {}
            for module in _discover_modules(self.packages, self.group):
                for item in getattr(module, self.attribute, ()):
                    if item.name in items and items[item.name] != item:
                        raise HarnessError(f"{self.kind} {item.name!r} is registered twice ({module.__name__})")
                    items[item.name] = item
            self._items = items
        return self._items

    def add(self, item: T) -> None:
        """Register one record at run time (tests and notebooks)."""
        self._load()[item.name] = item

    def remove(self, name: str) -> None:
        self._load().pop(name, None)

    def get(self, name: str) -> T:
        items = self._load()
        if name not in items:
            raise UnknownName(self.kind, name, items)
        return items[name]

    def __contains__(self, name: str) -> bool:
        return name in self._load()

    def __iter__(self) -> Iterator[T]:
        return iter(sorted(self._load().values(), key=lambda item: item.name))

    def names(self) -> list[str]:
        return sorted(self._load())


_DECLARATION = re.compile(
    rb"^(?:ADAPTERS|CHECKPOINTS|SUITES|DATASETS|TASKS|QUICKSTART|CARDS|SUITE_SOURCES)\s*[:=]", re.MULTILINE
)


def _declares_records(origin: str | None) -> bool:
    """Whether a module's source assigns one of the record tuples at top level (read, not imported).

    Reading the source keeps discovery cheap: a model module that imports torch at the top is
    never imported by `rankbench list`, because it declares no records.
    """
    if not origin or not origin.endswith(".py"):
        return True  # compiled or frozen: import to find out
    try:
        with open(origin, "rb") as fh:
            return _DECLARATION.search(fh.read()) is not None
    except OSError:
        return False


def _walk(package: str) -> list[str]:
    """Every module of `package` and its subpackages that declares records, in name order."""
    pkg = importlib.import_module(package)
    found = [package] if _declares_records(getattr(pkg, "__file__", None)) else []
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        spec = importlib.util.find_spec(info.name) if not info.ispkg else None
        origin = spec.origin if spec else getattr(importlib.import_module(info.name), "__file__", None)
        if _declares_records(origin):
            found.append(info.name)
    return sorted(found)


@cache
def _module_names(packages: tuple[str, ...], group: str | None) -> tuple[str, ...]:
    names: list[str] = []
    for package in packages:
        names += _walk(package)
    if group:
        from rankbench.harness.plugins import group as entry_point_group

        names += [ep.value.split(":")[0] for ep in entry_point_group(group)]
    # extra plugin modules without packaging (tests, notebooks); inherited by worker processes
    names += [m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()]
    return tuple(names)


_SKIPPED: set[str] = set()  # modules already reported as not importable (each registry discovers them again)


def _discover_modules(packages: tuple[str, ...], group: str | None) -> Iterator[Any]:
    for name in _module_names(packages, group):
        try:
            yield importlib.import_module(name)
        except ImportError as exc:  # a plugin whose own dependency is absent must not break `list`
            if name in _SKIPPED:
                continue
            _SKIPPED.add(name)
            hint = ""
            if getattr(exc, "name", None) == name and name in os.environ.get(PLUGINS_ENV, "").split(","):
                hint = f" ({PLUGINS_ENV} names modules to import: add the folder that holds it to PYTHONPATH)"
            log.warning("skipping %s: %s%s", name, exc, hint)


_ADAPTER_PKGS = ("rankbench.adapters",)
_SUITE_PKGS = ("rankbench.suites",)

ADAPTERS: Registry[AdapterSpec] = Registry("adapter", "ADAPTERS", _ADAPTER_PKGS, "rankbench.adapters")
MODELS: Registry[Any] = Registry("model", "CHECKPOINTS", _ADAPTER_PKGS, "rankbench.adapters")
"""Named checkpoints (`rankbench.harness.models.Checkpoint`), declared as `CHECKPOINTS` tuples by adapter modules."""
SUITES: Registry[Any] = Registry("suite", "SUITES", _SUITE_PKGS, "rankbench.suites")
DATASETS: Registry[DatasetSpec] = Registry("dataset", "DATASETS", _SUITE_PKGS, "rankbench.suites")
TASKS: Registry[TaskSpec] = Registry("task", "TASKS", ("rankbench.harness.tasks", *_SUITE_PKGS), "rankbench.suites")
QUICKSTART: Registry[QuickstartEntry] = Registry("quickstart entry", "QUICKSTART", _SUITE_PKGS, "rankbench.suites")
SUITE_SOURCES: Registry[SuiteSource] = Registry("suite source", "SUITE_SOURCES", _SUITE_PKGS, "rankbench.suites")
