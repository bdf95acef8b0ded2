"""BM25 on bm25s with Anserini's defaults (k1=0.9, b=0.4, Lucene's English analysis), indexing title + text.

Text goes through `analysis.LuceneAnalyzer` (Lucene's StandardTokenizer, possessive filter,
lower case, Lucene's 33 English stopwords, Porter stemmer), so one-character tokens count
("vitamin c") as in Anserini/Pyserini; see that module for the remaining deviations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rankbench.adapters.ir.analysis import LuceneAnalyzer
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.topk import topk_positive

QUERY_BLOCK = 64
"""Queries whose dense score rows are selected together (64 x n_docs float32 at a time)."""


class BM25:
    """Sparse lexical retrieval with Anserini's analysis: Lucene tokens, English stopwords, Porter stemmer.

    `stemmer` is a PyStemmer algorithm ("porter" as Anserini; "english" for Snowball) or None;
    `stopwords` is "en" (Lucene's set) or None.
    """

    def __init__(
        self,
        k1: float = 0.9,
        b: float = 0.4,
        method: str = "lucene",
        stemmer: str | None = "porter",
        stopwords: str | None = "en",
    ) -> None:
        check_parameters({"k1": k1, "b": b})
        self.k1, self.b, self.method = k1, b, method
        self.stemmer_lang, self.stopwords = stemmer, stopwords
        self._bm25s: Any = require("bm25s", "ir", "the bm25 adapter")
        try:
            self._analyze = LuceneAnalyzer(stemmer=stemmer, stopwords=stopwords)
        except (KeyError, ValueError) as exc:
            raise BadInput(f"bm25: {exc}; use stemmer='porter', 'english' or None and stopwords='en' or None") from None
        self._retriever: Any = None
        self._doc_ids: np.ndarray | None = None

    def index(self, corpus: Corpus) -> None:
        if len(corpus) == 0:
            raise BadInput("cannot index an empty corpus: the dataset has no documents")
        tokens = [self._analyze(t) for t in corpus.full_texts()]
        if not any(tokens):
            raise BadInput(
                f"cannot index a corpus whose {len(corpus)} documents are all empty after analysis "
                "(no letters or digits, or only stopwords); check the corpus text fields"
            )
        self._retriever = self._bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
        self._retriever.index(tokens, show_progress=False)
        self._doc_ids = corpus.ids

    def search(self, queries: Queries, k: int) -> Run:
        if self._retriever is None or self._doc_ids is None:
            raise BadInput("call index() before search()")
        if k <= 0:
            raise BadInput(f"k must be a positive number of documents per query, got {k}")
        k = min(k, len(self._doc_ids))
        vocab = self._retriever.vocab_dict
        # terms the corpus never had score nothing; a query left empty matches only the empty token
        tokens = [[t for t in self._analyze(q) if t in vocab] or [""] for q in queries.texts]
        # bm25s scores every document of a query; rankbench's top-k takes the k best, among documents tied
        # at the cut the ones trec_eval ranks first (bm25s' own selection takes any of them); documents
        # that match no query term score 0: unretrieved
        parts = [
            topk_positive(np.stack([self._retriever.get_scores(t) for t in tokens[s : s + QUERY_BLOCK]]), k)
            for s in range(0, len(tokens), QUERY_BLOCK)
        ]
        docs, scores = np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])
        return Run.from_topk(queries.ids, self._doc_ids, docs, scores, name="bm25")


def check_parameters(params: dict[str, Any], *, fetch: bool = True) -> None:
    """Raise `BadInput` (one line) for a `k1` below 0 or a `b` outside [0, 1] (Robertson & Zaragoza's ranges);
    the runner calls it before any cell runs, the constructor again."""
    k1, b = params.get("k1", 0.9), params.get("b", 0.4)
    if not (isinstance(k1, int | float) and 0 <= k1 < float("inf")):
        raise BadInput(f"bm25: k1 must be a finite number >= 0 (term-frequency saturation), got {k1!r}")
    if not (isinstance(b, int | float) and 0 <= b <= 1):
        raise BadInput(f"bm25: b must lie in [0, 1] (document-length normalisation), got {b!r}")


ADAPTERS = (
    AdapterSpec(
        name="bm25",
        family="retriever",
        factory="rankbench.adapters.ir.bm25:BM25",
        extra="ir",
        prepare="rankbench.adapters.ir.bm25:check_parameters",
        description="BM25 (bm25s, Lucene variant, k1=0.9 b=0.4, title+text, Lucene/Anserini English analysis)",
    ),
)
