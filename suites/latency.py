"""Latency suites: the cost side of every family, with the quality measures needed for a Pareto front.

Each suite runs the `latency` task (see `harness/tasks/latency.py`): threads pinned to one,
warm-up, five timed repeats, per-unit p50/p95/p99 at batch size 1 and QPS at a large batch,
index/fit time and size, peak RSS and parameter count. IR_FAMILIES suites also score nDCG@10 and
R@100 on the same index, CTR suites AUC. Setting overrides derive variants, e.g.
`latency-ir-synth(threads=2,repeats=10)`.
"""

from __future__ import annotations

from rankbench.harness.interfaces import IR_FAMILIES
from rankbench.harness.suite import Budget, Suite

COST = (
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_cv",
    "qps",
    "index_s",
    "index_mb",
    "peak_rss_mb",
    "params_m",
    "threads",
)
_IR_SETTINGS = {"k": 100, "warmup": 2, "repeats": 5, "latency_units": 100, "batch": 1024, "threads": 1}

SUITES = (
    Suite(
        name="latency-ir-synth",
        dataset="ir-synth",
        task="latency",
        measures=("nDCG@10", "R@100", *COST),
        families=IR_FAMILIES,
        settings=_IR_SETTINGS,
        description="latency/throughput/memory of IR models on the generated collection (600 docs, 60 queries)",
        tags=("latency",),
    ),
    Suite(
        name="latency-ir-synth-tiny",
        dataset="ir-synth-tiny",
        task="latency",
        measures=("nDCG@10", *COST),
        families=IR_FAMILIES,
        settings={**_IR_SETTINGS, "repeats": 2, "latency_units": 4, "warmup": 1},
        description="a quick latency check on the tiny generated collection (tests, smoke runs)",
        tags=("latency",),
    ),
    Suite(
        name="latency-scifact",
        dataset="beir-scifact",
        task="latency",
        measures=("nDCG@10", "R@100", *COST),
        families=IR_FAMILIES,
        settings={**_IR_SETTINGS, "latency_units": 50, "batch": 300},
        budget=Budget(max_seconds=3600),
        description="latency/throughput/memory of IR models on BEIR SciFact (5,183 docs, 300 queries)",
        tags=("latency", "real"),
    ),
    Suite(
        name="latency-recsys-synth",
        dataset="recsys-synth",
        task="latency",
        measures=COST,
        families=("recommender",),
        unit="user",
        settings={"warmup": 2, "repeats": 5, "latency_units": 100, "batch": 600, "threads": 1},
        description="fit time and per-user full-catalogue scoring latency on generated interactions",
        tags=("latency",),
    ),
    Suite(
        name="latency-ctr-synth",
        dataset="ctr-synth",
        task="latency",
        measures=("AUC", *COST),
        families=("ctr",),
        unit="impression",
        settings={"warmup": 2, "repeats": 5, "latency_units": 200, "batch": 4096, "threads": 1},
        budget=Budget(max_seconds=1800),
        description="fit time, single-impression latency and batch throughput of CTR models on generated data",
        tags=("latency",),
    ),
)
