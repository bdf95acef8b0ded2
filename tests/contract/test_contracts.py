"""Every registered adapter passes its family's contract on tiny shipped or generated data."""

from __future__ import annotations

import pytest

from rankbench.harness.errors import MissingDependency
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.testing.contract import check_adapter


# pipeline is checked through its stages; run replays a file (tests/integration/test_run_files.py)
@pytest.mark.parametrize("name", [a.name for a in ADAPTERS if a.name not in ("pipeline", "run")])
def test_adapter_contract(name: str) -> None:
    spec = ADAPTERS.get(name)
    try:
        check_adapter(spec)
    except MissingDependency as exc:
        pytest.skip(str(exc))
