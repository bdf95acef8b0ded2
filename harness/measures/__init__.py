"""Measures as values parsed from one grammar (`nDCG@10`, `P(rel=2)@5`, `AUC`, `latency_p95_ms`)."""

from rankbench.harness.measures.grammar import (
    MEASURES,
    Measure,
    MeasureSpec,
    aggregate,
    parse_measure,
    parse_measures,
)

__all__ = ["MEASURES", "Measure", "MeasureSpec", "aggregate", "parse_measure", "parse_measures"]
