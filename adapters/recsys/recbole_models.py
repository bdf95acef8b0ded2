"""RecBole's general recommenders by name: `recbole(model=LightGCN, embedding_size=64, epochs=50)`.

RecBole (Zhao et al., CIKM 2021; `recbole==1.2.1`, installed with `--no-deps`: its pins fight ours)
trains on rankbench's split: the train part (and the validation part, for RecBole's early
stopping) is written as RecBole atomic files (`.train/.valid/.test.inter`, benchmark-file mode,
so RecBole splits nothing itself) in a temporary directory, RecBole's own trainer fits the model,
and the best validation epoch's weights score every (user, item) pair. rankbench's protocols and
measures rank those scores; RecBole's own test evaluation is never used.

Every parameter other than `model`, `seed` and `valid_measure` is a RecBole configuration key under
RecBole's own name (`epochs`, `learning_rate`, `embedding_size`, `n_layers`, `stopping_step`,
`train_batch_size`, ...); RecBole's defaults (its `overall.yaml` and the model's yaml) apply to
the rest. Scores: `full_sort_predict` where the model has it, else `predict` on every pair.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.adapters.recsys.base import Recommender
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)


def recbole_compat() -> None:
    """Give RecBole 1.2.1 the names it uses that NumPy 2 and SciPy >= 1.12 removed.

    Its Config re-creates aliases through `np.float_`, `np.complex_`, `np.unicode_` (given here as
    the NumPy 1 types they stood for); its graph models (LightGCN, NGCF, SpectralCF, GCMC, NCL, ...)
    fill their adjacency matrix with `dok_matrix._update`, SciPy's old bulk insert without checks,
    which is `update` of the dictionary SciPy now keeps in `_dict`.
    """
    for old, new in (("float_", np.float64), ("complex_", np.complex128), ("unicode_", np.str_)):
        if old not in np.__dict__:
            setattr(np, old, new)
    from scipy.sparse import dok_matrix

    if not hasattr(dok_matrix, "_update") and hasattr(dok_matrix((1, 1)), "_dict"):

        def _update(self: Any, data: Mapping[tuple[int, int], Any]) -> None:
            self._dict.update(data)

        dok_matrix._update = _update


@contextlib.contextmanager
def bare_argv() -> Iterator[None]:
    """RecBole's Config reads `--key=value` options from sys.argv: hide the rankbench command line from it."""
    saved = sys.argv
    sys.argv = saved[:1]
    try:
        yield
    finally:
        sys.argv = saved


def write_atomic(path: Path, data: Interactions) -> None:
    """One RecBole `.inter` atomic file: a typed header, then one `user<TAB>item` row per interaction."""
    rows = "".join(f"{u}\t{i}\n" for u, i in zip(data.users.tolist(), data.items.tolist(), strict=True))
    path.write_text("user_id:token\titem_id:token\n" + rows, encoding="utf-8")


@functools.cache
def recbole_models() -> dict[str, tuple[str, ...]]:
    """RecBole's models by kind (`general_recommender`, `sequential_recommender`, ...), read from the
    import lines of its packages without importing them (no torch), once per process; {} when RecBole
    is not installed."""
    import importlib.util

    found = importlib.util.find_spec("recbole")
    if found is None or not found.submodule_search_locations:
        return {}
    root = Path(next(iter(found.submodule_search_locations))) / "model"
    kinds = {}
    for init in sorted(root.glob("*_recommender/__init__.py")):
        with contextlib.suppress(OSError):
            kinds[init.parent.name] = tuple(re.findall(r"^from\s+\S+\s+import\s+(\w+)", init.read_text(), re.MULTILINE))
    return kinds


def check_model(model: str) -> None:
    """`UnknownName` (with did-you-mean) for a name that is not one of RecBole's general recommenders, `BadInput`
    for a model of another kind; nothing without RecBole (its absence is reported when a model is trained)."""
    kinds = recbole_models()
    general = kinds.get("general_recommender", ())
    if not kinds or model in general:
        return
    other = next((kind for kind, names in kinds.items() if model in names), None)
    if other is not None:
        raise BadInput(
            f"RecBole's {model} is a {other.replace('_', ' ')}, not a general recommender (user-item interactions "
            f"only); use one of {', '.join(general)}"
        )
    raise UnknownName("RecBole model", model, general)


def prepare(params: dict[str, Any], *, fetch: bool = True) -> None:
    """The `prepare` hook of the `recbole` record: the model is one of RecBole's general recommenders."""
    check_model(str(params.get("model", "BPR")))


@dataclass(frozen=True, eq=False)
class RecBoleFit:
    """A trained RecBole model with its dataset (for the token <-> id maps) and training record."""

    net: Any
    dataset: Any
    model: str
    epochs: int
    best_epoch: int
    fit_s: float

    @property
    def epoch_s(self) -> float:
        return self.fit_s / max(self.epochs, 1)


def train_recbole(
    model: str,
    train: Interactions,
    valid: Interactions | None,
    config: Mapping[str, Any],
    valid_measure: str = "nDCG@20",
) -> RecBoleFit:
    """Fit RecBole's `model` on `train`, early-stopping on `valid` (None or empty: no validation).

    `config` holds RecBole configuration keys (RecBole's names). Raises `MissingDependency` without
    RecBole and `BadInput` for a model RecBole does not have.
    """
    require("torch", "recsys", "RecBole models")
    require("recbole", "dev", "RecBole models")  # its record says: pip install --no-deps recbole==1.2.1
    check_model(model)  # before get_model: it imports RecBole's other model packages (lightgbm, xgboost) on a miss
    recbole_compat()
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    try:
        cls = get_model(model)
    except (ValueError, AttributeError) as exc:
        raise BadInput(f"RecBole has no model {model!r} (names are case-sensitive: BPR, LightGCN, MultiVAE)") from exc
    if not cls.__module__.startswith("recbole.model.general_recommender."):
        raise BadInput(f"RecBole's {model} is not a general recommender (user-item interactions only)")
    for name in ("recbole", "recbole.utils", "recbole.data", "recbole.trainer"):
        logging.getLogger(name).setLevel(logging.ERROR)
    validate = valid is not None and len(valid) > 0
    metric, _, k = valid_measure.partition("@")
    if metric.lower() not in {"ndcg", "recall", "mrr", "hit", "precision", "map"} or not k.isdigit():
        raise BadInput(f"valid_measure {valid_measure!r} must be nDCG@k, Recall@k, MRR@k, Hit@k, Precision@k or MAP@k")
    # RecBole 1.2.1 warns about APIs newer pandas/torch deprecated (none changes its results on our
    # two token columns, which have no missing values to fill); its warnings would drown the run's log
    with tempfile.TemporaryDirectory(prefix="rankbench-recbole-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp) / "split"
        folder.mkdir()
        held_out = valid if validate else Interactions(train.users[:1], train.items[:1], train.n_users, train.n_items)
        write_atomic(folder / "split.train.inter", train)
        write_atomic(folder / "split.valid.inter", held_out)
        write_atomic(folder / "split.test.inter", held_out)  # never evaluated: rankbench scores the test part
        with bare_argv():
            cfg = Config(
                model=model,
                dataset="split",
                config_dict={
                    **config,
                    "data_path": tmp,
                    "benchmark_filename": ["train", "valid", "test"],
                    "load_col": {"inter": ["user_id", "item_id"]},
                    "eval_args": {"group_by": "user", "order": "RO", "mode": "full"},
                    "metrics": ["NDCG", "Recall", "MRR", "Hit", "Precision", "MAP"],
                    "topk": [int(k)],
                    "valid_metric": f"{metric}@{k}",  # RecBole lower-cases metric names
                    "eval_step": 1 if validate else 0,
                    # RecBole sizes full-ranking batches in (user, item) pairs; its default 4096 scores
                    # one or two users per forward pass. 256 users per pass, as our adapters validate.
                    "eval_batch_size": 256 * (train.n_items + 1),
                    "use_gpu": False,
                    "device": "cpu",
                    "show_progress": False,
                    "state": "ERROR",
                    "checkpoint_dir": str(Path(tmp) / "saved"),
                    "reproducibility": True,
                    "worker": 0,
                },
            )
        init_seed(cfg["seed"], cfg["reproducibility"])
        dataset = create_dataset(cfg)
        train_data, valid_data, _ = data_preparation(cfg, dataset)
        net = get_model(cfg["model"])(cfg, train_data._dataset).to(cfg["device"])
        trainer = get_trainer(cfg["MODEL_TYPE"], cfg["model"])(cfg, net)
        best: dict[str, Any] = {"score": -np.inf, "epoch": -1, "state": None, "epochs": 0}

        def keep_best(epoch: int, score: float) -> None:
            best["epochs"] = epoch + 1
            if score > best["score"]:
                best.update(score=score, epoch=epoch, state={k: v.clone() for k, v in net.state_dict().items()})

        t0 = time.perf_counter()
        trainer.fit(train_data, valid_data if validate else None, verbose=False, saved=False, callback_fn=keep_best)
        fit_s = time.perf_counter() - t0
        if best["state"] is not None:
            net.load_state_dict(best["state"])
        net.eval()
        return RecBoleFit(net, dataset, model, best["epochs"] or int(cfg["epochs"]), int(best["epoch"]), fit_s)


def score_recbole(fit: RecBoleFit, users: np.ndarray, n_items: int, batch: int = 256) -> np.ndarray:
    """(len(users), n_items) float32 scores in rankbench's ids; items RecBole never saw score -1e9,
    users it never saw score 0 everywhere."""
    torch = require("torch", "recsys", "RecBole models")
    from recbole.data.interaction import Interaction

    user_ids = fit.dataset.field2token_id["user_id"]
    item_tokens = fit.dataset.field2id_token["item_id"]
    internal = np.array([user_ids.get(str(u), -1) for u in np.asarray(users).tolist()], dtype=np.int64)
    ours_of_internal = np.array([int(t) if t != "[PAD]" else -1 for t in item_tokens])
    keep = (ours_of_internal >= 0) & (ours_of_internal < n_items)
    scores = np.full((len(internal), n_items), -1e9, np.float32)
    scores[internal < 0] = 0.0
    known = np.flatnonzero(internal >= 0)
    n_int = len(item_tokens)
    with torch.no_grad():
        for start in range(0, len(known), batch):
            rows = known[start : start + batch]
            uid = torch.from_numpy(internal[rows])
            try:
                block = fit.net.full_sort_predict(Interaction({"user_id": uid})).view(len(uid), -1)
            except NotImplementedError:
                pairs = Interaction(
                    {"user_id": uid.repeat_interleave(n_int), "item_id": torch.arange(n_int).repeat(len(uid))}
                )
                block = fit.net.predict(pairs).view(len(uid), n_int)
            scores[np.ix_(rows, ours_of_internal[keep])] = block.float().numpy()[:, keep]
    return scores


def score_multivae_histories(fit: RecBoleFit, histories: Any, n_items: int, batch: int = 256) -> np.ndarray:
    """RecBole MultiVAE's forward pass (eval mode: the mean code) on (n, n_items) CSR rows in our item ids.

    Returns (n, n_items) float32 scores (-1e9 for items RecBole never saw); raises `BadInput` for a
    history item RecBole never saw.
    """
    torch = require("torch", "recsys", "RecBole models")
    item_tokens = fit.dataset.field2id_token["item_id"]
    ours_of_internal = np.array([int(t) if t != "[PAD]" else -1 for t in item_tokens])
    keep = ours_of_internal >= 0
    dense = histories.toarray().astype(np.float32)
    extra = np.setdiff1d(np.unique(histories.indices), ours_of_internal[keep])
    if len(extra):
        raise BadInput(f"history items {extra[:5].tolist()} never occur in RecBole's training data")
    scores = np.full((histories.shape[0], n_items), -1e9, np.float32)
    with torch.no_grad():
        for start in range(0, len(dense), batch):
            block = np.zeros((len(dense[start : start + batch]), len(ours_of_internal)), np.float32)
            block[:, keep] = dense[start : start + batch][:, ours_of_internal[keep]]
            logits, _, _ = fit.net.forward(torch.from_numpy(block))
            scores[start : start + len(block)][:, ours_of_internal[keep]] = logits.numpy()[:, keep]
    return scores


class RecBoleRecommender(Recommender):
    """One RecBole general recommender trained through RecBole's trainer; `config` keys are RecBole's."""

    def __init__(self, model: str = "BPR", seed: int = 0, valid_measure: str = "nDCG@20", **config: Any) -> None:
        check_model(model)
        self.model, self.seed, self.valid_measure, self.config = model, seed, valid_measure, dict(config)
        self.fit_: RecBoleFit | None = None
        self._n_items = 0

    def get_params(self) -> dict[str, Any]:
        return {"model": self.model, "seed": self.seed, "valid_measure": self.valid_measure, **self.config}

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        self._n_items = train.n_items
        config = {**self.config, "seed": self.seed}
        self.fit_ = train_recbole(self.model, train, valid, config, self.valid_measure)
        fit = self.fit_
        log.info("RecBole %s: %d epochs (best %d), %.1fs", self.model, fit.epochs, fit.best_epoch, fit.fit_s)

    def score_users(self, users: np.ndarray) -> np.ndarray:
        if self.fit_ is None:
            raise BadInput("call fit() before scoring")
        return score_recbole(self.fit_, users, self._n_items)


ADAPTERS = (
    AdapterSpec(
        name="recbole",
        family="recommender",
        factory="rankbench.adapters.recsys.recbole_models:RecBoleRecommender",
        extra=None,
        prepare="rankbench.adapters.recsys.recbole_models:prepare",
        open_params=True,
        smoke_params={"epochs": 20, "learning_rate": 0.01, "embedding_size": 16},
        description="RecBole's general recommenders by name (BPR, LightGCN, NGCF, MultiVAE, EASE, ItemKNN, ...); "
        "other parameters are RecBole config keys",
    ),
)
