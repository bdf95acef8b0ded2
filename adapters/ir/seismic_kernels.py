"""Compiled loops of the Seismic-style index (numba): block summaries and block-skipping search.

Both loops are sequential by nature (a block is skipped against the heap filled so far), so
they run as compiled code over flat CSR arrays; the adapter in `seismic.py` owns the layout.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def block_summaries(
    block_ptr: np.ndarray,
    block_docs: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    vocab: int,
    energy: float,
    fill: bool,
    out_ptr: np.ndarray,
    out_terms: np.ndarray,
    out_vals: np.ndarray,
) -> None:
    """Coordinate-wise max of each block's documents, keeping the largest entries holding `energy` of its mass.

    With `fill` False only the sizes are written to `out_ptr[b + 1]` (first pass); with `fill`
    True `out_ptr` holds the offsets and the entries are written (second pass).
    """
    scratch = np.zeros(vocab, dtype=np.float32)
    touched = np.empty(vocab, dtype=np.int64)
    for b in range(len(block_ptr) - 1):
        n = 0
        for j in range(block_ptr[b], block_ptr[b + 1]):
            d = block_docs[j]
            for p in range(indptr[d], indptr[d + 1]):
                t = indices[p]
                if scratch[t] == 0.0:
                    touched[n] = t
                    n += 1
                if data[p] > scratch[t]:
                    scratch[t] = data[p]
        terms = touched[:n]
        vals = scratch[terms]
        order = np.argsort(-vals, kind="mergesort")
        total = vals.sum()
        keep = n
        if energy < 1.0:
            acc = 0.0
            for i in range(n):
                acc += vals[order[i]]
                if acc >= energy * total:
                    keep = i + 1
                    break
        if fill:
            base = out_ptr[b]
            kept = np.sort(terms[order[:keep]])
            for i in range(keep):
                out_terms[base + i] = kept[i]
                out_vals[base + i] = scratch[kept[i]]
        else:
            out_ptr[b + 1] = keep
        for i in range(n):
            scratch[terms[i]] = 0.0


@numba.njit(cache=True)
def _sift_down(scores: np.ndarray, ids: np.ndarray, size: int, i: int) -> None:
    while True:
        left = 2 * i + 1
        smallest = i
        if left < size and scores[left] < scores[smallest]:
            smallest = left
        if left + 1 < size and scores[left + 1] < scores[smallest]:
            smallest = left + 1
        if smallest == i:
            return
        scores[i], scores[smallest] = scores[smallest], scores[i]
        ids[i], ids[smallest] = ids[smallest], ids[i]
        i = smallest


@numba.njit(cache=True)
def _push(scores: np.ndarray, ids: np.ndarray, size: int, score: float, doc: int) -> int:
    """Min-heap of the best `len(scores)` documents; returns the new size."""
    k = len(scores)
    if size < k:
        i = size
        scores[i], ids[i] = score, doc
        while i > 0:
            parent = (i - 1) // 2
            if scores[parent] <= scores[i]:
                break
            scores[i], scores[parent] = scores[parent], scores[i]
            ids[i], ids[parent] = ids[parent], ids[i]
            i = parent
        return size + 1
    if score > scores[0]:
        scores[0], ids[0] = score, doc
        _sift_down(scores, ids, k, 0)
    return size


@numba.njit(cache=True)
def search(
    q_indptr: np.ndarray,
    q_indices: np.ndarray,
    q_data: np.ndarray,
    k: int,
    query_cut: float,
    heap_factor: float,
    vocab: int,
    n_docs: int,
    term_ptr: np.ndarray,
    block_ptr: np.ndarray,
    block_docs: np.ndarray,
    sum_ptr: np.ndarray,
    sum_terms: np.ndarray,
    sum_vals: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k per query; a block is scanned only if `heap_factor * <q, summary>` beats the heap minimum.

    Returns (doc indices, scores, documents scored per query); missing hits are -1 / 0.
    """
    n_q = len(q_indptr) - 1
    out_ids = np.full((n_q, k), -1, dtype=np.int64)
    out_scores = np.zeros((n_q, k), dtype=np.float32)
    evaluated = np.zeros(n_q, dtype=np.int64)
    dense = np.zeros(vocab, dtype=np.float32)
    visited = np.zeros(n_docs, dtype=np.bool_)
    seen = np.empty(n_docs, dtype=np.int64)
    heap_s = np.empty(k, dtype=np.float32)
    heap_i = np.empty(k, dtype=np.int64)
    for qi in range(n_q):
        lo, hi = q_indptr[qi], q_indptr[qi + 1]
        terms = q_indices[lo:hi]
        weights = q_data[lo:hi]
        for i in range(hi - lo):
            dense[terms[i]] = weights[i]
        order = np.argsort(-weights, kind="mergesort")
        n_terms = hi - lo
        n_cut = min(n_terms, max(1, int(np.ceil(query_cut * n_terms)))) if n_terms else 0
        size = 0
        n_seen = 0
        for oi in range(n_cut):
            t = terms[order[oi]]
            for b in range(term_ptr[t], term_ptr[t + 1]):
                if size == k:
                    bound = 0.0
                    for p in range(sum_ptr[b], sum_ptr[b + 1]):
                        bound += dense[sum_terms[p]] * sum_vals[p]
                    if bound * heap_factor < heap_s[0]:
                        continue
                for j in range(block_ptr[b], block_ptr[b + 1]):
                    d = block_docs[j]
                    if visited[d]:
                        continue
                    visited[d] = True
                    seen[n_seen] = d
                    n_seen += 1
                    score = np.float32(0.0)
                    for p in range(indptr[d], indptr[d + 1]):
                        score += dense[indices[p]] * data[p]
                    if score > 0.0:
                        size = _push(heap_s, heap_i, size, score, d)
        order_h = np.argsort(-heap_s[:size], kind="mergesort")
        for r in range(size):
            out_ids[qi, r] = heap_i[order_h[r]]
            out_scores[qi, r] = heap_s[order_h[r]]
        evaluated[qi] = n_seen
        for i in range(n_seen):
            visited[seen[i]] = False
        for i in range(hi - lo):
            dense[terms[i]] = 0.0
    return out_ids, out_scores, evaluated
