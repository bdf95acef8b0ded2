"""Test-only adapters that misbehave, and a budgeted suite to run them on.

Loaded through `RANKBENCH_PLUGINS=tests.plugins.misbehaving` so that child processes and
Ray workers, which rebuild the registry from scratch, see them too. Never shipped.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.suite import Budget, Suite
from rankbench.suites.ir.synth import IR_MEASURES


class Sleepy:
    """A slow but well-behaved retriever: random scores from the seeded global generator."""

    def __init__(self, delay: float = 0.3) -> None:
        self.delay = delay
        self._ids: np.ndarray | None = None

    def index(self, corpus: Corpus) -> None:
        time.sleep(self.delay)
        self._ids = corpus.ids

    def search(self, queries: Queries, k: int) -> Run:
        assert self._ids is not None
        k = min(k, len(self._ids))
        scores = np.random.random((len(queries), len(self._ids)))
        top = np.argsort(-scores, axis=1)[:, :k]
        return Run.from_topk(queries.ids, self._ids, top, np.take_along_axis(scores, top, axis=1), name="sleepy")


class SlowSearch(Sleepy):
    """Sleepy whose search costs `SLOW_SEARCH_MS` milliseconds per query, read when it searches.

    The variable stands in for a code change between BASE and HEAD: the adapter keeps its name,
    so `compare` pairs the two runs, and only its speed differs.
    """

    def search(self, queries: Queries, k: int) -> Run:
        time.sleep(float(os.environ.get("SLOW_SEARCH_MS", "0")) / 1000 * len(queries))
        return super().search(queries, k)


class Raises(Sleepy):
    def index(self, corpus: Corpus) -> None:
        raise RuntimeError("adapter bug: index() blew up")


class Hangs(Sleepy):
    def index(self, corpus: Corpus) -> None:
        time.sleep(600)


class EatsMemory(Sleepy):
    """Grows its resident memory by 32 MiB steps up to `limit_mb`, then behaves."""

    def __init__(self, delay: float = 0.0, limit_mb: int = 4096) -> None:
        super().__init__(delay)
        self.limit_mb = limit_mb
        self._hoard: list[np.ndarray] = []

    def index(self, corpus: Corpus) -> None:
        for _ in range(self.limit_mb // 32):
            self._hoard.append(np.ones(32 * 2**20 // 8))
            time.sleep(0.01)
        super().index(corpus)


class Crashes(Sleepy):
    def index(self, corpus: Corpus) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


def _spec(name: str, cls: str, params: dict[str, object]) -> AdapterSpec:
    return AdapterSpec(
        name=name,
        family="retriever",
        factory=f"tests.plugins.misbehaving:{cls}",
        params=params,
        description=f"test: {name}",
    )


ADAPTERS = (
    _spec("sleepy", "Sleepy", {}),
    _spec("slow-search", "SlowSearch", {"delay": 0.0}),
    _spec("raises", "Raises", {"delay": 0.0}),
    _spec("hangs", "Hangs", {"delay": 0.0}),
    _spec("eats-memory", "EatsMemory", {}),
    _spec("crashes", "Crashes", {"delay": 0.0}),
)

SUITES = (
    Suite(
        name="budgeted-tiny",
        dataset="ir-synth-tiny",
        task="retrieval",
        measures=IR_MEASURES,
        families=("retriever",),
        seeds=(0,),
        # 20 s: on a loaded machine the memory eater must reach 600 MiB before the clock runs out
        budget=Budget(max_seconds=20.0, max_memory_mb=600.0),
        description="test: ir-synth-tiny under a 20 s / 600 MiB budget",
    ),
    *(
        Suite(
            name=name,
            dataset="ir-synth-tiny",
            task="retrieval",
            measures=IR_MEASURES,
            families=("retriever",),
            seeds=(0,),
            settings=settings,
            budget=budget,
            description=f"test: ir-synth-tiny asking {settings or budget} per cell (Ray scheduling)",
        )
        for name, settings, budget in (
            ("wants-64-cpus", {"num_cpus": 64}, Budget()),
            ("wants-a-gpu", {"num_gpus": 1}, Budget()),
            ("wants-1-tib", {}, Budget(max_memory_mb=2**20)),
            ("wants-2-cpus", {"num_cpus": 2}, Budget()),
        )
    ),
)
