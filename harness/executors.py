"""Executors by name: where cells run. The default runs them in this process."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rankbench.harness.errors import UnknownName
from rankbench.harness.registry import resolve

if TYPE_CHECKING:
    from rankbench.harness.suite import Suite

EXECUTORS: dict[str, tuple[str, str | None]] = {
    "local": ("rankbench.harness.runner:LocalExecutor", None),
    "process": ("rankbench.harness.process_executor:ProcessExecutor", None),
    "ray": ("rankbench.harness.ray_executor:RayExecutor", "ray"),
}


def default_executor(suites: Iterable[Suite]) -> str:
    """`process` when any suite sets a budget (only a child process can be stopped), else `local`."""
    budgeted = any(s.budget.max_seconds is not None or s.budget.max_memory_mb is not None for s in suites)
    return "process" if budgeted else "local"


def make_executor(name: str, **options: Any) -> Any:
    if name not in EXECUTORS:
        raise UnknownName("executor", name, EXECUTORS)
    factory, extra = EXECUTORS[name]
    return resolve(factory, extra)(**options)
