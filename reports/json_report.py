"""The leaderboard as JSON, for dashboards and scripts that want the numbers, not the page."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from rankbench.reports.model import Report


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: undefined numbers become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def report_json(report: Report) -> str:
    return json.dumps(_clean(dataclasses.asdict(report)), indent=1, allow_nan=False, ensure_ascii=False) + "\n"
