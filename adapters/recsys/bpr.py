"""BPR-MF (Rendle et al., UAI 2009): matrix factorisation trained on sampled (user, pos, neg) triples.

The model and loss are the paper's BPR-Opt (Sec. 4.1): x_ui = <w_u, h_i>, minimise
-ln sigmoid(x_upos - x_uneg) plus `l2` times the squared norms of the embeddings a batch
touches. The training is not the paper's LearnBPR (SGD on bootstrap-sampled triples,
Sec. 4.2) but RecBole 1.2.1's (`BPR`, its `overall.yaml`): Adam over epochs that pair
every training interaction with one item drawn uniformly among those the user has not
interacted with in training, drawn anew every epoch; `dim`, `lr` and `batch_size` default to
RecBole's values. Where the defaults are rankbench's own: `init="normal"` (N(0, NORMAL_STD^2);
RecBole's is `"xavier_normal"`), `l2` (RecBole's BPR has none), `epochs`, `patience` and
`valid_measure` (RecBole: 300 epochs, `stopping_step` 10, which stops after 11 epochs without a
better validation score, i.e. `patience=11`). Early stopping on validation `valid_measure`
keeps the best epoch.

On ML-100k (`ml-100k-holdout`) the initialisation is what separates the two libraries: with
`init="xavier_normal", l2=0.0, patience=11, epochs=300` our BPR and RecBole's agree within
seed noise; with our defaults ours was 0.019-0.028 nDCG@10 lower on each of seeds 0-4. `l2=0.0`
and RecBole's stopping changed nothing under our `init`; `init` alone recovered most of the gap,
RecBole's stopping the rest (the `agree-recbole-ml100k` card runs the comparison).

`device=` trains on a GPU (auto: the best one available); the embeddings are copied back to
the CPU after every epoch and scored with numpy.
"""

from __future__ import annotations

import numpy as np

from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.adapters.recsys.base import Recommender, sample_unseen, seed_torch, user_csr
from rankbench.harness.devices import DEVICE_DEFAULT
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

INITS = ("normal", "xavier_normal")
"""`init` choices: N(0, NORMAL_STD^2) entries, or `torch.nn.init.xavier_normal_` (RecBole's BPR)."""
NORMAL_STD = 0.1
"""Standard deviation of the embedding entries under `init="normal"`."""


class BPR(Recommender):
    """BPR-MF with `dim`-dimensional user and item embeddings; scores (n_users, n_items) inner products.

    `lr` is Adam's learning rate, `l2` the weight of the squared embedding norms per triple,
    `patience` the epochs without a better validation `valid_measure` before stopping, `init`
    one of `INITS`. Raises BadInput for an unknown `init` or an unavailable `device`.
    """

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
        init: str = "normal",
        device: str = DEVICE_DEFAULT,
    ) -> None:
        if init not in INITS:
            raise BadInput(f"bpr init must be one of {', '.join(INITS)}, got {init!r}")
        self.init = init
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
        for table in (user, item):
            if self.init == "normal":
                torch.nn.init.normal_(table.weight, std=NORMAL_STD)
            else:
                torch.nn.init.xavier_normal_(table.weight)
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
