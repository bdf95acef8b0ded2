"""BM25 analyses text as Lucene's English chain in Anserini: one-character tokens count ("vitamin c").

Expected token lists are Lucene's documented StandardTokenizer/EnglishAnalyzer behaviour
(UAX #29 word boundaries, possessive filter, 33 stopwords, Porter leaving 1-2 letter words alone).
"""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.adapters.ir.analysis import LUCENE_ENGLISH_STOPWORDS, MAX_TOKEN_LENGTH, LuceneAnalyzer
from rankbench.adapters.ir.bm25 import BM25
from rankbench.harness.errors import BadInput
from rankbench.harness.measures import parse_measures
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import Corpus, Qrels, Queries


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("vitamin c", ["vitamin", "c"]),
        ("Vitamin C and zinc", ["Vitamin", "C", "and", "zinc"]),
        ("U.S.A. e-mail 3.14 2,000 foo_bar", ["U.S.A", "e", "mail", "3.14", "2,000", "foo_bar"]),
        ("don't John's", ["don't", "John's"]),
        ("中文字 naïve", ["中", "文", "字", "naïve"]),
        ("-- ... !!", []),
    ],
)
def test_tokenizer_follows_unicode_word_boundaries_like_standard_tokenizer(text: str, tokens: list[str]) -> None:
    assert LuceneAnalyzer().tokens(text) == tokens


def test_long_tokens_are_split_at_lucene_max_token_length() -> None:
    assert [len(t) for t in LuceneAnalyzer().tokens("x" * 600)] == [MAX_TOKEN_LENGTH, MAX_TOKEN_LENGTH, 90]


def test_english_chain_possessive_lowercase_stopwords_porter() -> None:
    analyze = LuceneAnalyzer()
    assert analyze("The Vitamin C of John's cats is running") == ["vitamin", "c", "john", "cat", "run"]
    assert analyze("a s is") == ["s"]  # Lucene's Porter leaves words of one or two letters alone
    assert len(LUCENE_ENGLISH_STOPWORDS) == 33 and "with" in LUCENE_ENGLISH_STOPWORDS
    assert LuceneAnalyzer(stemmer=None, stopwords=None)("The cats") == ["the", "cats"]


def test_vitamin_c_ranks_the_document_about_vitamin_c_first() -> None:
    # bm25s' default pattern (two or more characters) drops "c": the query becomes "vitamin" and the
    # document that repeats "vitamin" wins (RR 0.5); Lucene keeps "c" and ranks d1 first (RR 1.0)
    corpus = Corpus(
        np.array(["d1", "d2", "d3"]),
        ("vitamin c and the common cold", "vitamin d vitamin b12 vitamin levels", "zinc lozenges"),
    )
    queries = Queries(np.array(["q1"]), ("vitamin c",))
    qrels = Qrels.from_dict({"q1": {"d1": 1}})
    bm25 = BM25()
    bm25.index(corpus)
    run = bm25.search(queries, 3)
    assert evaluate(run, qrels, parse_measures(["RR"]))["RR"].tolist() == [1.0]


def test_empty_corpus_and_bad_k_are_one_line_errors() -> None:
    with pytest.raises(BadInput, match="all empty after analysis"):
        BM25().index(Corpus(np.array(["d1", "d2"]), ("", "  ")))
    bm25 = BM25()
    bm25.index(Corpus(np.array(["d1"]), ("some text",)))
    with pytest.raises(BadInput, match="k must be a positive number"):
        bm25.search(Queries(np.array(["q"]), ("text",)), 0)
    with pytest.raises(BadInput, match="stemmer="):
        BM25(stemmer="klingon")


@pytest.mark.parametrize(
    ("params", "message"), [({"k1": -1}, "k1 must be"), ({"b": 2}, "b must lie"), ({"k1": float("inf")}, "k1")]
)
def test_bm25_parameters_out_of_range_are_one_line_before_any_cell(params: dict, message: str) -> None:
    from rankbench.adapters.ir.bm25 import BM25, check_parameters
    from rankbench.harness.errors import BadInput

    with pytest.raises(BadInput, match=message):
        check_parameters(params)
    with pytest.raises(BadInput, match=message):
        BM25(**params)
