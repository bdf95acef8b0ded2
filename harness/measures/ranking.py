"""Ranking measures over the array layout of `Run` and `Qrels`, with trec_eval's semantics.

Every measure is a function of the judged rows alone (their query, rank and label) plus the
number of rows retrieved per query, so the join keeps only those: the run's doc ids are hashed
to 64-bit keys once (`Run.row_keys`), a bitmap of the qrels keys screens all run rows in one
pass (`screen.py`), the survivors are looked up in a hash table of the qrels keys and their strings are
compared, so a hash collision can never produce a wrong label. Each measure is then a weighted
`bincount` or a segmented cumulative sum over the judged rows, which stay grouped by query in
rank order.

Semantics follow trec_eval: rows ordered by score desc, then doc id desc, with scores compared
at trec_eval's float32 precision (see `Run`); queries averaged are
those in both run and qrels unless `missing_as_zero` (trec_eval -c); a query whose qrels hold no
relevant document scores 0; `rel=` is trec_eval's relevance level (-l), while nDCG always uses
the graded labels as gains (negative labels gain 0). `Judged@k` is ir_measures' judgment rate:
judged documents in the top k divided by min(k, documents retrieved).

The trec_eval measures follow its source (usnistgov/trec_eval, m_*.c): `bpref` (m_bpref.c; Buckley
& Voorhees, SIGIR 2004), `gm_map` (m_gm_map.c: per query log(max(AP, 1e-5))), `set_P`, `set_recall`,
`set_F` (beta 1), `num_ret`, `num_rel`, `num_rel_ret`, `Rprec_mult_x` (m_Rprec_mult.c: precision at
rank int(x * R + 0.9)) and `iprec_at_recall_x` (m_iprec_at_recall.c: the highest precision at or
below the rank where int(x * R + 0.9) relevant documents have been seen, as in the trec_eval
that pytrec_eval bundles; later trec_eval rounds x * R instead). Negative labels are judged
non-relevant documents throughout (bpref included). `ERR@k` is ir_measures' (its gdeval provider:
Chapelle et al., CIKM 2009): a document of grade g stops the user with probability (2^g - 1) / 2^4,
grades run 0..4 (negative labels gain 0, a larger one is an error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.ids import factorize_grouped, id_words, pair_keys, widen, words_hash
from rankbench.harness.measures.grammar import Measure, parse_measures
from rankbench.harness.measures.screen import screen
from rankbench.harness.records import Qrels, Run

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Joined:
    """The judged rows of the run (all that any measure needs), grouped by query in rank order."""

    n_queries: int
    query_ids: np.ndarray
    retrieved: np.ndarray  # rows retrieved per evaluated query
    offsets: np.ndarray  # CSR offsets of the judged rows per evaluated query
    row_query: np.ndarray  # eval-query index of each judged row (non-decreasing)
    row_rank: np.ndarray  # zero-based rank within its query
    row_label: np.ndarray
    qrel_query: np.ndarray  # eval-query index of each qrels row (-1 if not evaluated)
    qrel_label: np.ndarray


class KeyCollision(Exception):
    """Two qrels judgements of one query share a 64-bit key: an exact join on the strings decides."""


def judged_rows_by_words(
    offsets: np.ndarray, row_keys: np.ndarray, row_words: np.ndarray, qrels: Qrels, qrel_runq: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`JudgedRows` of a ranked run given by CSR `offsets` over its rows, each row's key
    (`pair_keys(query index, words_hash(words))`) and its doc id's byte words (`ids.byte_words`).

    A bitmap of the qrels keys screens every row (`screen.py`); the survivors are looked up among
    the sorted qrels keys, and their words compared, so a hash collision never gives a wrong label.
    Raises `KeyCollision` when two judgements of a query share a key.
    """
    sub = np.flatnonzero(qrel_runq >= 0)
    qq, qwords = qrel_runq[sub], id_words(qrels.doc_ids[sub], row_words.shape[1])
    qkeys = pair_keys(qq, words_hash(qwords))
    key_order = np.argsort(qkeys)
    sorted_keys = qkeys[key_order]
    if np.any(sorted_keys[1:] == sorted_keys[:-1]):
        raise KeyCollision
    rows = screen(qkeys, row_keys)
    candidates = row_keys[rows]
    at = np.minimum(np.searchsorted(sorted_keys, candidates), max(len(sorted_keys) - 1, 0))
    found = sorted_keys[at] == candidates if len(sorted_keys) else np.zeros(len(rows), bool)
    rows, pos = rows[found], key_order[at[found]]
    row_query = np.searchsorted(offsets, rows, side="right") - 1
    same = (row_query == qq[pos]) & np.all(widen(row_words[rows], qwords.shape[1]) == qwords[pos], axis=1)
    return rows[same], row_query[same], sub[pos[same]]


def _judged_rows(run: Run, qrels: Qrels, qrel_runq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(run rows, their run-query index, qrels rows) of every judged (query, doc) the run retrieved."""
    try:
        return judged_rows_by_words(run.offsets, run.row_keys(), run.row_words(), qrels, qrel_runq)
    except KeyCollision:  # a 64-bit collision inside the qrels: join on the strings
        import pandas as pd

        sub = np.flatnonzero(qrel_runq >= 0)
        qdocs, qq = qrels.doc_ids[sub], qrel_runq[sub]
        codes, _ = pd.factorize(np.concatenate([qdocs, run.doc_ids]))
        n = int(codes.max()) + 1
        exact = pd.Index(qq.astype(np.int64) * n + codes[: len(sub)])
        pos = exact.get_indexer(run.row_query_index().astype(np.int64) * n + codes[len(sub) :])
        rows = np.flatnonzero(pos >= 0)
        return rows, qq[pos[rows]], sub[pos[rows]]


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Index of each of `ids` in the sorted unique `sorted_ids`, or -1 (numpy only: no string Index)."""
    if len(sorted_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == ids, pos, -1).astype(np.int64)


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


def _join(run: Run, qrels: Qrels, missing_as_zero: bool) -> Joined:
    run = _by_query_id(run)
    return join_judged(
        run.query_ids, run.offsets, qrels, missing_as_zero, lambda qrel_runq: _judged_rows(run, qrels, qrel_runq)
    )


JudgedRows = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""f(run-query index of each qrels row, or -1) -> (run rows, their run-query index, qrels rows) of
every judged (query, doc) the run retrieved; run rows index the rows in rank order."""


def join_judged(
    query_ids: np.ndarray, offsets: np.ndarray, qrels: Qrels, missing_as_zero: bool, judged_rows: JudgedRows
) -> Joined:
    """The judged rows of a ranked run (sorted unique `query_ids`, CSR `offsets` over its rows in
    rank order), grouped by evaluated query; `judged_rows` finds them (`JudgedRows`)."""
    qrel_codes, qrel_queries = factorize_grouped(qrels.query_ids)
    eval_ids = qrel_queries if missing_as_zero else np.intersect1d(query_ids, qrel_queries, assume_unique=True)
    run_to_eval = _positions(eval_ids, query_ids)
    retrieved = np.zeros(len(eval_ids), dtype=np.int64)
    kept = run_to_eval >= 0
    retrieved[run_to_eval[kept]] = np.diff(offsets)[kept]
    rows, runq, qrow = judged_rows(_positions(query_ids, qrel_queries)[qrel_codes])
    evq = run_to_eval[runq]
    rows, runq, qrow, evq = rows[evq >= 0], runq[evq >= 0], qrow[evq >= 0], evq[evq >= 0]
    # query_ids and eval_ids are both sorted, so judged rows stay grouped by eval query.
    eval_offsets = np.zeros(len(eval_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(evq, minlength=len(eval_ids)), out=eval_offsets[1:])
    return Joined(
        len(eval_ids),
        eval_ids,
        retrieved,
        eval_offsets,
        evq,
        rows - offsets[runq],
        qrels.labels[qrow],
        _positions(eval_ids, qrel_queries)[qrel_codes],
        qrels.labels,
    )


def _per_query(j: Joined, weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    if mask is not None:
        return np.bincount(j.row_query[mask], weights[mask], minlength=j.n_queries)
    return np.bincount(j.row_query, weights, minlength=j.n_queries)


def _num_rel(j: Joined, rel: int) -> np.ndarray:
    m = (j.qrel_query >= 0) & (j.qrel_label >= rel)
    return np.bincount(j.qrel_query[m], minlength=j.n_queries).astype(np.float64)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def _ideal_dcg(j: Joined, k: int | None) -> np.ndarray:
    m = (j.qrel_query >= 0) & (j.qrel_label > 0)
    q, g = j.qrel_query[m], j.qrel_label[m].astype(np.float64)
    order = np.lexsort((-g, q))
    q, g = q[order], g[order]
    starts = np.searchsorted(q, np.arange(j.n_queries))
    rank = np.arange(len(q)) - starts[q]
    keep = rank < k if k is not None else np.ones(len(q), bool)
    return np.bincount(q[keep], g[keep] / np.log2(rank[keep] + 2.0), minlength=j.n_queries)


def _in_cutoff(j: Joined, k: int | None) -> np.ndarray | None:
    return None if k is None else j.row_rank < k


def _retrieved(j: Joined, k: int | None) -> np.ndarray:
    counts = j.retrieved.astype(np.float64)
    return counts if k is None else np.minimum(counts, k)


def _compute(j: Joined, m: Measure, cache: dict[object, np.ndarray]) -> np.ndarray:
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
        return _safe_div(_per_query(j, np.ones(len(j.row_query)), in_k), _retrieved(j, k))
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
    if name in ("num_ret", "num_rel", "num_rel_ret", "set_P", "set_recall", "set_F"):
        return _set_measure(j, name, rel, m.rel)
    if name == "gm_map":
        return np.log(np.maximum(_compute(j, Measure("AP", None, m.rel), cache), 1e-5))
    if name == "bpref":
        return _bpref(j, rel, m.rel)
    if name == "Rprec_mult":
        assert m.level is not None
        cut = np.floor(m.level * _num_rel(j, m.rel) + 0.9)
        return _safe_div(_per_query(j, rel, j.row_rank < cut[j.row_query]), cut)
    if name == "iprec_at_recall":
        assert m.level is not None
        return _iprec_at_recall(j, rel, m.rel, m.level)
    if name == "ERR":
        return _err(j, in_k)
    raise BadInput(f"measure {m} is not a ranking measure")


def _set_measure(j: Joined, name: str, rel: np.ndarray, level: int) -> np.ndarray:
    """trec_eval's set measures (m_num_ret.c, m_num_rel.c, m_num_rel_ret.c, m_set_P.c, m_set_recall.c, m_set_F.c)."""
    if name == "num_ret":
        return j.retrieved.astype(np.float64)
    num_rel = _num_rel(j, level)
    if name == "num_rel":
        return num_rel
    rel_ret = _per_query(j, rel)
    if name == "num_rel_ret":
        return rel_ret
    precision, recall = _safe_div(rel_ret, j.retrieved.astype(np.float64)), _safe_div(rel_ret, num_rel)
    if name == "set_P":
        return precision
    if name == "set_recall":
        return recall
    return _safe_div(2.0 * precision * recall, precision + recall)  # set_F, beta = 1


def _segment_cumsum(j: Joined, values: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of `values` (one per judged row) restarting at each query."""
    csum = np.cumsum(values)
    return csum - np.concatenate([[0.0], csum])[j.offsets[:-1]][j.row_query]


def _bpref(j: Joined, rel: np.ndarray, level: int) -> np.ndarray:
    """trec_eval bpref: each relevant retrieved document adds 1 - min(n, R) / min(N, R), n the judged
    non-relevant documents ranked above it, N those in the qrels, R the relevant ones; divided by R."""
    nonrel = 1.0 - rel
    above = _segment_cumsum(j, nonrel) - nonrel
    num_rel = _num_rel(j, level)
    judged = j.qrel_query >= 0
    num_nonrel = np.bincount(j.qrel_query[judged], j.qrel_label[judged] < level, minlength=j.n_queries)
    r, n = num_rel[j.row_query], num_nonrel[j.row_query].astype(np.float64)
    gain = 1.0 - _safe_div(np.minimum(above, r), np.minimum(n, r))
    return _safe_div(_per_query(j, gain, rel > 0), num_rel)


def _iprec_at_recall(j: Joined, rel: np.ndarray, level: int, recall: float) -> np.ndarray:
    """trec_eval iprec_at_recall_x: with c = int(x * R + 0.9), the highest precision at or below
    the rank of the c-th relevant document retrieved (the first's when c = 0); 0 when fewer than c
    relevant documents are retrieved."""
    hits = np.flatnonzero(rel > 0)
    q = j.row_query[hits]
    count = _segment_cumsum(j, rel)[hits]  # the k of the k-th relevant retrieved
    precision = count / (j.row_rank[hits] + 1.0)
    # suffix maximum within each query: reversed, each query lifted above all before it, running max;
    # the row holding each running max is looked up so that the value returned is an exact precision
    keys = precision[::-1] + 4.0 * (j.n_queries - q[::-1])
    running = np.maximum.accumulate(keys) if len(keys) else keys
    holder = np.maximum.accumulate(np.where(running == keys, np.arange(len(keys)), 0)) if len(keys) else hits
    best = precision[::-1][holder][::-1]
    wanted = np.floor(recall * _num_rel(j, level) + 0.9)  # as pytrec_eval's trec_eval; later ones round
    rel_ret = np.bincount(q, minlength=j.n_queries)
    target = np.maximum(wanted, 1.0)[q]
    out = np.zeros(j.n_queries)
    at = count == target
    out[q[at]] = best[at]
    out[wanted > rel_ret] = 0.0
    return out


def _err(j: Joined, in_k: np.ndarray | None) -> np.ndarray:
    """ERR (ir_measures via gdeval): sum over ranks i of R_i / i * prod_{j<i} (1 - R_j), R = (2^g - 1) / 16."""
    grade = np.maximum(j.row_label, 0)
    if len(grade) and grade.max() > 4:
        raise BadInput(f"ERR takes grades 0..4 (gdeval, ir_measures); the qrels hold a label {int(grade.max())}")
    stop = (np.exp2(grade) - 1.0) / 16.0
    log_stay = np.log1p(-stop)
    reach = np.exp(_segment_cumsum(j, log_stay) - log_stay)  # probability of reaching each judged row
    return _per_query(j, stop * reach / (j.row_rank + 1.0), in_k)


def _examples(ids: np.ndarray, n: int = 3) -> str:
    shown = ", ".join(repr(str(x)) for x in ids[:n])
    return f"{len(ids)} queries: {shown}{', ...' if len(ids) > n else ''}"


def check_overlap(run: Run, qrels: Qrels) -> None:
    """Raise `BadInput` (one line) when the run is empty or shares no query id with the qrels.

    trec_eval stops on both ("No queries with both results and relevance info"); an average
    over no query, or over queries all counted 0 by `-c`, is never a meaningful result. The
    message shows a few ids of each side, since the usual cause is `q1` in one and `1` in the other.
    """
    check_overlap_ids(run.query_ids, len(run.doc_ids), qrels)


def check_overlap_ids(query_ids: np.ndarray, n_rows: int, qrels: Qrels) -> None:
    """`check_overlap` for a run given by its sorted unique query ids and its number of rows."""
    qrel_queries = qrels.query_set()
    if n_rows == 0:
        raise BadInput(
            f"the run is empty: it ranks no document for any query (the qrels judge {_examples(qrel_queries)})"
        )
    if len(np.intersect1d(query_ids, qrel_queries, assume_unique=True)) == 0:
        raise BadInput(
            f"the run and the qrels share no query id: run has {_examples(query_ids)}; "
            f"qrels have {_examples(qrel_queries)} (ids are compared as text: 'q1' is not '1', '01' is not '1')"
        )


def evaluate_arrays(
    run: Run, qrels: Qrels, measures: Sequence[Measure | str] | str, *, missing_as_zero: bool = False
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`evaluate` without pandas: (evaluated query ids, sorted; {measure name: per-query values}).

    Raises `BadInput` as `evaluate` does.
    """
    parsed = parse_measures(measures)
    check_overlap(run, qrels)
    return measure_joined(_join(run, qrels, missing_as_zero), parsed)


def measure_joined(joined: Joined, measures: Sequence[Measure]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(evaluated query ids, {measure name: per-query values}) of the judged rows `joined`."""
    cache: dict[object, np.ndarray] = {}
    return joined.query_ids, {str(m): _compute(joined, m, cache) for m in measures}


def evaluate(
    run: Run, qrels: Qrels, measures: Sequence[Measure | str] | str, *, missing_as_zero: bool = False
) -> pd.DataFrame:
    """Per-query values: one row per evaluated query (index `query_id`), one column per measure.

    Raises `BadInput` when the run is empty or shares no query with the qrels (`check_overlap`),
    or when a measure name does not parse.
    """
    import pandas as pd

    query_ids, values = evaluate_arrays(run, qrels, measures, missing_as_zero=missing_as_zero)
    frame = pd.DataFrame(values, index=pd.Index(query_ids))
    frame.index.name = "query_id"
    return frame
