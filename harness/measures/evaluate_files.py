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

import pandas as pd

from rankbench.harness.errors import BadInput
from rankbench.harness.formats import lines, read_beir_qrels, read_trec_qrels, read_trec_run
from rankbench.harness.measures.ranking import check_overlap, evaluate
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
    per_query: pd.DataFrame
    run_name: str
    n_run_queries: int
    n_qrels_queries: int

    @property
    def means(self) -> dict[str, float]:
        return {m: float(self.per_query[m].mean()) if len(self.per_query) else 0.0 for m in self.per_query.columns}


def evaluate_files(
    qrels_path: Path, run_path: Path, measures: Sequence[str], missing_as_zero: bool = False
) -> Evaluation:
    qrels = read_qrels(qrels_path)
    run = read_trec_run(run_path)
    try:
        check_overlap(run, qrels)
    except BadInput as exc:
        raise BadInput(f"{run_path} against {qrels_path}: {exc}") from None
    frame = evaluate(run, qrels, list(measures) or list(DEFAULT_MEASURES), missing_as_zero=missing_as_zero)
    return Evaluation(frame, run.name, len(run), len(qrels.query_set()))


def as_text(result: Evaluation, per_query: bool) -> str:
    """trec_eval's layout: `measure <tab> query|all <tab> value`, per-query rows first."""
    lines = []
    if per_query:
        for qid, row in result.per_query.iterrows():
            lines += [f"{m:<20}\t{qid}\t{row[m]:.4f}" for m in result.per_query.columns]
    lines.append(f"{'runid':<20}\tall\t{result.run_name}")
    lines.append(f"{'num_q':<20}\tall\t{len(result.per_query)}")
    lines += [f"{m:<20}\tall\t{v:.4f}" for m, v in result.means.items()]
    return "\n".join(lines)


def as_json(result: Evaluation, per_query: bool) -> str:
    doc: dict[str, object] = {
        "run": result.run_name,
        "num_q": len(result.per_query),
        "run_queries": result.n_run_queries,
        "qrels_queries": result.n_qrels_queries,
        "measures": result.means,
    }
    if per_query:
        doc["per_query"] = {str(q): row.to_dict() for q, row in result.per_query.iterrows()}
    return json.dumps(doc, indent=1)
