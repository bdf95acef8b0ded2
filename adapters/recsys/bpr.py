"""BPR-MF (Rendle et al., UAI 2009): matrix factorisation trained on sampled (user, pos, neg) triples.

Each epoch pairs every training interaction with one uniformly sampled unseen item and
minimises -log sigmoid(x_upos - x_uneg) with L2 on the embeddings touched; early stopping
on validation nDCG@k keeps the best epoch. `device=` trains on a GPU (auto: the best one
available); the embeddings are copied back to the CPU after every epoch and scored with numpy.
"""

from __future__ import annotations

import numpy as np

from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.adapters.recsys.base import Recommender, sample_unseen, seed_torch, user_csr
from rankbench.harness.devices import DEVICE_DEFAULT
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec


class BPR(Recommender):
    def __init__(
        self,
        dim: int = 64,
        epochs: int = 100,
        batch_size: int = 2048,
        lr: float = 0.001,
        l2: float = 1e-5,
        patience: int = 5,
        valid_measure: str = "nDCG@20",
        seed: int = 0,
        device: str = DEVICE_DEFAULT,
    ) -> None:
        self.use_device(device)
        self.dim, self.epochs, self.batch_size, self.lr, self.l2 = dim, epochs, batch_size, lr, l2
        self.patience, self.valid_measure, self.seed = patience, valid_measure, seed
        self._user: np.ndarray | None = None
        self._item: np.ndarray | None = None
        self.epochs_run = 0

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        torch = seed_torch(self.seed)
        rng = np.random.default_rng(self.seed)
        seen = user_csr(train)
        user = torch.nn.Embedding(train.n_users, self.dim)
        item = torch.nn.Embedding(train.n_items, self.dim)
        torch.nn.init.normal_(user.weight, std=0.1)
        torch.nn.init.normal_(item.weight, std=0.1)
        user, item = user.to(self.device), item.to(self.device)
        opt = torch.optim.Adam([user.weight, item.weight], lr=self.lr)
        stop = EarlyStopping(self.patience)
        users_all, items_all = seen.nonzero()
        for epoch in range(self.epochs):
            order = rng.permutation(len(users_all))
            neg = sample_unseen(seen, users_all[order], 1, rng)[:, 0]
            u_t, p_t, n_t = (torch.from_numpy(a).to(self.device) for a in (users_all[order], items_all[order], neg))
            for start in range(0, len(order), self.batch_size):
                u, p, n = (t[start : start + self.batch_size] for t in (u_t, p_t, n_t))
                eu, ep, en = user(u), item(p), item(n)
                diff = (eu * (ep - en)).sum(1)
                reg = self.l2 * (eu.pow(2).sum() + ep.pow(2).sum() + en.pow(2).sum()) / len(u)
                loss = -torch.nn.functional.logsigmoid(diff).mean() + reg
                opt.zero_grad()
                loss.backward()
                opt.step()
            self._user, self._item = (e.weight.detach().cpu().numpy().copy() for e in (user, item))
            self.epochs_run = epoch + 1
            if self.validation_step(epoch, stop, seen, valid, lambda: (self._user, self._item)):
                break
        if stop.best_state is not None:
            self._user, self._item = stop.best_state

    def score_users(self, users: np.ndarray) -> np.ndarray:
        if self._user is None or self._item is None:
            raise BadInput("call fit() before scoring")
        return self._user[np.asarray(users)] @ self._item.T


ADAPTERS = (
    AdapterSpec(
        name="bpr",
        family="recommender",
        factory="rankbench.adapters.recsys.bpr:BPR",
        extra="recsys",
        smoke_params={"epochs": 15, "dim": 16, "lr": 0.01},
        description="BPR matrix factorisation (torch), early stopping on validation nDCG@20",
    ),
)
