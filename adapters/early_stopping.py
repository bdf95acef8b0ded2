"""Early stopping on a validation score, shared by the recommender and CTR training loops.

The rule (FuxiCTR's and RecBole's): after every epoch the validation score is compared with
the best so far; it counts as better when it exceeds the best by more than `min_delta` (the
first epoch always does), and the model state of the best epoch is kept. Training stops once
`patience` epochs in a row brought no better score; the caller then restores `best_state`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rankbench.harness.errors import BadInput

log = logging.getLogger(__name__)


@dataclass
class EarlyStopping:
    """Best validation score, its epoch and its state; `update` says when to stop.

    `patience`: epochs without a better score before stopping (>= 1); `min_delta`: the margin
    by which a score must beat the best to count as better (a score, not a fraction).
    Raises BadInput on patience < 1 or min_delta < 0.
    """

    patience: int
    min_delta: float = 0.0
    best: float = float("nan")
    best_epoch: int = -1
    best_state: Any = None
    improved: bool = False
    stale: int = 0
    history: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.patience < 1:
            raise BadInput(f"early stopping needs patience >= 1, got {self.patience}")
        if not self.min_delta >= 0:
            raise BadInput(f"early stopping needs min_delta >= 0, got {self.min_delta}")

    def update(self, epoch: int, value: float, state: Callable[[], Any]) -> bool:
        """Record epoch `epoch`'s validation `value` (higher is better); True when training should stop.

        `state` is called only when the epoch is the best so far, and its result kept as `best_state`.
        """
        self.history.append(value)
        self.improved = self.best_epoch < 0 or value > self.best + self.min_delta
        if self.improved:
            self.best, self.best_epoch, self.best_state = value, epoch, state()
        self.stale = 0 if self.improved else self.stale + 1
        log.info("epoch %d: validation %.6f (best %.6f at %d)", epoch, value, self.best, self.best_epoch)
        return self.stale >= self.patience
