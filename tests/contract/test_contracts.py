"""Every registered adapter passes its family's contract on tiny shipped or generated data.

Adapters of hub checkpoints run where their weights are in the Hugging Face cache; the check
never downloads (HF_HUB_OFFLINE=1 for the look-up), so elsewhere they are skipped by name.
"""

from __future__ import annotations

import pytest

from rankbench.harness.errors import BadInput, MissingDependency
from rankbench.harness.models import resolve, split_reference
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.testing.contract import check_adapter


# pipeline is checked through its stages; run replays a file (tests/integration/test_run_files.py)
@pytest.mark.parametrize("name", [a.name for a in ADAPTERS if a.name not in ("pipeline", "run")])
def test_adapter_contract(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ADAPTERS.get(name)
    model = spec.params.get("model")
    if isinstance(model, str) and split_reference(model)[0] in ("hub", "registered"):
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        try:
            resolve(model)
        except (BadInput, MissingDependency) as exc:
            pytest.skip(f"weights not in the Hugging Face cache: {exc}")
    try:
        check_adapter(spec)
    except MissingDependency as exc:
        pytest.skip(str(exc))
