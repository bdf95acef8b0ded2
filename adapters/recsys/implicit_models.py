"""The `implicit` library's recommenders (Ben Frederickson, MIT) by name: `implicit(model=als, factors=64)`.

`model` picks one of `MODELS`; every other parameter goes to that model's constructor under the
library's own name (`factors`, `regularization`, `alpha`, `iterations`, `learning_rate`, `K`, `K1`,
`B`, ...), so the library's defaults apply to whatever is not set. Training uses the binary
user x item matrix of the split's train part; `implicit` has no early stopping, so the
validation part is not used. CPU implementations only (`implicit.cpu.*`), seeded through
`random_state`.

Scores: factor models score `user_factors @ item_factors.T` (for BPR and LMF the library's
item bias sits in the last factor column against a user column of ones); neighbourhood models
score `history @ similarity`, which is what their `recommend` ranks by (tests check both against
`recommend`). Neighbourhood models and ALS also score users they were not trained on from their
histories (`score_histories`; ALS solves the new users' factors with the library's `recalculate_user`).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import numpy as np

from rankbench.adapters.recsys.base import Recommender, user_csr
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)

MODELS: dict[str, tuple[str, str]] = {
    "als": ("implicit.cpu.als", "AlternatingLeastSquares"),
    "bpr": ("implicit.cpu.bpr", "BayesianPersonalizedRanking"),
    "lmf": ("implicit.cpu.lmf", "LogisticMatrixFactorization"),
    "itemknn": ("implicit.nearest_neighbours", "ItemItemRecommender"),
    "cosine": ("implicit.nearest_neighbours", "CosineRecommender"),
    "tfidf": ("implicit.nearest_neighbours", "TFIDFRecommender"),
    "bm25": ("implicit.nearest_neighbours", "BM25Recommender"),
}
"""rankbench name -> (module, class) of the `implicit` model."""


def model_class(name: str) -> type:
    """The `implicit` class behind a model name; `BadInput` naming the known ones otherwise."""
    if name.lower() not in MODELS:
        raise BadInput(f"unknown implicit model {name!r}; expected one of {', '.join(MODELS)}")
    module, cls = MODELS[name.lower()]
    return getattr(require(module, "recsys", "implicit's recommenders"), cls)


class ImplicitRecommender(Recommender):
    """One `implicit` model; `hyper` holds its constructor arguments (the library's names and defaults)."""

    def __init__(self, model: str = "als", seed: int = 0, threads: int = 1, **hyper: Any) -> None:
        self.model, self.seed, self.threads, self.hyper = model, seed, threads, dict(hyper)
        cls = model_class(model)
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "num_threads", "random_state"}
        unknown = sorted(set(hyper) - accepted)
        if unknown:
            raise BadInput(
                f"implicit model {model!r} has no parameter {unknown[0]!r}; it takes {', '.join(sorted(accepted))}"
            )
        kwargs: dict[str, Any] = {**hyper, "num_threads": threads}
        if "random_state" in inspect.signature(cls.__init__).parameters:
            kwargs["random_state"] = seed
        self._model = cls(**kwargs)
        self._train: Any = None

    def get_params(self) -> dict[str, Any]:
        return {"model": self.model, "seed": self.seed, "threads": self.threads, **self.hyper}

    @property
    def is_neighbourhood(self) -> bool:
        return hasattr(self._model, "similarity")

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        from threadpoolctl import threadpool_limits

        self._train = user_csr(train)
        # the neighbourhood models' compiled code reads float64 rows; the factor models float32
        matrix = self._train.astype(np.float64) if self.is_neighbourhood else self._train
        with threadpool_limits(limits=1, user_api="blas"):  # implicit's advice: BLAS threads fight its own
            self._model.fit(matrix, show_progress=False)

    def score_users(self, users: np.ndarray) -> np.ndarray:
        if self._train is None:
            raise BadInput("call fit() before scoring")
        users = np.asarray(users)
        if self.is_neighbourhood:
            return np.asarray((self._train[users] @ self._model.similarity).todense(), dtype=np.float64)
        user_f, item_f = _as_numpy(self._model.user_factors), _as_numpy(self._model.item_factors)
        return user_f[users] @ item_f.T


class ImplicitFoldIn(ImplicitRecommender):
    """An `implicit` model that also scores new users from their histories (ALS and the neighbourhood models)."""

    def score_histories(self, histories: Any) -> np.ndarray:
        """(n_users, n_items) float64 scores of fold-in histories, a (n_users, n_items) CSR matrix."""
        if self._train is None:
            raise BadInput("call fit() before scoring")
        histories = histories.tocsr().astype(np.float32)
        if self.is_neighbourhood:
            return np.asarray((histories @ self._model.similarity).todense(), dtype=np.float64)
        user_f = _as_numpy(self._model.recalculate_user(np.arange(histories.shape[0]), histories))
        return np.asarray(user_f @ _as_numpy(self._model.item_factors).T, dtype=np.float64)


FOLD_IN = {"als", "itemknn", "cosine", "tfidf", "bm25"}


def implicit_recommender(model: str = "als", seed: int = 0, threads: int = 1, **hyper: Any) -> ImplicitRecommender:
    """The adapter for `model`: `ImplicitFoldIn` where the model can score unseen users, else `ImplicitRecommender`."""
    cls = ImplicitFoldIn if model.lower() in FOLD_IN else ImplicitRecommender
    return cls(model=model, seed=seed, threads=threads, **hyper)


def _as_numpy(factors: Any) -> np.ndarray:
    return np.asarray(factors.to_numpy() if hasattr(factors, "to_numpy") else factors)


ADAPTERS = (
    AdapterSpec(
        name="implicit",
        family="recommender",
        factory="rankbench.adapters.recsys.implicit_models:implicit_recommender",
        extra="recsys",
        open_params=True,
        smoke_params={"factors": 16},  # the library's 100 factors overfit the tiny contract data
        description="the implicit library's recommenders by name (als, bpr, lmf, itemknn, cosine, tfidf, bm25); "
        "other parameters go to the model",
    ),
)
