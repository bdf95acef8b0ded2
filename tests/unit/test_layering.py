"""Imports run one way: reports -> harness <- adapters, suites (the design's layering)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "harness": ("rankbench.adapters", "rankbench.suites", "rankbench.reports"),
    "reports": ("rankbench.adapters", "rankbench.suites"),
    "adapters": ("rankbench.reports", "rankbench.suites"),
    "suites": ("rankbench.reports",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package: str) -> None:
    offenders = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN[package])
    ]
    assert not offenders, offenders


def test_every_package_folder_is_installed() -> None:
    """A non-editable install ships only the packages pyproject lists: every folder must be there."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {
        "rankbench." + ".".join(init.parent.relative_to(REPO).parts)
        for top in FORBIDDEN
        for init in (REPO / top).rglob("__init__.py")
    }
    assert folders == listed


@pytest.mark.parametrize("package", ["adapters", "suites"])
def test_no_hidden_modules(package: str) -> None:
    """Helpers get a home in a family folder; no module hides behind a leading underscore."""
    hidden = [p.relative_to(REPO) for p in (REPO / package).rglob("_*.py") if p.name != "__init__.py"]
    assert not hidden, hidden
