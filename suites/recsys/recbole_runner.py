"""Run RecBole's NeuMF / MultiVAE / BPR on one of our splits and return its scores in our item ids.

Training and scoring are the `recbole` adapter's (`adapters/recsys/recbole_models.py`); this
module maps our adapters' hyper-parameters to RecBole's keys for the agreement cards.

Used by the `agree-recbole-ml100k` card and `benchmarks/recsys.py`: the split is written as
RecBole benchmark files (`.train/.valid/.test.inter`), RecBole trains with its own trainer and
early stopping, and the best epoch's model scores every (user, item) so that both libraries
are evaluated by the same measure code on the same users.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rankbench.adapters.recsys.recbole_models import score_multivae_histories, score_recbole, train_recbole
from rankbench.harness.errors import BadInput
from rankbench.harness.splits import Split

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecBoleRun:
    scores: np.ndarray  # (len(users), n_items) in our ids
    epochs: int
    best_epoch: int
    fit_s: float
    epoch_s: float


def recbole_config(model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """RecBole settings equal to our adapter's parameters (same sizes, optimiser, batch, stopping).

    RecBole stops once `stopping_step` + 1 epochs in a row brought no better validation score
    (`recbole.utils.early_stopping`: `cur_step > max_step`), our `EarlyStopping` after `patience`:
    `stopping_step` is `patience - 1`. Raises BadInput for a model without a counterpart here, and
    for BPR settings RecBole's BPR cannot take (`l2` other than 0: it has no embedding penalty;
    `init` other than its Xavier-normal).
    """
    common = {
        "epochs": params["epochs"],
        "learning_rate": params["lr"],
        "stopping_step": params["patience"] - 1,
        "train_batch_size": params["batch_size"],
        "seed": params["seed"],
    }
    if model == "NeuMF":
        layers = list(params["layers"])
        return {
            **common,
            "mf_embedding_size": params["factors"],
            "mlp_embedding_size": layers[0] // 2,
            "mlp_hidden_size": layers[1:],
            "dropout_prob": 0.0,
            "train_neg_sample_args": {"distribution": "uniform", "sample_num": params["negatives"]},
        }
    if model == "MultiVAE":
        return {
            **common,
            "mlp_hidden_size": [params["hidden"]],
            "latent_dimension": 2 * params["latent"],  # RecBole splits its code layer into mu and logvar
            "dropout_prob": params["dropout"],
            "anneal_cap": params["anneal_cap"],
            "total_anneal_steps": params["total_anneal_steps"],
            "train_neg_sample_args": None,
        }
    if model == "BPR":
        if params["l2"] != 0 or params["init"] != "xavier_normal":
            raise BadInput(
                "RecBole's BPR has no embedding penalty and initialises with Xavier-normal: "
                f"compare with l2=0.0 and init='xavier_normal', got l2={params['l2']!r}, init={params['init']!r}"
            )
        return {
            **common,
            "embedding_size": params["dim"],
            "train_neg_sample_args": {"distribution": "uniform", "sample_num": 1},
        }
    raise BadInput(f"no RecBole counterpart configured for {model!r}; expected NeuMF, MultiVAE or BPR")


def run_recbole(
    model: str,
    split: Split,
    params: Mapping[str, Any],
    users: np.ndarray,
    valid_metric: str,
    validate: bool = True,
    histories: sparse.csr_matrix | None = None,
) -> RecBoleRun:
    """Train RecBole's `model` on `split` with our hyper-parameters and score all items for `users`.

    With `histories` ((n, n_items) CSR in our item ids; MultiVAE only), the trained network instead
    scores those interaction rows, one per user it never trained on (strong generalization);
    `users` is then ignored and the scores have shape (n, n_items).
    """
    if histories is not None and model != "MultiVAE":
        raise BadInput(f"RecBole's {model} cannot score users from their histories; only MultiVAE can")
    fit = train_recbole(
        model, split.train, split.valid if validate else None, recbole_config(model, params), valid_metric
    )
    if histories is not None:
        scores = score_multivae_histories(fit, histories, split.train.n_items)
    else:
        scores = score_recbole(fit, users, split.train.n_items)
    return RecBoleRun(scores, fit.epochs, fit.best_epoch, fit.fit_s, fit.epoch_s)
