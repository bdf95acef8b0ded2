"""Dense retrieval: an Embedder composed with a search backend (exact or faiss).

The document embeddings are the expensive part (minutes for a few thousand abstracts on two
cores), so they go to the output cache keyed by the embedder's `identity` and a checksum of
the corpus (ids and text); a re-run, or another backend or knob on the same corpus, only re-reads them.
Embedders without an `identity` (arbitrary user objects) are never cached, so a changed
model can never be served stale vectors. With `shards=N` (N > 1) the documents are encoded
as N Ray tasks (`rankbench.adapters.ir.sharded`), each rebuilding the embedder from its
reference on its own worker; the cache entry is the same as a local encoding's.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from rankbench.harness.cache import OutputCache, corpus_digest
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)


def _build_embedder(embedder: Any) -> Any:
    """An embedder instance from None (MiniLM), a registered reference like `minilm(batch_size=32)`, or itself."""
    if embedder is None:
        embedder = "minilm"
    if isinstance(embedder, str):
        from rankbench.harness.adapter_ref import parse_adapter_ref

        ref = parse_adapter_ref(embedder)
        if ref.is_pipeline or ref.spec().family != "embedder":
            raise BadInput(f"dense needs an embedder, and {embedder!r} is a {ref.spec().family}")
        return ref.build()
    if not callable(getattr(embedder, "encode", None)):
        raise BadInput(f"dense needs an object with encode(texts, role=...), got {type(embedder).__name__}")
    return embedder


class Dense:
    """Bi-encoder retrieval; `backend` is `exact`, `faiss-flat`, `faiss-hnsw` or `faiss-ivf`."""

    def __init__(
        self,
        embedder: Any = None,
        backend: str = "exact",
        m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
        nlist: int = 1024,
        nprobe: int = 16,
        threads: int = 0,
        cache: bool = True,
        shards: int = 0,
        ray_address: str | None = None,
    ) -> None:
        """`shards`: 0 or 1 encodes the corpus here; N > 1 as N Ray tasks (needs a registered
        embedder reference, not an object); `ray_address` is the cluster to use when this process
        is not already part of one (None: Ray's default, `RAY_ADDRESS` or a new local instance)."""
        from rankbench.adapters.ir.vector_search import make_backend

        if shards < 0:
            raise BadInput(f"shards must be >= 0 (0 = encode in this process), got {shards}")
        if shards > 1 and embedder is not None and not isinstance(embedder, str):
            raise BadInput("shards > 1 needs the embedder as a registered reference (e.g. 'minilm'), not an object")
        self.embedder_ref = "minilm" if embedder is None else embedder if isinstance(embedder, str) else None
        self.shards, self.ray_address = shards, ray_address
        self.embedder = _build_embedder(embedder)
        self.model_provenance = getattr(self.embedder, "model_provenance", None)  # the result's model and device
        self.backend_name = backend
        self.backend = make_backend(
            backend,
            m=m,
            ef_construction=ef_construction,
            ef_search=ef_search,
            nlist=nlist,
            nprobe=nprobe,
            threads=threads,
        )
        self.cache = OutputCache() if cache else OutputCache(None)
        self._doc_ids: np.ndarray | None = None
        self.doc_embeddings: np.ndarray | None = None

    def embed_corpus(self, corpus: Corpus) -> np.ndarray:
        """Document embeddings, from the cache when the embedder has an identity."""

        identity = getattr(self.embedder, "identity", None)
        key = {"embedder": identity, "corpus": corpus_digest(corpus), "role": "document"} if identity else None

        def compute() -> np.ndarray:
            if self.shards > 1 and self.embedder_ref is not None:
                from rankbench.adapters.ir.sharded import encode_sharded

                cached_slices = key if self.cache.root is not None else None
                return encode_sharded(
                    self.embedder_ref,
                    corpus.full_texts(),
                    role="document",
                    shards=self.shards,
                    cache_key=cached_slices,
                    address=self.ray_address,
                )
            return np.asarray(self.embedder.encode(corpus.full_texts(), role="document"), dtype=np.float32)

        if key is None:
            return compute()
        return self.cache.array("embeddings", key, compute)

    def index(self, corpus: Corpus) -> None:
        if len(corpus) == 0:
            raise BadInput("cannot index an empty corpus")
        vectors = self.embed_corpus(corpus)
        if vectors.shape[0] != len(corpus):
            raise BadInput(f"embedder returned {vectors.shape[0]} vectors for {len(corpus)} documents")
        self.doc_embeddings = vectors
        self.backend.build(vectors)
        self._doc_ids = corpus.ids

    def search(self, queries: Queries, k: int) -> Run:
        if self._doc_ids is None:
            raise BadInput("call index() before search()")
        if k <= 0:
            raise BadInput(f"k must be a positive number of documents per query, got {k}")
        vectors = np.asarray(self.embedder.encode(list(queries.texts), role="query"), dtype=np.float32)
        scores, idx = self.backend.search(vectors, k)
        return Run.from_topk(queries.ids, self._doc_ids, idx, scores, name=f"dense-{self.backend_name}")


ADAPTERS = (
    AdapterSpec(
        name="dense",
        family="retriever",
        factory="rankbench.adapters.ir.dense:Dense",
        extra="ir",
        description="bi-encoder retrieval: any embedder (default minilm) + exact or faiss Flat/HNSW/IVF search",
        smoke_params={"embedder": "minilm"},
    ),
)
