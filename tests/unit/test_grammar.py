from __future__ import annotations

import pytest

from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.measures import parse_measure, parse_measures


@pytest.mark.parametrize(
    ("text", "canonical", "higher"),
    [
        ("nDCG@10", "nDCG@10", True),
        ("NDCG@100", "nDCG@100", True),
        ("MRR@10", "RR@10", True),
        ("AP", "AP", True),
        ("P(rel=2)@5", "P(rel=2)@5", True),
        ("Recall@100", "R@100", True),
        ("HR@10", "HR@10", True),
        ("logloss", "logloss", False),
        ("AUC", "AUC", True),
        ("latency_p95_ms", "latency_p95_ms", False),
    ],
)
def test_parse_canonical_and_direction(text: str, canonical: str, higher: bool) -> None:
    m = parse_measure(text)
    assert str(m) == canonical
    assert m.higher_is_better is higher


def test_unknown_measure_suggests() -> None:
    with pytest.raises(UnknownName, match="did you mean 'nDCG'"):
        parse_measure("nDGC@10")


@pytest.mark.parametrize(
    "text",
    [
        "nDCG@ten",
        "P@0",
        "P@-3",
        "P",
        "AUC@5",
        "P(foo=1)@5",
        "iprec_at_recall_2.0",
        "P(rel=1,rel=2)@5",  # given twice: not the last one silently
        "P(rel=0)@5",  # trec_eval's -l is a positive label
        "AP(rel=-1)",
        "P(rel=\u0661)@5",  # Arabic-Indic digit one
        "P@\u0661\u0660",
    ],
)
def test_bad_measures_are_one_line_errors(text: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_measure(text)
    assert "\n" not in str(info.value)


def test_parse_measures_dedups_aliases() -> None:
    assert [str(m) for m in parse_measures(["MRR@10", "RR@10", "AP"])] == ["RR@10", "AP"]
