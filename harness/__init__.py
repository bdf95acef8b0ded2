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
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("rankbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

_API = {
    "run": "rankbench.harness.api",
    "RunResults": "rankbench.harness.api",
    "evaluate": "rankbench.harness.measures.ranking",
    "Run": "rankbench.harness.records",
    "Qrels": "rankbench.harness.records",
    "ResultStore": "rankbench.harness.store",
}
__all__ = ["Qrels", "ResultStore", "Run", "RunResults", "__version__", "evaluate", "run"]

if TYPE_CHECKING:
    from rankbench.harness.api import RunResults, run
    from rankbench.harness.measures.ranking import evaluate
    from rankbench.harness.records import Qrels, Run
    from rankbench.harness.store import ResultStore


def __getattr__(name: str) -> Any:
    """PEP 562: import an API name's module on first use."""
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
