"""The ML-1M cards run to the end on real files (tens of CPU-minutes each; `pytest -m slow`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rankbench.harness.errors import DatasetMissing
from rankbench.harness.reproduce import reproduce

pytestmark = pytest.mark.slow


def test_ncf_ml1m_reproduces_neumf(tmp_path: Path) -> None:
    """NeuMF, 8 factors, no pre-training: HR@10 0.688 and NDCG@10 0.410 within 0.02 (He et al. 2017)."""
    try:
        rows = reproduce("ncf-ml1m", tmp_path)
    except DatasetMissing as exc:
        pytest.skip(str(exc))
    assert [r.measure for r in rows] == ["HR@10", "nDCG@10"]
    assert all("train file" in r.label for r in rows)
    assert all(r.verdict == "reproduced" for r in rows), [(r.measure, r.ours) for r in rows]


def test_multvae_ml1m_agrees_with_recbole(tmp_path: Path) -> None:
    pytest.importorskip("recbole")
    try:
        rows = reproduce("multvae-ml1m", tmp_path)
    except DatasetMissing as exc:
        pytest.skip(str(exc))
    assert [r.measure for r in rows] == ["nRecall@20", "nRecall@50", "nDCG@100"]
    assert all(0.2 < r.ours < 0.8 and 0.2 < r.published < 0.8 for r in rows), rows
    assert all(r.verdict == "reproduced" for r in rows), rows
    assert json.loads((tmp_path / "reproduction.json").read_text())["reproduced"]
