"""Score and rank fusion: `fuse` (ranx), `interpolate` (ours), and the `fusion` and `hybrid` retrievers.

`fuse` runs ranx's fusion module over any number of runs (RRF, weighted sum, CombSUM, CombMNZ,
ISR, Borda, ... with ranx's normalisations); the `fusion` retriever fuses the top `depth` of
any first-stage retrievers with it, e.g. `fusion(method='rrf',stages=['bm25','minilm'])`.

`interpolate` mixes per-query normalised scores as alpha * dense + (1 - alpha) * sparse
(min-max, z-score or raw scores); a document missing from a run gets that run's lowest
normalised score, and a run with zero weight contributes no candidates (so alpha = 1 and
alpha = 0 return the input runs' rankings). `hybrid` retrieves the top `depth` of each
retriever and fuses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rankbench.harness import registry
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.records import Corpus, Qrels, Queries, Run
from rankbench.harness.registry import AdapterSpec

NORMS = ("minmax", "zscore", "none")


def _normalise(frame: Any, norm: str) -> Any:
    grouped = frame.groupby("query_id").score
    if norm == "minmax":
        lo, hi = grouped.transform("min"), grouped.transform("max")
        span = (hi - lo).where(hi > lo, 1.0)
        return (frame.score - lo) / span
    if norm == "zscore":
        mean, std = grouped.transform("mean"), grouped.transform("std", ddof=0)
        return (frame.score - mean) / std.where(std > 0, 1.0)
    return frame.score


def interpolate(dense: Run, sparse: Run, alpha: float, norm: str = "minmax", name: str = "hybrid") -> Run:
    """alpha * norm(dense) + (1 - alpha) * norm(sparse), per query, over the union of their documents."""
    import pandas as pd

    if not 0.0 <= alpha <= 1.0:
        raise BadInput(f"alpha must lie in [0, 1], got {alpha}")
    if norm not in NORMS:
        raise UnknownName("score normalisation", norm, NORMS)
    parts = []
    for run, weight in ((dense, alpha), (sparse, 1.0 - alpha)):
        frame = run.to_frame()[["query_id", "doc_id", "score"]]
        frame["score"] = _normalise(frame, norm)
        frame["floor"] = frame.groupby("query_id").score.transform("min")
        parts.append((frame, weight))
    (a, wa), (b, wb) = parts
    keys = ["query_id", "doc_id"]
    if wa > 0 and wb > 0:
        merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"))
    elif wa > 0:
        merged = a.rename(columns={"score": "score_a", "floor": "floor_a"}).assign(score_b=0.0, floor_b=0.0)
    else:
        merged = b.rename(columns={"score": "score_b", "floor": "floor_b"}).assign(score_a=0.0, floor_a=0.0)
    for side in ("a", "b"):
        floor = merged.groupby("query_id")[f"floor_{side}"].transform("min").fillna(0.0)
        merged[f"score_{side}"] = merged[f"score_{side}"].fillna(floor)
    fused = wa * merged.score_a + wb * merged.score_b
    empty = sorted(set(dense.query_ids.tolist()) | set(sparse.query_ids.tolist()))
    return Run.from_arrays(
        merged.query_id.to_numpy(str), merged.doc_id.to_numpy(str), fused.to_numpy(), name, pd.Index(empty).to_numpy()
    )


def _as_retriever(ref: str) -> Any:
    """A retriever from an adapter reference; an embedder is wrapped in the registered `dense` adapter."""
    from rankbench.harness.adapter_ref import parse_adapter_ref

    parsed = parse_adapter_ref(ref)
    if parsed.spec().family == "embedder":
        return registry.ADAPTERS.get("dense").build(embedder=ref)
    if parsed.spec().family != "retriever":
        raise BadInput(f"{ref!r} is a {parsed.spec().family}; interpolation needs retrievers or embedders")
    return parsed.build()


RANX_NORMS = ("min-max", "max", "sum", "zmuv", "rank", "borda", "none")
"""ranx's score normalisations (`ranx.normalization`); "none" fuses raw scores."""


def to_ranx(run: Run) -> Any:
    """rankbench Run -> ranx Run (queries with no documents are left out: ranx cannot hold them)."""
    ranx = require("ranx", "ir", "rank fusion")
    return ranx.Run({q: docs for q, docs in run.to_dict().items() if docs}, name=run.name)


def check_fusion(method: str, norm: str) -> None:
    """`BadInput` unless ranx knows the fusion `method`, `UnknownName` unless it knows `norm`."""
    require("ranx", "ir", "rank fusion")
    from ranx.fusion import fusion_switch

    if norm not in RANX_NORMS:
        raise UnknownName("ranx normalisation", norm, RANX_NORMS)
    try:
        fusion_switch(method)
    except ValueError:
        raise BadInput(f"ranx has no fusion method {method!r} (rrf, wsum, sum, mnz, isr, bordafuse, ...)") from None


def fuse(
    runs: Sequence[Run],
    method: str = "rrf",
    norm: str = "min-max",
    params: Mapping[str, Any] | None = None,
    name: str = "fusion",
) -> Run:
    """Fuse runs per query with `ranx.fuse` (Bassani & Romelli, CIKM 2022): `method` and `norm` are ranx's names.

    Methods: rrf, wsum, sum (CombSUM), mnz (CombMNZ), max, min, med, anz, gmnz, isr, log_isr, logn_isr,
    bordafuse, w_bordafuse, condorcet, w_condorcet, rbc, mixed, wmnz, ... (`ranx.fusion`); `params` are
    the method's (`weights` for wsum/wmnz/w_*, `k` for rrf, `phi` for rbc). ranx fuses only queries
    every run answered, so a query some runs left empty is fused over the runs that answered it
    (alone, it keeps that run's order). Raises `BadInput` for fewer than two runs or an unknown method
    or normalisation.
    """
    check_fusion(method, norm)
    from ranx import fuse as ranx_fuse

    if len(runs) < 2:
        raise BadInput(f"fusion needs at least two runs, got {len(runs)}")
    answered = [{q for q, docs in run.to_dict().items() if docs} for run in runs]
    every = sorted(set().union(*(set(run.query_ids.tolist()) for run in runs)))
    groups: dict[tuple[int, ...], list[str]] = {}
    for q in every:
        groups.setdefault(tuple(i for i, a in enumerate(answered) if q in a), []).append(q)
    parts: dict[str, dict[str, float]] = {}
    for members, queries in groups.items():
        subset = [runs[i].to_dict() for i in members]
        if len(members) >= 2:
            group_params = dict(params or {})
            if "weights" in group_params and len(members) < len(runs):
                group_params["weights"] = [list(group_params["weights"])[i] for i in members]
            ranx = require("ranx", "ir", "rank fusion")
            fused = ranx_fuse(
                [ranx.Run({q: r[q] for q in queries}) for r in subset],
                norm=None if norm == "none" else norm,
                method=method,
                params=group_params,
            )
            parts.update(fused.to_dict())
        elif len(members) == 1:
            parts.update({q: subset[0][q] for q in queries})
    rows = [(q, d, s) for q, docs in parts.items() for d, s in docs.items()]
    q_ids, d_ids, scores = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [])
    empty = [q for q in every if not parts.get(q)]
    return Run.from_arrays(np.array(q_ids, dtype=str), np.array(d_ids, dtype=str), np.array(scores, float), name, empty)


OPTIMIZABLE = (
    "gmnz",
    "logn_isr",
    "mixed",
    "probfuse",
    "rbc",
    "rrf",
    "slidefuse",
    "w_bordafuse",
    "w_condorcet",
    "wmnz",
    "wsum",
)
"""The methods whose hyper-parameters `ranx.optimize_fusion` searches for the best value of a metric (ranx 0.3)."""


def optimize(
    qrels: Qrels, runs: Sequence[Run], method: str = "wsum", norm: str = "min-max", metric: str = "ndcg@10"
) -> dict[str, Any]:
    """The fusion hyper-parameters that maximise ranx `metric` on `qrels`, by `ranx.optimize_fusion`'s grid search.

    For wsum/wmnz/w_bordafuse/w_condorcet these are `weights` (one per run, in run order; ranx's grid steps
    by 0.1), for rrf `k`, for rbc `phi`, ... (Bassani & Romelli, "ranx.fuse", CIKM 2022). ranx needs every
    run and the qrels to hold the same queries, so the search runs over the judged queries every run
    answered. Raises `BadInput` for a method ranx cannot optimise, fewer than two runs, or no query
    left to optimise on.
    """
    ranx = require("ranx", "ir", "rank fusion")
    if method not in OPTIMIZABLE:
        raise BadInput(f"ranx.optimize_fusion cannot optimise {method!r}: use one of {', '.join(OPTIMIZABLE)}")
    if len(runs) < 2:
        raise BadInput(f"fusion needs at least two runs, got {len(runs)}")
    judged = qrels.to_dict()
    answered = [{q: docs for q, docs in run.to_dict().items() if docs} for run in runs]
    common = sorted(set(judged).intersection(*answered))
    if not common:
        raise BadInput("no dev query is judged and answered by every stage: nothing to optimise the fusion on")
    found = ranx.optimize_fusion(
        qrels=ranx.Qrels({q: judged[q] for q in common}),
        runs=[ranx.Run({q: a[q] for q in common}) for a in answered],
        norm=None if norm == "none" else norm,
        method=method,
        metric=metric,
        show_progress=False,
    )
    return {k: [float(w) for w in v] if isinstance(v, list | tuple) else v for k, v in found.items()}


class Fusion:
    """Rank fusion of first-stage retrievers through `ranx.fuse`, each searched to `depth`.

    With `optimize=True` the method's hyper-parameters (the weights of wsum, rrf's k, ...) are not given
    but fitted on the suite's dev split: the retrieval task calls `tune`, which searches every stage on
    the dev queries and keeps what `ranx.optimize_fusion` finds best for ranx `metric` (`optimize`); the
    test queries are then fused with them, and the result's `info["tuned"]` records them.
    """

    def __init__(
        self,
        stages: Sequence[str] = ("bm25", "minilm"),
        method: str = "rrf",
        norm: str = "min-max",
        weights: Sequence[float] | None = None,
        params: Mapping[str, Any] | None = None,
        depth: int = 1000,
        optimize: bool = False,
        metric: str = "ndcg@10",
    ) -> None:
        if len(stages) < 2:
            raise BadInput(f"fusion needs at least two stages, got {list(stages)}")
        if weights is not None and len(weights) != len(stages):
            raise BadInput(f"fusion needs one weight per stage: {len(weights)} weights for {len(stages)} stages")
        if optimize and (weights is not None or params):
            raise BadInput("fusion(optimize=True) fits the method's parameters on the dev split: drop weights=/params=")
        if optimize and method not in OPTIMIZABLE:
            raise BadInput(f"ranx.optimize_fusion cannot optimise {method!r}: use one of {', '.join(OPTIMIZABLE)}")
        self.stages, self.method, self.norm, self.depth = tuple(stages), method, norm, depth
        self.optimize, self.metric = optimize, metric
        self.weights = None if weights is None else tuple(float(w) for w in weights)
        self.params = dict(params or {})
        if self.weights is not None:
            self.params["weights"] = list(self.weights)
        check_fusion(method, norm)
        self.retrievers = [_as_retriever(ref) for ref in self.stages]
        self._tuned = False

    @property
    def needs_dev(self) -> bool:
        """True with `optimize=True`: the retrieval task then calls `tune` on the dev split (`DevTuned`)."""
        return self.optimize

    def index(self, corpus: Corpus) -> None:
        for retriever in self.retrievers:
            retriever.index(corpus)
        self._tuned = False

    def tune(self, queries: Queries, qrels: Qrels) -> dict[str, Any]:
        """Search every stage on the dev `queries` and fit the method's parameters (`optimize`) on `qrels`.

        Call after `index`. Returns `{"method", "norm", "metric", "params"}` (what `search` then fuses with).
        """
        depth = self.depth
        runs = [retriever.search(queries, depth) for retriever in self.retrievers]
        self.params = optimize(qrels, runs, self.method, self.norm, self.metric)
        self._tuned = True
        return {"method": self.method, "norm": self.norm, "metric": self.metric, "params": dict(self.params)}

    def search(self, queries: Queries, k: int) -> Run:
        if self.optimize and not self._tuned:
            raise BadInput(
                "fusion(optimize=True) searches after tune(dev queries, dev qrels); the suite gave no dev split"
            )
        depth = max(k, self.depth)
        runs = [retriever.search(queries, depth) for retriever in self.retrievers]
        return fuse(runs, self.method, self.norm, self.params, name="fusion").cut(k)


class Hybrid:
    """Dense + sparse score interpolation over the top `depth` of each.

    With min-max normalisation and 0 < alpha < 1 this is ranx's `wsum` fusion (`fuse`), which the
    tests check equals `interpolate`; the z-score and raw variants, and alpha 0 or 1, stay on
    `interpolate`, because ranx gives a document missing from a run 0 (not the run's lowest
    normalised score) and keeps a zero-weight run's candidates.
    """

    def __init__(
        self, dense: str = "minilm", sparse: str = "bm25", alpha: float = 0.5, norm: str = "minmax", depth: int = 1000
    ) -> None:
        if norm not in NORMS:
            raise UnknownName("score normalisation", norm, NORMS)
        if not 0.0 <= alpha <= 1.0:
            raise BadInput(f"alpha must lie in [0, 1], got {alpha}")
        self.dense, self.sparse = _as_retriever(dense), _as_retriever(sparse)
        self.alpha, self.norm, self.depth = alpha, norm, depth

    def index(self, corpus: Corpus) -> None:
        self.dense.index(corpus)
        self.sparse.index(corpus)

    def search(self, queries: Queries, k: int) -> Run:
        depth = max(k, self.depth)
        dense, sparse = self.dense.search(queries, depth), self.sparse.search(queries, depth)
        if self.norm == "minmax" and 0.0 < self.alpha < 1.0:  # ranx's weighted sum computes the same (tested)
            fused = fuse([dense, sparse], "wsum", "min-max", {"weights": [self.alpha, 1.0 - self.alpha]}, "hybrid")
        else:
            fused = interpolate(dense, sparse, self.alpha, self.norm)
        return fused.cut(k)


ADAPTERS = (
    AdapterSpec(
        name="hybrid",
        family="retriever",
        factory="rankbench.adapters.ir.fusion:Hybrid",
        extra="ir",
        description="dense + sparse interpolation: alpha * norm(dense) + (1 - alpha) * norm(sparse), per query",
        smoke_params={"depth": 50},
    ),
    AdapterSpec(
        name="fusion",
        family="retriever",
        factory="rankbench.adapters.ir.fusion:Fusion",
        extra="ir",
        description="rank fusion of first-stage retrievers with ranx.fuse (rrf, wsum, CombSUM/MNZ, ISR, Borda, ...); "
        "optimize=True fits weights/k on the suite's dev split with ranx.optimize_fusion",
        smoke_params={"depth": 50},
    ),
)
