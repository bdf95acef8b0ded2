"""Text analysis as Lucene's English analysis chain in Anserini, for lexical retrievers.

Anserini's default analyzer (`DefaultEnglishAnalyzer`, used by its BEIR regressions) is
Lucene's `StandardTokenizer` -> `EnglishPossessiveFilter` -> `LowerCaseFilter` ->
`StopFilter(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET)` -> `PorterStemFilter`. This module
reproduces that chain:

- tokenizer: Unicode word segmentation (UAX #29, which `StandardTokenizer` implements) through
  the `regex` module's default word boundaries; a segment is a token when it holds a letter or
  a digit, so one-character tokens stay ("vitamin c" -> vitamin, c), "U.S.A." -> u.s.a,
  "3.14" and "2,000" stay whole, "e-mail" -> e, mail, and each CJK ideograph is a token.
  Tokens longer than `MAX_TOKEN_LENGTH` (Lucene's default, 255) are split into pieces of that
  length, as `StandardTokenizer` does.
- possessive: a trailing 's (also with U+2019 or U+FF07 as apostrophe) is removed.
- lower case: Python's `str.lower()`.
- stopwords: Lucene's 33-word English set (the same set as bm25s' "en").
- stemmer: PyStemmer's "porter" (Porter's original algorithm, as Lucene's PorterStemFilter),
  applied to words of three or more characters, as Lucene's `PorterStemmer` does ("s" stays "s").

Known deviations from Lucene: emoji are dropped (Lucene 8+ emits them as tokens);
`str.lower()` differs from Java's `Character.toLowerCase` on a few letters (e.g. "İ");
Southeast Asian scripts, which Lucene segments with a dictionary, are split at UAX #29
boundaries only; and Lucene's Porter implementation differs from Snowball's "porter" on a
handful of rare words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rankbench.harness.deps import require

MAX_TOKEN_LENGTH = 255
LUCENE_ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
_APOSTROPHES = ("'", "\u2019", "\uff07")


class LuceneAnalyzer:
    """Lucene/Anserini-style English analysis: text -> list of index terms.

    `stemmer` names a PyStemmer algorithm ("porter" as Anserini, "english" for Snowball's
    Porter2) or is None; `stopwords` is "en" (Lucene's English set), None, or any iterable of
    words (compared after lower-casing).
    """

    def __init__(self, stemmer: str | None = "porter", stopwords: str | Iterable[str] | None = "en") -> None:
        regex = require("regex", "ir", "Lucene-style tokenisation")
        self._segments = regex.compile(r"(?w)\b").split
        self._is_word = regex.compile(r"[\p{L}\p{N}]").search
        if stopwords == "en":
            self.stopwords = LUCENE_ENGLISH_STOPWORDS
        elif stopwords is None:
            self.stopwords = frozenset()
        elif isinstance(stopwords, str):
            raise ValueError(f"stopwords must be 'en', None or a list of words, got {stopwords!r}")
        else:
            self.stopwords = frozenset(w.lower() for w in stopwords)
        self._stem: Callable[[str], str] | None = None
        if stemmer:
            self._stem = require("Stemmer", "ir", "BM25 stemming").Stemmer(stemmer).stemWord
        self._stems: dict[str, str] = {}

    def tokens(self, text: str) -> list[str]:
        """Lucene's StandardTokenizer: word segments that hold a letter or digit, split at 255 characters."""
        out = []
        for seg in self._segments(text):
            if seg and self._is_word(seg):
                if len(seg) <= MAX_TOKEN_LENGTH:
                    out.append(seg)
                else:
                    out += [seg[i : i + MAX_TOKEN_LENGTH] for i in range(0, len(seg), MAX_TOKEN_LENGTH)]
        return out

    def __call__(self, text: str) -> list[str]:
        """The index terms of `text`, in order."""
        terms = []
        for token in self.tokens(text):
            if len(token) >= 2 and token[-2] in _APOSTROPHES and token[-1] in "sS":
                token = token[:-2]
            token = token.lower()
            if not token or token in self.stopwords:
                continue
            if self._stem is not None and len(token) > 2:  # Lucene's Porter leaves 1-2 letter words alone
                stem = self._stems.get(token)
                if stem is None:
                    stem = self._stems[token] = self._stem(token)
                token = stem
            terms.append(token)
        return terms
