"""The CTRModel contract on the tiny generated table: probabilities, shape, determinism, better than chance."""

from __future__ import annotations

import numpy as np

from rankbench.harness.datahome import load_dataset
from rankbench.harness.measures.ctr import auc
from rankbench.harness.records import CTRSplits
from rankbench.harness.registry import AdapterSpec
from rankbench.harness.testing.contract import build


def _tiny() -> CTRSplits:
    return load_dataset("ctr-synth-tiny").data


def _fit_predict(spec: AdapterSpec, splits: CTRSplits) -> np.ndarray:
    model = build(spec)
    model.fit(splits.train, splits.valid)
    return np.asarray(model.predict_proba(splits.test))


def check(spec: AdapterSpec) -> None:
    splits = _tiny()
    probs = _fit_predict(spec, splits)
    assert probs.shape == (len(splits.test),), f"{spec.name}: predict_proba shape {probs.shape}"
    assert np.all(np.isfinite(probs)) and probs.min() >= 0 and probs.max() <= 1, "probabilities lie in [0, 1]"
    again = _fit_predict(spec, splits)
    np.testing.assert_allclose(probs, again, rtol=1e-5, atol=1e-6, err_msg=f"{spec.name} is not deterministic")
    score = auc(splits.test.labels, probs)
    assert score > 0.5, f"{spec.name} is no better than chance (AUC {score:.3f})"
