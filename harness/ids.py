"""64-bit hashes of string ids, and factorising ids through them.

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
    used = np.flatnonzero(np.bitwise_or.reduce(points, axis=0))
    return values.astype(f"<U{int(used[-1]) + 1 if len(used) else 1}")


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
