"""Interaction loaders: MovieLens (`u.data`, `ratings.dat`, `ratings.csv`), the NCF files, CSV/Parquet.

Every reader returns a frame of raw (user, item, rating, timestamp) rows; `to_interactions`
maps raw ids to the contiguous ids `Interactions` needs. Files are read from the data home
only (MovieLens may not be redistributed); a missing one is a one-line `DatasetMissing`
that says which file to put where. Gzipped copies are read transparently.
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rankbench.harness.datahome import checked_file, data_home, files_checksum
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions, Loaded
from rankbench.harness.registry import DatasetSpec
from rankbench.harness.splits import SampledTest
from rankbench.suites.catalog import dataset_spec, entry, files
from rankbench.suites.recsys.synth import checksum_interactions

COLUMNS = ("user", "item", "rating", "timestamp")
NCF_TRAIN = "ncf/ml-1m.train.rating"
"""The NCF authors' ML-1M train file (`ncf-ml1m`)."""
NCF_RECONSTRUCTED = "ncf/ml-1m.train.rating.reconstructed"
"""The same file rebuilt from ML-1M's ratings (`ncf-ml1m-reconstructed`), used when the authors' file is absent."""


def _text(path: Path) -> str:
    """The file's text: gunzipped if need be, strict UTF-8 (a BOM dropped); bad bytes are one `file:line` error."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"not valid UTF-8 ({exc.reason}); re-encode the file as UTF-8", path=path, line=line) from None


ID_COLUMNS = ("user", "item")
NCF_INDEX = re.compile(r"0|[1-9][0-9]*")


def _read_delimited(path: Path, sep: str, header: bool = False) -> pd.DataFrame:
    """user, item[, rating, timestamp] columns; user and item ids are kept as the text in the file."""
    text = _text(path)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=0 if header else None,
            engine="python" if len(sep) > 1 else "c",
            dtype=str,
            keep_default_na=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise BadInput(f"cannot parse as {sep!r}-separated interactions: {exc}", path=path) from exc
    if frame.shape[1] < 2:
        raise BadInput(f"expected at least user and item columns separated by {sep!r}", path=path, line=1)
    frame = frame.iloc[:, :4]
    frame.columns = list(COLUMNS[: frame.shape[1]])
    for col in frame.columns:
        if col in ID_COLUMNS:
            empty = (frame[col].str.strip() == "").to_numpy()
            if empty.any():
                bad = int(np.flatnonzero(empty)[0])
                raise BadInput(f"empty {col} id", path=path, line=bad + 1 + header)
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            bad = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise BadInput(f"column {col} is not numeric: {frame[col].iloc[bad]!r}", path=path, line=bad + 1 + header)
        frame[col] = values
    return frame


def read_movielens(path: Path) -> pd.DataFrame:
    """`u.data` (tab), `ratings.dat` (`::`) or `ratings.csv` (comma, header) of MovieLens."""
    name = path.name.removesuffix(".gz")
    if name.endswith(".dat"):
        return _read_delimited(path, "::")
    if name.endswith(".csv"):
        return _read_delimited(path, ",", header=True)
    return _read_delimited(path, "\t")


def read_ncf_rating(path: Path) -> pd.DataFrame:
    """NCF `*.train.rating` / `*.test.rating`: `user\\titem\\trating\\ttimestamp`, 0-based ids.

    NCF's ids are row indices (user 3 is row 3 of the embedding table), written as plain
    decimals; any other text (`03`, `u3`) is a `file:line` error rather than a silent merge.
    """
    return _ncf_ids(_read_delimited(path, "\t"), path)


def _ncf_index(text: str, what: str, path: Path, lineno: int) -> int:
    """An NCF id: a 0-based index written in decimal without leading zeros (`01` is not `1`)."""
    text = text.strip()
    if not NCF_INDEX.fullmatch(text):  # ASCII digits only: `str.isdigit` and `int` also take `١`
        raise BadInput(
            f"{what} id {text!r} is not a 0-based index as NCF writes them (0, 1, 2, ...)", path=path, line=lineno
        )
    return int(text)


def _ncf_ids(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The NCF rating columns with user and item checked to be NCF indices (text ids, not re-parsed)."""
    for col in ID_COLUMNS:
        ok = frame[col].str.fullmatch(NCF_INDEX.pattern).to_numpy()
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise BadInput(
                f"{col} id {frame[col].iloc[bad]!r} is not a 0-based index as NCF writes them (0, 1, 2, ...)",
                path=path,
                line=bad + 1,
            )
        frame[col] = frame[col].astype(np.int64)
    return frame


def read_ncf_negative(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NCF `*.test.negative`: `(user,item)\\tneg1...negN` -> users, held-out items, (n, N) negatives."""
    users, items, negs = [], [], []
    for lineno, line in enumerate(_text(path).splitlines(), 1):
        if not line.strip():
            continue
        head, *rest = line.rstrip("\n").split("\t")
        try:
            u, i = head.strip("()").split(",")
            users.append(_ncf_index(u, "user", path, lineno))
            items.append(_ncf_index(i, "item", path, lineno))
            negs.append([_ncf_index(x, "item", path, lineno) for x in rest if x])
        except ValueError as exc:
            raise BadInput(f"expected '(user,item)<TAB>neg...': {line[:60]!r}", path=path, line=lineno) from exc
        if len(negs[-1]) != len(negs[0]):
            raise BadInput(f"{len(negs[-1])} negatives where line 1 has {len(negs[0])}", path=path, line=lineno)
    if not users:
        raise BadInput("no negatives in file", path=path)
    return np.array(users), np.array(items), np.array(negs, dtype=np.int64)


def read_table(
    path: Path, user: str = "user", item: str = "item", rating: str = "rating", timestamp: str = "timestamp"
) -> pd.DataFrame:
    """Generic CSV/TSV/Parquet with named columns; rating and timestamp columns are optional."""
    name = path.name.removesuffix(".gz")
    if name.endswith(".parquet"):
        frame = pd.read_parquet(path)
    else:
        ids = {user: str, item: str}
        frame = pd.read_csv(
            io.StringIO(_text(path)), sep="\t" if name.endswith(".tsv") else ",", dtype=ids, keep_default_na=False
        )
    missing = [c for c in (user, item) if c not in frame.columns]
    if missing:
        raise BadInput(f"no column {missing[0]!r}; columns are {list(frame.columns)}", path=path, line=1)
    out = pd.DataFrame({"user": _as_text(frame[user]), "item": _as_text(frame[item])})
    names = {"user": user, "item": item}
    for src, dst in ((rating, "rating"), (timestamp, "timestamp")):
        if src in frame.columns:
            out[dst], names[dst] = frame[src], src
    return checked_roles(out, path, None if name.endswith(".parquet") else 2, names)


def _as_text(column: pd.Series) -> pd.Series:
    """Ids as text: strings stay as written; integer columns (Parquet) as their decimal text (missing ids
    stay missing for `checked_roles` to name)."""
    return column.where(column.isna(), column.astype(str))


def checked_roles(
    frame: pd.DataFrame, path: Path, first_line: int | None, names: dict[str, str] | None = None
) -> pd.DataFrame:
    """`frame` (columns named by role: user, item[, rating, timestamp]) with every id present and every rating
    and timestamp a finite number; else a `BadInput` naming the file and the first bad row's line.

    `first_line` is the file line of the frame's first row (2 under a header), None for a file without lines
    (Parquet: the row is named instead); `names` maps a role to its column's name in the file.
    """
    names = names or {}
    out = frame.copy()
    for role in frame.columns:
        values = frame[role]
        if role in ID_COLUMNS:
            bad = (values.isna() | (values.astype(str).str.strip() == "")).to_numpy()
        else:
            numeric = pd.to_numeric(values, errors="coerce")
            bad = ~np.isfinite(numeric.to_numpy(np.float64))
            out[role] = numeric
        if not bad.any():
            continue
        row = int(np.flatnonzero(bad)[0])
        column = names.get(role, role)
        if role in ID_COLUMNS:
            what = f"empty {role} id"
        else:
            raw = values.iloc[row]
            what = f"{role} {'' if pd.isna(raw) else str(raw)!r} is not a finite number"
        if column != role:
            what += f" (column {column!r})"
        if first_line is None:
            raise BadInput(f"row {row}: {what}", path=path)
        raise BadInput(what, path=path, line=row + first_line)
    return out


def _id_codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, the text of each code): numeric order when every id is a plain decimal integer, else text order.

    `01` and `1` are different ids (as in RecBole); plain integer ids keep MovieLens' numeric order.
    """
    text = ids.astype(str)
    if text.str.fullmatch(r"-?(0|[1-9][0-9]*)").all():
        codes, uniques = pd.factorize(text.astype(np.int64), sort=True)
        return codes, np.asarray(uniques).astype(str)
    codes, uniques = pd.factorize(text, sort=True)
    return codes, np.asarray(uniques, dtype=str)


def to_interactions(frame: pd.DataFrame) -> tuple[Interactions, np.ndarray, np.ndarray]:
    """Contiguous codes and the raw user / item ids (their text in the file) they stand for."""
    u_codes, u_raw = _id_codes(frame["user"])
    i_codes, i_raw = _id_codes(frame["item"])
    data = Interactions(
        u_codes,
        i_codes,
        len(u_raw),
        len(i_raw),
        frame["rating"].to_numpy(np.float32) if "rating" in frame else None,
        frame["timestamp"].to_numpy(np.int64) if "timestamp" in frame else None,
        u_raw,
        i_raw,
    )
    return data, u_raw, i_raw


def _loaded(spec: DatasetSpec, frame: pd.DataFrame, **info: Any) -> Loaded:
    data, _, _ = to_interactions(frame)
    checksum = files_checksum(spec) if spec.files and all(spec.files.values()) else checksum_interactions(data)
    return Loaded(
        data, checksum, {"n_users": data.n_users, "n_items": data.n_items, "n_interactions": len(data), **info}
    )


def load_movielens(spec: DatasetSpec, **params: Any) -> Loaded:
    """The dataset's single MovieLens ratings file."""
    (relpath,) = spec.files
    return _loaded(spec, read_movielens(checked_file(spec, relpath)), file=relpath)


ML1M_ORDERED = "ml-1m/ratings.no-timestamp.tsv"
"""All 1,000,209 ML-1M ratings as `user<TAB>movie<TAB>rating`, each user's rows in time order, no timestamps."""


def load_ratings_in_order(spec: DatasetSpec, **params: Any) -> Loaded:
    """A `user<TAB>item<TAB>rating` file without timestamps whose rows are in time order within each user.

    Rows keep the file's order (`Interactions` row i is line i); no timestamps are invented, so
    protocols that need them (temporal splits) see none.
    """
    (relpath,) = spec.files
    frame = _read_delimited(checked_file(spec, relpath), "\t")
    if frame.shape[1] != 3:
        raise BadInput(
            f"expected 3 tab-separated columns (user, item, rating), found {frame.shape[1]}",
            path=checked_file(spec, relpath),
            line=1,
        )
    return _loaded(spec, frame, file=relpath, order="time order within each user (no timestamps)")


def load_ncf(spec: DatasetSpec, **params: Any) -> Loaded:
    """NCF's pre-split leave-one-out data: train file, test items and the 99 negatives per user."""
    train_rel, test_rel, neg_rel = spec.files
    train = read_ncf_rating(checked_file(spec, train_rel))
    test = read_ncf_rating(checked_file(spec, test_rel))
    users, items, negatives = read_ncf_negative(checked_file(spec, neg_rel))
    if not (np.array_equal(users, test["user"].to_numpy()) and np.array_equal(items, test["item"].to_numpy())):
        raise BadInput(f"{neg_rel} and {test_rel} list different (user, item) pairs; use files from one NCF release")
    absent = ~np.isin(users, train["user"].to_numpy())
    if absent.any():
        row = int(np.flatnonzero(absent)[0])
        raise BadInput(
            f"test user {users[row]} has no training interactions; leave-one-out needs every test user in "
            f"{train_rel} (use the train and test files of one NCF release)",
            path=checked_file(spec, test_rel),
            line=row + 1,
        )
    n_users = int(max(train["user"].max(), users.max()) + 1)
    n_items = int(max(train["item"].max(), items.max(), negatives.max()) + 1)
    inter = Interactions(
        train["user"].to_numpy(),
        train["item"].to_numpy(),
        n_users,
        n_items,
        train["rating"].to_numpy(np.float32) if "rating" in train else None,
        train["timestamp"].to_numpy(np.int64) if "timestamp" in train else None,
    )
    checksum = files_checksum(spec) if all(spec.files.values()) else checksum_interactions(inter)
    data = SampledTest(train=inter, users=users, items=items, negatives=negatives)
    return Loaded(data, checksum, {"n_users": n_users, "n_items": n_items, "n_train": len(inter), "n_test": len(users)})


def load_file(spec: DatasetSpec, path: str = "", **columns: str) -> Loaded:
    """Any CSV/TSV/Parquet interactions file, absolute or relative to the data home."""
    if not path:
        raise BadInput("dataset 'interactions-file' needs a path: run it with dataset_params {'path': 'my.csv'}")
    full = Path(path) if Path(path).is_absolute() else data_home() / path
    if not full.is_file():
        raise BadInput(f"interactions file {full} does not exist")
    return _loaded(spec, read_table(full, **columns), file=str(path))


DATASETS = (
    dataset_spec("ml-100k", "rankbench.suites.recsys.data:load_movielens"),
    dataset_spec("ml-1m", "rankbench.suites.recsys.data:load_movielens"),
    dataset_spec("ml-20m", "rankbench.suites.recsys.data:load_movielens"),
    dataset_spec("ncf-ml1m", "rankbench.suites.recsys.data:load_ncf"),
    DatasetSpec(
        name="ml-1m-ordered",
        loader="rankbench.suites.recsys.data:load_ratings_in_order",
        files={ML1M_ORDERED: "sha256:28af99d663f0ce15ed07c9844755824b0c001e249889c1289940696e1519886d"},
        licence=entry("ml-1m")["licence"],
        citation=entry("ml-1m")["citation"],
        description="MovieLens 1M, all 1,000,209 ratings without timestamps, each user's rows in time order "
        "(rebuilt from two public derivatives; see ml-1m/SOURCE.md of the shared data)",
        source="place ml-1m/ratings.no-timestamp.tsv.gz in the data home",
    ),
    DatasetSpec(
        name="ncf-ml1m-reconstructed",
        loader="rankbench.suites.recsys.data:load_ncf",
        files={
            NCF_RECONSTRUCTED: "sha256:77c456fc1ea10df51a182ef564a538c8baa4d5bb587f9911561dfa05bf279426",
            **{rel: c for rel, c in files("ncf-ml1m").items() if not rel.endswith(".train.rating")},
        },
        licence=entry("ncf-ml1m")["licence"],
        citation=entry("ncf-ml1m")["citation"],
        description="NCF's ML-1M test files with the train file rebuilt from ML-1M (not the authors' file: "
        "97% of rows exact; see ncf/SOURCE.md of the shared data)",
        source="place ncf/ml-1m.train.rating.reconstructed.gz (rebuilt from ml-1m/ratings.no-timestamp.tsv.gz) "
        "in the data home",
    ),
    DatasetSpec(
        name="interactions-file",
        loader="rankbench.suites.recsys.data:load_file",
        description="any CSV/TSV/Parquet file of user,item[,rating,timestamp] (dataset_params path=...)",
    ),
)
