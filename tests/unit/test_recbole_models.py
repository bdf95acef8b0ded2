"""The `recbole` adapter: RecBole's models by name pass the recommender contract, and scores map back to our ids."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

pytest.importorskip("recbole")

from rankbench.adapters.recsys.recbole_models import RecBoleRecommender, score_recbole, train_recbole
from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, MissingDependency, UnknownName
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.splits import random_holdout
from rankbench.harness.testing import check_adapter


@pytest.mark.parametrize(
    "params",
    [
        {"model": "BPR", "epochs": 20, "learning_rate": 0.01, "embedding_size": 16},
        {"model": "LightGCN", "epochs": 20, "learning_rate": 0.01, "embedding_size": 16},
        {"model": "NeuMF", "epochs": 5, "learning_rate": 0.01},  # no full_sort_predict: scored pair by pair
        {"model": "EASE"},  # a closed-form model: RecBole's traditional trainer
    ],
    ids=lambda p: p["model"],
)
def test_models_pass_the_recommender_contract(params: dict) -> None:
    check_adapter(dataclasses.replace(ADAPTERS.get("recbole"), smoke_params=params))


def test_scores_are_recboles_predictions_in_our_ids() -> None:
    data = load_dataset("recsys-synth-tiny").data
    split = random_holdout(data, 0.2, 0.1, seed=0)
    fit = train_recbole("BPR", split.train, None, {"epochs": 3, "embedding_size": 8, "seed": 0})
    users = np.array([0, 5, 17])
    ours = score_recbole(fit, users, data.n_items)
    torch = pytest.importorskip("torch")
    from recbole.data.interaction import Interaction

    token_u, token_i = fit.dataset.field2token_id["user_id"], fit.dataset.field2token_id["item_id"]
    items = np.array([i for i in range(data.n_items) if str(i) in token_i])
    for row, user in enumerate(users):
        pairs = Interaction(
            {
                "user_id": torch.full((len(items),), token_u[str(user)]),
                "item_id": torch.tensor([token_i[str(i)] for i in items]),
            }
        )
        with torch.no_grad():
            expected = fit.net.predict(pairs).numpy()
        np.testing.assert_allclose(ours[row, items], expected, rtol=1e-5, atol=1e-6)
    unseen = np.setdiff1d(np.arange(data.n_items), items)
    assert np.all(ours[:, unseen] == -1e9)


def test_hyper_parameters_are_recbole_config_keys_and_bad_names_are_one_line() -> None:
    rec = parse_adapter_ref("recbole(model=LightGCN,n_layers=2,embedding_size=8)").build()
    assert isinstance(rec, RecBoleRecommender) and rec.config == {"n_layers": 2, "embedding_size": 8}
    with pytest.raises(UnknownName, match=r"unknown RecBole model 'lightgcn' \(did you mean 'LightGCN'"):
        RecBoleRecommender(model="lightgcn")
    with pytest.raises(BadInput, match="SASRec is a sequential recommender, not a general recommender"):
        RecBoleRecommender(model="SASRec")


def test_an_unknown_model_is_named_with_suggestions_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """RecBole's `get_model` imports its other model packages on a miss (lightgbm, xgboost): never reach it."""
    import recbole.utils

    def no_lookup(name: str) -> None:
        raise AssertionError(f"get_model({name!r}) was called")

    monkeypatch.setattr(recbole.utils, "get_model", no_lookup)
    data = load_dataset("recsys-synth-tiny").data
    with pytest.raises(UnknownName, match=r"unknown RecBole model 'NoSuch' \(did you mean 'N"):
        train_recbole("NoSuch", data, None, {})
    with pytest.raises(UnknownName, match=r"unknown RecBole model 'NoSuch'"):
        ADAPTERS.get("recbole").defaults()  # the record loads
        from rankbench.harness.runner import prepare_stages

        prepare_stages(parse_adapter_ref("recbole(model='NoSuch')"))


def test_missing_recbole_names_the_no_deps_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "recbole", None)
    data = load_dataset("recsys-synth-tiny").data
    with pytest.raises(MissingDependency, match=r"pip install --no-deps recbole==1\.2\.1"):
        RecBoleRecommender().fit(data, None)
