"""Import an optional dependency or raise `MissingDependency` naming the pip extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from rankbench.harness.errors import MissingDependency


def require(module: str, extra: str | None, what: str = "") -> ModuleType:
    """Import `module`; a missing one becomes a one-line error naming `rankbench[extra]`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or module
        raise MissingDependency(missing, extra, what) from exc
