"""The family contract kit refuses models that ignore their input: a reranker giving every
candidate one score or keeping the first stage's order, an embedder mapping every text to one
vector. A working model of each kind (word overlap, hashed bag of words) passes."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.testing.contract import check_adapter


class OverlapReranker:
    """Scores a candidate by the query words its text contains."""

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run:
        top = candidates.cut(k)
        texts = dict(zip(corpus.ids, corpus.full_texts(), strict=True))
        words = {q: set(t.lower().split()) for q, t in zip(queries.ids, queries.texts, strict=True)}
        qs = np.repeat(top.query_ids, top.lengths)
        scores = [len(words[q] & set(texts[d].lower().split())) + 0.0 for q, d in zip(qs, top.doc_ids, strict=True)]
        return Run.from_arrays(qs, top.doc_ids, np.array(scores), empty_queries=top.query_ids)


class ConstantReranker(OverlapReranker):
    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run:
        top = candidates.cut(k)
        return Run.from_arrays(np.repeat(top.query_ids, top.lengths), top.doc_ids, np.ones(len(top.doc_ids)))


class FirstStageReranker(OverlapReranker):
    """Returns the first stage's own scores: its order never depends on a score of its own."""

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run:
        return candidates.cut(k)


class HashedWords:
    """Bag of words hashed into 64 dimensions."""

    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        out = np.zeros((len(texts), 64))
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % 64] += 1.0
        return out


class ConstantEmbedder:
    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        return np.ones((len(texts), 8))


def _spec(cls: type, family: str) -> AdapterSpec:
    return AdapterSpec(name=cls.__name__, family=family, factory=f"{__name__}:{cls.__name__}")


def test_working_models_pass() -> None:
    check_adapter(_spec(OverlapReranker, "reranker"))
    check_adapter(_spec(HashedWords, "embedder"))


@pytest.mark.parametrize(
    ("cls", "family", "message"),
    [
        (ConstantReranker, "reranker", "gives every candidate the same score"),
        (FirstStageReranker, "reranker", "order follows the first stage's"),
        (ConstantEmbedder, "embedder", "maps distinct texts to one vector"),
    ],
)
def test_models_that_ignore_their_input_fail(cls: type, family: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_adapter(_spec(cls, family))
