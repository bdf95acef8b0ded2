"""Data that leaves nothing to evaluate is an error, never a stored result with empty measures:
an interactions file or BARS split without rows fails when resolved, a split without test users
(or a CTR split without impressions) fails its cell with the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.records import CTRSplits, CTRTable, Loaded
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey
from rankbench.harness.suite import Suite, TaskOutput, resolve_suite
from rankbench.harness.tasks.ctr import run_ctr


@pytest.mark.parametrize("name", ["i.csv", "i.tsv", "i.inter"])
def test_an_interactions_file_with_only_a_header_fails_when_resolved(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("user,item,rating\n" if name.endswith(".csv") else "user_id\titem_id\trating\n")
    with pytest.raises(BadInput, match=rf"^{path}: no interactions under the header"):
        resolve_suite(str(path))


def test_a_parquet_file_without_rows_fails_when_resolved(tmp_path: Path) -> None:
    path = tmp_path / "i.parquet"
    pd.DataFrame({"user": pd.Series([], dtype=str), "item": pd.Series([], dtype=str)}).to_parquet(path)
    with pytest.raises(BadInput, match=rf"^{path}: no interactions under the header"):
        resolve_suite(str(path))


def test_a_bars_split_with_only_a_header_fails_when_resolved(tmp_path: Path) -> None:
    for split in ("train", "valid", "test"):
        (tmp_path / f"{split}.csv").write_text("user,label\n" + ("1,0\n2,1\n" if split != "test" else ""))
    with pytest.raises(BadInput, match=rf"^{tmp_path / 'test.csv'}: no impressions under the header"):
        resolve_suite(str(tmp_path))


def test_a_split_without_test_users_fails_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("user,item,rating\n1,2,3\n")
    result, units = execute_cell(CellKey(resolve_suite(str(path)).name, "popularity", 0))
    assert (result.status, result.measures, units) == ("failed", {}, None)
    assert result.error is not None
    assert "no test users after the random-holdout split of 1 interaction;" in result.error.message
    assert "give more interactions or another split" in result.error.message


def test_a_ctr_test_split_without_impressions_fails_before_fitting() -> None:
    def table(n: int) -> CTRTable:
        return CTRTable(
            np.zeros((n, 1), dtype=np.int64), np.zeros((n, 0)), np.zeros(n, dtype=np.int64), ("a",), (), (2,)
        )

    suite = Suite(name="bars", dataset="bars", task="ctr", measures=("AUC", "logloss"), families=("ctr",))
    data = Loaded(CTRSplits(table(4), table(2), table(0)), "x")
    with pytest.raises(BadInput, match=r"suite 'bars' \(dataset 'bars'\): the test split has no impressions"):
        run_ctr(suite, None, "ctr", 0, data)


def test_a_task_that_computes_no_measure_fails_the_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rankbench.harness.tasks import recommendation

    def nothing(*args: object) -> TaskOutput:
        return TaskOutput(per_unit=pd.DataFrame({"nDCG@10": []}))

    monkeypatch.setattr(recommendation, "run_recommendation", nothing)
    path = tmp_path / "some.csv"
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for u in range(5) for i in range(4)))
    result, _ = execute_cell(CellKey(resolve_suite(str(path)).name, "popularity", 0))
    assert result.status == "failed" and result.measures == {}
    assert result.error is not None and "no measure was computed (0 users evaluated)" in result.error.message
