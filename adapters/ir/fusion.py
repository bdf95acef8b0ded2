"""Score fusion of two runs, and the `hybrid` retriever that fuses a dense and a sparse one.

`interpolate` mixes per-query normalised scores as alpha * dense + (1 - alpha) * sparse
(min-max, z-score or raw scores); a document missing from a run gets that run's lowest
normalised score, and a run with zero weight contributes no candidates (so alpha = 1 and
alpha = 0 return the input runs' rankings). `hybrid` retrieves the top `depth` of each
retriever and fuses them.
"""

from __future__ import annotations

from typing import Any

from rankbench.harness import registry
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.records import Corpus, Queries, Run
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


class Hybrid:
    """Dense + sparse score interpolation over the top `depth` of each."""

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
        fused = interpolate(
            self.dense.search(queries, depth), self.sparse.search(queries, depth), self.alpha, self.norm
        )
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
)
