"""The shared row-wise top-k equals the first k columns of a stable descending sort, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.harness import topk
from rankbench.harness.topk import topk_rows


def _reference(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(scores, idx, axis=1)


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    coarse = rng.integers(0, 4, (40, 300)).astype(np.float64)  # ties everywhere, also across the cut
    padded = np.where(rng.random((40, 300)) < 0.9, -np.inf, rng.standard_normal((40, 300)))  # few finite
    nan = rng.standard_normal((40, 300)).astype(np.float32)
    nan[rng.random(nan.shape) < 0.2] = np.nan
    sparse_like = np.where(rng.random((40, 300)) < 0.95, 0.0, rng.random((40, 300)))  # zeros tie at the cut
    return [coarse, padded, nan, sparse_like, rng.standard_normal((5, 300))]


@pytest.mark.parametrize("torch_path", [False, True])
@pytest.mark.parametrize("k", [1, 10, 100, 299, 300, 500])
def test_topk_rows_is_a_truncated_stable_sort(k: int, torch_path: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if torch_path:
        pytest.importorskip("torch")
        monkeypatch.setattr(topk, "_TORCH_MIN_WIDTH", 1)
        monkeypatch.setattr(topk, "_TORCH_MAX_K_FRACTION", 1.0)
    for scores in _cases():
        idx, values = topk_rows(scores, k)
        ref_idx, ref_values = _reference(scores, k)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_array_equal(values, ref_values)
        assert idx.dtype == np.int64 and values.dtype == scores.dtype


def test_topk_rows_orders_best_first_with_ties_by_column() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.9, -np.inf]])
    assert topk_rows(scores, 3)[0].tolist() == [[1, 3, 2]]
    assert topk_rows(np.array([[2.0, 1.0, 1.0, 1.0, 0.0]]), 2)[0].tolist() == [[0, 1]]


def test_topk_rows_edges_and_bad_input() -> None:
    assert topk_rows(np.zeros((0, 4)), 3)[0].shape == (0, 3)
    assert topk_rows(np.zeros((2, 4)), 0)[0].shape == (2, 0)
    with pytest.raises(ValueError, match="2-d"):
        topk_rows(np.zeros(4), 1)
    with pytest.raises(ValueError, match="non-negative"):
        topk_rows(np.zeros((1, 4)), -1)
