"""Ranking measures over the array layout of `Run` and `Qrels`, with trec_eval's semantics.

Vectorised in one pass: every run row gets its query index, rank and judged label through
one join, then each measure is a weighted `bincount` or a segmented cumulative sum over the
rows, which `Run` already keeps grouped by query and ordered by rank. The join hashes the
fixed-width id strings to 64-bit keys with a few array operations (no Python objects), looks
them up in a hash table of the qrels keys and then compares the matched strings, so a hash
collision can never produce a wrong label.

Semantics follow trec_eval: rows ordered by score desc, then doc id desc; queries averaged are
those in both run and qrels unless `missing_as_zero` (trec_eval -c); a query whose qrels hold no
relevant document scores 0; `rel=` is trec_eval's relevance level (-l), while nDCG always uses
the graded labels as gains (negative labels gain 0). `Judged@k` is ir_measures' judgment rate:
judged documents in the top k divided by min(k, documents retrieved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rankbench.harness.errors import BadInput
from rankbench.harness.measures.grammar import Measure, parse_measures
from rankbench.harness.records import Qrels, Run

_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class _Joined:
    n_queries: int
    query_ids: np.ndarray
    offsets: np.ndarray  # CSR offsets of the kept rows per evaluated query
    row_query: np.ndarray  # eval-query index of each kept run row (non-decreasing)
    row_rank: np.ndarray  # zero-based rank within its query
    row_label: np.ndarray  # label of the row, 0 when unjudged
    row_judged: np.ndarray  # bool
    qrel_query: np.ndarray  # eval-query index of each qrels row (-1 if not evaluated)
    qrel_label: np.ndarray


def _string_hash(values: np.ndarray, width: int) -> np.ndarray:
    """A 64-bit hash per string, computed column by column over the fixed-width code points."""
    width = max(width + width % 2, 2)  # two code points per 64-bit word
    arr = np.ascontiguousarray(values.astype(f"<U{width}", copy=False))
    codes = arr.view(np.uint64).reshape(len(arr), -1)
    h = np.full(len(arr), np.uint64(1469598103934665603))
    with np.errstate(over="ignore"):
        for col in range(codes.shape[1]):
            h ^= codes[:, col]
            h *= np.uint64(1099511628211)
            h ^= h >> np.uint64(29)
    return h


def _pair_keys(query_index: np.ndarray, doc_hash: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (doc_hash ^ (query_index.astype(np.uint64) * _MIX)).view(np.int64)


def _lookup(run_docs: np.ndarray, row_query: np.ndarray, qrel_docs: np.ndarray, qrel_query: np.ndarray) -> np.ndarray:
    """For every run row, the position of its (query, doc) in the qrels rows, or -1."""
    width = max(run_docs.dtype.itemsize, qrel_docs.dtype.itemsize) // 4
    qkeys = _pair_keys(qrel_query, _string_hash(qrel_docs, width))
    index = pd.Index(qkeys)
    if not index.is_unique:  # a 64-bit collision inside the qrels: join on the strings themselves
        codes, _ = pd.factorize(np.concatenate([qrel_docs, run_docs]))
        n = int(codes.max()) + 1 if len(codes) else 1
        index = pd.Index(qrel_query.astype(np.int64) * n + codes[: len(qrel_docs)])
        return index.get_indexer(row_query.astype(np.int64) * n + codes[len(qrel_docs) :])
    pos = index.get_indexer(_pair_keys(row_query, _string_hash(run_docs, width)))
    hit = np.flatnonzero(pos >= 0)
    same = (run_docs[hit] == qrel_docs[pos[hit]]) & (row_query[hit] == qrel_query[pos[hit]])
    pos[hit[~same]] = -1
    return pos


def _by_query_id(run: Run) -> Run:
    """The run with its queries in sorted id order (as `Run.from_arrays` builds it)."""
    q = run.query_ids
    if len(q) < 2 or bool(np.all(q[:-1] < q[1:])):
        return run
    order = np.argsort(q, kind="stable")
    lengths = run.lengths[order]
    starts = run.offsets[:-1][order]
    rows = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return Run(q[order], offsets, run.doc_ids[rows], run.scores[rows], run.name)


def _join(run: Run, qrels: Qrels, missing_as_zero: bool) -> _Joined:
    run = _by_query_id(run)
    qrel_queries = qrels.query_set()
    eval_ids = qrel_queries if missing_as_zero else np.intersect1d(run.query_ids, qrel_queries)
    index = pd.Index(eval_ids)
    run_to_eval = index.get_indexer(run.query_ids)
    lengths = run.lengths
    # Run.query_ids and eval_ids are both sorted, so kept rows stay grouped by eval query.
    counts = np.zeros(len(eval_ids), dtype=np.int64)
    kept_q = run_to_eval >= 0
    counts[run_to_eval[kept_q]] = lengths[kept_q]
    offsets = np.zeros(len(eval_ids) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    row_query = np.repeat(np.arange(len(eval_ids), dtype=np.int64), counts)
    if kept_q.all():
        row_docs, row_rank = run.doc_ids, run.ranks()
    else:
        keep = np.repeat(kept_q, lengths)
        row_docs, row_rank = run.doc_ids[keep], run.ranks()[keep]
    qrel_query = index.get_indexer(qrels.query_ids)
    qmask = qrel_query >= 0
    pos = np.full(len(row_docs), -1, dtype=np.int64)
    if qmask.any() and len(row_docs):
        sub = np.flatnonzero(qmask)
        found = _lookup(row_docs, row_query, qrels.doc_ids[sub], qrel_query[sub])
        pos = np.where(found >= 0, sub[np.maximum(found, 0)], -1)
    judged = pos >= 0
    labels = np.where(judged, qrels.labels[np.maximum(pos, 0)] if len(qrels.labels) else 0, 0)
    return _Joined(len(eval_ids), eval_ids, offsets, row_query, row_rank, labels, judged, qrel_query, qrels.labels)


def _per_query(j: _Joined, weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    if mask is not None:
        return np.bincount(j.row_query[mask], weights[mask], minlength=j.n_queries)
    return np.bincount(j.row_query, weights, minlength=j.n_queries)


def _num_rel(j: _Joined, rel: int) -> np.ndarray:
    m = (j.qrel_query >= 0) & (j.qrel_label >= rel)
    return np.bincount(j.qrel_query[m], minlength=j.n_queries).astype(np.float64)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def _ideal_dcg(j: _Joined, k: int | None) -> np.ndarray:
    m = (j.qrel_query >= 0) & (j.qrel_label > 0)
    q, g = j.qrel_query[m], j.qrel_label[m].astype(np.float64)
    order = np.lexsort((-g, q))
    q, g = q[order], g[order]
    starts = np.searchsorted(q, np.arange(j.n_queries))
    rank = np.arange(len(q)) - starts[q]
    keep = rank < k if k is not None else np.ones(len(q), bool)
    return np.bincount(q[keep], g[keep] / np.log2(rank[keep] + 2.0), minlength=j.n_queries)


def _in_cutoff(j: _Joined, k: int | None) -> np.ndarray | None:
    return None if k is None else j.row_rank < k


def _retrieved(j: _Joined, k: int | None) -> np.ndarray:
    counts = np.diff(j.offsets).astype(np.float64)
    return counts if k is None else np.minimum(counts, k)


def _compute(j: _Joined, m: Measure, cache: dict[object, np.ndarray]) -> np.ndarray:
    k = m.cutoff
    in_k = _in_cutoff(j, k)
    rel_key = ("rel", m.rel)
    if rel_key not in cache:
        cache[rel_key] = (j.row_label >= m.rel).astype(np.float64)
    rel = cache[rel_key]
    name = m.name
    if name == "nDCG":
        if "dcg_w" not in cache:
            cache["dcg_w"] = np.maximum(j.row_label, 0) / np.log2(j.row_rank + 2.0)
        return _safe_div(_per_query(j, cache["dcg_w"], in_k), _ideal_dcg(j, k))
    if name == "P":
        return _per_query(j, rel, in_k) / k
    if name == "R":
        return _safe_div(_per_query(j, rel, in_k), _num_rel(j, m.rel))
    if name == "nRecall":
        return _safe_div(_per_query(j, rel, in_k), np.minimum(_num_rel(j, m.rel), k))
    if name in ("Success", "HR"):
        return (_per_query(j, rel, in_k) > 0).astype(np.float64)
    if name == "Judged":
        return _safe_div(_per_query(j, j.row_judged.astype(np.float64), in_k), _retrieved(j, k))
    if name == "RR":
        hits = rel > 0 if in_k is None else (rel > 0) & in_k
        first = np.flatnonzero(hits)
        q, idx = np.unique(j.row_query[first], return_index=True)
        out = np.zeros(j.n_queries)
        out[q] = 1.0 / (j.row_rank[first[idx]] + 1.0)
        return out
    if name == "AP":
        relk = rel if in_k is None else rel * in_k
        csum = np.cumsum(relk)
        before = np.concatenate([[0.0], csum])[j.offsets[:-1]][j.row_query]
        prec = (csum - before) / (j.row_rank + 1.0)
        return _safe_div(np.bincount(j.row_query, prec * relk, minlength=j.n_queries), _num_rel(j, m.rel))
    if name == "Rprec":
        nrel = _num_rel(j, m.rel)
        in_r = j.row_rank < nrel[j.row_query]
        return _safe_div(_per_query(j, rel, in_r), nrel)
    raise BadInput(f"measure {m} is not a ranking measure")


def evaluate(
    run: Run, qrels: Qrels, measures: Sequence[Measure | str], *, missing_as_zero: bool = False
) -> pd.DataFrame:
    """Per-query values: one row per evaluated query (index `query_id`), one column per measure."""
    parsed = parse_measures(str(m) for m in measures)
    joined = _join(run, qrels, missing_as_zero)
    cache: dict[object, np.ndarray] = {}
    frame = pd.DataFrame({str(m): _compute(joined, m, cache) for m in parsed}, index=pd.Index(joined.query_ids))
    frame.index.name = "query_id"
    return frame
