from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.provenance import collect, now_iso
from rankbench.harness.result import Result, validate
from rankbench.harness.stats import bootstrap_ci
from rankbench.harness.store import CellKey, ResultStore


def make_result(adapter: str = "bm25", value: float = 0.5) -> Result:
    return Result(
        suite="s",
        adapter=adapter,
        seed=0,
        status="ok",
        measures={"nDCG@10": bootstrap_ci(pd.Series([value, value]).to_numpy())},
        timings={"total_s": 1.0},
        provenance=collect("d", "abc", 0, now_iso()).to_json(),
    )


def test_write_then_read_roundtrip(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    units = pd.DataFrame({"nDCG@10": [0.5, 0.5]}, index=pd.Index(["q1", "q2"], name="query_id"))
    store.write(make_result(), units)
    [r] = store.results()
    assert r.measures["nDCG@10"].value == 0.5
    assert store.units(r)["nDCG@10"].tolist() == [0.5, 0.5]
    assert store.has(CellKey("s", "bm25", 0))
    assert not list(tmp_path.rglob("*.tmp"))


def test_hostile_adapter_names_stay_inside_the_store(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    path = store.write(make_result("../../<script>alert(1)</script>"), None)
    assert tmp_path in path.parents
    assert store.results()[0].adapter == "../../<script>alert(1)</script>"


def test_provenance_is_complete_and_valid(tmp_path: Path) -> None:
    doc = make_result().to_json()
    validate(doc)
    prov = doc["provenance"]
    for key in ("rankbench_version", "git_sha", "git_dirty", "dataset_checksum", "seed", "python"):
        assert key in prov
    assert prov["packages"]["numpy"]
    assert prov["hardware"]["cpu_count"] >= 1


def test_future_schema_is_refused(tmp_path: Path) -> None:
    doc = make_result().to_json()
    doc["schema_version"] = 99
    (tmp_path / "x.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput, match="newer than this rankbench"):
        ResultStore(tmp_path).results()


def test_invalid_document_names_the_field(tmp_path: Path) -> None:
    doc = make_result().to_json()
    doc["seed"] = "zero"
    with pytest.raises(BadInput, match="seed"):
        validate(doc)


def test_schema_1_documents_stay_readable(tmp_path: Path) -> None:
    """Version 1 stored the task's settings as `protocol` (and a recommender's split under `protocol`)."""
    doc = make_result().to_json()
    assert doc["schema_version"] == 2 and doc["tags"] == []
    del doc["tags"]
    doc["schema_version"] = doc["provenance"]["schema_version"] = 1
    del doc["provenance"]["settings"]
    doc["provenance"]["protocol"] = {"task": "recommendation", "protocol": "leave-one-out", "negatives": 99}
    (tmp_path / "old.json").write_text(json.dumps(doc))
    [r] = ResultStore(tmp_path).results()
    assert r.schema_version == 1 and r.tags == ()
    assert r.provenance["settings"] == {"task": "recommendation", "split": "leave-one-out", "negatives": 99}
    assert "protocol" not in r.provenance


def test_schema_2_requires_tags_and_settings() -> None:
    doc = make_result().to_json()
    del doc["tags"]
    with pytest.raises(BadInput, match="'tags' is a required property"):
        validate(doc)
    doc = make_result().to_json()
    del doc["provenance"]["settings"]
    with pytest.raises(BadInput, match="'settings' is a required property"):
        validate(doc)


def test_atomic_writes_get_the_umask_mode_and_unwritable_places_are_one_error(tmp_path: Path) -> None:
    import os

    from rankbench.harness.store import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.json", b"{}")
        os.umask(0o077)
        atomic_write_bytes(tmp_path / "b.json", b"{}")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644  # as `open` makes it; mkstemp alone gives 0600
    assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(BadInput, match=r"^/proc/rankbench-x\.md: cannot write here .*choose another output path$"):
        atomic_write_bytes(Path("/proc/rankbench-x.md"), b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]  # no temporary file left
