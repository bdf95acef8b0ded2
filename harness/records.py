"""The data model: frozen records of typed arrays that cross module boundaries.

IR records keep ids as numpy string arrays and runs in a CSR layout (one offsets array,
flat doc ids and scores) so measures and stores work on whole arrays, never nested dicts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.ids import (
    argsort_strings,
    factorize_grouped,
    id_words,
    narrowest,
    pair_keys,
    string_hash,
    width_of,
    words_hash,
)

if TYPE_CHECKING:
    import pandas as pd


MAX_LABEL = 2**31 - 1
"""The largest relevance label (in absolute value) qrels may hold: a C int, as trec_eval reads labels."""

MAX_ID_LENGTH = 1_000
"""The longest query or document id, in characters. numpy holds ids at the width of the longest, so one
huge id (a line's text pasted as an id) would make every id that wide: readers refuse it at its `file:line`."""


def id_too_long(what: str, length: int) -> str:
    """The message for an id over `MAX_ID_LENGTH` (readers add the file and line)."""
    return f"{what} id of {length:,} characters is longer than the {MAX_ID_LENGTH:,} characters an id may have"


def _as_str_array(values: Sequence[str] | np.ndarray, what: str) -> np.ndarray:
    """`values` as a numpy string array; `BadInput` when a `what` (query, document) id is over `MAX_ID_LENGTH`."""
    arr = np.asarray(values)
    if arr.dtype.kind != "U":
        arr = arr.astype(str)
    if width_of(arr) > MAX_ID_LENGTH:  # the dtype's width: only an array that may hold a long id pays the check
        longest = width_of(narrowest(arr))
        if longest > MAX_ID_LENGTH:
            raise BadInput(id_too_long(what, longest))
    return arr


def _check_unique(ids: np.ndarray, what: str) -> None:
    if len(ids) and len(np.unique(ids)) != len(ids):
        values, counts = np.unique(ids, return_counts=True)
        raise BadInput(f"duplicate {what} id {str(values[counts > 1][0])!r}; ids must be unique")


@dataclass(frozen=True, eq=False)
class Corpus:
    """Documents: ids, text and optional titles (title + text is what lexical models index)."""

    ids: np.ndarray
    texts: tuple[str, ...]
    titles: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", _as_str_array(self.ids, "document"))
        if len(self.texts) != len(self.ids) or (self.titles is not None and len(self.titles) != len(self.ids)):
            raise BadInput("corpus ids, texts and titles must have the same length")
        _check_unique(self.ids, "document")

    def __len__(self) -> int:
        return len(self.ids)

    def in_trec_eval_order(self) -> Corpus:
        """This corpus with its documents in trec_eval's tie order: doc ids descending (code points, as
        `strcmp` orders UTF-8 bytes); itself when already so.

        A retriever's depth-k cut keeps, among documents tied at the k-th score, the ones it meets first
        (`topk_rows`: the lower column). In this order those are the ones trec_eval ranks first, so the
        run equals the top k of trec_eval's full ranking and never depends on the corpus file's order.
        """
        ids = self.ids
        if len(ids) < 2 or bool(np.all(ids[:-1] > ids[1:])):
            return self
        order = argsort_strings(ids)[::-1]  # unique ids: descending is the reverse of ascending
        picked = order.tolist()
        return Corpus(
            ids[order],
            tuple(self.texts[i] for i in picked),
            None if self.titles is None else tuple(self.titles[i] for i in picked),
        )

    def full_texts(self) -> list[str]:
        """Title and text joined, the way BEIR and Anserini index documents."""
        if self.titles is None:
            return list(self.texts)
        return [f"{t} {x}".strip() for t, x in zip(self.titles, self.texts, strict=True)]


@dataclass(frozen=True, eq=False)
class Queries:
    """Queries: ids and text."""

    ids: np.ndarray
    texts: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", _as_str_array(self.ids, "query"))
        if len(self.texts) != len(self.ids):
            raise BadInput("query ids and texts must have the same length")
        _check_unique(self.ids, "query")
        for qid, text in zip(self.ids, self.texts, strict=True):
            if not text or not text.strip():
                raise BadInput(f"query {str(qid)!r} is empty; remove it or give it text")

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: np.ndarray) -> Queries:
        return Queries(self.ids[index], tuple(self.texts[i] for i in index))


@dataclass(frozen=True, eq=False)
class Qrels:
    """Graded judgements in coordinate form: one (query, doc, label) triple per row."""

    query_ids: np.ndarray
    doc_ids: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "query_ids", _as_str_array(self.query_ids, "query"))
        object.__setattr__(self, "doc_ids", _as_str_array(self.doc_ids, "document"))
        labels = np.asarray(self.labels)
        if labels.dtype.kind not in "iu":
            if labels.size and not np.all(np.isfinite(labels.astype(float))):
                raise BadInput("qrels labels must be finite integers")
            if labels.size and not np.all(labels.astype(float) == np.round(labels.astype(float))):
                raise BadInput("qrels labels must be integers (graded relevance 0, 1, 2, ...)")
        magnitude = np.abs(labels.astype(float))
        if labels.size and magnitude.max() > MAX_LABEL:
            worst = labels.astype(float)[int(np.argmax(magnitude))]
            raise BadInput(f"qrels labels must be grades within ±{MAX_LABEL:,}, got {worst:g}")
        object.__setattr__(self, "labels", labels.astype(np.int64))
        if not (len(self.query_ids) == len(self.doc_ids) == len(self.labels)):
            raise BadInput("qrels columns must have the same length")
        keys = pair_keys(string_hash(self.query_ids), string_hash(self.doc_ids))
        _reject_duplicates(self.query_ids, self.doc_ids, keys, "qrels judge")

    @classmethod
    def from_dict(cls, qrels: Mapping[str, Mapping[str, int]]) -> Qrels:
        rows = [(q, d, int(r)) for q, docs in qrels.items() for d, r in docs.items()]
        if not rows:
            return cls(np.array([], dtype=str), np.array([], dtype=str), np.array([], dtype=np.int64))
        q, d, r = zip(*rows, strict=True)
        return cls(np.array(q), np.array(d), np.array(r))

    def to_dict(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for q, d, r in zip(self.query_ids.tolist(), self.doc_ids.tolist(), self.labels.tolist(), strict=True):
            out.setdefault(q, {})[d] = r
        return out

    def __len__(self) -> int:
        return len(self.labels)

    def query_set(self) -> np.ndarray:
        """The judged query ids, sorted and unique (computed once)."""
        cached = self.__dict__.get("_query_set")
        if cached is None:
            cached = factorize_grouped(self.query_ids)[1]  # bare np.unique would import numpy.ma (25 ms)
            object.__setattr__(self, "_query_set", cached)
        return cached


def _query_codes(q: np.ndarray, empty_queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted-order codes of each row's query, and the sorted unique queries (with `empty_queries`).

    Runs usually list a query's rows together; then only the first id of each stretch is
    factorised (`factorize_grouped`: one comparison pass instead of hashing every row's id).
    """
    if not len(empty_queries):
        return factorize_grouped(q)
    codes, uniques = factorize_grouped(np.concatenate([q, empty_queries]))
    return codes[: len(q)], uniques


def _reject_duplicates(q: np.ndarray, d: np.ndarray, keys: np.ndarray, what: str = "run lists") -> None:
    """One error line naming the first (query, doc) listed twice; hash ties are checked on the strings."""
    if len(keys) < 2 or not np.any(np.diff(np.sort(keys)) == 0):  # a sort beats a hash table here
        return
    order = np.argsort(keys, kind="stable")
    same = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    rows = np.unique(np.concatenate([order[same], order[same + 1]]))  # every row of a shared key
    by_ids = rows[np.lexsort((rows, d[rows], q[rows]))]  # equal (query, doc) pairs now stand together
    twice = (q[by_ids][1:] == q[by_ids][:-1]) & (d[by_ids][1:] == d[by_ids][:-1])
    if twice.any():
        row = int(by_ids[1:][twice].min())  # the first repeat in input order
        raise BadInput(f"{what} document {str(d[row])!r} twice for query {str(q[row])!r}")


def trec_eval_scores(scores: np.ndarray) -> np.ndarray:
    """Scores as trec_eval compares them: 32-bit floats (its `TEXT_RESULTS.sim` is a C `float`).

    Scores that differ only below float32 resolution (0.9000000001 and 0.9, 12.3456791 and
    12.3456789) are equal after this cast, so they tie and the doc id decides. Beyond float32's range
    they become +-inf, as C's cast to float makes them (no overflow warning: that is the definition).
    """
    with np.errstate(over="ignore"):
        return np.asarray(scores, dtype=np.float64).astype(np.float32)


IN_PLACE = slice(None)
"""The order of rows that are in trec_eval's order already: indexing with it takes a view, not a copy."""


def trec_eval_order(q_codes: np.ndarray, s32: np.ndarray, d: np.ndarray) -> np.ndarray | slice:
    """Row order of trec_eval: by query code, then float32 score descending, then doc id descending.

    `q_codes` (n,) query codes, `s32` (n,) scores from `trec_eval_scores`, `d` the doc ids as (n, w)
    uint64 words whose row-wise order is the ids' order (`ids.byte_words`, compared by `words_less`).
    Returns a permutation to index the rows with, or `IN_PLACE` when they are in that order.
    A run already in that order per query costs one pass over neighbouring rows; one whose queries
    are each listed best first, equal scores in any order (as search systems write runs), a pass and
    the reordering of its ties, no sort of all rows.
    """
    found = _presorted_order(q_codes, s32, d)
    if found is None:
        order = _by_query_then_score_desc(q_codes, s32)
    else:
        order, ties_in_order = found
        if ties_in_order:
            return order
        order = np.arange(len(q_codes)) if order is IN_PLACE else order
    _break_ties_by_doc_id_desc(order, q_codes, s32, d)
    return order


def words_less(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise `a < b` of two (n, w) uint64 word arrays, compared lexicographically."""
    less = np.zeros(len(a), dtype=bool)
    equal = np.ones(len(a), dtype=bool)
    for j in range(a.shape[1]):
        less |= equal & (a[:, j] < b[:, j])
        equal &= a[:, j] == b[:, j]
    return less


def _presorted_order(q_codes: np.ndarray, s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray | slice, bool] | None:
    """(row order, whether its ties are in trec_eval's order) when each query's rows form one stretch
    listed by score descending, else None.

    Run files written by search tools list each query's documents together, best first; then
    only the stretches need arranging by query (one small sort), not the rows. Checked on
    every pair of neighbouring rows: score strictly lower, or equal (a tie, in order when the
    lower doc id comes second).
    """
    n = len(q_codes)
    if n < 2:
        return np.arange(n), True
    new_stretch = np.concatenate([[True], q_codes[1:] != q_codes[:-1]])
    starts = np.flatnonzero(new_stretch)
    stretch_codes = q_codes[starts]
    if np.any(np.diff(np.sort(stretch_codes)) == 0):  # a query split over several stretches (no np.unique: numpy.ma)
        return None
    inside = ~new_stretch[1:]
    lower = s[1:] < s[:-1]
    ties_in_order = True
    if not np.all(lower | ~inside):
        tie = inside & ~lower
        if not np.all(s[1:][tie] == s[:-1][tie]):
            return None
        at = np.flatnonzero(tie)
        ties_in_order = bool(np.all(words_less(d[at + 1], d[at])))
    if np.all(stretch_codes[1:] > stretch_codes[:-1]):  # queries already in code order: nothing moves
        return IN_PLACE, ties_in_order
    lengths = np.diff(np.append(starts, n))
    by_code = np.argsort(stretch_codes, kind="stable")
    new_starts = np.repeat(starts[by_code], lengths[by_code])
    offsets_in = np.arange(n) - np.repeat(np.cumsum(lengths[by_code]) - lengths[by_code], lengths[by_code])
    return new_starts + offsets_in, ties_in_order


def _by_query_then_score_desc(q_codes: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Row order by query code, then float32 score descending (equal scores in any order).

    One argsort of a uint64 key per row: the query code in the high 32 bits, the score's bits
    made order-preserving and complemented (descending) in the low 32. -0.0 and 0.0 get
    neighbouring keys, and the tie pass, comparing floats as trec_eval does, takes them as equal.
    Twice as fast as sorting by score and then stably by query.
    """
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as `trec_eval_scores`
        bits = np.asarray(s, dtype=np.float32).view(np.uint32)
    ascending = np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(1 << 31))  # IEEE order as unsigned
    return np.argsort((q_codes.astype(np.uint64) << np.uint64(32)) | (~ascending).astype(np.uint64))


def _break_ties_by_doc_id_desc(order: np.ndarray, q_codes: np.ndarray, s: np.ndarray, d: np.ndarray) -> None:
    """Reorder, in place, rows of equal (query, score) by doc id descending (trec_eval's tie-break).

    Only rows inside a tie are touched, so runs without ties pay one comparison pass. Tied ids
    are compared through their (n, w) byte words `d` (no factorising).
    Ties of up to `_SMALL_TIE` rows, the usual kind, are put in order by odd-even transposition
    (one vectorised compare-and-swap of neighbours per round, at most that many rounds); the
    rows of larger ties by one sort on (tie group, words descending).
    """
    qs, ss = q_codes[order], s[order]
    tie = (qs[1:] == qs[:-1]) & (ss[1:] == ss[:-1])
    if not tie.any():
        return
    in_tie = np.zeros(len(order), dtype=bool)
    in_tie[1:] |= tie
    in_tie[:-1] |= tie
    pos = np.flatnonzero(in_tie)
    group = np.cumsum(~np.concatenate([[False], tie])[pos])
    size = np.bincount(group)[group]
    small = size <= _SMALL_TIE
    for part, sort in ((small, _transposition_desc), (~small, _sort_desc)):
        if part.any():
            rows = order[pos[part]]
            order[pos[part]] = rows[sort(d[rows], group[part])]


_SMALL_TIE = 16
"""Ties of at most this many rows are ordered by odd-even transposition, larger ones by a sort."""


def _sort_desc(words: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Permutation ordering rows by `group` (ascending), then by `words` rows descending."""
    return np.lexsort([~words[:, j] for j in reversed(range(words.shape[1]))] + [group])


def _transposition_desc(words: np.ndarray, group: np.ndarray) -> np.ndarray:
    """`_sort_desc` for rows whose equal `group` values stand together in short stretches.

    Odd-even transposition sort run on every stretch at once: each round compares the
    neighbours (i, i+1) of one parity that share a group and swaps those in ascending order.
    Rounds stop once both parities made no swap (then every neighbour pair is in order), which
    takes at most as many rounds as the longest stretch.
    """
    words = words.copy()
    perm = np.arange(len(words))
    same = np.flatnonzero(group[1:] == group[:-1])
    pairs = (same[same % 2 == 0], same[same % 2 == 1])
    quiet, parity = 0, 0
    while quiet < 2:
        i = pairs[parity]
        swap = i[words_less(words[i], words[i + 1])]
        quiet = quiet + 1 if not len(swap) else 0
        words[swap], words[swap + 1] = words[swap + 1], words[swap]
        perm[swap], perm[swap + 1] = perm[swap + 1], perm[swap]
        parity ^= 1
    return perm


@dataclass(frozen=True, eq=False)
class Run:
    """Ranked results per query in CSR form, sorted as trec_eval sorts them.

    Rows of query `i` live in `doc_ids[offsets[i]:offsets[i+1]]`, ordered by score
    descending and, on equal scores, by doc id descending (trec_eval's tie-break). Scores
    are compared as trec_eval compares them, at float32 precision (`trec_eval_scores`):
    two scores that round to the same 32-bit float tie, whatever their float64 values.
    `scores` keeps the values as given (float64). Build with `Run.from_arrays`,
    `Run.from_dict` or `Run.from_topk`, which sort and validate.
    """

    query_ids: np.ndarray
    offsets: np.ndarray
    doc_ids: np.ndarray
    scores: np.ndarray
    name: str = "run"

    @classmethod
    def from_arrays(
        cls,
        query_ids: np.ndarray | Sequence[str],
        doc_ids: np.ndarray | Sequence[str],
        scores: np.ndarray | Sequence[float],
        name: str = "run",
        empty_queries: Sequence[str] = (),
    ) -> Run:
        """Build from one (query, doc, score) triple per row in any order; rows are ranked as in `Run`.

        `empty_queries` are queries that were searched but returned nothing; trec_eval
        evaluates them (scoring 0), so they keep a zero-length row range.
        """
        q = narrowest(_as_str_array(query_ids, "query"))
        d = narrowest(_as_str_array(doc_ids, "document"))
        try:
            s = np.asarray(scores, dtype=np.float64)
        except (TypeError, ValueError):
            raise BadInput("run scores must be real numbers") from None
        if s.ndim != 1:
            raise BadInput(f"run scores must be one number per row (1-D), got shape {list(s.shape)}")
        if not (len(q) == len(d) == len(s)):
            raise BadInput("run columns must have the same length")
        if s.size and not np.all(np.isfinite(s)):
            bad = int(np.flatnonzero(~np.isfinite(s))[0])
            raise BadInput(
                f"run score for query {str(q[bad])!r}, doc {str(d[bad])!r} is {s[bad]}; scores must be finite"
            )
        q_codes, q_uniques = _query_codes(q, _as_str_array(list(empty_queries), "query"))
        words = id_words(d)
        keys = pair_keys(q_codes, words_hash(words))
        _reject_duplicates(q, d, keys)
        s32 = trec_eval_scores(s)
        order = trec_eval_order(q_codes, s32, words)
        counts = np.bincount(q_codes, minlength=len(q_uniques))
        offsets = np.zeros(len(q_uniques) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        if order is IN_PLACE:  # fresh arrays all the same: a Run never shares memory with its inputs
            order = np.arange(len(s))
        run = cls(q_uniques, offsets, d[order], s[order], name)
        object.__setattr__(run, "_row_keys", keys[order])
        object.__setattr__(run, "_row_words", words[order])
        return run

    @classmethod
    def from_dict(cls, run: Mapping[str, Mapping[str, float]], name: str = "run") -> Run:
        rows = [(q, d, float(s)) for q, docs in run.items() for d, s in docs.items()]
        empty = [q for q, docs in run.items() if not docs]
        if not rows:
            return cls.from_arrays(np.array([], dtype=str), np.array([], dtype=str), np.array([]), name, empty)
        q, d, s = zip(*rows, strict=True)
        return cls.from_arrays(np.array(q), np.array(d), np.array(s), name, empty)

    @classmethod
    def from_topk(
        cls, query_ids: np.ndarray, doc_ids: np.ndarray, indices: np.ndarray, scores: np.ndarray, name: str = "run"
    ) -> Run:
        """Build from dense (n_queries, k) index/score matrices, as search backends return them.

        `indices` (n_queries, k) index `doc_ids`; entries with index -1 (fewer than k hits) are
        dropped, and a query without any hit stays in the run with no rows (trec_eval -c counts
        it as 0). Rows are re-ranked as in `Run`, so the backend's own order of tied scores
        does not matter.
        """
        qids = _as_str_array(query_ids, "query")
        docs = _as_str_array(doc_ids, "document")
        indices, scores = np.asarray(indices), np.asarray(scores)
        if indices.ndim != 2 or indices.dtype.kind not in "iu" or scores.shape != indices.shape:
            raise BadInput(
                f"from_topk takes integer indices and scores of one shape (n_queries, k); got indices "
                f"{indices.dtype}{list(indices.shape)} and scores {scores.dtype}{list(scores.shape)}"
            )
        if len(qids) != len(indices):
            raise BadInput(f"from_topk: {len(qids)} query ids for {len(indices)} rows of indices")
        if indices.size and (indices.max() >= len(docs) or indices.min() < -1):
            raise BadInput(f"from_topk: indices must lie in 0..{len(docs) - 1} (or -1 for no hit)")
        k = indices.shape[1]
        q = np.repeat(qids, k)
        valid = indices.reshape(-1) >= 0
        no_hit = qids[~valid.reshape(len(qids), k).any(axis=1)] if k else qids
        return cls.from_arrays(
            q[valid],
            docs[indices.reshape(-1)[valid]],
            scores.reshape(-1)[valid],
            name,
            empty_queries=no_hit,
        )

    @classmethod
    def empty(cls, name: str = "run") -> Run:
        return cls(
            np.array([], dtype=str),
            np.zeros(1, dtype=np.int64),
            np.array([], dtype=str),
            np.array([], dtype=np.float64),
            name,
        )

    def __len__(self) -> int:
        return len(self.query_ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def row_query_index(self) -> np.ndarray:
        """For every row, the index of its query in `query_ids`."""
        return np.repeat(np.arange(len(self.query_ids)), self.lengths)

    def ranks(self) -> np.ndarray:
        """Zero-based rank of every row inside its query."""
        return np.arange(len(self.doc_ids)) - np.repeat(self.offsets[:-1], self.lengths)

    def cut(self, k: int) -> Run:
        """Keep the top `k` rows per query."""
        if k <= 0:
            raise BadInput(f"k must be a positive integer, got {k}")
        keep = self.ranks() < k
        counts = np.minimum(self.lengths, k)  # (reduceat would read past the end when the last query has no row)
        offsets = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        cut = Run(self.query_ids, offsets, self.doc_ids[keep], self.scores[keep], self.name)
        for cached in ("_row_keys", "_row_words"):  # same query positions, so the same keys and words
            if cached in self.__dict__:
                object.__setattr__(cut, cached, self.__dict__[cached][keep])
        return cut

    def row_words(self) -> np.ndarray:
        """(rows, w) uint64: each row's doc id as its UTF-8 bytes in big-endian words (`ids.byte_words`),
        computed once: equal ids have equal words, and the words compare as the ids do."""
        cached = self.__dict__.get("_row_words")
        if cached is None or len(cached) != len(self.doc_ids):
            cached = id_words(self.doc_ids)
            object.__setattr__(self, "_row_words", cached)
        return cached

    def row_keys(self) -> np.ndarray:
        """A 64-bit key per row for its (query position, doc id), computed once.

        The key mixes the query's position with `words_hash` of the doc id's words; `from_arrays`
        computes the keys while it checks for duplicates, and measures join the run to qrels through them.
        """
        cached = self.__dict__.get("_row_keys")
        if cached is None or len(cached) != len(self.doc_ids):
            cached = pair_keys(self.row_query_index(), words_hash(self.row_words()))
            object.__setattr__(self, "_row_keys", cached)
        return cached

    def to_dict(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for i, q in enumerate(self.query_ids.tolist()):
            lo, hi = self.offsets[i], self.offsets[i + 1]
            out[q] = dict(zip(self.doc_ids[lo:hi].tolist(), self.scores[lo:hi].tolist(), strict=True))
        return out

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "query_id": np.repeat(self.query_ids, self.lengths),
                "doc_id": self.doc_ids,
                "score": self.scores,
                "rank": self.ranks() + 1,
            }
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class DevSplit:
    """A collection's development split: queries and their judgements over the same corpus as the test split.

    Adapters that fit parameters on it (`rankbench.harness.interfaces.DevTuned`) never see the test qrels.
    """

    queries: Queries
    qrels: Qrels


@dataclass(frozen=True, eq=False)
class IRDataset:
    """A retrieval test collection; `dev` is its development split when the collection has one (BEIR's
    `qrels/dev.tsv`, the generated collections' dev queries), else None."""

    corpus: Corpus
    queries: Queries
    qrels: Qrels
    dev: DevSplit | None = None

    def __post_init__(self) -> None:
        # every retriever indexes the documents in trec_eval's tie order (see `Corpus.in_trec_eval_order`)
        object.__setattr__(self, "corpus", self.corpus.in_trec_eval_order())
        untexted = np.setdiff1d(self.qrels.query_ids[self.qrels.labels > 0], self.queries.ids)
        if len(untexted):
            logging.getLogger(__name__).warning(
                "%d judged queries have relevant documents but no query text (e.g. %r): no system can search "
                "them, and each counts 0 in every mean; add their text to the queries file or drop their judgements",
                len(untexted),
                str(untexted[0]),
            )


@dataclass(frozen=True, eq=False)
class Interactions:
    """User-item interactions with contiguous integer codes (0..n_users-1, 0..n_items-1).

    `user_ids` / `item_ids`, when given, hold the text each code stands for, exactly as the
    source file wrote it (`01` and `1` are two users); errors name users and items by it.
    """

    users: np.ndarray
    items: np.ndarray
    n_users: int
    n_items: int
    ratings: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    user_ids: np.ndarray | None = None  # text of each user code as written in the source file
    item_ids: np.ndarray | None = None  # text of each item code as written in the source file

    def __post_init__(self) -> None:
        for ids, n, what in ((self.user_ids, self.n_users, "user"), (self.item_ids, self.n_items, "item")):
            if ids is not None and len(ids) != n:
                raise BadInput(f"{len(ids)} {what} ids for {n} {what}s; give one id text per code")
        users = np.asarray(self.users, dtype=np.int64)
        items = np.asarray(self.items, dtype=np.int64)
        if users.shape != items.shape:
            raise BadInput("interactions need as many users as items")
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise BadInput(f"user ids must lie in 0..{self.n_users - 1}")
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise BadInput(f"item ids must lie in 0..{self.n_items - 1}")
        object.__setattr__(self, "users", users)
        object.__setattr__(self, "items", items)

    def __len__(self) -> int:
        return len(self.users)

    def to_csr(self):  # -> scipy.sparse.csr_matrix
        """Binary user x item matrix (duplicates collapse to 1)."""
        from scipy import sparse

        m = sparse.csr_matrix(
            (np.ones(len(self.users), dtype=np.float32), (self.users, self.items)),
            shape=(self.n_users, self.n_items),
        )
        m.data[:] = 1.0
        return m

    def subset(self, mask: np.ndarray) -> Interactions:
        return Interactions(
            self.users[mask],
            self.items[mask],
            self.n_users,
            self.n_items,
            None if self.ratings is None else self.ratings[mask],
            None if self.timestamps is None else self.timestamps[mask],
            self.user_ids,
            self.item_ids,
        )

    def user_name(self, code: int) -> str:
        """The user's id as written in the source file (the code itself when none was kept)."""
        return str(code) if self.user_ids is None else str(self.user_ids[code])

    def item_name(self, code: int) -> str:
        """The item's id as written in the source file (the code itself when none was kept)."""
        return str(code) if self.item_ids is None else str(self.item_ids[code])


@dataclass(frozen=True, eq=False)
class CTRTable:
    """Encoded CTR data: categorical codes (n, n_cat), numeric values (n, n_num), labels (n,)."""

    categorical: np.ndarray
    numeric: np.ndarray
    labels: np.ndarray
    cat_fields: tuple[str, ...]
    num_fields: tuple[str, ...] = ()
    vocab_sizes: tuple[int, ...] = ()
    user_field: str | None = None

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.categorical.shape != (n, len(self.cat_fields)):
            raise BadInput(
                f"categorical block has shape {self.categorical.shape}, expected ({n}, {len(self.cat_fields)})"
            )
        if self.numeric.shape != (n, len(self.num_fields)):
            raise BadInput(f"numeric block has shape {self.numeric.shape}, expected ({n}, {len(self.num_fields)})")
        labels = np.asarray(self.labels)
        if labels.size and not np.isin(labels, (0, 1)).all():
            raise BadInput("CTR labels must be 0 or 1")
        for j, size in enumerate(self.vocab_sizes):
            column = self.categorical[:, j]
            if column.size and (column.min() < 0 or column.max() >= size):
                bad = int(column[(column < 0) | (column >= size)][0])
                raise BadInput(
                    f"field {self.cat_fields[j]!r} has category id {bad} outside its vocabulary 0..{size - 1}; "
                    "encode every split with the encoder fit on train (unseen values go to the OOV id)"
                )

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, index: np.ndarray) -> CTRTable:
        return CTRTable(
            self.categorical[index],
            self.numeric[index],
            self.labels[index],
            self.cat_fields,
            self.num_fields,
            self.vocab_sizes,
            self.user_field,
        )


@dataclass(frozen=True, eq=False)
class CTRSplits:
    train: CTRTable
    valid: CTRTable
    test: CTRTable


@dataclass(frozen=True)
class Loaded:
    """A dataset as loaded: the data, its checksum, and a description for provenance."""

    data: object
    checksum: str
    info: Mapping[str, object] = field(default_factory=dict)
