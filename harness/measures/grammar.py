"""The measure grammar: one parser, one record per measure, each knowing its direction.

    measure := NAME ["(" key=value ("," key=value)* ")"] ["@" CUTOFF]

Names follow ir_measures (`nDCG`, `AP`, `RR`, `R`, `P`, `Success`, `Rprec`, `Judged`, `ERR`) and
trec_eval (`bpref`, `gm_map`, `set_P`, `set_recall`, `set_F`, `num_ret`, `num_rel`, `num_rel_ret`,
`Rprec_mult_0.20`, `iprec_at_recall_0.10`: a level after the name, as trec_eval prints it; the bare
`Rprec_mult` / `iprec_at_recall` in a list expand to trec_eval's default levels) with
recsys names that have their own definitions (`HR` = hit ratio, `nRecall` = recall normalised
by min(k, |relevant|) as in Liang et al. 2018), CTR measures (`AUC`, `logloss`, `gAUC`) and
latency measures. `MRR` and `Recall` are aliases of `RR` and `R`; `NDCG` of `nDCG`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

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
    geometric: bool = False  # per-unit values are logs and the aggregate is exp(mean) (trec_eval gm_map)
    levels: tuple[float, ...] = ()  # a measure named NAME_LEVEL; these are trec_eval's default levels


@dataclass(frozen=True)
class Measure:
    """A parsed measure; `str(m)` is its canonical spelling and the key in stored results."""

    name: str
    cutoff: int | None = None
    rel: int = 1
    level: float | None = None  # Rprec_mult's multiple of R, iprec_at_recall's recall level
    spec: MeasureSpec | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        text = self.name
        if self.level is not None:
            text += f"_{self.level:.2f}" if round(self.level, 2) == self.level else f"_{self.level!r}"
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
    MeasureSpec("bpref", True, _R, "none", ("rel",), "binary preference (Buckley & Voorhees 2004; trec_eval bpref)"),
    MeasureSpec(
        "gm_map",
        True,
        _R,
        "none",
        ("rel",),
        "geometric mean AP (trec_eval gm_map): per query log(max(AP, 1e-5)), overall exp of their mean",
        geometric=True,
    ),
    MeasureSpec("set_P", True, _R, "none", ("rel",), "relevant retrieved / retrieved (trec_eval set_P)"),
    MeasureSpec("set_recall", True, _R, "none", ("rel",), "relevant retrieved / relevant (trec_eval set_recall)"),
    MeasureSpec("set_F", True, _R, "none", ("rel",), "harmonic mean of set_P and set_recall (trec_eval set_F)"),
    MeasureSpec("num_ret", True, _R, "none", (), "documents retrieved (trec_eval num_ret)"),
    MeasureSpec("num_rel", True, _R, "none", ("rel",), "relevant documents in the qrels (trec_eval num_rel)"),
    MeasureSpec("num_rel_ret", True, _R, "none", ("rel",), "relevant documents retrieved (trec_eval num_rel_ret)"),
    MeasureSpec(
        "Rprec_mult",
        True,
        _R,
        "none",
        ("rel",),
        "precision at rank int(x * R + 0.9), R = relevant documents (trec_eval Rprec_mult_x)",
        levels=(0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0),
    ),
    MeasureSpec(
        "iprec_at_recall",
        True,
        _R,
        "none",
        ("rel",),
        "interpolated precision at recall level x (trec_eval iprec_at_recall_x, 11-point)",
        levels=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    ),
    MeasureSpec(
        "ERR", True, _R, "optional", (), "expected reciprocal rank, grades 0..4 (Chapelle 2009; ir_measures gdeval)"
    ),
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
    "Bpref": "bpref",
    "GMAP": "gm_map",
    "SetP": "set_P",
    "SetR": "set_recall",
    "SetF": "set_F",
    "NumRet": "num_ret",
    "NumRel": "num_rel",
    "NumRelRet": "num_rel_ret",
}
_LEVELLED = re.compile(r"^(?P<name>Rprec_mult|iprec_at_recall)_(?P<level>\d*\.?\d+)$")

_GRAMMAR = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_\-.]*)(?:\((?P<params>[^)]*)\))?(?:@(?P<cutoff>.+))?$")


def parse_measure(text: str) -> Measure:
    """Parse one measure; unknown names get did-you-mean, bad cutoffs say what is expected.

    Raises `BadInput` for a malformed measure, `UnknownName` for an unknown name.
    """
    m = _GRAMMAR.match(text.strip())
    if not m:
        raise BadInput(f"cannot parse measure {text!r}; expected e.g. nDCG@10, P(rel=2)@5, AP")
    name = _ALIASES.get(m["name"], m["name"])
    level = None
    levelled = _LEVELLED.match(name)
    if levelled:
        name, level = levelled["name"], float(levelled["level"])
    if name not in MEASURES:
        raise UnknownName("measure", m["name"], [*MEASURES, *_ALIASES])
    spec = MEASURES[name]
    if spec.levels and level is None:
        raise BadInput(f"measure {name} needs a level, e.g. {name}_{spec.levels[1]:.2f} (trec_eval's spelling)")
    if name == "iprec_at_recall" and level is not None and level > 1:
        raise BadInput(f"measure {text!r}: a recall level lies in [0, 1], got {level:g} (e.g. iprec_at_recall_0.50)")
    cutoff = None
    if m["cutoff"] is not None:
        if spec.cutoff == "none":
            raise BadInput(f"measure {name} takes no cutoff (got {text!r})")
        if not (m["cutoff"].isascii() and m["cutoff"].isdigit()) or int(m["cutoff"]) <= 0:
            raise BadInput(f"cutoff in {text!r} must be a positive integer, e.g. {name}@10")
        cutoff = int(m["cutoff"])
    elif spec.cutoff == "required":
        raise BadInput(f"measure {name} needs a cutoff, e.g. {name}@10")
    rel = 1
    if m["params"]:
        given: set[str] = set()
        for part in m["params"].split(","):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in spec.params:
                raise BadInput(f"measure {name} takes no parameter {key!r} (in {text!r})")
            if key in given:
                raise BadInput(f"parameter {key} is given twice in {text!r}")
            given.add(key)
            value = value.strip()
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                # trec_eval's -l: the smallest label that counts as relevant, a positive integer
                raise BadInput(f"parameter {key} in {text!r} must be a positive integer (the smallest relevant label)")
            rel = int(value)
    return Measure(name, cutoff, rel, level, spec)


def _expand(text: str) -> list[str]:
    """`Rprec_mult` and `iprec_at_recall` (with their parameters) stand for trec_eval's default levels."""
    m = _GRAMMAR.match(text.strip())
    spec = MEASURES.get(m["name"]) if m else None
    if m is None or spec is None or not spec.levels:
        return [text]
    rest = text.strip()[len(m["name"]) :]
    return [f"{spec.name}_{level:.2f}{rest}" for level in spec.levels]


def parse_measures(texts: Iterable[Measure | str] | str) -> tuple[Measure, ...]:
    """Parse measures (texts or parsed `Measure`s, read by their text) in order, dropping repeats; a bare
    `Rprec_mult` / `iprec_at_recall` expands to trec_eval's default levels; one string is one measure
    (`"nDCG@10"`, not its characters). Raises as `parse_measure`."""
    out: list[Measure] = []
    for text in [texts] if isinstance(texts, str) else map(str, texts):
        for one in _expand(text):
            measure = parse_measure(one)
            if measure not in out:
                out.append(measure)
    return tuple(out)


def aggregate(measure: Measure, values: np.ndarray) -> float:
    """The overall value of per-unit values: their mean, or exp of their mean for `gm_map`
    (trec_eval's per-query gm_map is log(max(AP, 1e-5))). NaN for no units."""
    if len(values) == 0:
        return float("nan")
    mean = float(np.mean(values))
    return float(np.exp(mean)) if measure.spec is not None and measure.spec.geometric else mean
