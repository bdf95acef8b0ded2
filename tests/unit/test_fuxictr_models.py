"""The `fuxictr` adapter: a model zoo folder's model by name, trained by FuxiCTR's loop, passes the CTR contract.

The pip wheel has no model zoo, so the test writes FuxiCTR's own LR model (model_zoo/LR/src/LR.py
of github.com/reczoo/FuxiCTR, on the wheel's BaseModel and LogisticRegression layer) into a
temporary zoo folder laid out like FuxiCTR's.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("fuxictr")

from rankbench.adapters.ctr.fuxictr_models import FuxiCTRModel, ModelZooMissing
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.testing import check_adapter

LR_SOURCE = """
from fuxictr.pytorch.layers import LogisticRegression
from fuxictr.pytorch.models import BaseModel


class LR(BaseModel):
    def __init__(self, feature_map, model_id="LR", gpu=-1, learning_rate=1e-3, regularizer=None, **kwargs):
        super(LR, self).__init__(
            feature_map, model_id=model_id, gpu=gpu, embedding_regularizer=regularizer,
            net_regularizer=regularizer, **kwargs
        )
        self.lr_layer = LogisticRegression(feature_map, use_bias=True)
        self.compile(kwargs["optimizer"], kwargs["loss"], learning_rate)
        self.reset_parameters()
        self.model_to_device()

    def forward(self, inputs):
        X = self.get_inputs(inputs)
        y_pred = self.lr_layer(X)
        y_pred = self.output_activation(y_pred)
        return {"y_pred": y_pred}
"""


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    src = tmp_path / "model_zoo" / "LR" / "src"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("from .LR import *\n")
    (src / "LR.py").write_text(LR_SOURCE)
    return tmp_path / "model_zoo"


def test_a_zoo_model_by_name_passes_the_ctr_contract(zoo: Path) -> None:
    spec = ADAPTERS.get("fuxictr")
    check_adapter(
        dataclasses.replace(
            spec, smoke_params={**spec.smoke_params, "model": "LR", "zoo": str(zoo), "learning_rate": 0.01}
        )
    )


def test_a_missing_zoo_or_model_is_one_line_naming_both_ways(
    zoo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FUXICTR_MODEL_ZOO", raising=False)
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path / "empty-home"))
    both = r"run `rankbench data fetch fuxictr-model-zoo`.*FUXICTR_MODEL_ZOO \(or the adapter's zoo=\)"
    with pytest.raises(ModelZooMissing, match=r"FUXICTR_MODEL_ZOO is not set and the data home has no .*" + both):
        FuxiCTRModel(model="LR")
    with pytest.raises(ModelZooMissing, match=r"has no DeepFM/src/DeepFM\.py: " + both):
        FuxiCTRModel(model="DeepFM", zoo=str(zoo))
    with pytest.raises(ModelZooMissing, match=r"is not a folder: " + both):
        FuxiCTRModel(model="LR", zoo=str(tmp_path / "nowhere"))
    assert not (tmp_path / "empty-home").exists()  # looking never creates the data home
    monkeypatch.setenv("FUXICTR_MODEL_ZOO", str(zoo))
    assert FuxiCTRModel(model="LR").get_params()["model"] == "LR"
