"""Ranking measures equal trec_eval (pytrec_eval) on random graded qrels and runs."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import Qrels, Run

pytrec_eval = pytest.importorskip("pytrec_eval")

PAIRS = {  # ours -> trec_eval measure
    "nDCG@10": "ndcg_cut_10",
    "nDCG": "ndcg",
    "AP": "map",
    "AP@5": "map_cut_5",
    "P@5": "P_5",
    "R@10": "recall_10",
    "RR": "recip_rank",
    "Rprec": "Rprec",
}


def random_case(rng: np.random.Generator, n_q: int = 20, n_d: int = 40):
    qrels, run = {}, {}
    for q in range(n_q):
        docs = rng.choice(n_d, size=rng.integers(1, 15), replace=False)
        qrels[f"q{q}"] = {f"d{d}": int(rng.integers(0, 4)) for d in docs}
        if rng.random() < 0.9:
            ranked = rng.choice(n_d, size=rng.integers(0, 30), replace=False)
            scores = np.round(rng.random(len(ranked)) * 5) / 5  # many ties
            run[f"q{q}"] = {f"d{d}": float(s) for d, s in zip(ranked, scores, strict=True)}
    run[f"extra{rng.integers(100)}"] = {"d1": 1.0}  # a query absent from qrels
    return qrels, run


@pytest.mark.parametrize("seed", range(25))
def test_equals_pytrec_eval(seed: int) -> None:
    rng = np.random.default_rng(seed)
    qrels, run = random_case(rng)
    ours = evaluate(Run.from_dict(run), Qrels.from_dict(qrels), list(PAIRS))
    ref = pytrec_eval.RelevanceEvaluator(qrels, set(PAIRS.values())).evaluate(run)
    assert set(ours.index) == set(ref)
    for q, row in ours.iterrows():
        for mine, theirs in PAIRS.items():
            assert row[mine] == pytest.approx(ref[q][theirs], abs=1e-9), (q, mine)


def test_missing_as_zero_counts_unretrieved_queries() -> None:
    qrels = Qrels.from_dict({"a": {"d1": 1}, "b": {"d2": 1}})
    run = Run.from_dict({"a": {"d1": 1.0}})
    assert evaluate(run, qrels, ["P@1"])["P@1"].mean() == 1.0
    assert evaluate(run, qrels, ["P@1"], missing_as_zero=True)["P@1"].mean() == 0.5
