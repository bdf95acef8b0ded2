"""Dense retrieval: embeddings cached by embedder identity + corpus checksum; backends interchangeable."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from rankbench.adapters.ir.dense import Dense
from rankbench.harness.cache import corpus_digest
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus


class HashingEmbedder:
    """Bag of hashed words: a real (if simple) embedder that counts its calls."""

    identity = "hashing-64"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_document_embeddings_are_cached(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_CACHE", str(tmp_path))
    ds = load_dataset("ir-synth-tiny").data
    first = HashingEmbedder()
    dense = Dense(embedder=first)
    dense.index(ds.corpus)
    run_a = dense.search(ds.queries, 10)
    assert first.calls == 2  # documents + queries
    second = HashingEmbedder()
    again = Dense(embedder=second, backend="exact")
    again.index(ds.corpus)
    assert second.calls == 0  # documents came from the cache
    run_b = again.search(ds.queries, 10)
    assert run_a.doc_ids.tolist() == run_b.doc_ids.tolist()


def test_changed_corpus_changes_the_key() -> None:
    a = Corpus(np.array(["d1", "d2"]), ("x", "y"))
    b = Corpus(np.array(["d1", "d2"]), ("x", "z"))
    assert corpus_digest(a) != corpus_digest(b)
    renamed = Corpus(np.array(["d1", "d3"]), ("x", "y"))
    assert corpus_digest(renamed) != corpus_digest(a)


def test_faiss_flat_equals_exact() -> None:
    pytest.importorskip("faiss")
    ds = load_dataset("ir-synth-tiny").data
    runs = []
    for backend in ("exact", "faiss-flat"):
        dense = Dense(embedder=HashingEmbedder(), backend=backend, cache=False)
        dense.index(ds.corpus)
        runs.append(dense.search(ds.queries, 10))
    np.testing.assert_allclose(runs[0].scores, runs[1].scores, atol=1e-5)


def test_rejects_non_embedders() -> None:
    with pytest.raises(BadInput):
        Dense(embedder=42)
    with pytest.raises(BadInput, match="needs an embedder"):
        Dense(embedder="bm25")
