"""The one early-stopping rule of the recommender and CTR training loops: patience, min_delta, best state."""

from __future__ import annotations

import pytest

from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.harness.errors import BadInput


def _run(values: list[float], patience: int, min_delta: float = 0.0) -> tuple[EarlyStopping, int]:
    """Feed `values` as epochs 1, 2, ...; the state of an epoch is its number. Returns the last epoch run."""
    stop = EarlyStopping(patience, min_delta=min_delta)
    for epoch, value in enumerate(values, start=1):
        if stop.update(epoch, value, lambda e=epoch: f"state-{e}"):
            return stop, epoch
    return stop, len(values)


def test_stops_after_patience_epochs_without_a_better_score() -> None:
    stop, last = _run([0.1, 0.3, 0.2, 0.25, 0.29, 0.9], patience=3)
    assert last == 5  # epochs 3, 4, 5 did not beat epoch 2
    assert (stop.best, stop.best_epoch, stop.best_state) == (0.3, 2, "state-2")
    assert stop.history == [0.1, 0.3, 0.2, 0.25, 0.29]


def test_a_better_score_resets_the_count() -> None:
    stop, last = _run([0.1, 0.0, 0.2, 0.0, 0.3, 0.0, 0.0], patience=2)
    assert last == 7 and stop.best_epoch == 5 and stop.best_state == "state-5"


def test_min_delta_is_the_margin_a_score_must_clear() -> None:
    stop, last = _run([0.5, 0.5 + 5e-7, 0.5 + 2e-6, 0.5 + 2.5e-6], patience=2, min_delta=1e-6)
    assert stop.best_epoch == 3 and last == 4  # +5e-7 is not better, +2e-6 is; +5e-7 more is not
    equal, _ = _run([0.5, 0.5], patience=1)
    assert equal.best_epoch == 1  # a tie is not an improvement even with min_delta 0


def test_first_epoch_is_kept_and_state_taken_only_when_better() -> None:
    calls: list[int] = []
    stop = EarlyStopping(1)
    stop.update(1, float("nan"), lambda: calls.append(1))
    assert stop.best_epoch == 1 and stop.improved
    stop = EarlyStopping(5)
    for epoch, value in enumerate([0.2, 0.1, 0.3], start=1):
        stop.update(epoch, value, lambda e=epoch: calls.append(e))
    assert calls == [1, 1, 3]
    assert [stop.improved, stop.stale] == [True, 0]


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(BadInput, match="patience"):
        EarlyStopping(0)
    with pytest.raises(BadInput, match="min_delta"):
        EarlyStopping(2, min_delta=-0.1)
