"""Recommender splits and the recommendation task: disjointness, paper rules, provenance, warnings."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.runner import execute_cell, plan
from rankbench.harness.splits import (
    SampledTest,
    Split,
    binarize,
    leave_one_out,
    random_holdout,
    sample_negatives,
    split_interactions,
    strong_generalization,
    temporal,
)
from rankbench.harness.suite import resolve_suite


def _data() -> Interactions:
    return load_dataset("recsys-synth-tiny").data


def _pairs(d: Interactions) -> set[tuple[int, int]]:
    return set(zip(d.users.tolist(), d.items.tolist(), strict=True))


def test_leave_one_out_holds_out_each_users_latest() -> None:
    data = _data()
    split = leave_one_out(data, seed=0)
    assert len(split.test) == data.n_users and len(split.valid) == data.n_users
    for u, i in zip(split.test.users[:30], split.test.items[:30], strict=True):
        mine = data.users == u
        assert data.timestamps[mine & (data.items == i)][0] == data.timestamps[mine].max()
    assert not (_pairs(split.train) & _pairs(split.test)) and len(split.train) + 2 * data.n_users == len(data)


def test_sampled_negatives_are_unseen_distinct_and_seeded() -> None:
    data = _data()
    seen = data.to_csr()
    users = np.arange(data.n_users)
    neg = sample_negatives(seen, users, 50, seed=1)
    assert neg.shape == (data.n_users, 50)
    assert all(len(set(row)) == 50 for row in neg.tolist())
    assert seen[np.repeat(users, 50), neg.reshape(-1)].sum() == 0
    assert np.array_equal(neg, sample_negatives(seen, users, 50, seed=1))


def test_random_holdout_and_temporal_partition_the_data() -> None:
    data = _data()
    for split in (random_holdout(data, 0.2, 0.1, seed=0), temporal(data, 0.2, 0.1)):
        parts = [_pairs(split.train), _pairs(split.valid), _pairs(split.test)]
        assert not (parts[0] & parts[2]) and not (parts[1] & parts[2]) and not (parts[0] & parts[1])
    t = temporal(data, 0.2, 0.1)
    assert t.train.timestamps.max() <= t.test.timestamps.min()
    r = random_holdout(data, 0.2, 0.1, seed=0)
    assert 0.15 < len(r.test) / len(data) < 0.25


def test_strong_generalization_follows_liang() -> None:
    data = binarize(_data(), 3.5)
    assert np.all(data.ratings > 3.5)
    split = strong_generalization(data, heldout_users=20, fold_in=0.8, min_user_items=5, seed=98765)
    assert len(split.test_users) == 20
    assert not set(split.test_users) & set(split.train.users.tolist())  # test users never train
    train_items = set(split.train.items.tolist())
    assert set(split.held_out.indices.tolist()) <= train_items and set(split.fold_in.indices.tolist()) <= train_items
    assert split.fold_in.multiply(split.held_out).nnz == 0
    n_fold, n_held = split.fold_in.getnnz(axis=1), split.held_out.getnnz(axis=1)
    frac = n_held[n_held > 0] / (n_fold + n_held)[n_held > 0]
    assert np.all(np.abs(frac - 0.2) < 0.1)
    with pytest.raises(BadInput, match="leaves no training users"):
        strong_generalization(data, heldout_users=10_000, fold_in=0.8, min_user_items=5, seed=0)


def test_task_records_split_and_warns_for_sampled(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        (cell,) = plan(["recsys-synth-loo"], ["itemknn"])
        result, units = execute_cell(cell)
    assert result.ok, result.error
    assert "not comparable with full-ranking" in caplog.text
    assert result.provenance["settings"]["negatives"] == 99
    assert result.provenance["settings"]["split"] == "leave-one-out"
    assert units.index.name == "user_id" and set(units.columns) >= {"HR@10", "nDCG@10"}
    assert result.measures["HR@10"].value == pytest.approx(units["HR@10"].mean())


def test_strong_generalization_needs_history_scoring() -> None:
    (cell,) = plan(["recsys-synth-strong"], ["bpr(epochs=1)"])
    result, _ = execute_cell(cell)
    assert not result.ok and "score_histories" in result.error.message
    (cell,) = plan(["recsys-synth-strong"], ["ease"])
    result, units = execute_cell(cell)
    assert result.ok and set(units.columns) == {"nRecall@20", "nRecall@50", "nDCG@100"}
    assert result.measures["nRecall@20"].value > 0.2


def test_split_interactions_applies_the_named_method_with_defaults() -> None:
    data = _data()
    holdout = split_interactions(data, "random-holdout", {})
    assert isinstance(holdout, Split)
    expected = random_holdout(data, 0.2, 0.1, seed=0)  # DEFAULTS: test_frac 0.2, valid_frac 0.1, split_seed 0
    assert _pairs(holdout.test) == _pairs(expected.test) and _pairs(holdout.valid) == _pairs(expected.valid)
    loo = split_interactions(data, "leave-one-out", {"negatives": 7, "split_seed": 3})
    assert isinstance(loo, SampledTest) and loo.negatives.shape == (data.n_users, 7)
    assert loo.negatives_from == "sampled uniformly (split_seed=3)"
    assert np.array_equal(loo.items, leave_one_out(data, seed=3).test.items)
    assert split_interactions(loo, "leave-one-out", {}) is loo  # a loader's fixed split passes through
    with pytest.raises(BadInput, match="fixed leave-one-out split; split 'temporal'"):
        split_interactions(loo, "temporal", {})
    with pytest.raises(BadInput, match="unknown split 'k-fold'"):
        split_interactions(data, "k-fold", {})


def test_a_bad_split_setting_is_refused_when_the_suite_is_resolved() -> None:
    with pytest.raises(BadInput, match=r"^setting split of suite 'recsys-synth-tiny' takes one of leave-one-out, "):
        resolve_suite("recsys-synth-tiny(split='k-fold')")
