"""Number formatting shared by every renderer, so terminal, Markdown, HTML and JUnit agree."""

from __future__ import annotations

import math


def num(x: float | None, digits: int = 4) -> str:
    """A value, or an em dash when undefined."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def signed(x: float | None, digits: int = 4) -> str:
    if x is None or math.isnan(x):
        return "—"
    return f"{x:+.{digits}f}"


def interval(low: float | None, high: float | None, digits: int = 4) -> str:
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "—"
    return f"[{low:+.{digits}f}, {high:+.{digits}f}]"


def pval(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "—"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def plural(unit: str) -> str:
    """query -> queries, user -> users: unit names come from suites."""
    return unit[:-1] + "ies" if unit.endswith("y") and unit[-2:-1] not in "aeiou" else unit + "s"
