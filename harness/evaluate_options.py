"""The arguments and options of `rankbench evaluate`, defined once.

Two parsers read them: the full command line (typer, `cli.evaluate_cmd`) builds its options and help
from them, and the lean single-run path (`measures.evaluate_files.command`, argparse, started without
typer or rich) builds its parser from those marked `lean`. The standard library only, so the lean
path's cold start pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["list", "flag", "value"]


@dataclass(frozen=True, kw_only=True)
class Option:
    """One option: its flags (long name first), help, how it takes values, and whether the lean path takes it.

    `list` repeats (`-m AP -m P@10`), `flag` is a switch, `value` takes one value (its default is in
    `VALUE_DEFAULTS`).
    """

    flags: tuple[str, ...]
    help: str
    kind: Kind
    lean: bool


QRELS_HELP = "qrels: TREC (qid iter docno rel) or BEIR tsv/jsonl; - reads standard input"
RUNS_HELP = "TREC run files (qid Q0 docno rank score tag), plain or gzip; - and pipes such as <(zcat run.gz) work"

OPTIONS: dict[str, Option] = {
    "measure": Option(flags=("--measure", "-m"), help="e.g. nDCG@10, AP, P(rel=2)@5", kind="list", lean=True),
    "per_query": Option(flags=("--per-query", "-q"), help="also print every query's values", kind="flag", lean=True),
    "fmt": Option(flags=("--format",), help="text (trec_eval layout) | json", kind="value", lean=True),
    "missing_as_zero": Option(
        flags=("--missing-as-zero", "-c"),
        help="qrels queries absent from the run count 0 (trec_eval -c)",
        kind="flag",
        lean=True,
    ),
    "compare": Option(
        flags=("--compare",),
        help="paired tests of every run against the first, as `compare` does",
        kind="flag",
        lean=False,
    ),
    "alpha": Option(flags=("--alpha",), help="with --compare: family-wise error rate (Holm)", kind="value", lean=False),
    "test": Option(flags=("--test",), help="with --compare: randomization | t", kind="value", lean=False),
}
"""By the parameter name of `cli.evaluate_cmd` (and the lean parser's `dest`)."""

DEFAULT_FORMAT = "text"
DEFAULT_ALPHA = 0.05
DEFAULT_TEST = "randomization"
VALUE_DEFAULTS: dict[str, str | float] = {"fmt": DEFAULT_FORMAT, "alpha": DEFAULT_ALPHA, "test": DEFAULT_TEST}
"""The defaults of the `value` options; `list` options default to none, `flag` options to off."""
