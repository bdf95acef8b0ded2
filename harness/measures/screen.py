"""Which run rows may be judged: a one-hash bitmap of the qrels keys, tested against every row.

A run has far more rows than its qrels have judgements (10M rows vs 500k judgements in
`benchmarks/measures.py`), so the join first screens all rows against a bit-packed table of
the qrels keys (64 bits per key, ~1.5% false hits; 4 MB for 500k keys, so it stays in cache),
and only the survivors go through the exact hash-table lookup. The screen is one pass over
the row keys; with numba installed (the `ir` extra) it is a compiled loop, which on 10M rows
is several times faster than the numpy expression it falls back to (measured in
`benchmarks/measures.py --screen`). Small runs, and processes that have not imported numba
already, take the numpy path: compiling or even importing numba would cost more than it saves.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from typing import Any

import numpy as np

COMPILED_FROM_ROWS = 1_000_000


def _table(keys: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    bits = max(16, int(np.ceil(np.log2(max(len(keys), 1) * 64))))
    mask = np.uint64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=bool)
    table[keys.view(np.uint64) & mask] = True
    return np.packbits(table, bitorder="little"), mask


def screen_numpy(keys: np.ndarray, row_keys: np.ndarray) -> np.ndarray:
    """Indices of the rows whose key may be among `keys` (every true match, some false ones)."""
    packed, mask = _table(keys)
    slot = row_keys.view(np.uint64) & mask
    return np.flatnonzero((packed[slot >> np.uint64(3)] >> (slot & np.uint64(7)).astype(np.uint8)) & 1)


@cache
def _compiled() -> Any:
    if importlib.util.find_spec("numba") is None:
        return None
    import numba

    @numba.njit(cache=True, nogil=True)
    def kernel(packed: np.ndarray, mask: np.uint64, row_keys: np.ndarray, out: np.ndarray) -> int:
        three, seven, one = np.uint64(3), np.uint64(7), np.uint8(1)  # uint64 with int64 would give floats
        n = 0
        for i in range(row_keys.shape[0]):
            slot = row_keys[i] & mask
            if (packed[slot >> three] >> np.uint8(slot & seven)) & one:
                out[n] = i
                n += 1
        return n

    return kernel


def screen(keys: np.ndarray, row_keys: np.ndarray) -> np.ndarray:
    """`screen_numpy`, through the compiled loop when the run is large and numba is already imported.

    Importing numba and loading the cached kernel costs more than the numpy pass saves on
    any single run a cold process evaluates (`rankbench evaluate`), so a process that has
    not imported numba for other reasons never pays for it.
    """
    kernel = _compiled() if len(row_keys) >= COMPILED_FROM_ROWS and "numba" in sys.modules else None
    if kernel is None:
        return screen_numpy(keys, row_keys)
    packed, mask = _table(keys)
    out = np.empty(len(row_keys), dtype=np.int64)
    n = kernel(packed, mask, row_keys.view(np.uint64), out)
    return out[:n].copy()
