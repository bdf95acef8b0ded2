"""CTR reproduction cards: BARS frappe_x1 leaderboard values, and agreement with FuxiCTR on Frappe.

`bars-frappe-x1` needs BARS's full frappe_x1 CSVs in the data home and stops with one line
naming them when they are absent. FCN/ECN have no published frappe_x1 number (the FCN paper
evaluates Avazu, Criteo, ML-1M, KDD12, iPinYou and KKBox; BARS lists no FCN row), so the card
carries the BARS rows of the CTR family we implement. `agree-fuxictr-frappe` runs here: our
DCNv2 and FCN against FuxiCTR's DCNv2 and DCNv3 on the same encoded table, split, seed and
config; the "published" column is FuxiCTR's computed value and the detail line gives the
paired-bootstrap AUC difference. Both libraries get the same budget of at most 10 epochs
(early stopping may end sooner), so the card finishes in minutes on a 2-core machine.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from rankbench.harness.datahome import load_dataset
from rankbench.harness.measures.ctr import logloss, paired_auc_test
from rankbench.harness.registry import ADAPTERS
from rankbench.harness.reproduce import Card, ReproRow, Target, require_files
from rankbench.harness.store import atomic_write_bytes

log = logging.getLogger(__name__)

BARS = "BARS frappe_x1 leaderboard (Zhu et al., arXiv 2205.09626), reczoo/BARS docs/CTR/leaderboard/frappe_x1.csv"
BARS_DCNV2_REG = "dcnv2(embedding_regularizer=0.05)"  # BARS DCNv2_frappe_x1_007 config; other knobs are our defaults

BARS_TARGETS = (
    Target("lr", "AUC", 0.9356, 0.003, BARS),
    Target("lr", "logloss", 0.3076, 0.01, BARS),
    Target("fm", "AUC", 0.9671, 0.003, BARS),
    Target("fm", "logloss", 0.2065, 0.01, BARS),
    Target("dnn", "AUC", 0.9833, 0.003, BARS),
    Target("dnn", "logloss", 0.1622, 0.01, BARS),
    Target("dcn", "AUC", 0.9839, 0.003, BARS),
    Target("dcn", "logloss", 0.1527, 0.01, BARS),
    Target(BARS_DCNV2_REG, "AUC", 0.9845, 0.003, BARS),
    Target(BARS_DCNV2_REG, "logloss", 0.1491, 0.01, BARS),
)

PAIRS = (("dcnv2", "DCNv2"), ("fcn", "DCNv3"))  # ours -> FuxiCTR's, built with one config (`shared_config`)
FUXICTR = "FuxiCTR 2.3.10, zoo 7b98a49"  # same table, split, seed and config as ours


def agree_fuxictr(card: Card, out_dir: Path) -> list[ReproRow]:
    """Train each pair on frappe-nfm, then compare test AUC (paired bootstrap) and logloss."""
    from rankbench.adapters.ctr.fuxictr_models import fit_predict, model_class, shared_config, zoo_folder

    require_files("frappe-nfm")
    zoo_folder(fetch=True)  # FUXICTR_MODEL_ZOO, else the data home's fuxictr-model-zoo, fetched on first use
    for _, theirs in PAIRS:
        model_class(theirs)  # stop before any training if FuxiCTR or its model zoo is missing
    splits = load_dataset("frappe-nfm").data
    seed = int(card.options["seed"])
    labels = np.asarray(splits.test.labels)
    rows, record = [], {}
    for ours_name, theirs_name in PAIRS:
        spec = ADAPTERS.get(ours_name)
        # the card's budget where it sets one, else our model's own defaults, for both libraries
        budget = {k: int(card.options.get(k, spec.defaults()[k])) for k in ("batch_size", "max_epochs")}
        ours = spec.build(**budget, seed=seed)
        ours.fit(splits.train, splits.valid)
        p_ours = np.asarray(ours.predict_proba(splits.test))
        p_theirs = fit_predict(
            theirs_name,
            splits.train,
            splits.valid,
            splits.test,
            **budget,
            seed=seed,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in shared_config(ours_name).items()},
        )
        test = paired_auc_test(labels, p_theirs, p_ours, seed=seed)
        detail = (
            f"AUC ours - FuxiCTR {theirs_name} = {test.delta:+.4f} "
            f"[95% CI {test.ci_low:+.4f}, {test.ci_high:+.4f}], paired bootstrap p = {test.p_value:.3f}"
        )
        label = f"{ours_name} vs FuxiCTR {theirs_name}"
        rows.append(
            ReproRow(label, "AUC", test.auc_a, test.auc_b, float(card.options["auc_tolerance"]), FUXICTR, detail)
        )
        rows.append(ReproRow(label, "logloss", logloss(labels, p_theirs), logloss(labels, p_ours), 0.02, FUXICTR))
        record[label] = {
            "auc_fuxictr": test.auc_a,
            "auc_ours": test.auc_b,
            "delta": test.delta,
            "ci": [test.ci_low, test.ci_high],
            "p_value": test.p_value,
        }
        log.info("%s", detail)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_dir / "agreement.json", json.dumps(record, indent=2).encode())
    return rows


CARDS = (
    Card(
        name="bars-frappe-x1",
        description="BARS frappe_x1: LR, FM, DNN, DCN and DCNv2 against the BARS leaderboard "
        "(needs the full BARS CSVs)",
        suite="frappe-x1",
        targets=BARS_TARGETS,
    ),
    Card(
        name="agree-fuxictr-frappe",
        description="our DCNv2 and FCN vs FuxiCTR's DCNv2 and DCNv3 on frappe-nfm: same table, split, seed and config",
        suite="frappe-nfm",
        check="rankbench.suites.ctr.cards:agree_fuxictr",
        options={"seed": 2021, "max_epochs": 10, "auc_tolerance": 0.005},
    ),
)
