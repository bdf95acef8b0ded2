"""CTR loaders: train-only encoding, OOV bucket, libFM and BARS CSV readers, Frappe files, synthetic table."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, DatasetMissing
from rankbench.suites.ctr.data import FieldEncoder, encode_splits, read_bars_csv, read_libfm
from rankbench.suites.ctr.synth import generate


def _frame(values: list[str], nums: list[float], labels: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"c": values, "x": nums, "label": labels})


def test_encoder_is_fit_on_train_only_with_min_count_and_oov() -> None:
    train = _frame(["a", "a", "b", "c", "c", "c"], [1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 0, 1])
    test = _frame(["a", "b", "z"], [100, 3.5, -1], [1, 0, 1])
    splits = encode_splits(train, train, test, ["c"], ["x"], min_count=2)
    assert splits.train.vocab_sizes == (3,)  # OOV + {a, c}; b is rarer than min_count
    codes = splits.test.categorical[:, 0]
    assert codes[0] != 0 and codes[1] == 0 and codes[2] == 0  # rare and unseen values share the OOV code
    mean, std = np.mean([1, 2, 3, 4, 5, 6]), np.std([1, 2, 3, 4, 5, 6])
    assert splits.test.numeric[0, 0] == pytest.approx((100 - mean) / std, rel=1e-6)


def test_numeric_bucketing_uses_train_quantiles() -> None:
    train = _frame(["a"] * 8, list(range(8)), [0, 1] * 4)
    test = _frame(["a"] * 2, [-50, 50], [0, 1])
    enc = FieldEncoder.fit(train, ["c"], ["x"], numeric="bucket", n_buckets=4)
    table = enc.transform(test)
    assert table.num_fields == () and table.cat_fields == ("c", "x")
    assert table.categorical[0, 1] == 1 and table.categorical[1, 1] == table.vocab_sizes[1] - 1


def test_encoder_rejects_missing_columns_and_bad_labels() -> None:
    with pytest.raises(BadInput, match="'nope'"):
        FieldEncoder.fit(_frame(["a"], [1], [1]), ["nope"])
    enc = FieldEncoder.fit(_frame(["a"], [1], [1]), ["c"])
    with pytest.raises(BadInput, match="0/1"):
        enc.transform(_frame(["a"], [1], [2]))


def test_libfm_reader_positions_fields_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.libfm.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("1 3:1 10:1\n-1 4:1 11:1\n")
    frame = read_libfm(path, ("u", "i"))
    assert frame["label"].tolist() == ["1", "0"] and frame["i"].tolist() == ["10", "11"]
    bad = tmp_path / "bad.libfm"
    bad.write_text("1 3:1 10:1\n1 3:1\n")
    with pytest.raises(BadInput, match=r"bad.libfm:2:"):
        read_libfm(bad, ("u", "i"))


def test_bars_csv_reader_names_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("user,item\n1,2\n")
    with pytest.raises(BadInput, match="'label'"):
        read_bars_csv(path, ["user", "item", "label"])


def test_bars_suite_without_files_names_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    with pytest.raises(DatasetMissing, match=r"Frappe_x1/train\.csv.*rankbench data fetch frappe-x1.*Frappe_x1\.zip"):
        load_dataset("frappe-x1")


def test_synthetic_table_is_deterministic_and_crossed() -> None:
    a, b = generate(500, 100, 200, seed=4), generate(500, 100, 200, seed=4)
    np.testing.assert_array_equal(a.test.categorical, b.test.categorical)
    np.testing.assert_array_equal(a.test.labels, b.test.labels)
    assert not np.array_equal(a.test.labels, generate(500, 100, 200, seed=5).test.labels)
    assert a.train.categorical.min() >= 1 and 0.2 < a.train.labels.mean() < 0.8


def test_frappe_nfm_loads_real_files(real_data: Path) -> None:
    splits = load_dataset("frappe-nfm").data
    assert len(splits.test) == 28860 and int(splits.test.labels.sum()) == 9536
    assert len(splits.train) + len(splits.valid) == 57722
    assert splits.train.cat_fields[0] == "user" and splits.test.user_field == "user"


def test_libfm_accepts_libsvm_labels_and_names_the_wrong_field(tmp_path: Path) -> None:
    """LIBSVM's labels `+1`, `1.0`, `-1.0` are valid (issue 18, example 4); a bad label or token
    count is named as such, on its line."""
    path = tmp_path / "x.libfm"
    path.write_text("+1 3:1 10:1\n1.0 4:1 11:1\n-1.0 5:1 12:1\n0 6:1 13:1\n")
    assert read_libfm(path, ("u", "i"))["label"].tolist() == ["1", "1", "0", "0"]
    path.write_text("1 3:1 10:1\n2 3:1 10:1\n")
    with pytest.raises(BadInput, match=r"x.libfm:2: label '2' is not a binary label"):
        read_libfm(path, ("u", "i"))
    path.write_text("1 3:1 10:1\n1 3:1 10:1 12:1\n")
    with pytest.raises(BadInput, match=r"x.libfm:2: expected 2 idx:value tokens after the label, got 3"):
        read_libfm(path, ("u", "i"))


def test_libfm_and_bars_readers_take_bom_crlf_tabs_and_name_undecodable_lines(tmp_path: Path) -> None:
    libfm = tmp_path / "x.libfm"
    libfm.write_bytes(b"\xef\xbb\xbf1 3:1\t10:1\r\n-1\t4:1 11:1\r\n")
    frame = read_libfm(libfm, ("u", "i"))
    assert frame["label"].tolist() == ["1", "0"] and frame["u"].tolist() == ["3", "4"]
    libfm.write_bytes(b"1 3:1 10:1\n1 3:1 1\xff:1\n")
    with pytest.raises(BadInput, match=r"x.libfm:2: not valid UTF-8"):
        read_libfm(libfm, ("u", "i"))
    csv = tmp_path / "train.csv"
    csv.write_bytes(b"\xef\xbb\xbfuser,item,label\r\n01,007,1\r\n1,7,0\r\n")
    frame = read_bars_csv(csv, ["user", "item", "label"])
    assert frame["user"].tolist() == ["01", "1"] and frame["item"].tolist() == ["007", "7"]  # ids stay text
    csv.write_bytes(b"user,item,label\n1,2,1\n1,\xe9,0\n")
    with pytest.raises(BadInput, match=r"train.csv:3: not valid UTF-8"):
        read_bars_csv(csv, ["user", "item", "label"])
