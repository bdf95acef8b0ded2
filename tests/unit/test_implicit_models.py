"""The `implicit` adapter: every model by name passes the recommender contract, and our scores rank as `recommend`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("implicit")

from rankbench.adapters.recsys.implicit_models import MODELS, ImplicitFoldIn, implicit_recommender
from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.testing import check_adapter

SMOKE = {"als": {"factors": 16}, "bpr": {"factors": 16, "iterations": 50}, "lmf": {"factors": 16}}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_passes_the_recommender_contract(model: str) -> None:
    spec = ADAPTERS.get("implicit")
    check_adapter(dataclasses.replace(spec, smoke_params={"model": model, **SMOKE.get(model, {})}))


@pytest.mark.parametrize("model", ["als", "bpr", "itemknn", "bm25"])
def test_scores_rank_items_as_the_library_recommends(model: str) -> None:
    data = load_dataset("recsys-synth-tiny").data
    rec = implicit_recommender(model=model, **SMOKE.get(model, {}))
    rec.fit(data, None)
    users = np.arange(min(20, data.n_users))
    ours = rec.score(users)
    history = rec._train[users].astype(np.float64)  # the library's neighbourhood scorer takes float64
    ids, lib_scores = rec._model.recommend(users, history, N=10, filter_already_liked_items=False)
    np.testing.assert_allclose(np.take_along_axis(ours, ids, axis=1), lib_scores, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(-np.sort(-ours, axis=1)[:, :10], lib_scores, rtol=1e-4, atol=1e-4)


def test_hyper_parameters_reach_the_model_and_unknown_ones_are_refused() -> None:
    ref = parse_adapter_ref("implicit(model=als,factors=8,regularization=0.1)")
    rec = ref.build()
    assert (rec._model.factors, rec._model.regularization) == (8, 0.1)
    with pytest.raises(BadInput, match="no parameter 'K'"):
        implicit_recommender(model="als", K=5)
    with pytest.raises(BadInput, match="unknown implicit model 'svd'"):
        implicit_recommender(model="svd")


def test_fold_in_models_score_histories_like_trained_users() -> None:
    data = load_dataset("recsys-synth-tiny").data
    assert not isinstance(implicit_recommender(model="bpr"), ImplicitFoldIn)
    knn = implicit_recommender(model="cosine")
    knn.fit(data, None)
    users = np.arange(10)
    np.testing.assert_allclose(knn.score_histories(knn._train[users]), knn.score(users), rtol=1e-6)
    als = implicit_recommender(model="als", factors=16)
    als.fit(data, None)
    folded, trained = als.score_histories(als._train[users]), als.score(users)
    # ALS re-solves the users' factors against the final item factors: close to, not equal to, the trained ones
    assert np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(folded, trained, strict=True)]) > 0.9
