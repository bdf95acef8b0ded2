"""How the Python API names the cells of an unregistered adapter object."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.api import adapter_name, adapter_params, run
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Run


class Keeps:
    def __init__(self, k: int = 10, weights: np.ndarray | None = None) -> None:
        self.k, self.weights = k, weights


class Hides:
    def __init__(self, k: int = 10) -> None:
        self._k = k  # not kept under its own name: the state names it


@dataclass
class Config:
    k: int = 10
    tags: tuple[str, ...] = ("a",)


class SkLike:
    def __init__(self, alpha: float) -> None:
        self._alpha = alpha

    def get_params(self) -> dict[str, float]:
        return {"alpha": self._alpha}


def test_names_follow_parameters_by_each_convention() -> None:
    assert adapter_params(Keeps(3)) == {"k": 3, "weights": None}
    assert adapter_name(Keeps(3)) == adapter_name(Keeps(k=3)) != adapter_name(Keeps(4))
    with_array = adapter_params(Keeps(3, np.arange(4.0)))["weights"]
    assert with_array.startswith("ndarray(dtype=float64, shape=(4,), sha256=")
    assert adapter_name(Keeps(3, np.arange(4.0))) != adapter_name(Keeps(3, np.arange(4.0) + 1))
    assert adapter_params(Config()) == {"k": 10, "tags": ["a"]}
    assert adapter_params(SkLike(0.5)) == {"alpha": 0.5}
    assert adapter_params(Hides(7)) == {"_k": 7} and adapter_name(Hides(7)) != adapter_name(Hides(8))
    assert adapter_name(Keeps()).startswith("Keeps-") and adapter_name(Keeps()) != adapter_name(Config())


def test_a_parameter_without_a_stable_form_asks_for_a_name() -> None:
    with pytest.raises(BadInput, match=r"Keeps\.weights .*cannot be pickled.*pass run\(\.\.\., name="):
        adapter_name(Keeps(weights=threading.Lock()))


class Broken:
    def index(self, corpus) -> None:
        self.n = len(corpus)

    def search(self, queries, k: int) -> Run:
        raise RuntimeError("index out of date")


def test_a_failing_object_is_recorded_and_reported_not_raised(tmp_path: Path) -> None:
    results = run("ir-synth-tiny", Broken(), out=tmp_path / "r")
    assert not results.ok and not results.ran
    ((cell, why),) = results.failed
    assert why == "RuntimeError: index out of date"
    assert f"FAILED ir-synth-tiny / {cell.adapter} / seed 0: RuntimeError: index out of date" in str(results)
    assert results.means().empty
    (stored,) = results.results()
    assert stored.status == "failed" and "index out of date" in stored.error.traceback
