"""Run RecBole's NeuMF / MultiVAE on one of our splits and return its scores in our item ids.

Used by the `agree-recbole-ml100k` card and `benchmarks/recsys.py`: the split is written as
RecBole benchmark files (`.train/.valid/.test.inter`), RecBole trains with its own trainer and
early stopping, and the best epoch's model scores every (user, item) so that both libraries
are evaluated by the same measure code on the same users.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
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
    """RecBole settings equal to our adapter's parameters (same sizes, optimiser, batch, stopping)."""
    common = {
        "epochs": params["epochs"],
        "learning_rate": params["lr"],
        "stopping_step": params["patience"],
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
    raise BadInput(f"no RecBole counterpart configured for {model!r}; expected NeuMF or MultiVAE")


def _numpy2_aliases() -> None:
    """RecBole 1.2.1's Config re-creates aliases through names NumPy 2 removed (`np.float_`, ...);
    give it those names (as the NumPy 1 types they stood for) so it runs on NumPy 2."""
    for old, new in (("float_", np.float64), ("complex_", np.complex128), ("unicode_", np.str_)):
        if old not in np.__dict__:
            setattr(np, old, new)


def _write(path: Path, data: Interactions) -> None:
    rows = "\n".join(f"{u}\t{i}" for u, i in zip(data.users.tolist(), data.items.tolist(), strict=True))
    path.write_text("user_id:token\titem_id:token\n" + rows + "\n", encoding="utf-8")


def _score_histories(
    torch: Any, net: Any, histories: sparse.csr_matrix, ours_of_internal: np.ndarray, n_items: int
) -> np.ndarray:
    """RecBole MultiVAE's forward pass (eval mode: the mean code) on rows given in our item ids."""
    keep = ours_of_internal >= 0
    dense = histories.toarray().astype(np.float32)
    extra = np.setdiff1d(np.unique(histories.indices), ours_of_internal[keep])
    if len(extra):
        raise BadInput(f"history items {extra[:5].tolist()} never occur in RecBole's training data")
    scores = np.full((histories.shape[0], n_items), -1e9, np.float32)
    with torch.no_grad():
        for start in range(0, len(dense), 256):
            block = np.zeros((len(dense[start : start + 256]), len(ours_of_internal)), np.float32)
            block[:, keep] = dense[start : start + 256][:, ours_of_internal[keep]]
            logits, _, _ = net.forward(torch.from_numpy(block))
            scores[start : start + len(block)][:, ours_of_internal[keep]] = logits.numpy()[:, keep]
    return scores


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
    torch = require("torch", "recsys", "RecBole agreement")
    require("recbole", "dev", "the RecBole agreement card and benchmark")
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.data.interaction import Interaction
    from recbole.utils import get_model, get_trainer, init_seed

    _numpy2_aliases()
    for name in ("recbole", "recbole.utils", "recbole.data", "recbole.trainer"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="rankbench-recbole-") as tmp:
        folder = Path(tmp) / "split"
        folder.mkdir()
        for part in ("train", "valid", "test"):
            _write(folder / f"split.{part}.inter", getattr(split, part))
        metric, _, k = valid_metric.partition("@")
        config = Config(
            model=model,
            dataset="split",
            config_dict={
                **recbole_config(model, params),
                "data_path": tmp,
                "benchmark_filename": ["train", "valid", "test"],
                "load_col": {"inter": ["user_id", "item_id"]},
                "eval_args": {"group_by": "user", "order": "RO", "mode": "full"},
                "metrics": ["NDCG", "Recall"],
                "topk": [int(k)],
                "valid_metric": f"{metric.upper()}@{k}",
                "eval_step": 1 if validate else 0,
                # RecBole sizes full-ranking batches in (user, item) pairs; its default 4096 scores
                # one or two users per forward pass. 256 users per pass, as our adapters validate.
                "eval_batch_size": 256 * (split.train.n_items + 1),
                "use_gpu": False,
                "device": "cpu",
                "show_progress": False,
                "state": "ERROR",
                "checkpoint_dir": str(Path(tmp) / "saved"),
                "reproducibility": True,
                "worker": 0,
            },
        )
        init_seed(config["seed"], config["reproducibility"])
        dataset = create_dataset(config)
        train_data, valid_data, _ = data_preparation(config, dataset)
        net = get_model(config["model"])(config, train_data._dataset).to(config["device"])
        trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, net)
        best: dict[str, Any] = {"score": -np.inf, "epoch": -1, "state": None, "epochs": 0}

        def keep_best(epoch: int, score: float) -> None:
            best["epochs"] = epoch + 1
            if score > best["score"]:
                best.update(score=score, epoch=epoch, state={k: v.clone() for k, v in net.state_dict().items()})

        t0 = time.perf_counter()
        trainer.fit(train_data, valid_data if validate else None, verbose=False, saved=False, callback_fn=keep_best)
        fit_s = time.perf_counter() - t0
        epochs = best["epochs"] or int(config["epochs"])
        if best["state"] is not None:
            net.load_state_dict(best["state"])
        net.eval()
        user_ids = dataset.field2token_id["user_id"]
        item_tokens = dataset.field2id_token["item_id"]
        ours_of_internal = np.array([int(t) if t != "[PAD]" else -1 for t in item_tokens])
        keep = ours_of_internal >= 0
        if histories is not None:
            if model != "MultiVAE":
                raise BadInput(f"RecBole's {model} cannot score users from their histories; only MultiVAE can")
            scores = _score_histories(torch, net, histories, ours_of_internal, split.train.n_items)
            return RecBoleRun(scores, epochs, int(best["epoch"]), fit_s, fit_s / max(epochs, 1))
        internal_users = np.array([user_ids[str(u)] for u in users])
        scores = np.full((len(users), split.train.n_items), -1e9, np.float32)
        with torch.no_grad():
            for start in range(0, len(users), 256):
                uid = torch.from_numpy(internal_users[start : start + 256])
                if model == "MultiVAE":
                    block = net.full_sort_predict(Interaction({"user_id": uid})).view(len(uid), -1)
                else:
                    n_int = len(item_tokens)
                    pairs = Interaction(
                        {"user_id": uid.repeat_interleave(n_int), "item_id": torch.arange(n_int).repeat(len(uid))}
                    )
                    block = net.predict(pairs).view(len(uid), n_int)
                scores[start : start + len(uid)][:, ours_of_internal[keep]] = block.numpy()[:, keep]
        return RecBoleRun(scores, epochs, int(best["epoch"]), fit_s, fit_s / max(epochs, 1))
