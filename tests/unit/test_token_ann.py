"""ColBERT end-to-end retrieval over faiss (`token-ann`) against rankbench's exact MaxSim on the same token vectors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("faiss")

from rankbench.adapters.ir.multivector import TokenANNRetriever, TokenBags, maxsim
from rankbench.harness.topk import topk_rows


def bags(n: int, seed: int, dim: int = 24) -> TokenBags:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        centre = rng.normal(size=dim)
        v = centre + rng.normal(size=(int(rng.integers(3, 12)), dim))  # topical tokens, like a text's
        out.append((v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32))
    return TokenBags.from_list(out)


def retriever(docs: TokenBags, **knobs: object) -> TokenANNRetriever:
    r = TokenANNRetriever.__new__(TokenANNRetriever)  # no text encoder: the index is fed token vectors directly
    r.encoder = None
    from rankbench.adapters.ir.vector_search import make_backend

    r.k_tokens = int(knobs.pop("k_tokens"))
    r.backend = make_backend(str(knobs.pop("index")), **knobs)
    r.index_vectors(docs, np.array([f"d{i}" for i in range(len(docs))]))
    return r


def recall(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a[a >= 0]) & set(e)) / len(e) for a, e in zip(approx, exact, strict=True)]))


def test_every_token_nominated_gives_exact_maxsim() -> None:
    docs, queries = bags(300, 0), bags(20, 1)
    r = retriever(docs, index="faiss-flat", k_tokens=len(docs.vectors))
    idx, scores = r.search_vectors(queries, 10)
    exact = maxsim(queries, docs)
    exact_idx, exact_scores = topk_rows(exact, 10)
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(idx, exact_idx)


def test_fewer_nominations_keep_true_scores_and_recall_grows_with_k_tokens() -> None:
    docs, queries = bags(800, 2), bags(30, 3)
    exact = maxsim(queries, docs)
    exact_idx = topk_rows(exact, 10)[0]
    recalls = []
    for k_tokens in (1, 4, 32):
        r = retriever(docs, index="faiss-ivf", k_tokens=k_tokens, nlist=32, nprobe=4)
        idx, scores = r.search_vectors(queries, 10)
        rows, cols = np.nonzero(idx >= 0)
        np.testing.assert_allclose(scores[rows, cols], exact[rows, idx[rows, cols]], rtol=1e-5, atol=1e-5)
        recalls.append(recall(idx, exact_idx))
    assert recalls[0] < recalls[-1] and recalls[-1] > 0.9, recalls
