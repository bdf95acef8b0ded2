"""CTR tables from files: BARS-style CSV splits and libFM files, encoded with statistics of train only.

Encoding follows FuxiCTR's preprocessing: a categorical value seen fewer than `min_count` times
in train, or never seen there, maps to the out-of-vocabulary code 0; numeric fields are
standardised with train mean and std (or cut into train quantile buckets, which then act as
categorical fields). Valid and test never influence the encoding, so no test statistic leaks.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rankbench.harness.datahome import checked_file, data_home, file_digest, files_checksum
from rankbench.harness.errors import BadInput
from rankbench.harness.formats import lines, open_binary, open_text, parse_number, utf8_error
from rankbench.harness.records import CTRSplits, CTRTable, Loaded
from rankbench.harness.registry import DatasetSpec
from rankbench.harness.resources import release_arrow_at_exit
from rankbench.suites.ctr.suites import FRAPPE_FIELDS

OOV = 0


@dataclass(frozen=True)
class FieldEncoder:
    """Train-fitted encoding: a vocabulary per categorical field and scaling per numeric field."""

    cat_fields: tuple[str, ...]
    num_fields: tuple[str, ...]
    vocabularies: tuple[pd.Index, ...]
    num_mean: np.ndarray
    num_std: np.ndarray
    bucket_edges: tuple[np.ndarray, ...]
    label: str
    user_field: str | None

    @classmethod
    def fit(
        cls,
        train: pd.DataFrame,
        cat_fields: Sequence[str],
        num_fields: Sequence[str] = (),
        *,
        label: str = "label",
        min_count: int = 1,
        numeric: str = "normalize",
        n_buckets: int = 10,
        user_field: str | None = None,
    ) -> FieldEncoder:
        if min_count < 1:
            raise BadInput(f"min_count must be at least 1, got {min_count}")
        if numeric not in ("normalize", "bucket"):
            raise BadInput(f"numeric encoding must be 'normalize' or 'bucket', got {numeric!r}")
        missing = [c for c in (*cat_fields, *num_fields, label) if c not in train.columns]
        if missing:
            raise BadInput(f"column {missing[0]!r} is missing; the table has {list(train.columns)}")
        vocabs = []
        for c in cat_fields:
            counts = train[c].astype(str).value_counts()
            vocabs.append(pd.Index(sorted(counts.index[counts >= min_count])))
        num = train[list(num_fields)].to_numpy(np.float64) if num_fields else np.zeros((len(train), 0))
        mean = np.nanmean(num, axis=0) if num_fields else np.zeros(0)
        std = np.nanstd(num, axis=0) if num_fields else np.zeros(0)
        edges: tuple[np.ndarray, ...] = ()
        if numeric == "bucket":
            qs = np.linspace(0, 1, n_buckets + 1)[1:-1]
            edges = tuple(np.unique(np.nanquantile(num[:, j], qs)) for j in range(num.shape[1]))
        return cls(
            tuple(cat_fields),
            tuple(num_fields),
            tuple(vocabs),
            mean,
            np.where(std > 0, std, 1.0),
            edges,
            label,
            user_field,
        )

    def transform(self, frame: pd.DataFrame) -> CTRTable:
        cats = [
            v.get_indexer(frame[c].astype(str)) + 1 for c, v in zip(self.cat_fields, self.vocabularies, strict=True)
        ]
        vocab_sizes = [len(v) + 1 for v in self.vocabularies]
        cat_names = list(self.cat_fields)
        num = frame[list(self.num_fields)].to_numpy(np.float64) if self.num_fields else np.zeros((len(frame), 0))
        if self.bucket_edges:
            for j, (name, edges) in enumerate(zip(self.num_fields, self.bucket_edges, strict=True)):
                col = num[:, j]
                cats.append(np.where(np.isnan(col), OOV, np.searchsorted(edges, col, side="right") + 1))
                vocab_sizes.append(len(edges) + 2)
                cat_names.append(name)
            num, num_names = np.zeros((len(frame), 0)), ()
        else:
            num = np.nan_to_num((num - self.num_mean) / self.num_std)
            num_names = self.num_fields
        labels = pd.to_numeric(frame[self.label], errors="coerce").to_numpy()
        if np.isnan(labels).any() or not np.isin(labels, (0, 1)).all():
            raise BadInput(f"column {self.label!r} must hold 0/1 click labels")
        categorical = np.stack(cats, axis=1).astype(np.int64) if cats else np.zeros((len(frame), 0), np.int64)
        return CTRTable(
            categorical,
            num.astype(np.float32),
            labels.astype(np.int8),
            tuple(cat_names),
            tuple(num_names),
            tuple(vocab_sizes),
            self.user_field,
        )


def encode_splits(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    test: pd.DataFrame,
    cat_fields: Sequence[str],
    num_fields: Sequence[str] = (),
    **options: Any,
) -> CTRSplits:
    """Fit the encoder on train only and apply it to all three splits."""
    encoder = FieldEncoder.fit(train, cat_fields, num_fields, **options)
    return CTRSplits(encoder.transform(train), encoder.transform(valid), encoder.transform(test))


def read_bars_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A BARS/FuxiCTR CSV split: a header naming the fields and a `label` column of 0/1 clicks.

    Every field is read as text (`01` and `1` are different categories, as FuxiCTR's
    `dtype: str` fields keep them); pandas drops a UTF-8 BOM and reads CRLF as LF. A label is a
    plain ASCII number equal to 0 or 1 (`0`, `1`, `1.0`). Raises `BadInput` naming the file and
    line for a row with fewer fields than the header, a label that is not 0/1 (`2`, `x`, `nan`,
    empty), or bytes that are not UTF-8; and naming the file for a missing column or an
    unreadable file.
    """
    release_arrow_at_exit()
    try:  # pyarrow's reader: one pass, 5.8x faster than pandas' own on a Criteo-like file, a short row an error
        frame, short_rows_checked = pd.read_csv(path, dtype=str, encoding="utf-8", engine="pyarrow"), True
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        frame, short_rows_checked = None, False  # pandas' reader below names what is wrong, and where
    if frame is None:
        try:
            frame = pd.read_csv(path, dtype=str, encoding="utf-8")
        except UnicodeDecodeError:
            raise utf8_error(path) or BadInput("not valid UTF-8", path=path) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise BadInput(f"cannot parse as CSV: {str(exc).strip().splitlines()[-1]}", path=path) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadInput(f"expected column {missing[0]!r}; the header has {list(frame.columns)}", path=path, line=1)
    if not short_rows_checked and len(frame.columns) and frame[frame.columns[-1]].isna().any():
        _reject_short_rows(path, len(frame.columns))  # pandas' reader pads a short row with NaN
    if "label" in frame.columns:
        text = frame["label"].fillna("")
        bad = ~text.isin(("0", "1")).to_numpy()
        if bad.any():  # rare spellings (`1.0`, `+1`): judged one by one
            for row in np.flatnonzero(bad):
                value = parse_number(text.iat[row])
                if value is None or value not in (0.0, 1.0):
                    # pandas read `nan`, `NA`, `null`... as missing: the message quotes the file's own text
                    lineno, record = next(itertools.islice(_records(path), row, None))
                    column = list(frame.columns).index("label")
                    raw = record[column] if column < len(record) else ""
                    raise BadInput(f"label {raw!r} is not a 0/1 click label", path=path, line=lineno)
    return frame


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each CSV record after the header, blank lines skipped as pandas skips them."""
    with open_text(path) as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if record:
                yield start, record
            start = reader.line_num + 1


def _reject_short_rows(path: Path, width: int) -> None:
    """`BadInput` naming the first row with fewer than `width` fields (pandas pads it with NaN, as it
    would an empty last field); pyarrow's C++ reader tells the two apart, Python finds the line only
    if there is one."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    release_arrow_at_exit()
    try:
        with open_binary(path) as fh:
            pacsv.read_csv(  # every row's field count is checked; one column is converted
                fh,
                read_options=pacsv.ReadOptions(skip_rows=1, column_names=[f"c{i}" for i in range(width)]),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(include_columns=["c0"], column_types={"c0": pa.string()}),
            )
        return
    except (pa.ArrowInvalid, OSError):
        pass
    for lineno, record in _records(path):
        if len(record) < width:
            raise BadInput(f"expected {width} fields as in the header, found {len(record)}", path=path, line=lineno)


def _libfm_label(text: str) -> str | None:
    """'1' or '0' for a LIBSVM/libFM binary label (`1`, `+1`, `1.0`, `-1`, `-1.0`, `0`), else None.

    The label is a plain ASCII number (`formats.NUMBER`): `1_0` or `١` is no label.
    """
    value = parse_number(text)
    if value is None:
        return None
    if value == 1.0:
        return "1"
    if value in (-1.0, 0.0):
        return "0"
    return None


def read_libfm(path: Path, fields: Sequence[str]) -> pd.DataFrame:
    """A libFM file with one-hot fields in a fixed order: `label idx:1 idx:1 ...`.

    Labels follow LIBSVM's convention: any number equal to 1 (`1`, `+1`, `1.0`) is a click,
    -1 or 0 (`-1`, `-1.0`, `0`) is not. Feature ids are global across fields, so the field of
    a token is its position on the line. Tokens may be separated by spaces or tabs; a UTF-8
    BOM and CRLF line endings are accepted. Raises `BadInput` naming `file:line` for a bad
    label, a wrong token count, or bytes that are not UTF-8.
    """
    rows: list[list[str]] = []
    for lineno, line in lines(path):
        parts = line.split()
        label = _libfm_label(parts[0])
        if label is None:
            raise BadInput(
                f"label {parts[0]!r} is not a binary label (1, +1, 1.0, -1, -1.0 or 0)", path=path, line=lineno
            )
        if len(parts) != len(fields) + 1:
            raise BadInput(
                f"expected {len(fields)} idx:value tokens after the label, got {len(parts) - 1}", path=path, line=lineno
            )
        rows.append([label, *(tok.partition(":")[0] for tok in parts[1:])])
    return pd.DataFrame(rows, columns=["label", *fields])


def _holdout(frame: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not 0 < fraction < 1:
        raise BadInput(f"holdout fraction must lie in (0, 1), got {fraction}")
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = round(len(frame) * (1 - fraction))
    return frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(drop=True)


def load_frappe_nfm(spec: DatasetSpec, holdout: float = 0.2, seed: int = 2021, min_count: int = 1) -> Loaded:
    """Frappe (NFM split): train on the validation file minus a seeded holdout, test on the BARS test file."""
    valid_path = checked_file(spec, "ctr/frappe-nfm/frappe.validation.libfm")
    test_path = checked_file(spec, "ctr/frappe-nfm/frappe.test.libfm")
    pool = read_libfm(valid_path, FRAPPE_FIELDS)
    test = read_libfm(test_path, FRAPPE_FIELDS)
    train, valid = _holdout(pool, holdout, seed)
    splits = encode_splits(train, valid, test, FRAPPE_FIELDS, min_count=min_count, user_field="user")
    info = {"n_train": len(train), "n_valid": len(valid), "n_test": len(test), "holdout": holdout, "split_seed": seed}
    return Loaded(splits, files_checksum(spec), info)


def load_model_zoo(spec: DatasetSpec, commit: str) -> Loaded:
    """FuxiCTR's model zoo in the data home (`fuxictr-model-zoo`): `data` is the `model_zoo` folder (a `Path`).

    Every listed model source is checked against the manifest's sha256 of its git blob at `commit`;
    raises `DatasetMissing` (naming `rankbench data fetch fuxictr-model-zoo`) or `ChecksumMismatch`.
    """
    for relpath in spec.files:
        checked_file(spec, relpath)
    folder = spec.downloads[0].target(data_home()) / "model_zoo"
    models = sorted({Path(rel).parent.parent.name for rel in spec.files})
    return Loaded(folder, files_checksum(spec), {"commit": commit, "models": len(models)})


def load_bars_csv(
    spec: DatasetSpec,
    folder: str,
    cat_fields: Sequence[str] | None,
    num_fields: Sequence[str] = (),
    min_count: int = 1,
    user_field: str | None = None,
) -> Loaded:
    """A BARS dataset folder in the data home with train.csv, valid.csv and test.csv (header, `label` column).

    `cat_fields=None` takes every column of the header except `label` and the numeric fields.
    """
    paths = [checked_file(spec, f"{folder}/{split}.csv") for split in ("train", "valid", "test")]
    # pinned files, just checked against their recorded checksums: those name the content (no second hash)
    return bars_splits(
        paths, cat_fields, num_fields, min_count=min_count, user_field=user_field, checksum=files_checksum(spec)
    )


def bars_splits(
    paths: Sequence[Path],
    cat_fields: Sequence[str] | None,
    num_fields: Sequence[str] = (),
    *,
    min_count: int = 1,
    user_field: str | None = None,
    checksum: str | None = None,
) -> Loaded:
    """Encode three BARS CSV splits (train, valid, test) with statistics of train only; the data's checksum
    is `checksum` when the caller knows it (pinned files), else `splits_checksum` of the files."""
    if cat_fields is None:
        header = pd.read_csv(paths[0], nrows=0).columns
        cat_fields = [c for c in header if c != "label" and c not in num_fields]
    frames = [read_bars_csv(path, [*cat_fields, *num_fields, "label"]) for path in paths]
    splits = encode_splits(*frames, cat_fields, num_fields, min_count=min_count, user_field=user_field)
    info = {f"n_{name}": len(f) for name, f in zip(("train", "valid", "test"), frames, strict=True)}
    return Loaded(splits, checksum or splits_checksum(paths), info)


def splits_checksum(paths: Sequence[Path]) -> str:
    """sha256 over the sha256 of each split file's raw bytes, in order: what `bars_splits` records, computed
    without reading the CSVs (each file hashed once per process while unchanged, `datahome.file_digest`)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(file_digest(path, gunzip=False).encode())
    return digest.hexdigest()
