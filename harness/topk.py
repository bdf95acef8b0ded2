"""Row-wise top-k of a dense score matrix: the one selection every ranker and measure uses.

`topk_rows(scores, k)` returns exactly the first k columns of a stable descending sort of
each row, `np.argsort(-scores, axis=1, kind="stable")[:, :k]`: best first, equal scores in
column order (lower index first), also at the cut, so which of several tied items makes the
top k never depends on the selection algorithm. NaN sorts last, as in that reference.

The work is a partial selection (`np.argpartition`, or torch's radix top-k for wide rows and
small k when torch is already loaded: the faster of the two there, `benchmarks/topk.py`), one
pass over the matrix to find the rows whose k-th score is tied across the cut (those rows
are then resolved one linear scan each), and a sort of the k selected entries per row.
"""

from __future__ import annotations

import sys

import numpy as np

# torch.topk beats np.argpartition on rows at least this wide, when k is a small fraction of them
_TORCH_MIN_WIDTH = 32768
_TORCH_MAX_K_FRACTION = 1 / 256


def _select(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(columns, values) of some k largest entries per row: any order, any choice among ties at the cut."""
    n_cols = scores.shape[1]
    torch = sys.modules.get("torch")
    if torch is not None and n_cols >= _TORCH_MIN_WIDTH and k <= n_cols * _TORCH_MAX_K_FRACTION:
        block = np.ascontiguousarray(scores)
        block = block if block.flags.writeable else block.copy()  # torch warns on read-only memory
        values, idx = torch.topk(torch.from_numpy(block), k, dim=1, sorted=False)
        return idx.numpy(), values.numpy()
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return part, np.take_along_axis(scores, part, axis=1)


def _first_k(row: np.ndarray, kth: float, k: int) -> np.ndarray:
    """The first k columns of a stable descending sort of one row whose k-th value is `kth`: O(len(row))."""
    if np.isnan(kth):
        return np.argsort(-row, kind="stable")[:k]
    above = np.flatnonzero(row > kth)
    return np.concatenate([above, np.flatnonzero(row == kth)[: k - len(above)]])


def topk_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) of the `k` highest scores of every row, best first, ties by lower column.

    `scores` is an (n_rows, n_cols) array; both outputs are (n_rows, min(k, n_cols)), indices
    int64, values in the dtype of `scores`. Raises ValueError when `scores` is not 2-d or k < 0.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"top-k needs a 2-d score matrix, got shape {scores.shape}")
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    k = min(k, scores.shape[1])
    if k == 0 or scores.shape[0] == 0:
        return np.zeros((scores.shape[0], k), np.int64), np.zeros((scores.shape[0], k), scores.dtype)
    if k == scores.shape[1]:
        part, top = np.broadcast_to(np.arange(k), scores.shape), scores
    else:
        part, top = _select(scores, k)
        part = part.astype(np.int64, copy=False)
        # every entry above the k-th score is selected; the choice is ambiguous only where more
        # than k entries reach it (a tie across the cut) or where NaN made it in
        kth = top.min(axis=1)
        reach = (scores >= kth[:, None]).view(np.uint8).sum(axis=1, dtype=np.int64)
        for row in np.flatnonzero((reach > k) | np.isnan(kth)).tolist():
            part[row] = _first_k(scores[row], kth[row], k)
            top[row] = scores[row, part[row]]
    order = np.argsort(-top, axis=1, kind="stable")
    idx, values = np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)
    if k < scores.shape[1]:  # the selection is not in column order: equal scores (or NaNs) to the lower column
        tied = (values[:, 1:] == values[:, :-1]).any(axis=1) | np.isnan(values[:, -1])
        for row in np.flatnonzero(tied).tolist():
            resort = np.lexsort((idx[row], -values[row]))
            idx[row], values[row] = idx[row, resort], values[row, resort]
    return idx, values


def topk_positive(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`topk_rows`, with index -1 where the score is not positive: a sparse scorer's "no match".

    `Run.from_topk` drops the -1 entries, so documents sharing no term with a query are not retrieved.
    """
    idx, top = topk_rows(scores, k)
    return np.where(top > 0, idx, -1), top
