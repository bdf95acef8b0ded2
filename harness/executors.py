"""Executors by name: where cells run. The default runs them in this process."""

from __future__ import annotations

from typing import Any

from rankbench.harness.errors import UnknownName
from rankbench.harness.registry import resolve

EXECUTORS: dict[str, tuple[str, str | None]] = {
    "local": ("rankbench.harness.runner:LocalExecutor", None),
}


def make_executor(name: str, **options: Any) -> Any:
    if name not in EXECUTORS:
        raise UnknownName("executor", name, EXECUTORS)
    factory, extra = EXECUTORS[name]
    return resolve(factory, extra)(**options)
