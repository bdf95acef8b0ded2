"""The engine of rankbench: records, registry, data home, measures, runner, store and CLI.

Nothing in here imports a concrete adapter or suite; those are found through the registry.

The public Python API is flat (imported on first use, so `rankbench list` stays fast)::

    from rankbench.harness import Qrels, ResultStore, Run, evaluate, run

- `run(suites, adapters, out=...)`: benchmark registered references or your own adapter objects
  (`rankbench.harness.api`); returns `RunResults`, whose `means()` are the per-measure means.
- `evaluate(run, qrels, measures)`: per-query values with trec_eval's semantics
  (`rankbench.harness.measures.ranking`).
- `Run`, `Qrels`: the IR records (`rankbench.harness.records`); `ResultStore`: stored cells
  (`rankbench.harness.store`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_API = {
    "run": "rankbench.harness.api",
    "RunResults": "rankbench.harness.api",
    "evaluate": "rankbench.harness.measures.ranking",
    "Run": "rankbench.harness.records",
    "Qrels": "rankbench.harness.records",
    "ResultStore": "rankbench.harness.store",
    "AdapterSpec": "rankbench.harness.registry",
}
__all__ = ["AdapterSpec", "Qrels", "ResultStore", "Run", "RunResults", "__version__", "evaluate", "run"]

if TYPE_CHECKING:
    from rankbench.harness.api import RunResults, run
    from rankbench.harness.measures.ranking import evaluate
    from rankbench.harness.records import Qrels, Run
    from rankbench.harness.registry import AdapterSpec
    from rankbench.harness.store import ResultStore


def _version() -> str:
    """The installed distribution's version (importlib.metadata costs a cold `rankbench evaluate` 40 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rankbench")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    """PEP 562: import an API name's module on first use; `__version__` is read on first use."""
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
