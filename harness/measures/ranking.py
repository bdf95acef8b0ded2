"""Ranking measures over the array layout of `Run` and `Qrels`, with trec_eval's semantics.

Vectorised: every run row gets its query index, rank and judged label through one hash
join (pandas factorize + searchsorted), then each measure is a weighted `bincount`.
Semantics follow trec_eval: rows ordered by score desc, then doc id desc; queries averaged
are those in both run and qrels unless `missing_as_zero` (trec_eval -c); a query whose
qrels hold no relevant document scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rankbench.harness.errors import BadInput
from rankbench.harness.measures.grammar import Measure, parse_measures
from rankbench.harness.records import Qrels, Run


@dataclass(frozen=True)
class _Joined:
    n_queries: int
    query_ids: np.ndarray
    row_query: np.ndarray  # eval-query index of each kept run row
    row_rank: np.ndarray  # zero-based rank within its query
    row_label: np.ndarray  # label of the row, 0 when unjudged
    row_judged: np.ndarray  # bool
    qrel_query: np.ndarray  # eval-query index of each qrels row (-1 if not evaluated)
    qrel_label: np.ndarray


def _join(run: Run, qrels: Qrels, missing_as_zero: bool) -> _Joined:
    qrel_queries = qrels.query_set()
    eval_ids = qrel_queries if missing_as_zero else np.intersect1d(run.query_ids, qrel_queries)
    index = pd.Index(eval_ids)
    run_q = index.get_indexer(run.query_ids)[run.row_query_index()] if len(run.doc_ids) else np.zeros(0, int)
    keep = run_q >= 0
    row_query = run_q[keep]
    row_rank = run.ranks()[keep]
    row_docs = run.doc_ids[keep]
    qrel_query = index.get_indexer(qrels.query_ids)

    codes, uniques = pd.factorize(np.concatenate([row_docs, qrels.doc_ids]))
    n_docs = max(len(uniques), 1)
    run_keys = row_query.astype(np.int64) * n_docs + codes[: len(row_docs)]
    qmask = qrel_query >= 0
    qrel_keys = qrel_query[qmask].astype(np.int64) * n_docs + codes[len(row_docs) :][qmask]
    order = np.argsort(qrel_keys, kind="stable")
    sorted_keys = qrel_keys[order]
    pos = np.searchsorted(sorted_keys, run_keys)
    pos_clipped = np.minimum(pos, max(len(sorted_keys) - 1, 0))
    judged = (
        (pos < len(sorted_keys)) & (sorted_keys[pos_clipped] == run_keys)
        if len(sorted_keys)
        else np.zeros(len(run_keys), bool)
    )
    labels = np.where(judged, qrels.labels[qmask][order][pos_clipped] if len(sorted_keys) else 0, 0)
    return _Joined(len(eval_ids), eval_ids, row_query, row_rank, labels, judged, qrel_query, qrels.labels)


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


def _compute(j: _Joined, m: Measure) -> np.ndarray:
    k = m.cutoff
    in_k = j.row_rank < k if k is not None else np.ones(len(j.row_rank), bool)
    rel = (j.row_label >= m.rel).astype(np.float64)
    name = m.name
    if name == "nDCG":
        gain = np.where(j.row_label > 0, j.row_label, 0).astype(np.float64)
        dcg = _per_query(j, gain / np.log2(j.row_rank + 2.0), in_k)
        return _safe_div(dcg, _ideal_dcg(j, k))
    if name == "P":
        return _per_query(j, rel, in_k) / k
    if name == "R":
        return _safe_div(_per_query(j, rel, in_k), _num_rel(j, m.rel))
    if name == "nRecall":
        return _safe_div(_per_query(j, rel, in_k), np.minimum(_num_rel(j, m.rel), k))
    if name in ("Success", "HR"):
        return (_per_query(j, rel, in_k) > 0).astype(np.float64)
    if name == "Judged":
        return _per_query(j, j.row_judged.astype(np.float64), in_k) / k
    if name == "RR":
        cand = np.where((rel > 0) & in_k, j.row_rank, np.iinfo(np.int64).max)
        first = np.full(j.n_queries, np.iinfo(np.int64).max)
        np.minimum.at(first, j.row_query, cand)
        hit = first < np.iinfo(np.int64).max
        return np.where(hit, 1.0 / (np.where(hit, first, 0) + 1.0), 0.0)
    if name == "AP":
        relk = rel * in_k
        order = np.lexsort((j.row_rank, j.row_query))
        q_sorted, r_sorted = j.row_query[order], relk[order]
        csum = np.cumsum(r_sorted)
        starts = np.searchsorted(q_sorted, np.arange(j.n_queries))
        before = np.concatenate([[0.0], csum])[starts][q_sorted]
        hits_so_far = csum - before
        prec = hits_so_far / (j.row_rank[order] + 1.0)
        return _safe_div(np.bincount(q_sorted, prec * r_sorted, minlength=j.n_queries), _num_rel(j, m.rel))
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
    frame = pd.DataFrame({str(m): _compute(joined, m) for m in parsed}, index=pd.Index(joined.query_ids))
    frame.index.name = "query_id"
    return frame
