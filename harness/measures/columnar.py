"""trec_eval on a run read as columns: no string object, Python or numpy, per run row.

`rankbench evaluate` reads a TREC run with pyarrow (`formats.read_trec_run_columns`). Here every
doc id becomes its UTF-8 bytes packed into big-endian 64-bit words (`byte_words`, zero-padded):
equal ids have equal words, and comparing the words of two rows left to right compares the ids'
bytes, which is trec_eval's order (C `strcmp`) and numpy's code point order (UTF-8 keeps it).
The rows are then ranked, checked and joined to the qrels as `Run.from_arrays` and
`ranking.evaluate_arrays` do with strings (`records.trec_eval_order`, `ranking.join_judged`), so
every measure is computed from the same judged rows. Building the strings costs more than
ranking, joining and measuring together on a run of a few million rows (`benchmarks/measures.py`).

A file this path does not take — a document listed twice for a query, a 64-bit key shared by
two qrels judgements — returns None, and the caller reads the run as a `Run` (which names the
line of a repeated document).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rankbench.harness.formats import RunColumns
from rankbench.harness.ids import MIX, pair_keys
from rankbench.harness.measures.grammar import Measure
from rankbench.harness.measures.ranking import join_judged, measure_joined
from rankbench.harness.measures.screen import screen
from rankbench.harness.records import Qrels, trec_eval_order, trec_eval_scores

WORD = 8
"""Bytes of an id per 64-bit word."""


_KEEP = np.array([0] + [(0xFFFFFFFFFFFFFFFF << (8 * (WORD - k))) & 0xFFFFFFFFFFFFFFFF for k in range(1, 9)], np.uint64)
"""`_KEEP[k]` keeps the first `k` bytes (the most significant) of a big-endian word."""


def byte_words(offsets: np.ndarray, data: np.ndarray, n_words: int) -> np.ndarray:
    """(n, n_words) uint64: the bytes of id `i` (`data[offsets[i]:offsets[i + 1]]`) big-endian, zero-padded.

    Ids must hold no NUL byte (so that padding cannot make two ids equal) and at most
    `n_words * 8` bytes; `data` is copied only when fewer than `n_words * 8` bytes follow the last
    id. Each word is read as 8 bytes from the id's start through a view with a one-byte stride (a
    big-endian word at every byte of the data) and masked to the id's length.
    """
    n = len(offsets) - 1
    starts, lengths = offsets[:-1], np.diff(offsets)
    end = int(offsets[-1]) + WORD * n_words
    padded = data if len(data) >= end else np.concatenate([data, np.zeros(end - len(data), dtype=np.uint8)])
    at_every_byte = np.ndarray(shape=(len(padded) - WORD + 1,), dtype=">u8", buffer=padded, strides=(1,))
    words = np.empty((n, n_words), dtype=np.uint64)
    for j in range(n_words):
        kept = np.clip(lengths - WORD * j, 0, WORD)  # bytes of this word inside the id
        np.bitwise_and(at_every_byte[starts + WORD * j], _KEEP[kept], out=words[:, j])
    return words


def string_bytes(values: np.ndarray) -> np.ndarray:
    """(n, width) uint8: the UTF-8 bytes of each id of a numpy string array (`<U..`), zero-padded.

    ASCII ids (every code point below 128) are narrowed in place of encoding each id.
    """
    points = np.ascontiguousarray(values).view(np.uint32).reshape(len(values), -1)
    if int(points.max(initial=0)) < 0x80:
        return points.astype(np.uint8)
    encoded = np.ascontiguousarray(np.char.encode(values, "utf-8"))
    return encoded.view(np.uint8).reshape(len(values), max(encoded.dtype.itemsize, 1))


def matrix_words(raw: np.ndarray, n_words: int) -> np.ndarray:
    """`byte_words` of ids given as a zero-padded (n, width) byte matrix (`string_bytes`)."""
    out = np.zeros((len(raw), WORD * n_words), dtype=np.uint8)
    width = min(raw.shape[1], WORD * n_words)
    out[:, :width] = raw[:, :width]
    return out.view(">u8").astype(np.uint64)


def max_length(raw: np.ndarray) -> int:
    """Bytes of the longest id of a zero-padded (n, width) byte matrix."""
    used = np.flatnonzero(raw.any(axis=0)) if raw.size else np.zeros(0, dtype=np.int64)
    return int(used[-1]) + 1 if len(used) else 0


def words_hash(words: np.ndarray) -> np.ndarray:
    """A uint64 hash per row of `words`: the words folded, then splitmix64's finalizer, so that the
    low bits (which index `screen`'s table) depend on every byte, not only an id's last bytes."""
    h = words[:, 0].copy()
    with np.errstate(over="ignore"):
        for j in range(1, words.shape[1]):
            h = (h * MIX) ^ words[:, j]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _n_words(max_bytes: int) -> int:
    return max(-(-max_bytes // WORD), 1)


def evaluate_run_columns(
    columns: RunColumns, qrels: Qrels, measures: Sequence[Measure], missing_as_zero: bool = False
) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """(evaluated query ids, {measure: per-query values}) as `evaluate_arrays` gives for the same run,
    or None when the run must be read as a `Run` (see the module's docstring).

    The caller has checked that the run has rows and shares a query with the qrels (`check_overlap_ids`).
    """
    q_codes = columns.query_codes
    lengths = np.diff(columns.doc_offsets)
    qrels_bytes = string_bytes(qrels.doc_ids)
    n_words = _n_words(max(int(lengths.max(initial=0)), max_length(qrels_bytes)))
    words = byte_words(columns.doc_offsets, columns.doc_bytes, n_words)
    keys = pair_keys(q_codes, words_hash(words))
    if np.any(np.diff(np.sort(keys)) == 0):  # a document listed twice (or a key collision): the Run decides
        return None
    order = trec_eval_order(q_codes, trec_eval_scores(columns.scores), words)
    offsets = np.zeros(len(columns.query_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(q_codes, minlength=len(columns.query_ids)), out=offsets[1:])
    ranked_words, ranked_keys = words[order], keys[order]

    def judged_rows(qrel_runq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sub = np.flatnonzero(qrel_runq >= 0)
        qwords, qq = matrix_words(qrels_bytes[sub], n_words), qrel_runq[sub]
        qkeys = pair_keys(qq, words_hash(qwords))
        key_order = np.argsort(qkeys)
        sorted_keys = qkeys[key_order]
        if np.any(sorted_keys[1:] == sorted_keys[:-1]):
            raise _KeyCollision
        rows = screen(qkeys, ranked_keys)
        candidates = ranked_keys[rows]
        at = np.minimum(np.searchsorted(sorted_keys, candidates), max(len(sorted_keys) - 1, 0))
        found = sorted_keys[at] == candidates if len(sorted_keys) else np.zeros(len(rows), bool)
        rows, pos = rows[found], key_order[at[found]]
        row_query = np.searchsorted(offsets, rows, side="right") - 1
        same = (row_query == qq[pos]) & np.all(ranked_words[rows] == qwords[pos], axis=1)
        return rows[same], row_query[same], sub[pos[same]]

    try:
        joined = join_judged(columns.query_ids, offsets, qrels, missing_as_zero, judged_rows)
    except _KeyCollision:
        return None
    return measure_joined(joined, measures)


class _KeyCollision(Exception):
    """Two qrels judgements of one query share a 64-bit key: the string path joins them."""
