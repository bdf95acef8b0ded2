"""Entry-point plugins that let the CLI reach `reports` without importing it.

`rankbench.commands`: `register(app)` functions that add sub-commands (report, compare, ...).
`rankbench.renderers`: `render(results_dir, out_dir) -> Path | None` functions (terminal, html).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

Renderer = Callable[[Path, Path | None], Path | None]


@cache
def group(name: str) -> tuple[EntryPoint, ...]:
    """Entry points of one group; scanned once per process (the scan costs ~0.1 s per call)."""
    return tuple(sorted(entry_points(group=name), key=lambda e: e.name))


def command_registrars() -> list[Callable[[Any], None]]:
    return [ep.load() for ep in group("rankbench.commands")]


def renderer(name: str) -> Renderer | None:
    for ep in group("rankbench.renderers"):
        if ep.name == name:
            return ep.load()
    return None
