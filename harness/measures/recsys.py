"""Recommender measures on dense score matrices, as the papers' own evaluation code computes them.

`ranking.evaluate` works on string-keyed runs; a full-ranking recommender evaluation scores
every item for every user, so these work on (users x items) score blocks instead:
top-k by partial sort (`harness.topk`, ties to the lower item index), relevance looked up
in the held-out CSR rows. Definitions:

- full ranking (Liang et al., 2018, `vae_cf` notebook): binary relevance, `nDCG@k` with
  IDCG over min(k, |held-out|) items, `nRecall@k` = hits / min(k, |held-out|), `R@k` =
  hits / |held-out|, `HR@k` = any hit, `P@k` = hits / k;
- sampled leave-one-out (He et al., 2017, `evaluate.py`): the held-out item ranked among its
  sampled negatives; HR@k = 1 if its rank < k, NDCG@k = log 2 / log(rank + 2). Negatives
  that tie with it rank ahead of it, as `heapq.nlargest` puts earlier items first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from rankbench.harness.errors import BadInput
from rankbench.harness.measures.grammar import Measure, parse_measures
from rankbench.harness.topk import topk_rows

FULL_RANKING = ("nDCG", "nRecall", "R", "HR", "Success", "P")
SAMPLED = ("nDCG", "HR", "Success")


def exclude_seen(scores: np.ndarray, seen: sparse.csr_matrix) -> np.ndarray:
    """Set, in place, the scores of the items each row has interacted with to -inf; returns `scores`.

    `scores` is a float (n_rows, n_items) array and `seen` the matching rows of the user CSR.
    """
    scores[seen.nonzero()] = -np.inf
    return scores


def full_ranking(
    scores: np.ndarray, truth: sparse.csr_matrix, measures: Sequence[Measure | str] | str
) -> dict[str, np.ndarray]:
    """Per-user values of full-ranking measures; `scores` must already exclude seen items (-inf)."""
    if scores.shape != truth.shape:
        raise BadInput(f"score block {scores.shape} and held-out matrix {truth.shape} differ in shape")
    parsed = parse_measures(measures)
    for m in parsed:
        if m.name not in FULL_RANKING or m.cutoff is None:
            raise BadInput(f"measure {m} is not a full-ranking recommender measure ({', '.join(FULL_RANKING)} @k)")
    truth = sparse.csr_matrix(truth)
    truth.data[:] = 1.0
    n_rel = np.asarray(truth.sum(axis=1)).ravel()
    kmax = max(m.cutoff or 0 for m in parsed)
    top, _ = topk_rows(scores, kmax)  # ties: lower item index first
    rows = np.arange(scores.shape[0])[:, None]
    hits = np.asarray(truth[rows, top].todense(), dtype=np.float64)
    discount = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    out: dict[str, np.ndarray] = {}
    for m in parsed:
        k = int(m.cutoff or 0)
        h = hits[:, :k]
        n_hits = h.sum(axis=1)
        if m.name == "nDCG":
            cum = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))])
            idcg = cum[np.minimum(n_rel, k).astype(int)]
            out[str(m)] = _div(h @ discount[: h.shape[1]], idcg)
        elif m.name == "nRecall":
            out[str(m)] = _div(n_hits, np.minimum(n_rel, k))
        elif m.name == "R":
            out[str(m)] = _div(n_hits, n_rel)
        elif m.name in ("HR", "Success"):
            out[str(m)] = (n_hits > 0).astype(np.float64)
        else:
            out[str(m)] = n_hits / k
    return out


def sampled_rank(positive: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """Zero-based rank of each held-out item among its negatives (ties go against it)."""
    return (negatives >= positive[:, None]).sum(axis=1)


def sampled(
    positive: np.ndarray, negatives: np.ndarray, measures: Sequence[Measure | str] | str
) -> dict[str, np.ndarray]:
    """Per-user HR@k / nDCG@k of the NCF leave-one-out split from held-out and negative scores."""
    parsed = parse_measures(measures)
    rank = sampled_rank(np.asarray(positive, dtype=np.float64), np.asarray(negatives, dtype=np.float64))
    out: dict[str, np.ndarray] = {}
    for m in parsed:
        if m.name not in SAMPLED or m.cutoff is None:
            raise BadInput(f"measure {m} is not a sampled leave-one-out measure (HR@k, nDCG@k)")
        hit = rank < m.cutoff
        out[str(m)] = np.where(hit, np.log(2) / np.log(rank + 2.0), 0.0) if m.name == "nDCG" else hit.astype(float)
    return out


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)
