"""Interaction loaders: MovieLens formats, NCF files, generic tables, and missing-file messages."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, DatasetMissing
from rankbench.harness.registry import DATASETS
from rankbench.suites.recsys.data import load_file, read_movielens, read_ncf_negative, read_table, to_interactions
from rankbench.suites.recsys.synth import generate


def test_movielens_formats_parse_the_same(tmp_path: Path) -> None:
    rows = [(3, 10, 4, 100), (1, 10, 5, 90), (3, 7, 2, 120)]
    (tmp_path / "u.data").write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in rows))
    (tmp_path / "ratings.dat").write_text("".join(f"{u}::{i}::{r}::{t}\n" for u, i, r, t in rows))
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r},{t}\n" for u, i, r, t in rows)
    )
    with gzip.open(tmp_path / "u.data.gz", "wt") as fh:
        fh.write((tmp_path / "u.data").read_text())
    frames = [read_movielens(tmp_path / n) for n in ("u.data", "ratings.dat", "ratings.csv", "u.data.gz")]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(f.astype(float), frames[0].astype(float))
    data, users, items = to_interactions(frames[0])
    assert (data.n_users, data.n_items) == (2, 2)
    assert users.tolist() == ["1", "3"] and items.tolist() == ["7", "10"]  # ids are text, in numeric order
    assert data.users.tolist() == [1, 0, 1] and data.items.tolist() == [1, 1, 0]


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "u.data").write_text("1\t2\t3\t4\n1\t2\tx\t4\n")
    with pytest.raises(BadInput, match=r"u.data:2: column rating is not numeric"):
        read_movielens(tmp_path / "u.data")
    (tmp_path / "neg").write_text("(0,1)\t5\t6\n(1,2)\t7\n")
    with pytest.raises(BadInput, match=r"neg:2: 1 negatives where line 1 has 2"):
        read_ncf_negative(tmp_path / "neg")


def test_generic_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"uid": ["a", "b", "a"], "iid": [5, 6, 6], "ts": [1, 2, 3]})
    frame.to_csv(tmp_path / "x.csv", index=False)
    frame.to_parquet(tmp_path / "x.parquet")
    for name in ("x.csv", "x.parquet"):
        got = read_table(tmp_path / name, user="uid", item="iid", timestamp="ts")
        assert got.columns.tolist() == ["user", "item", "timestamp"] and len(got) == 3
    loaded = load_file(DATASETS.get("interactions-file"), path=str(tmp_path / "x.csv"), user="uid", item="iid")
    assert loaded.data.n_users == 2 and loaded.data.n_items == 2
    with pytest.raises(BadInput, match="no column 'user'"):
        read_table(tmp_path / "x.csv")


def test_ml100k_from_data_home(real_data: Path) -> None:
    data = load_dataset("ml-100k").data
    assert (len(data), data.n_users, data.n_items) == (100_000, 943, 1682)
    assert set(np.unique(data.ratings)) == {1, 2, 3, 4, 5}


def test_ncf_train_file_missing_says_which_file_where(real_data: Path) -> None:
    with pytest.raises(DatasetMissing) as err:
        load_dataset("ncf-ml1m")
    message = str(err.value)
    assert "ncf/ml-1m.train.rating" in message and "Data/ml-1m.train.rating" in message
    assert "neural_collaborative_filtering" in message and "\n" not in message


def test_synthetic_data_is_seeded_and_structured() -> None:
    a, b, c = generate(seed=3), generate(seed=3), generate(seed=4)
    assert np.array_equal(a.items, b.items) and not np.array_equal(a.items, c.items)
    counts = np.bincount(a.items, minlength=a.n_items)
    assert counts.max() > 3 * np.median(counts)  # a popularity skew
    assert np.all(np.diff(a.timestamps[a.users == 0]) >= 0)


def test_ids_are_the_text_in_the_file(tmp_path: Path) -> None:
    """Users `01` and `1`, items `007` and `7` are four different ids, as RecBole keeps them
    (issue 19, example 1: pandas had parsed them as integers and merged them)."""
    rows = [(u, i) for u in ("01", "1", "u2") for i in ("007", "7", "x")]
    path = tmp_path / "x.csv"
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for u, i in rows))
    loaded = load_file(DATASETS.get("interactions-file"), path=str(path))
    assert (loaded.data.n_users, loaded.data.n_items) == (3, 3)
    assert sorted(loaded.data.user_ids.tolist()) == ["01", "1", "u2"]
    assert sorted(loaded.data.item_ids.tolist()) == ["007", "7", "x"]
    # the same in the MovieLens readers and a BOM + CRLF file
    (tmp_path / "u.data").write_bytes(b"\xef\xbb\xbf01\t007\t5\t1\r\n1\t7\t4\t2\r\n")
    data, users, items = to_interactions(read_movielens(tmp_path / "u.data"))
    assert users.tolist() == ["01", "1"] and items.tolist() == ["007", "7"] and data.n_users == 2


def test_interaction_readers_name_undecodable_lines(tmp_path: Path) -> None:
    (tmp_path / "u.data").write_bytes(b"1\t2\t3\t4\n1\t\xff\t3\t4\n")
    with pytest.raises(BadInput, match=r"u.data:2: not valid UTF-8"):
        read_movielens(tmp_path / "u.data")
    (tmp_path / "x.csv").write_bytes(b"user,item\na,b\nc,\xe9\n")
    with pytest.raises(BadInput, match=r"x.csv:3: not valid UTF-8"):
        read_table(tmp_path / "x.csv")


def test_ncf_ids_must_be_indices_written_plainly(tmp_path: Path) -> None:
    from rankbench.suites.recsys.data import read_ncf_rating

    (tmp_path / "r").write_text("0\t1\t5\t9\n01\t1\t5\t9\n")
    with pytest.raises(BadInput, match=r"r:2: user id '01' is not a 0-based index"):
        read_ncf_rating(tmp_path / "r")
    (tmp_path / "neg").write_text("(0,1)\t5\t06\n")
    with pytest.raises(BadInput, match=r"neg:1: item id '06' is not a 0-based index"):
        read_ncf_negative(tmp_path / "neg")


def test_negative_sampling_error_names_the_user_as_written() -> None:
    """ "user u_heavy has only 1 unseen items", not the internal code (issue 19, example 1)."""
    from rankbench.harness.splits import sample_negatives

    frame = pd.DataFrame({"user": ["a", "u_heavy", "u_heavy"], "item": ["i3", "i1", "i2"]})
    data, _, _ = to_interactions(frame)
    with pytest.raises(BadInput, match=r"user u_heavy has only 1 unseen items; cannot sample 2 negatives"):
        sample_negatives(data.to_csr(), np.array([1]), 2, 0, data.user_ids)
