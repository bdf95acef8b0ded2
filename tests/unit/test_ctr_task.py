"""The CTR task end to end on the tiny table, and the CTR cards' one-line stops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from rankbench.harness.errors import DatasetMissing, HarnessError
from rankbench.harness.reproduce import reproduce
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey

pytest.importorskip("torch")


def test_ctr_cell_scores_every_test_impression() -> None:
    result, units = execute_cell(CellKey("ctr-synth-tiny", "lr(max_epochs=2,batch_size=256,seed=0)", 0))
    assert result.ok, result.error
    assert units is not None and len(units) == result.info["n_test"]
    assert {"label", "prediction", "logloss", "user"} <= set(units.columns)
    y, p = units["label"].to_numpy(), units["prediction"].to_numpy()
    assert result.measures["AUC"].value == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert result.measures["logloss"].value == pytest.approx(log_loss(y, p), rel=1e-9)
    auc = result.measures["AUC"]
    assert auc.ci_low < auc.value < auc.ci_high
    assert 0 < result.measures["gAUC"].value < 1
    assert result.timings["train_samples_per_s"] > 0 and np.all((p >= 0) & (p <= 1))


def test_bars_card_stops_naming_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    with pytest.raises(DatasetMissing) as info:
        reproduce("bars-frappe-x1", tmp_path / "out")
    message = str(info.value)
    assert "\n" not in message and "Frappe_x1/train.csv" in message and "rankbench data fetch frappe-x1" in message


def test_agreement_card_stops_without_fuxictr_model_zoo(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No zoo anywhere and the download fails (nobody answers at the mirror): one line naming both ways."""
    pytest.importorskip("fuxictr")
    home = tmp_path / "home"
    (home / "ctr").mkdir(parents=True)
    (home / "ctr" / "frappe-nfm").symlink_to(real_data / "ctr" / "frappe-nfm")  # read only; the zoo would land in home
    monkeypatch.setenv("RANKBENCH_DATA", str(home))
    monkeypatch.setenv("RANKBENCH_MIRROR", "http://127.0.0.1:9")
    monkeypatch.delenv("FUXICTR_MODEL_ZOO", raising=False)
    with pytest.raises(HarnessError, match=r"127\.0\.0\.1:9.*FUXICTR_MODEL_ZOO") as info:
        reproduce("agree-fuxictr-frappe", tmp_path / "out")
    assert "\n" not in str(info.value) and sorted(p.name for p in home.iterdir()) == ["ctr"]


def test_fuxictr_gets_the_config_of_our_record() -> None:
    """The agreement card and benchmark read the models' config from their records, in FuxiCTR's names."""
    from rankbench.adapters.ctr.fuxictr_models import TRAINING_KNOBS, shared_config
    from rankbench.harness.registry import ADAPTERS

    for name in ("dcnv2", "fcn"):
        defaults = ADAPTERS.get(name).defaults()
        config = shared_config(name)
        assert config.pop("early_stop_patience") == defaults["patience"]
        assert config == {k: v for k, v in defaults.items() if k not in TRAINING_KNOBS}
        assert {"embedding_dim", "learning_rate", "net_dropout" if name == "dcnv2" else "deep_net_dropout"} <= set(
            config
        )
    model = ADAPTERS.get("dcnv2").build()
    assert shared_config("dcnv2")["parallel_dnn_hidden_units"] == model.parallel_dnn_hidden_units
