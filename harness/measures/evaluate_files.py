"""`rankbench evaluate`: trec_eval on files — TREC or BEIR qrels, a TREC run, per-query or mean values.

Qrels are recognised by their content, not their name (`formats.read_qrels`): four
whitespace-separated columns are TREC (`qid iter docno rel`), three tab-separated columns with a
number last BEIR (`query-id corpus-id score`, header optional), and `.jsonl` BEIR's JSON lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.formats import (
    read_qrels,
    read_trec_run,
    read_trec_run_columns,
    regular_files,
)
from rankbench.harness.measures.columnar import evaluate_run_columns
from rankbench.harness.measures.grammar import aggregate, parse_measure, parse_measures
from rankbench.harness.measures.ranking import check_overlap_ids, evaluate_arrays
from rankbench.harness.records import Qrels

if TYPE_CHECKING:
    import argparse

    from rankbench.harness.comparison import Settings

DEFAULT_MEASURES = ("AP", "nDCG@10", "P@10", "R@100", "RR")


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
    parsed = parse_measures(list(measures) or list(DEFAULT_MEASURES))
    columns = read_trec_run_columns(run_path)
    if columns is not None:  # the run as columns of bytes (no string per row): see `columnar`
        _check_overlap(columns.query_ids, len(columns.scores), qrels, run_path, qrels_path)
        evaluated = evaluate_run_columns(columns, qrels, parsed, missing_as_zero)
        if evaluated is not None:
            query_ids, values = evaluated
            return Evaluation(query_ids, values, columns.name, len(columns.query_ids), len(qrels.query_set()))
    run = read_trec_run(run_path)  # files the columns do not take: the Run names a repeated document's line
    _check_overlap(run.query_ids, len(run.doc_ids), qrels, run_path, qrels_path)
    query_ids, values = evaluate_arrays(run, qrels, parsed, missing_as_zero=missing_as_zero)
    return Evaluation(query_ids, values, run.name, len(run), len(qrels.query_set()))


def _check_overlap(query_ids: np.ndarray, n_rows: int, qrels: Qrels, run_path: Path, qrels_path: Path) -> None:
    try:
        check_overlap_ids(query_ids, n_rows, qrels)
    except BadInput as exc:
        raise BadInput(f"{run_path} against {qrels_path}: {exc}") from None


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


@dataclass(frozen=True, kw_only=True)
class Paired:
    """One measure of one run tested against the first run on the queries both evaluated.

    `delta` = run - first in the measure's per-query units (for gm_map: mean log AP); `p_holm` is
    Holm-adjusted across every row of the comparison; `verdict` as `rankbench compare` gives it.
    """

    run: str
    measure: str
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    n: int
    verdict: str


def run_labels(results: Sequence[Evaluation]) -> list[str]:
    """Column labels: each run's tag (the last column of its file), numbered when tags repeat."""
    names = [r.run_name for r in results]
    return names if len(set(names)) == len(names) else [f"{i + 1}:{n}" for i, n in enumerate(names)]


def compare_runs(results: Sequence[Evaluation], settings: Settings | None = None) -> list[Paired]:
    """Paired tests of every later run against the first (`harness.comparison.paired_tests`), queries
    paired by id; a query one side did not evaluate is left out of that pair. Holm across all rows."""
    import pandas as pd

    from rankbench.harness.comparison import Settings, higher_is_better, paired_tests, verdict
    from rankbench.harness.stats import holm

    settings = settings or Settings()
    frames = [pd.DataFrame(r.values, index=pd.Index(r.query_ids.astype(str))) for r in results]
    tested = []
    for label, frame in zip(run_labels(results)[1:], frames[1:], strict=True):
        ids = frames[0].index.union(frame.index)
        base, head = frames[0].reindex(ids), frame.reindex(ids)
        tested += [(label, t) for t in paired_tests(base, head, list(frame.columns), settings)]
    adjusted = holm(np.array([t.p_value for _, t in tested]))
    return [
        Paired(
            run=label,
            measure=t.measure,
            delta=t.delta,
            ci_low=t.ci_low,
            ci_high=t.ci_high,
            p_value=t.p_value,
            p_holm=float(p),
            n=t.n,
            verdict=verdict(t.delta, float(p), higher_is_better(t.measure), settings.alpha),
        )
        for (label, t), p in zip(tested, adjusted, strict=True)
    ]


def as_table(results: Sequence[Evaluation], compared: Sequence[Paired] = ()) -> str:
    """Several runs in one table: a row per measure, a column per run (tab-separated); with
    `compared`, each later run's column is followed by its delta against the first run and the
    Holm-adjusted p-value, `*` marking a significant change (alpha of the comparison)."""
    labels = run_labels(results)
    by_key = {(p.run, p.measure): p for p in compared}
    extra = ["", ""] if compared else []
    header, num_q = ["measure", labels[0]], ["num_q", str(len(results[0].query_ids))]
    for label, result in zip(labels[1:], results[1:], strict=True):
        header += [label] + (["delta", "p(Holm)"] if compared else [])
        num_q += [str(len(result.query_ids)), *extra]
    lines = ["\t".join(header), "\t".join(num_q)]
    means = [r.means for r in results]
    for measure in results[0].values:
        row = [measure, f"{means[0][measure]:.4f}"]
        for label, mean in zip(labels[1:], means[1:], strict=True):
            row.append(f"{mean[measure]:.4f}")
            if compared:
                p = by_key.get((label, measure))
                mark = "*" if p is not None and p.verdict in ("better", "worse") else ""
                row += [f"{p.delta:+.4f}{mark}", f"{p.p_holm:.4g}"] if p is not None else extra
        lines.append("\t".join(row))
    return "\n".join(lines)


def table_json(results: Sequence[Evaluation], compared: Sequence[Paired] = ()) -> str:
    """The same as JSON: {"runs": [{run, num_q, measures}], "compared": [paired rows]}."""
    from dataclasses import asdict

    runs = [
        {"run": label, "num_q": len(r.query_ids), "measures": r.means}
        for label, r in zip(run_labels(results), results, strict=True)
    ]
    return json.dumps({"runs": runs, "compared": [asdict(p) for p in compared]}, indent=1)


def lean_parser() -> argparse.ArgumentParser:
    """The lean path's parser: `QRELS RUN` and the options marked `lean` in `harness.evaluate_options`.

    It raises `argparse.ArgumentError` where argparse would print its usage and exit.
    """
    import argparse

    from rankbench.harness.evaluate_options import OPTIONS, VALUE_DEFAULTS

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # argparse would print usage and exit
            raise argparse.ArgumentError(None, message)

    parser = Parser(add_help=False, allow_abbrev=False)
    parser.add_argument("qrels", type=Path)
    parser.add_argument("run", type=Path)
    for dest, option in OPTIONS.items():
        if not option.lean:
            continue
        if option.kind == "list":
            parser.add_argument(*option.flags, dest=dest, action="append", default=[])
        elif option.kind == "flag":
            parser.add_argument(*option.flags, dest=dest, action="store_true")
        else:
            parser.add_argument(*option.flags, dest=dest, default=VALUE_DEFAULTS[dest])
    return parser


def command(argv: Sequence[str]) -> int | None:
    """`rankbench evaluate ARGV...` without loading the full command line (typer, rich, plugins).

    Both this and the command line's own `evaluate` (in `cli.py`) build their options from one
    definition (`harness.evaluate_options`); this takes only the single-run form (`QRELS RUN` with
    the options marked `lean`: `-m`, `-q`, `--format`, `-c`), parsed with `argparse`, and returns
    the exit status. It returns None for anything else (several run files,
    `--compare` and its options, `--help`, an unknown option, a missing argument): the full command
    line then handles it, so both paths print the same. Errors print one line, `error: ...`, and
    return `BadInput.exit_code`.
    """
    import argparse
    import sys

    from rankbench.harness.errors import HarnessError, UnknownName
    from rankbench.harness.resources import keep_freed_memory

    if any(a in ("--help", "-h", "--") for a in argv):
        return None
    try:
        args, unknown = lean_parser().parse_known_args(list(argv))
    except argparse.ArgumentError:
        return None
    if unknown:  # a second run file, --compare/--alpha/--test, or an option this path does not know
        return None
    keep_freed_memory()
    writers = {"text": as_text, "json": as_json}
    try:
        if args.fmt not in writers:
            raise UnknownName("output format", args.fmt, list(writers))
        with regular_files([args.qrels, args.run]) as (qrels, run):  # `-` and pipes read once
            result = evaluate_files(qrels, run, args.measure, args.missing_as_zero)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)  # this is the command line's own output
        return exc.exit_code
    print(writers[args.fmt](result, args.per_query))
    return 0
