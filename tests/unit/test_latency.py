"""The latency task: its statistics, resource accounting and one real cell per family."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest
from scipy import sparse

from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.registry import ADAPTERS, SUITES, TASKS
from rankbench.harness.suite import Suite
from rankbench.harness.tasks.latency import Timings, cv, held_bytes, latency_aggregates, run_latency
from rankbench.suites.latency import COST


def test_task_and_suites_are_registered() -> None:
    assert "latency" in TASKS
    for family_suite in ("latency-ir-synth", "latency-recsys-synth", "latency-ctr-synth"):
        assert SUITES.get(family_suite).task == "latency"


def test_aggregates_are_pooled_percentiles_with_the_spread_of_repeats() -> None:
    rng = np.random.default_rng(0)
    single = rng.gamma(2.0, 0.002, size=(4, 50))
    batch = np.array([0.5, 0.55, 0.6, 0.52])
    out, variation = latency_aggregates(Timings(single, batch, 1000))
    ms = single * 1000
    assert out["latency_p95_ms"].value == pytest.approx(np.percentile(ms, 95))
    per_repeat = np.percentile(ms, 95, axis=1)
    assert (out["latency_p95_ms"].ci_low, out["latency_p95_ms"].ci_high) == (per_repeat.min(), per_repeat.max())
    assert out["qps"].value == pytest.approx(np.median(1000 / batch))
    assert variation == pytest.approx(max(cv(ms.mean(axis=1)), cv(batch)))
    assert cv(np.array([1.0, 1.0, 1.0])) == 0.0


def test_held_bytes_counts_each_buffer_once() -> None:
    class Holder:
        def __init__(self) -> None:
            self.a = np.zeros(1000, dtype=np.float64)
            self.view = self.a[10:20]
            self.nested = {"m": sparse.csr_matrix(np.eye(10, dtype=np.float32))}

    h = Holder()
    m = h.nested["m"]
    assert held_bytes(h) == 8000 + m.data.nbytes + m.indices.nbytes + m.indptr.nbytes


def _suite(name: str, dataset: str, families: tuple, measures: tuple, **settings: object) -> Suite:
    base = {"repeats": 2, "latency_units": 3, "warmup": 1, "batch": 64}
    return Suite(
        name=name, dataset=dataset, task="latency", measures=measures, families=families, settings={**base, **settings}
    )


def test_retriever_cell_reports_every_cost_measure_and_quality() -> None:
    suite = SUITES.get("latency-ir-synth-tiny")
    out = run_latency(suite, ADAPTERS.get("bm25").build(), "retriever", 0, load_dataset(suite.dataset))
    for name in set(COST) - {"params_m"}:  # bm25 has no parameters
        assert np.isfinite(out.aggregates[name].value), name
    assert out.aggregates["index_mb"].value > 0
    assert out.aggregates["threads"].value == 1
    assert out.aggregates["latency_p50_ms"].value <= out.aggregates["latency_p99_ms"].value
    assert out.per_unit["nDCG@10"].between(0, 1).all()


def test_high_variation_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    suite = replace(SUITES.get("latency-ir-synth-tiny"), settings={"repeats": 3, "latency_units": 2, "cv_warn": 0.0})
    with caplog.at_level(logging.WARNING):
        out = run_latency(suite, ADAPTERS.get("bm25").build(), "retriever", 0, load_dataset(suite.dataset))
    assert out.info["warnings"] and "CV" in caplog.text


def test_recommender_cell() -> None:
    rec = _suite("t-rec", "recsys-synth-tiny", ("recommender",), ("qps",))
    out = run_latency(rec, ADAPTERS.get("popularity").build(), "recommender", 0, load_dataset(rec.dataset))
    assert out.aggregates["qps"].value > 0 and out.info["latency_unit"].startswith("user")


@pytest.mark.slow  # a torch CTR fit: about a minute on a busy two-core machine
def test_ctr_cell() -> None:
    ctr = _suite("t-ctr", "ctr-synth-tiny", ("ctr",), ("AUC", "params_m"))
    spec = ADAPTERS.get("lr")
    out = run_latency(ctr, spec.build(**spec.smoke_params), "ctr", 0, load_dataset(ctr.dataset))
    assert 0.5 < out.aggregates["AUC"].value <= 1
    assert out.aggregates["params_m"].value > 0


def test_bad_settings_are_rejected() -> None:
    suite = _suite("t-bad", "ir-synth-tiny", ("retriever",), ("qps",), repeats=1)
    with pytest.raises(BadInput, match="repeats"):
        run_latency(suite, ADAPTERS.get("bm25").build(), "retriever", 0, load_dataset("ir-synth-tiny"))
