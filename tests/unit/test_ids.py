"""String-id hashing and ordering: the fast paths must agree with plain string operations."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.harness.ids import factorize_sorted, narrowest, order_words, string_hash


def _random_ids(rng: np.random.Generator, n: int, alphabet: str) -> np.ndarray:
    return np.array(["".join(rng.choice(list(alphabet), size=rng.integers(0, 9))) for _ in range(n)])


def test_order_words_sort_like_the_strings() -> None:
    rng = np.random.default_rng(0)
    for alphabet in ("ab", "0123456789d-", "aé𝄞z\u00ff"):  # ASCII, digits, and code points up to 21 bits
        ids = _random_ids(rng, 2000, alphabet)
        words = order_words(ids)
        by_words = np.lexsort([words[:, j] for j in reversed(range(words.shape[1]))])
        assert ids[by_words].tolist() == sorted(ids.tolist())


def test_factorize_sorted_matches_sorted_unique() -> None:
    rng = np.random.default_rng(1)
    ids = _random_ids(rng, 5000, "xyz01")
    codes, uniques = factorize_sorted(ids)
    assert uniques.tolist() == sorted(set(ids.tolist()))
    assert np.array_equal(uniques[codes], ids)


def test_hash_depends_on_the_id_at_a_given_width() -> None:
    ids = np.array(["a", "ab", "ba", "a", ""])
    h = string_hash(ids)
    assert h[0] == h[3] and len(set(h[[0, 1, 2, 4]].tolist())) == 4
    wide = string_hash(ids.astype("<U12"), width=ids.dtype.itemsize // 4)  # the width is the caller's choice
    assert np.array_equal(h, wide)


def test_compiled_screen_equals_numpy_screen_and_keeps_every_match() -> None:
    pytest.importorskip("numba")
    from rankbench.harness.measures import screen

    rng = np.random.default_rng(3)
    rows = rng.integers(-(2**63), 2**63 - 1, 200_000, dtype=np.int64)
    keys = np.concatenate([rows[rng.choice(len(rows), 5000, replace=False)], rng.integers(0, 2**62, 3000)])
    packed, mask = screen._table(keys)
    out = np.empty(len(rows), dtype=np.int64)
    fast = out[: screen._compiled()(packed, mask, rows.view(np.uint64), out)]
    slow = screen.screen_numpy(keys, rows)
    assert np.array_equal(fast, slow)
    assert np.isin(np.flatnonzero(np.isin(rows, keys)), slow).all()
    assert len(slow) < 0.1 * len(rows)  # false hits stay rare


def test_narrowest_keeps_the_strings_at_the_longest_ids_width() -> None:
    ids = np.char.add("d", np.array([7, 123456, 42]).astype(str))  # numpy makes this <U22
    assert ids.dtype.itemsize // 4 > 7
    narrow = narrowest(ids)
    assert narrow.dtype == np.dtype("<U7") and narrow.tolist() == ids.tolist()
    tight = np.array(["ab", "c"])
    assert narrowest(tight) is tight  # an id fills the width: nothing copied
    assert narrowest(np.array(["", ""], dtype="<U5")).tolist() == ["", ""]
    assert narrowest(np.array(["x\u00e9\U0001d11e", "y"], dtype="<U9")).tolist() == ["x\u00e9\U0001d11e", "y"]
