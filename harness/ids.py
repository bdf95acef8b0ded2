"""Ids as numbers: 64-bit hashes of string ids and factorising through them, and ids as big-endian
words of their UTF-8 bytes (`byte_words`, `id_words`: exact equality and order, how runs are ranked
and joined to qrels).

numpy keeps ids as fixed-width code points (dtype `<U..`). Hashing them column by column
costs a few whole-array passes and no Python objects, whereas `pd.factorize` on strings first
makes a Python object of every id (7x slower on 2M doc ids, measured). A hash depends on the
id *and the array's width*, so callers hash both sides of a join at one width and compare the
strings behind every hash match: a collision can cost time, never a wrong answer.
"""

from __future__ import annotations

import numpy as np

MIX = np.uint64(0x9E3779B97F4A7C15)
"""Odd 64-bit constant (2^64 / golden ratio) for multiplicative mixing."""


def width_of(values: np.ndarray) -> int:
    """Code points per id of a `<U..` array."""
    return max(values.dtype.itemsize // 4, 1)


def narrowest(values: np.ndarray) -> np.ndarray:
    """`values` (a `<U..` array) at the width of its longest id: the same strings, fewer bytes per
    id to hash, gather and compare (numpy pads shorter ids with code point 0, and arrays made by
    `astype(str)` or `np.char.add` are often several times wider than their ids). Returns
    `values` itself when an id fills the width, found by looking at the last column only.
    """
    if values.dtype.kind != "U" or values.dtype.itemsize <= 4 or len(values) == 0:
        return values
    points = np.ascontiguousarray(values).view(np.uint32).reshape(len(values), -1)
    if points[:, -1].any():
        return values
    return values.astype(f"<U{max(int(np.char.str_len(values).max()), 1)}")


def string_hash(values: np.ndarray, width: int | None = None) -> np.ndarray:
    """A uint64 hash per id, over the ids padded (or cut) to `width` code points.

    Ids longer than `width` are cut before hashing, so equal hashes only ever nominate
    candidates; the strings decide.
    """
    width = width_of(values) if width is None else width
    width = max(width + width % 2, 2)  # two code points per 64-bit word
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    arr = np.ascontiguousarray(values.astype(f"<U{width}", copy=False))
    codes = arr.view(np.uint64).reshape(len(arr), -1)
    h = np.full(len(arr), np.uint64(1469598103934665603))
    with np.errstate(over="ignore"):
        for col in range(codes.shape[1]):
            h ^= codes[:, col]
            h *= np.uint64(1099511628211)
            h ^= h >> np.uint64(29)
    return h


def pair_keys(group: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """One int64 key per (group index, id hash), e.g. (query, document)."""
    with np.errstate(over="ignore"):
        return (hashes ^ (group.astype(np.uint64) * MIX)).view(np.int64)


def factorize_sorted(values: np.ndarray, hashes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) with `uniques` in sorted order and `uniques[codes] == values`.

    Factorises the 64-bit hashes (pandas' hash table when pandas is already loaded, else a
    numpy sort: a cold `rankbench evaluate` does not pay pandas' import), then checks every id
    against its code's representative; on a collision it factorises the strings themselves.
    """
    import sys

    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), values[:0]
    hashes = string_hash(values) if hashes is None else hashes
    pd = sys.modules.get("pandas")
    if pd is not None:
        codes, _ = pd.factorize(hashes)
        # codes are numbered in order of first appearance: a code's first row is where it exceeds all before it
        seen_max = np.maximum.accumulate(codes)
        first = np.flatnonzero(np.concatenate([[True], codes[1:] > seen_max[:-1]]))
    else:
        _, first, codes = np.unique(hashes, return_index=True, return_inverse=True)
    representative = values[first]
    if not np.array_equal(representative[codes], values):  # two ids share a hash
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64), uniques
    order = argsort_strings(representative)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[codes].astype(np.int64), representative[order]


def factorize_grouped(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`factorize_sorted`, cheaper when equal ids stand together (a run's or qrels' query column).

    Only the first id of each stretch of equal ids is factorised (numpy only, no pandas); when
    stretches are short (more than a quarter of the rows), it is `factorize_sorted` itself.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), values[:0]
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    if len(starts) > len(values) // 4:
        return factorize_sorted(values)
    uniques, codes = np.unique(values[starts], return_inverse=True)
    return np.repeat(codes.astype(np.int64), np.diff(np.append(starts, len(values)))), uniques


def order_words(values: np.ndarray) -> np.ndarray:
    """(n, w) uint64 words whose row-wise lexicographic order is the ids' string order.

    Code points are packed most significant first, with as many bits each as the largest
    one needs (7 for ASCII: 9 per word); numpy pads ids with code point 0, which sorts
    before every other. Only the columns up to the longest id count, whatever the dtype's
    width. Sorting a few integer columns is several times faster than sorting the strings.
    """
    points = np.ascontiguousarray(values).view(np.uint32).reshape(len(values), -1)
    used = points.shape[1]
    while used > 1 and not points[:, used - 1].any():  # columns past the longest id (a wide dtype) are padding
        used -= 1
    points = points[:, :used]
    bits = max(int(points.max(initial=0)).bit_length(), 1)
    per_word = 64 // bits
    n_words = -(-points.shape[1] // per_word)
    words = np.zeros((len(values), max(n_words, 1)), dtype=np.uint64)
    for col in range(points.shape[1]):
        word, slot = divmod(col, per_word)
        words[:, word] |= points[:, col].astype(np.uint64) << np.uint64(bits * (per_word - 1 - slot))
    return words


def argsort_strings(values: np.ndarray) -> np.ndarray:
    """`np.argsort(values, kind="stable")` for string ids, sorting packed integer words instead."""
    words = order_words(values)
    if words.shape[1] == 1:
        return np.argsort(words[:, 0], kind="stable")
    return np.lexsort([words[:, j] for j in reversed(range(words.shape[1]))])


# ---- ids as big-endian byte words: equality and order of the ids' UTF-8 bytes -------------------------


WORD = 8
"""Bytes of an id per 64-bit word (`byte_words`)."""


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
    if len(values) == 0:
        return np.zeros((0, 1), dtype=np.uint8)
    points = np.ascontiguousarray(values).view(np.uint32).reshape(len(values), -1)
    if int(points.max(initial=0)) < 0x80:
        return points.astype(np.uint8)
    # surrogatepass: a lone surrogate (JSON allows "\\ud800") keeps its code point's place in the order
    encoded = np.ascontiguousarray(np.char.encode(values, "utf-8", "surrogatepass"))
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
    low bits (which index `screen`'s table) depend on every byte, not only an id's last bytes.

    All-zero words (the padding after an id) are skipped, so an id hashes the same at any width.
    """
    h = words[:, 0].copy()
    with np.errstate(over="ignore"):
        for j in range(1, words.shape[1]):
            w = words[:, j]
            h = np.where(w != 0, (h * MIX) ^ w, h)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def n_words(max_bytes: int) -> int:
    """Words for ids of up to `max_bytes` bytes (at least one)."""
    return max(-(-max_bytes // WORD), 1)


def id_words(values: np.ndarray, width: int = 0) -> np.ndarray:
    """`byte_words` of a numpy string array, with at least `width` words (more when an id needs them)."""
    raw = string_bytes(values)
    return matrix_words(raw, max(n_words(max_length(raw)), width))


def widen(words: np.ndarray, width: int) -> np.ndarray:
    """`words` with zero words appended up to `width` columns (itself when already that wide)."""
    if words.shape[1] >= width:
        return words
    return np.concatenate([words, np.zeros((len(words), width - words.shape[1]), dtype=np.uint64)], axis=1)
