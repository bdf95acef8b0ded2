"""The cell's seed reaches an adapter's own `seed`: the seeds of a run are different models."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.api import run
from rankbench.harness.store import ResultStore


def test_the_cell_seed_offsets_the_adapter_seed() -> None:
    assert parse_adapter_ref("bpr").build().seed == 0
    assert parse_adapter_ref("bpr").build(seed_offset=3).seed == 3
    assert parse_adapter_ref("bpr(seed=5)").build(seed_offset=2).seed == 7
    assert parse_adapter_ref("bpr(seed=5)").build().seed == 5
    assert parse_adapter_ref("fuxictr(model='DCN')").spec().defaults()["seed"] == 2021  # FuxiCTR's own default
    assert not hasattr(parse_adapter_ref("popularity").build(seed_offset=4), "seed")  # unseeded adapters as they are


def test_seeds_of_a_run_are_different_models(tmp_path: Path) -> None:
    """Before, `--seed 1` built `bpr(seed=0)` again: every seed stored the same numbers."""
    results = run("recsys-synth-tiny", "bpr(epochs=3)", out=tmp_path / "res", seeds=[0, 1])
    assert not results.failed
    store = ResultStore(tmp_path / "res")
    by_seed = {r.seed: r.measures for r in store.results() if r.adapter == "bpr(epochs=3)"}
    assert sorted(by_seed) == [0, 1]
    values = [np.array([m.value for m in by_seed[s].values()]) for s in (0, 1)]
    assert not np.allclose(values[0], values[1])


def test_pipeline_stages_get_the_cell_seed_too() -> None:
    from rankbench.harness.adapter_ref import _offset_seed

    stages = parse_adapter_ref("muvera(seed=4)>>cross-encoder@10").stages  # a seeded first stage
    assert [str(_offset_seed(s, 3)) for s in stages] == ["muvera(seed=7)", "cross-encoder@10"]
    assert [str(_offset_seed(s, 0)) for s in stages] == ["muvera(seed=4)", "cross-encoder@10"]
