"""`rankbench evaluate`: trec_eval on files — TREC or BEIR qrels, a TREC run, per-query or mean values.

Qrels are recognised by their content, not their name: four whitespace-separated columns are
TREC (`qid iter docno rel`), three tab-separated columns BEIR (`query-id corpus-id score`,
header optional), and `.jsonl` BEIR's JSON lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.formats import lines, read_beir_qrels, read_trec_qrels, read_trec_run
from rankbench.harness.measures.grammar import aggregate, parse_measure
from rankbench.harness.measures.ranking import check_overlap, evaluate_arrays
from rankbench.harness.records import Qrels

DEFAULT_MEASURES = ("AP", "nDCG@10", "P@10", "R@100", "RR")


def read_qrels(path: Path) -> Qrels:
    """TREC or BEIR qrels, told apart by the first line's columns."""
    if str(path).endswith((".jsonl", ".jsonl.gz")):
        return read_beir_qrels(path)
    first = next((line for _, line in lines(path)), "")
    if not first:
        raise BadInput("qrels file is empty", path=path)
    return read_beir_qrels(path) if len(first.split("\t")) == 3 else read_trec_qrels(path)


@dataclass(frozen=True)
class Evaluation:
    """Per-query values of one run: `values[measure][i]` belongs to `query_ids[i]` (sorted ids)."""

    query_ids: np.ndarray
    values: dict[str, np.ndarray]
    run_name: str
    n_run_queries: int
    n_qrels_queries: int

    @property
    def means(self) -> dict[str, float]:
        """The overall value of each measure: the mean over queries (exp of it for gm_map)."""
        return {m: aggregate(parse_measure(m), v) for m, v in self.values.items()}


def evaluate_files(
    qrels_path: Path, run_path: Path, measures: Sequence[str], missing_as_zero: bool = False
) -> Evaluation:
    """Read qrels (TREC or BEIR) and a TREC run, and evaluate with trec_eval's semantics.

    Raises `BadInput` (one line, naming the files) for malformed files, an empty run, or a run
    that shares no query with the qrels.
    """
    qrels = read_qrels(qrels_path)
    run = read_trec_run(run_path)
    try:
        check_overlap(run, qrels)
    except BadInput as exc:
        raise BadInput(f"{run_path} against {qrels_path}: {exc}") from None
    query_ids, values = evaluate_arrays(
        run, qrels, list(measures) or list(DEFAULT_MEASURES), missing_as_zero=missing_as_zero
    )
    return Evaluation(query_ids, values, run.name, len(run), len(qrels.query_set()))


def as_text(result: Evaluation, per_query: bool) -> str:
    """trec_eval's layout: `measure <tab> query|all <tab> value`, per-query rows first."""
    lines = []
    if per_query:
        columns = {m: v.tolist() for m, v in result.values.items()}
        for i, qid in enumerate(result.query_ids.tolist()):
            lines += [f"{m:<20}\t{qid}\t{v[i]:.4f}" for m, v in columns.items()]
    lines.append(f"{'runid':<20}\tall\t{result.run_name}")
    lines.append(f"{'num_q':<20}\tall\t{len(result.query_ids)}")
    lines += [f"{m:<20}\tall\t{v:.4f}" for m, v in result.means.items()]
    return "\n".join(lines)


def as_json(result: Evaluation, per_query: bool) -> str:
    doc: dict[str, object] = {
        "run": result.run_name,
        "num_q": len(result.query_ids),
        "run_queries": result.n_run_queries,
        "qrels_queries": result.n_qrels_queries,
        "measures": result.means,
    }
    if per_query:
        columns = {m: v.tolist() for m, v in result.values.items()}
        doc["per_query"] = {
            str(q): {m: v[i] for m, v in columns.items()} for i, q in enumerate(result.query_ids.tolist())
        }
    return json.dumps(doc, indent=1)
