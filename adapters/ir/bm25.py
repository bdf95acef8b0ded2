"""BM25 on bm25s with Lucene-style defaults (k1=0.9, b=0.4), indexing title + text."""

from __future__ import annotations

from typing import Any

import numpy as np

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec


class BM25:
    """Sparse lexical retrieval; English stopwords and the Snowball stemmer as in Anserini."""

    def __init__(
        self,
        k1: float = 0.9,
        b: float = 0.4,
        method: str = "lucene",
        stemmer: str | None = "english",
        stopwords: str | None = "en",
    ) -> None:
        self.k1, self.b, self.method = k1, b, method
        self.stemmer_lang, self.stopwords = stemmer, stopwords
        self._bm25s: Any = require("bm25s", "ir", "the bm25 adapter")
        self._stemmer = None
        if stemmer:
            self._stemmer = require("Stemmer", "ir", "BM25 stemming").Stemmer(stemmer)
        self._retriever: Any = None
        self._doc_ids: np.ndarray | None = None

    def _tokenize(self, texts: list[str]) -> Any:
        return self._bm25s.tokenize(texts, stopwords=self.stopwords, stemmer=self._stemmer, show_progress=False)

    def index(self, corpus: Corpus) -> None:
        if len(corpus) == 0:
            raise BadInput("cannot index an empty corpus")
        self._retriever = self._bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
        self._retriever.index(self._tokenize(corpus.full_texts()), show_progress=False)
        self._doc_ids = corpus.ids

    def search(self, queries: Queries, k: int) -> Run:
        if self._retriever is None or self._doc_ids is None:
            raise BadInput("call index() before search()")
        k = min(k, len(self._doc_ids))
        tokens = self._tokenize(list(queries.texts))
        docs, scores = self._retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        # bm25s pads queries that match nothing with score-0 rows: drop them so they count as unretrieved
        return Run.from_topk(queries.ids, self._doc_ids, np.where(scores > 0, docs, -1), scores, name="bm25")


ADAPTERS = (
    AdapterSpec(
        name="bm25",
        family="retriever",
        factory="rankbench.adapters.ir.bm25:BM25",
        extra="ir",
        params={"k1": 0.9, "b": 0.4, "method": "lucene", "stemmer": "english", "stopwords": "en"},
        description="BM25 (bm25s, Lucene variant, k1=0.9 b=0.4, title+text, Snowball stemmer)",
    ),
)
