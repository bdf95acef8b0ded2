"""LIMIT-style generated data: people who like attributes, and queries asking who likes one.

Weller et al. (2025) build LIMIT so that the *qrel pattern* — which sets of documents must be
returned together — is what makes it hard for single-vector embedders, not the language. This
generator realises any of their four patterns over a small core of documents and pads the corpus
with distractor people whose attributes no query asks for:

- `dense`: every k-subset of the smallest core with C(core, k) >= n_queries (the LIMIT pattern;
  the first n_queries subsets in lexicographic order, as the upstream generator takes them);
- `random`: k distinct documents drawn uniformly from that same core for each query;
- `cycle`: query i is relevant to documents i, i+1, ..., i+k-1 (mod a core of n_queries);
- `disjoint`: query i owns documents ik .. ik+k-1; no document is shared.

The collection is byte-for-byte deterministic per seed and its sha256 goes into provenance.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import IR_FAMILIES
from rankbench.harness.records import Corpus, IRDataset, Loaded, Qrels, Queries
from rankbench.harness.registry import DatasetSpec, QuickstartEntry
from rankbench.harness.suite import Suite
from rankbench.suites.ir.synth import checksum_ir

PATTERNS = ("dense", "random", "cycle", "disjoint")
LIMIT_MEASURES = ("R@2", "R@10", "R@100", "nDCG@10")
_ONSETS = (*"bdfghklmnprstvz", "ch", "sh", "th", "br", "tr", "gl")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")


def dense_core_size(n_queries: int, k: int) -> int:
    """The smallest n with C(n, k) >= n_queries (how LIMIT sizes its 46-document core)."""
    n = k
    while math.comb(n, k) < n_queries:
        n += 1
    return n


def core_size(pattern: str, n_queries: int, k: int) -> int:
    if pattern in ("dense", "random"):
        return dense_core_size(n_queries, k)
    if pattern == "cycle":
        return max(n_queries, k)
    if pattern == "disjoint":
        return n_queries * k
    raise BadInput(f"unknown qrel pattern {pattern!r}; choose one of {', '.join(PATTERNS)}")


def qrel_sets(pattern: str, n_queries: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Relevant core documents per query, shape (n_queries, k), each row sorted."""
    n_core = core_size(pattern, n_queries, k)
    if pattern == "dense":
        rows = list(itertools.islice(itertools.combinations(range(n_core), k), n_queries))
        return np.array(rows, dtype=np.int64)
    if pattern == "random":
        return np.sort(np.stack([rng.choice(n_core, size=k, replace=False) for _ in range(n_queries)]), axis=1)
    if pattern == "cycle":
        return np.sort((np.arange(n_queries)[:, None] + np.arange(k)[None, :]) % n_core, axis=1)
    return np.arange(n_queries * k, dtype=np.int64).reshape(n_queries, k)


def pseudo_words(count: int, rng: np.random.Generator, syllables: int = 3) -> list[str]:
    """`count` distinct capitalised pronounceable words, so no attribute shares a token with another."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)).capitalize()
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _sentence(name: str, liked: list[str]) -> str:
    return f"{name} likes {', '.join(liked[:-1])} and {liked[-1]}." if len(liked) > 1 else f"{name} likes {liked[0]}."


def generate(
    n_docs: int = 1000,
    n_queries: int = 1000,
    k: int = 2,
    pattern: str = "dense",
    vocab_size: int = 2000,
    attrs_per_doc: int = 45,
    seed: int = 0,
) -> IRDataset:
    """A LIMIT-style collection: query i asks for attribute i, liked by exactly its k relevant people."""
    n_core = core_size(pattern, n_queries, k)
    if n_core > n_docs:
        raise BadInput(f"pattern {pattern!r} with {n_queries} queries and k={k} needs n_docs >= {n_core}")
    if vocab_size < n_queries + attrs_per_doc:
        raise BadInput(f"vocab_size must be >= n_queries + attrs_per_doc = {n_queries + attrs_per_doc}")
    rng = np.random.default_rng(seed)
    sets = qrel_sets(pattern, n_queries, k, rng)
    vocab = pseudo_words(vocab_size, rng)
    asked, padding = vocab[:n_queries], np.array(vocab[n_queries:])
    given, family = np.array(pseudo_words(300, rng, syllables=2)).reshape(2, 150)
    names = [f"{given[i]} {family[j]}" for i, j in rng.integers(0, 150, size=(n_docs, 2))]
    position = rng.permutation(n_docs)  # core documents sit at random places among the distractors
    liked: list[list[str]] = [[] for _ in range(n_docs)]
    for qi, docs in enumerate(sets):
        for d in docs:
            liked[d].append(asked[qi])
    texts: list[str] = [""] * n_docs
    for d in range(n_docs):
        extra = max(0, attrs_per_doc - len(liked[d]))
        items = liked[d] + list(rng.choice(padding, size=extra, replace=False))
        rng.shuffle(items)
        texts[position[d]] = _sentence(names[d], items)
    doc_ids = np.array([f"p{i:05d}" for i in range(n_docs)])
    q_ids = np.array([f"query_{i}" for i in range(n_queries)])
    return IRDataset(
        Corpus(doc_ids, tuple(texts), tuple("" for _ in range(n_docs))),
        Queries(q_ids, tuple(f"Who likes {a}?" for a in asked)),
        Qrels(np.repeat(q_ids, k), doc_ids[position[sets.ravel()]], np.ones(n_queries * k, dtype=np.int64)),
    )


def load(spec: DatasetSpec, **params: Any) -> Loaded:
    ds = generate(**params)
    n_core = core_size(params.get("pattern", "dense"), params.get("n_queries", 1000), params.get("k", 2))
    return Loaded(ds, checksum_ir(ds), {"generated": True, "generator": "limit-synth", "n_core": n_core, **params})


def _dataset(name: str, description: str, **params: Any) -> DatasetSpec:
    return DatasetSpec(
        name=name, loader="rankbench.suites.limit.synth:load", generated=True, params=params, description=description
    )


def _suite(name: str, description: str) -> Suite:
    return Suite(
        name=name,
        dataset=name,
        task="retrieval",
        measures=LIMIT_MEASURES,
        families=IR_FAMILIES,
        settings={"depth": 100},
        description=description,
        tags=("limit", "stress"),
    )


_SMALL = {"n_docs": 200, "n_queries": 45, "k": 2, "vocab_size": 400, "attrs_per_doc": 10, "seed": 0}
DATASETS = (
    _dataset(
        "limit-synth",
        "LIMIT-style: dense pairs over a 46-person core, 1,000 queries, 954 distractors",
        n_docs=1000,
        n_queries=1000,
        k=2,
        pattern="dense",
        vocab_size=2000,
        attrs_per_doc=45,
        seed=0,
    ),
    _dataset(
        "limit-synth-10k",
        "LIMIT-style: dense pairs over a 46-person core, 1,000 queries, 9,954 distractors",
        n_docs=10_000,
        n_queries=1000,
        k=2,
        pattern="dense",
        vocab_size=2000,
        attrs_per_doc=45,
        seed=0,
    ),
    *(
        _dataset(
            f"limit-synth-{p}-small", f"LIMIT-style, {p} qrel pattern, 45 queries, 200 people", pattern=p, **_SMALL
        )
        for p in PATTERNS
    ),
)
SUITES = tuple(_suite(d.name, d.description) for d in DATASETS)
QUICKSTART_ADAPTERS = ("bm25", "minilm", "maxsim-exact")
"""The point of LIMIT: lexical BM25, one pooled MiniLM vector per text (single-vector), and ColBERT-style
MaxSim over the same model's token vectors (multi-vector). The pooled vector collapses; the others hold.
MiniLM rather than static-minilm: the quickstart loads MiniLM anyway, while static-minilm is distilled on
first use (minutes on two cores)."""
QUICKSTART = tuple(
    QuickstartEntry(name=f"limit-{p}", suite=f"limit-synth-{p}-small", adapters=QUICKSTART_ADAPTERS, order=40 + i)
    for i, p in enumerate(PATTERNS)
)
