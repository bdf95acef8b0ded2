"""trec_eval on a run read as columns: no string object, Python or numpy, per run row.

`rankbench evaluate` reads a TREC run with pyarrow (`formats.read_trec_run_columns`). Here every
doc id becomes its UTF-8 bytes packed into big-endian 64-bit words straight from pyarrow's buffers
(`ids.byte_words`): equal ids have equal words, and comparing the words of two rows left to right
compares the ids' bytes, which is trec_eval's order (C `strcmp`) and numpy's code point order
(UTF-8 keeps it). The rows are then ranked, checked and joined to the qrels by the same code as a
`Run` (`records.trec_eval_order`, `ranking.judged_rows_by_words`), so every measure is computed
from the same judged rows; only no string array of the run's ids is ever built, which costs more
than ranking, joining and measuring together on a run of a few million rows (`benchmarks/measures.py`).

A file this path does not take — a document listed twice for a query, a 64-bit key shared by
two qrels judgements — returns None, and the caller reads the run as a `Run` (which names the
line of a repeated document).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rankbench.harness.formats import RunColumns
from rankbench.harness.ids import byte_words, n_words, pair_keys, words_hash
from rankbench.harness.measures.grammar import Measure
from rankbench.harness.measures.ranking import KeyCollision, join_judged, judged_rows_by_words, measure_joined
from rankbench.harness.records import Qrels, trec_eval_order, trec_eval_scores


def evaluate_run_columns(
    columns: RunColumns, qrels: Qrels, measures: Sequence[Measure], missing_as_zero: bool = False
) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """(evaluated query ids, {measure: per-query values}) as `evaluate_arrays` gives for the same run,
    or None when the run must be read as a `Run` (see the module's docstring).

    The caller has checked that the run has rows and shares a query with the qrels (`check_overlap_ids`).
    """
    q_codes = columns.query_codes
    longest = int(np.diff(columns.doc_offsets).max(initial=0))
    words = byte_words(columns.doc_offsets, columns.doc_bytes, n_words(longest))
    keys = pair_keys(q_codes, words_hash(words))
    if np.any(np.diff(np.sort(keys)) == 0):  # a document listed twice (or a key collision): the Run decides
        return None
    order = trec_eval_order(q_codes, trec_eval_scores(columns.scores), words)
    offsets = np.zeros(len(columns.query_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(q_codes, minlength=len(columns.query_ids)), out=offsets[1:])
    ranked_words, ranked_keys = words[order], keys[order]
    try:
        joined = join_judged(
            columns.query_ids,
            offsets,
            qrels,
            missing_as_zero,
            lambda qrel_runq: judged_rows_by_words(offsets, ranked_keys, ranked_words, qrels, qrel_runq),
        )
    except KeyCollision:
        return None
    return measure_joined(joined, measures)
