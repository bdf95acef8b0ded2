"""Reproduction cards: one-line stops on missing data, and end-to-end runs on synthetic stand-ins
written in the papers' own file formats in a temporary data home."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness import datahome
from rankbench.harness.errors import DatasetMissing
from rankbench.harness.registry import DATASETS
from rankbench.harness.reproduce import CARDS, Target, reproduce
from rankbench.harness.splits import leave_one_out, sample_negatives
from rankbench.suites.recsys.synth import generate

CLI = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]


@pytest.mark.parametrize(
    ("card", "needs"),
    [("ncf-ml1m", "ncf/ml-1m.train.rating"), ("multvae-ml20m", "ml-20m/ratings.csv")],
)
def test_missing_data_stops_with_one_line(tmp_path: Path, card: str, needs: str) -> None:
    proc = subprocess.run(
        [*CLI, "reproduce", card, "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RANKBENCH_DATA": str(tmp_path / "empty")},
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert needs in lines[0] and "Traceback" not in proc.stderr
    if card == "ncf-ml1m":
        assert "rankbench data fetch ncf-ml1m" in lines[0] and "Data/ml-1m.train.rating" in lines[0]


@pytest.fixture
def stand_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data home holding generated data in the NCF and ML-20M file formats; the datasets'
    recorded sha256 are those of the real files, so the stand-in specs record none."""
    home = tmp_path / "data"
    monkeypatch.setenv("RANKBENCH_DATA", str(home))
    originals = {n: DATASETS.get(n) for n in ("ncf-ml1m", "ncf-ml1m-reconstructed", "ml-20m", "ml-1m-ordered")}
    for spec in originals.values():
        DATASETS.add(replace(spec, files=dict.fromkeys(spec.files, "")))
    datahome._loaded.clear()
    cards = {n: CARDS.get(n) for n in ("ncf-ml1m", "multvae-ml20m", "multvae-ml1m")}
    yield home
    for spec in originals.values():
        DATASETS.add(spec)
    for card in cards.values():
        CARDS.add(card)
    datahome._loaded.clear()


def _write_ncf(home: Path, train_name: str = "ml-1m.train.rating") -> None:
    data = generate(n_users=80, n_items=220, mean_items=25, seed=5)
    split = leave_one_out(data, seed=0)
    train = split.train.subset(np.ones(len(split.train), bool))
    (home / "ncf").mkdir(parents=True)
    lines = [
        f"{u}\t{i}\t{int(r)}\t{t}"
        for u, i, r, t in zip(train.users, train.items, train.ratings, train.timestamps, strict=True)
    ]
    with gzip.open(home / "ncf" / f"{train_name}.gz", "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    test = split.test
    with gzip.open(home / "ncf/ml-1m.test.rating.gz", "wt") as fh:
        fh.writelines(f"{u}\t{i}\t5\t{t}\n" for u, i, t in zip(test.users, test.items, test.timestamps, strict=True))
    negatives = sample_negatives(data.to_csr(), test.users, 99, seed=0)
    with gzip.open(home / "ncf/ml-1m.test.negative.gz", "wt") as fh:
        for u, i, neg in zip(test.users, test.items, negatives, strict=True):
            fh.write(f"({u},{i})\t" + "\t".join(map(str, neg)) + "\n")


def test_ncf_card_runs_on_a_stand_in(stand_in_home: Path, tmp_path: Path) -> None:
    _write_ncf(stand_in_home)
    card = CARDS.get("ncf-ml1m")
    fast = {"neumf": "neumf(epochs=3)", "neumf-pretrain": "neumf-pretrain(epochs=3)"}
    CARDS.add(replace(card, targets=tuple(replace(t, adapter=fast[t.adapter]) for t in card.targets)))
    rows = reproduce("ncf-ml1m", tmp_path / "out")
    assert [(r.measure, r.published) for r in rows] == [(t.measure, t.published) for t in card.targets]
    assert all(0 <= r.ours <= 1 and r.verdict in ("reproduced", "differs") for r in rows), rows
    docs = [json.loads(p.read_text()) for p in (tmp_path / "out").rglob("*.json") if p.name != "reproduction.json"]
    report = json.loads((tmp_path / "out/reproduction.json").read_text())
    assert [r["ours"] for r in report["rows"]] == [r.ours for r in rows] and report["wall_s"] > 0
    assert len(docs) == 1 and all(d["info"]["negatives_from"] == "dataset files" for d in docs)
    assert all(d["info"]["n_test_users"] == 80 for d in docs)


def _fast_ncf_card() -> None:
    card = CARDS.get("ncf-ml1m")
    CARDS.add(replace(card, targets=tuple(replace(t, adapter=f"{t.adapter}(epochs=2)") for t in card.targets)))


@pytest.mark.parametrize(
    ("files", "suite", "says"),
    [
        (("ml-1m.train.rating.reconstructed",), "ncf-ml1m-reconstructed", "reconstructed train file"),
        (("ml-1m.train.rating", "ml-1m.train.rating.reconstructed"), "ncf-ml1m", "NCF's own train file"),
    ],
)
def test_ncf_card_prefers_the_authors_train_file(
    stand_in_home: Path, tmp_path: Path, files: tuple[str, ...], suite: str, says: str
) -> None:
    """NCF's own train file when present, else the reconstructed one; the table and the JSON say which."""
    for i, name in enumerate(files):
        if i == 0:
            _write_ncf(stand_in_home, name)
        else:
            (stand_in_home / "ncf" / f"{name}.gz").write_bytes((stand_in_home / "ncf" / f"{files[0]}.gz").read_bytes())
    _fast_ncf_card()
    rows = reproduce("ncf-ml1m", tmp_path / "out")
    assert [r.label for r in rows] == [f"neumf(epochs=2) ({says})"] * 2  # the table's model column
    report = json.loads((tmp_path / "out/reproduction.json").read_text())
    assert [r["measure"] for r in report["rows"]] == ["HR@10", "nDCG@10"]
    assert all(r["label"] == f"neumf(epochs=2) ({says})" and f"suite {suite}," in r["detail"] for r in report["rows"])
    docs = [json.loads(p.read_text()) for p in (tmp_path / "out").rglob("seed-*.json")]
    assert docs and {d["suite"] for d in docs} == {suite}


def test_multvae_card_runs_on_a_stand_in(stand_in_home: Path, tmp_path: Path) -> None:
    data = generate(n_users=200, n_items=150, mean_items=25, seed=6)
    (stand_in_home / "ml-20m").mkdir(parents=True)
    rows = zip(data.users + 1, data.items + 1, data.ratings, data.timestamps, strict=True)
    (stand_in_home / "ml-20m/ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r:.1f},{t}\n" for u, i, r, t in rows)
    )
    card = CARDS.get("multvae-ml20m")
    small = "multvae(epochs=5,hidden=64,latent=16)"
    CARDS.add(
        replace(
            card,
            suite="multvae-ml20m(heldout_users=20)",
            targets=tuple(Target(small, t.measure, t.published, t.tolerance, t.citation) for t in card.targets),
        )
    )
    out = reproduce("multvae-ml20m", tmp_path / "out")
    assert [r.measure for r in out] == ["nRecall@20", "nRecall@50", "nDCG@100"]
    assert all(0 < r.ours <= 1 for r in out), out
    (doc,) = [json.loads(p.read_text()) for p in (tmp_path / "out").rglob("*.json") if p.name != "reproduction.json"]
    assert doc["provenance"]["settings"]["binarize"] == 3.5 and doc["provenance"]["settings"]["heldout_users"] == 20
    assert doc["info"]["n_test_users"] <= 20


def test_missing_file_error_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    with pytest.raises(DatasetMissing, match=r"ncf/ml-1m\.train\.rating"):
        reproduce("ncf-ml1m", tmp_path / "out")


def test_recbole_agreement_card_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The card's whole path on the real ML-100k split, with one short seed per model."""
    pytest.importorskip("recbole")
    try:
        datahome.checked_file(DATASETS.get("ml-100k"), next(iter(DATASETS.get("ml-100k").files)))
    except DatasetMissing:
        pytest.skip("ML-100k is not in the data home")
    from rankbench.suites.recsys import cards as recsys_cards

    short = {
        "neumf": ("NeuMF", {**recsys_cards.AGREE_MODELS["neumf"][1], "epochs": 1, "batch_size": 4096}),
        "multvae": ("MultiVAE", {**recsys_cards.AGREE_MODELS["multvae"][1], "epochs": 2, "hidden": 64}),
        "bpr": ("BPR", {**recsys_cards.AGREE_MODELS["bpr"][1], "epochs": 2}),
    }
    monkeypatch.setattr(recsys_cards, "AGREE_MODELS", short)
    monkeypatch.setattr(recsys_cards, "AGREE_SEEDS", (0,))
    rows = reproduce("agree-recbole-ml100k", tmp_path / "out")
    assert [(r.label.split()[0], r.measure) for r in rows] == [
        (m, k) for m in ("neumf", "multvae", "bpr") for k in recsys_cards.AGREE_MEASURES
    ]
    assert all(0 < r.published < 1 and 0 < r.ours < 1 and r.tolerance > 0 for r in rows), rows
    assert all("seeds 0" in r.detail and "paired over 943 users" in r.detail for r in rows)
    report = json.loads((tmp_path / "out/reproduction.json").read_text())
    assert report["card"] == "agree-recbole-ml100k" and len(report["rows"]) == 6


@pytest.mark.parametrize("name", ["neumf", "multvae", "bpr"])
def test_recbole_stops_after_as_many_stale_epochs_as_our_patience(name: str) -> None:
    """recbole_config's stopping_step makes RecBole's early stopping end on the epoch ours ends on."""
    pytest.importorskip("recbole")
    from recbole.utils import early_stopping

    from rankbench.adapters.early_stopping import EarlyStopping
    from rankbench.harness.registry import ADAPTERS
    from rankbench.suites.recsys.cards import AGREE_MODELS
    from rankbench.suites.recsys.recbole_runner import recbole_config

    rb_model, overrides = AGREE_MODELS[name]
    params = {**ADAPTERS.get(name).defaults(), **overrides, "seed": 0}
    curve = [0.1, 0.2, 0.3] + [0.3 - 0.001 * (i + 1) for i in range(40)]  # best at epoch 2, then worse
    stop = EarlyStopping(params["patience"])
    ours = next(e for e, v in enumerate(curve) if stop.update(e, v, lambda: None))
    step = recbole_config(rb_model, params)["stopping_step"]

    def recbole_stop() -> int:  # RecBole's trainer loop around its early_stopping
        best, stale = -1.0, 0
        for epoch, value in enumerate(curve):
            best, stale, stopped, _ = early_stopping(value, best, stale, max_step=step)
            if stopped:
                return epoch
        return len(curve)

    assert ours == recbole_stop() == 2 + params["patience"]


def test_recbole_config_refuses_bpr_settings_recbole_cannot_take() -> None:
    from rankbench.harness.errors import BadInput
    from rankbench.harness.registry import ADAPTERS
    from rankbench.suites.recsys.recbole_runner import recbole_config

    params = {**ADAPTERS.get("bpr").defaults(), "seed": 0}
    with pytest.raises(BadInput, match=r"l2=0\.0 and init='xavier_normal'"):
        recbole_config("BPR", params)
    config = recbole_config("BPR", {**params, "l2": 0.0, "init": "xavier_normal"})
    assert config["embedding_size"] == params["dim"] and config["learning_rate"] == params["lr"]


def test_agreement_overrides_only_what_differs_from_our_defaults() -> None:
    """The RecBole card states only the settings it changes; the rest come from our records."""
    from rankbench.harness.registry import ADAPTERS
    from rankbench.suites.recsys.cards import AGREE_MODELS

    for name, (_, overrides) in AGREE_MODELS.items():
        defaults = ADAPTERS.get(name).defaults()
        assert set(overrides) <= set(defaults), name
        assert not [k for k, v in overrides.items() if defaults[k] == v], f"{name} repeats a default"


def _ml1m_slice(home: Path) -> None:
    """The first 400 users of the real ML-1M file when the data home has it, else generated ratings, in its format."""
    real = Path(os.environ.get("RANKBENCH_DATA_REAL", "")) / "ml-1m/ratings.no-timestamp.tsv.gz"
    (home / "ml-1m").mkdir(parents=True)
    if real.is_file():
        with gzip.open(real, "rt") as fh:
            lines = [line for line in fh if int(line.split("\t", 1)[0]) <= 400]
    else:
        data = generate(n_users=400, n_items=300, mean_items=40, seed=7)
        lines = [f"{u + 1}\t{i + 1}\t{int(r)}\n" for u, i, r in zip(data.users, data.items, data.ratings, strict=True)]
    with gzip.open(home / "ml-1m/ratings.no-timestamp.tsv.gz", "wt") as fh:
        fh.writelines(lines)


def test_multvae_ml1m_card_wiring_on_a_slice(stand_in_home: Path, tmp_path: Path) -> None:
    """The card's whole path (split, ours, RecBole on the same split, paired rows) on 400 users, 2 epochs."""
    pytest.importorskip("recbole")
    _ml1m_slice(stand_in_home)
    card = CARDS.get("multvae-ml1m")
    CARDS.add(replace(card, options={"params": {"epochs": 2, "hidden": 64, "latent": 16}, "seeds": (0,)}))
    rows = reproduce("multvae-ml1m", tmp_path / "out")
    assert [r.measure for r in rows] == ["nRecall@20", "nRecall@50", "nDCG@100"]
    assert all(0 < r.published < 1 and 0 < r.ours < 1 and r.tolerance > 0 for r in rows), rows
    assert all(r.label == "multvae vs RecBole MultiVAE" and "seeds 0 " in r.detail for r in rows)
    n_test = int(rows[0].detail.split("paired over ")[1].split()[0])
    assert 0 < n_test <= round(400 * 10_000 / 136_677)  # ML-20M's held-out share of the eligible users
    report = json.loads((tmp_path / "out/reproduction.json").read_text())
    assert report["card"] == "multvae-ml1m" and [r["ours"] for r in report["rows"]] == [r.ours for r in rows]


def test_ml1m_ordered_loader_keeps_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows stay in the file's (time) order, ratings are kept, and no timestamps are invented."""
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    spec = DATASETS.get("ml-1m-ordered")
    DATASETS.add(replace(spec, files=dict.fromkeys(spec.files, "")))
    datahome._loaded.clear()
    try:
        (tmp_path / "ml-1m").mkdir()
        (tmp_path / "ml-1m/ratings.no-timestamp.tsv").write_text("7\t30\t5\n7\t10\t3\n2\t10\t4\n7\t20\t1\n")
        data = datahome.load_dataset("ml-1m-ordered").data
        names = [(data.user_name(u), data.item_name(i)) for u, i in zip(data.users, data.items, strict=True)]
        assert names == [("7", "30"), ("7", "10"), ("2", "10"), ("7", "20")]
        assert data.ratings.tolist() == [5, 3, 4, 1] and data.timestamps is None
    finally:
        DATASETS.add(spec)
        datahome._loaded.clear()
