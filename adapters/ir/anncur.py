"""ANNCUR: k-NN search under a cross-encoder without scoring every document (Yadav et al., EMNLP 2022).

Offline, a reranker scores `n_anchor_queries` anchor queries against every document (R, a
k_q x N matrix) and `n_anchor_items` random documents are the anchor items. A test query
is scored exactly against the anchor items only (c, 1 x k_i); the CUR decomposition
approximates its scores on all documents as c @ pinv(R[:, anchors]) @ R. The top
`budget - n_anchor_items` documents by approximate score are then scored exactly, so each
query costs `budget` reranker calls instead of N, and the result holds exact scores.

The corpus gives no training queries, so anchor queries are pseudo-queries: titles (or the
opening words) of random documents. The anchor matrix is cached in the output cache, keyed
by the reranker reference, the corpus and the anchors. Any registered reranker works; the
pairs are scored through its `rerank`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from rankbench.harness.cache import OutputCache, corpus_digest, texts_digest
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)


def cur_scores(anchor_matrix: np.ndarray, anchor_items: np.ndarray, query_anchor_scores: np.ndarray) -> np.ndarray:
    """(n_queries, N) approximate scores: C U R with U = pinv of the anchor queries x anchor items block."""
    u = np.linalg.pinv(anchor_matrix[:, anchor_items].astype(np.float64))
    return query_anchor_scores.astype(np.float64) @ (u @ anchor_matrix.astype(np.float64))


def score_pairs(
    reranker: Any, queries: Queries, corpus: Corpus, query_rows: np.ndarray, doc_rows: np.ndarray
) -> np.ndarray:
    """Exact reranker scores of (query, document) pairs, through the Reranker protocol."""
    if len(query_rows) == 0:
        return np.zeros(0)
    q_ids, d_ids = queries.ids[query_rows], corpus.ids[doc_rows]
    candidates = Run.from_arrays(q_ids, d_ids, np.zeros(len(q_ids)))
    depth = int(candidates.lengths.max())
    scored = reranker.rerank(queries, candidates, corpus, depth).to_dict()
    out = np.array([scored.get(q, {}).get(d, np.nan) for q, d in zip(q_ids.tolist(), d_ids.tolist(), strict=True)])
    if np.isnan(out).any():
        raise BadInput("the reranker dropped candidate pairs; ANNCUR needs a score for every pair it asks for")
    return out


def _pseudo_queries(corpus: Corpus, rows: np.ndarray) -> Queries:
    texts = []
    for r in rows:
        title = (corpus.titles[r] if corpus.titles is not None else "").strip()
        texts.append(title or " ".join(corpus.texts[r].split()[:16]) or "document")
    return Queries(np.array([f"anchor-{i}" for i in range(len(rows))]), tuple(texts))


class ANNCUR:
    """Approximate cross-encoder k-NN: CUR-approximated scores choose what the reranker scores exactly."""

    def __init__(
        self,
        reranker: str = "cross-encoder",
        n_anchor_items: int = 50,
        n_anchor_queries: int = 100,
        budget: int = 100,
        seed: int = 0,
    ) -> None:
        from rankbench.harness.adapter_ref import parse_adapter_ref

        if n_anchor_items < 1 or n_anchor_queries < 1 or budget < n_anchor_items:
            raise BadInput("ANNCUR needs n_anchor_items >= 1, n_anchor_queries >= 1 and budget >= n_anchor_items")
        ref = parse_adapter_ref(reranker)
        if ref.is_pipeline or ref.spec().family != "reranker":
            raise BadInput(f"ANNCUR needs a reranker, and {reranker!r} is a {ref.spec().family}")
        self.reranker_ref, self.reranker = str(ref), ref.build()
        self.n_anchor_items, self.n_anchor_queries, self.budget, self.seed = (
            n_anchor_items,
            n_anchor_queries,
            budget,
            seed,
        )
        self.corpus: Corpus | None = None
        self.anchor_items: np.ndarray | None = None
        self.anchor_matrix: np.ndarray | None = None
        self.reranker_calls = 0

    def index(self, corpus: Corpus) -> None:
        if len(corpus) == 0:
            raise BadInput("cannot index an empty corpus")
        rng = np.random.default_rng(self.seed)
        n = len(corpus)
        self.anchor_items = np.sort(rng.choice(n, size=min(self.n_anchor_items, n), replace=False))
        anchors = _pseudo_queries(corpus, rng.choice(n, size=min(self.n_anchor_queries, n), replace=False))
        key = {
            "reranker": self.reranker_ref,
            "corpus": corpus_digest(corpus),
            "anchors": texts_digest(anchors.texts),
        }

        def compute() -> np.ndarray:
            rows = np.repeat(np.arange(len(anchors)), n)
            cols = np.tile(np.arange(n), len(anchors))
            return score_pairs(self.reranker, anchors, corpus, rows, cols).reshape(len(anchors), n)

        self.anchor_matrix = np.asarray(OutputCache().array("anncur-anchors", key, compute), dtype=np.float64)
        self.corpus = corpus

    def search(self, queries: Queries, k: int) -> Run:
        if self.corpus is None or self.anchor_items is None or self.anchor_matrix is None:
            raise BadInput("call index() before search()")
        n, items = len(self.corpus), self.anchor_items
        q_rows = np.repeat(np.arange(len(queries)), len(items))
        exact_anchor = score_pairs(self.reranker, queries, self.corpus, q_rows, np.tile(items, len(queries)))
        approx = cur_scores(self.anchor_matrix, items, exact_anchor.reshape(len(queries), len(items)))
        approx[:, items] = -np.inf  # already scored exactly
        extra = min(self.budget - len(items), n - len(items))
        cand = np.argsort(-approx, axis=1, kind="stable")[:, :extra]
        c_rows = np.repeat(np.arange(len(queries)), extra)
        exact_cand = score_pairs(self.reranker, queries, self.corpus, c_rows, cand.reshape(-1))
        self.reranker_calls += len(exact_anchor) + len(exact_cand)
        rows = np.concatenate([q_rows, c_rows])
        docs = np.concatenate([np.tile(items, len(queries)), cand.reshape(-1)])
        run = Run.from_arrays(queries.ids[rows], self.corpus.ids[docs], np.concatenate([exact_anchor, exact_cand]))
        return Run(run.query_ids, run.offsets, run.doc_ids, run.scores, "anncur").cut(min(k, n))


ADAPTERS = (
    AdapterSpec(
        name="anncur",
        family="retriever",
        factory="rankbench.adapters.ir.anncur:ANNCUR",
        extra="ir",
        description="ANNCUR: cross-encoder k-NN via CUR-approximated scores, `budget` exact calls per query",
        smoke_params={
            "reranker": "maxsim(model='static-minilm')",
            "n_anchor_items": 10,
            "n_anchor_queries": 10,
            "budget": 30,
        },
    ),
)
