"""The measure grammar: one parser, one record per measure, each knowing its direction.

    measure := NAME ["(" key=value ("," key=value)* ")"] ["@" CUTOFF]

Names follow ir_measures (`nDCG`, `AP`, `RR`, `R`, `P`, `Success`, `Rprec`, `Judged`) with
recsys names that have their own definitions (`HR` = hit ratio, `nRecall` = recall normalised
by min(k, |relevant|) as in Liang et al. 2018), CTR measures (`AUC`, `logloss`, `gAUC`) and
latency measures. `MRR` and `Recall` are aliases of `RR` and `R`; `NDCG` of `nDCG`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType

from rankbench.harness.errors import BadInput, UnknownName


@dataclass(frozen=True)
class MeasureSpec:
    """What a measure name means: direction, whether it takes a cutoff, and its kind."""

    name: str
    higher_is_better: bool
    kind: str  # "ranking" | "ctr" | "latency" | "resource"
    cutoff: str = "none"  # "none" | "optional" | "required"
    params: tuple[str, ...] = ()
    description: str = ""
    unit_mean: bool = True  # the aggregate is the mean of the per-unit values


@dataclass(frozen=True)
class Measure:
    """A parsed measure; `str(m)` is its canonical spelling and the key in stored results."""

    name: str
    cutoff: int | None = None
    rel: int = 1
    spec: MeasureSpec | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        text = self.name
        if self.rel != 1:
            text += f"(rel={self.rel})"
        if self.cutoff is not None:
            text += f"@{self.cutoff}"
        return text

    @property
    def higher_is_better(self) -> bool:
        assert self.spec is not None
        return self.spec.higher_is_better


_R, _C, _L = "ranking", "ctr", "latency"
_SPECS = [
    MeasureSpec("nDCG", True, _R, "optional", (), "normalised DCG, trec_eval ndcg_cut (linear gain, log2)"),
    MeasureSpec("AP", True, _R, "optional", ("rel",), "average precision (trec_eval map / map_cut)"),
    MeasureSpec("RR", True, _R, "optional", ("rel",), "reciprocal rank of the first relevant document"),
    MeasureSpec("R", True, _R, "required", ("rel",), "recall: relevant retrieved in top k / all relevant"),
    MeasureSpec("P", True, _R, "required", ("rel",), "precision in the top k (divided by k)"),
    MeasureSpec("Success", True, _R, "required", ("rel",), "1 if any relevant document is in the top k"),
    MeasureSpec("HR", True, _R, "required", ("rel",), "hit ratio (NCF): 1 if the held-out item is in the top k"),
    MeasureSpec(
        "nRecall", True, _R, "required", ("rel",), "recall normalised by min(k, |relevant|) (Liang et al., 2018)"
    ),
    MeasureSpec("Rprec", True, _R, "none", ("rel",), "precision at rank R = number of relevant documents"),
    MeasureSpec("Judged", True, _R, "optional", (), "judged share of the top k (ir_measures judgment rate)"),
    MeasureSpec("AUC", True, _C, description="area under the ROC curve (sklearn roc_auc_score)", unit_mean=False),
    MeasureSpec("gAUC", True, _C, description="impression-weighted mean of per-user AUC", unit_mean=False),
    MeasureSpec("logloss", False, _C, description="binary cross-entropy (sklearn log_loss)"),
    MeasureSpec("latency_p50_ms", False, _L, description="median per-query latency at batch size 1", unit_mean=False),
    MeasureSpec("latency_p95_ms", False, _L, description="95th percentile per-query latency", unit_mean=False),
    MeasureSpec("latency_p99_ms", False, _L, description="99th percentile per-query latency", unit_mean=False),
    MeasureSpec("latency_cv", False, _L, description="coefficient of variation across repeats", unit_mean=False),
    MeasureSpec("qps", True, _L, description="queries per second at a large batch", unit_mean=False),
    MeasureSpec("index_s", False, _L, description="index build (or fit) time in seconds", unit_mean=False),
    MeasureSpec("index_mb", False, "resource", description="index size in MiB", unit_mean=False),
    MeasureSpec("peak_rss_mb", False, "resource", description="peak resident memory in MiB", unit_mean=False),
    MeasureSpec("params_m", False, "resource", description="parameters in millions", unit_mean=False),
    MeasureSpec("threads", False, "resource", description="threads used", unit_mean=False),
]
MEASURES = MappingProxyType({s.name: s for s in _SPECS})
_ALIASES = {
    "MRR": "RR",
    "Recall": "R",
    "NDCG": "nDCG",
    "ndcg": "nDCG",
    "map": "AP",
    "MAP": "AP",
    "recip_rank": "RR",
    "Hit": "HR",
    "R-Prec": "Rprec",
    "LogLoss": "logloss",
}

_GRAMMAR = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)(?:\((?P<params>[^)]*)\))?(?:@(?P<cutoff>.+))?$")


def parse_measure(text: str) -> Measure:
    """Parse one measure; unknown names get did-you-mean, bad cutoffs say what is expected."""
    m = _GRAMMAR.match(text.strip())
    if not m:
        raise BadInput(f"cannot parse measure {text!r}; expected e.g. nDCG@10, P(rel=2)@5, AP")
    name = _ALIASES.get(m["name"], m["name"])
    if name not in MEASURES:
        raise UnknownName("measure", m["name"], [*MEASURES, *_ALIASES])
    spec = MEASURES[name]
    cutoff = None
    if m["cutoff"] is not None:
        if spec.cutoff == "none":
            raise BadInput(f"measure {name} takes no cutoff (got {text!r})")
        if not m["cutoff"].isdigit() or int(m["cutoff"]) <= 0:
            raise BadInput(f"cutoff in {text!r} must be a positive integer, e.g. {name}@10")
        cutoff = int(m["cutoff"])
    elif spec.cutoff == "required":
        raise BadInput(f"measure {name} needs a cutoff, e.g. {name}@10")
    rel = 1
    if m["params"]:
        for part in m["params"].split(","):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in spec.params:
                raise BadInput(f"measure {name} takes no parameter {key!r} (in {text!r})")
            if not value.strip().lstrip("-").isdigit():
                raise BadInput(f"parameter {key} in {text!r} must be an integer")
            rel = int(value)
    return Measure(name, cutoff, rel, spec)


def parse_measures(texts: Iterable[str]) -> tuple[Measure, ...]:
    out: list[Measure] = []
    for text in texts:
        measure = parse_measure(text)
        if measure not in out:
            out.append(measure)
    return tuple(out)
