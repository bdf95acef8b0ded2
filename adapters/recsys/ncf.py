"""Neural Collaborative Filtering (He et al., WWW 2017): GMF, MLP and NeuMF, as in the authors' code.

- GMF: prediction layer over the element-wise product of user and item embeddings.
- MLP: user and item embeddings of size layers[0] / 2, concatenated, through ReLU layers
  layers[1:], then the prediction layer ("predictive factors" = layers[-1]).
- NeuMF: both towers with separate embeddings, their last layers concatenated. With
  `pretrain`, GMF and MLP are trained first and NeuMF starts from their weights, the
  prediction layer being [alpha h_GMF, (1 - alpha) h_MLP], then tuned with vanilla SGD (Sec. 3.4.1).

Trained pointwise with log loss on each interaction plus `negatives` unseen items sampled anew
every epoch (the paper's 4), embeddings initialised N(0, 0.01), Adam. Dense layers start as
in the authors' Keras code (`init="xavier"`: Glorot-uniform weights, zero biases) or with
PyTorch's defaults (`init="torch"`, as RecBole leaves them). Early stopping on a validation
split when one is given; otherwise (the NCF files have none) `epochs` are run. `device=`
trains and scores on a GPU (auto: the best one available); networks are built on the CPU from
the seeded generator and then moved.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.adapters.recsys.base import Recommender, sample_unseen, seed_torch, state_copy, user_csr
from rankbench.harness.devices import DEVICE_DEFAULT
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

MODELS = ("gmf", "mlp", "neumf")
INITS = ("xavier", "torch")


def _network(
    torch: Any, kind: str, n_users: int, n_items: int, factors: int, layers: tuple[int, ...], init: str
) -> Any:
    nn = torch.nn

    class NCFNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kind = kind
            width = 0
            if kind in ("gmf", "neumf"):
                self.mf_user, self.mf_item = nn.Embedding(n_users, factors), nn.Embedding(n_items, factors)
                width += factors
            if kind in ("mlp", "neumf"):
                half = layers[0] // 2
                self.mlp_user, self.mlp_item = nn.Embedding(n_users, half), nn.Embedding(n_items, half)
                blocks: list[Any] = []
                for d_in, d_out in itertools.pairwise(layers):
                    blocks += [nn.Linear(d_in, d_out), nn.ReLU()]
                self.mlp = nn.Sequential(*blocks)
                width += layers[-1]
            self.predict = nn.Linear(width, 1)
            for module in self.modules():
                if isinstance(module, nn.Embedding):
                    nn.init.normal_(module.weight, std=0.01)
                elif isinstance(module, nn.Linear) and init == "xavier":
                    nn.init.xavier_uniform_(module.weight)
                    nn.init.zeros_(module.bias)

        def towers(self, u: Any, i: Any) -> Any:
            parts = []
            if self.kind in ("gmf", "neumf"):
                parts.append(self.mf_user(u) * self.mf_item(i))
            if self.kind in ("mlp", "neumf"):
                parts.append(self.mlp(torch.cat([self.mlp_user(u), self.mlp_item(i)], dim=-1)))
            return torch.cat(parts, dim=-1)

        def forward(self, u: Any, i: Any) -> Any:
            return self.predict(self.towers(u, i)).squeeze(-1)

    return NCFNet()


class NCF(Recommender):
    def __init__(
        self,
        model: str = "neumf",
        factors: int = 8,
        layers: tuple[int, ...] = (64, 32, 16, 8),
        negatives: int = 4,
        epochs: int = 20,
        batch_size: int = 256,
        lr: float = 0.001,
        pretrain: bool = False,
        alpha: float = 0.5,
        finetune_lr: float = 0.001,
        patience: int = 3,
        valid_measure: str = "nDCG@10",
        seed: int = 0,
        init: str = "xavier",
        device: str = DEVICE_DEFAULT,
    ) -> None:
        if model not in MODELS:
            raise BadInput(f"ncf model must be one of {', '.join(MODELS)}, got {model!r}")
        if init not in INITS:
            raise BadInput(f"ncf init must be one of {', '.join(INITS)}, got {init!r}")
        if pretrain and model != "neumf":
            raise BadInput("pre-training applies to NeuMF only (it initialises NeuMF from GMF and MLP)")
        layers = tuple(int(x) for x in layers)
        if len(layers) < 2 or layers[0] % 2:
            raise BadInput(f"ncf layers need >= 2 sizes, the first even (user + item halves), got {layers}")
        self.model, self.factors, self.layers, self.negatives = model, factors, layers, negatives
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.pretrain, self.alpha, self.finetune_lr = pretrain, alpha, finetune_lr
        self.patience, self.valid_measure, self.seed = patience, valid_measure, seed
        self.init = init
        self.use_device(device)
        self._net: Any = None
        self._torch: Any = None
        self.epochs_run: dict[str, int] = {}

    def _train(self, kind: str, train: Interactions, valid: Interactions | None, init: Any = None) -> Any:
        torch = self._torch
        if init is not None:
            net = init
            opt = torch.optim.SGD(net.parameters(), lr=self.finetune_lr)
        else:  # reseeded per network: pre-trained GMF / MLP are exactly the standalone adapters
            torch.manual_seed(self.seed)
            net = _network(torch, kind, train.n_users, train.n_items, self.factors, self.layers, self.init)
            net = net.to(self.device)
            opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        rng = np.random.default_rng(self.seed)
        seen = user_csr(train)
        pos_u, pos_i = seen.nonzero()
        n_pos = len(pos_u)
        labels = np.concatenate([np.ones(n_pos, np.float32), np.zeros(n_pos * self.negatives, np.float32)])
        stop = EarlyStopping(self.patience)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for epoch in range(self.epochs):
            neg = sample_unseen(seen, pos_u, self.negatives, rng).T.reshape(-1)
            users = np.concatenate([pos_u, np.tile(pos_u, self.negatives)])
            items = np.concatenate([pos_i, neg])
            order = torch.from_numpy(rng.permutation(len(users)))
            u_t, i_t, y_t = (torch.from_numpy(a)[order].to(self.device) for a in (users, items, labels))
            net.train()
            for start in range(0, len(users), self.batch_size):
                sl = slice(start, start + self.batch_size)
                loss = loss_fn(net(u_t[sl], i_t[sl]), y_t[sl])
                opt.zero_grad()
                loss.backward()
                opt.step()
            self.epochs_run[kind] = epoch + 1
            self._net = net
            if self.validation_step(epoch, stop, seen, valid, lambda: state_copy(net)):
                break
        if stop.best_state is not None:
            net.load_state_dict(stop.best_state)
        net.eval()
        return net

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        self._torch = torch = seed_torch(self.seed)
        if not self.pretrain:
            self._net = self._train(self.model, train, valid)
            return
        gmf = self._train("gmf", train, valid)
        mlp = self._train("mlp", train, valid)
        net = _network(torch, "neumf", train.n_users, train.n_items, self.factors, self.layers, self.init)
        net = net.to(self.device)
        with torch.no_grad():
            for name in ("mf_user", "mf_item"):
                getattr(net, name).weight.copy_(getattr(gmf, name).weight)
            for name in ("mlp_user", "mlp_item"):
                getattr(net, name).weight.copy_(getattr(mlp, name).weight)
            net.mlp.load_state_dict(mlp.mlp.state_dict())
            weight = torch.cat([self.alpha * gmf.predict.weight, (1 - self.alpha) * mlp.predict.weight], dim=1)
            net.predict.weight.copy_(weight)
            net.predict.bias.copy_(self.alpha * gmf.predict.bias + (1 - self.alpha) * mlp.predict.bias)
        self._net = self._train("neumf", train, valid, init=net)

    def _pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        torch = self._torch
        out = np.empty(items.shape, np.float32)
        flat_u = np.repeat(np.asarray(users), items.shape[1])
        flat_i = items.reshape(-1)
        flat = out.reshape(-1)
        with torch.no_grad():
            for start in range(0, len(flat_u), 1 << 18):
                sl = slice(start, start + (1 << 18))
                u, i = (torch.from_numpy(a[sl]).to(self.device) for a in (flat_u, flat_i))
                flat[sl] = self._net(u, i).cpu().numpy()
        return out

    def score_users(self, users: np.ndarray) -> np.ndarray:
        if self._net is None:
            raise BadInput("call fit() before scoring")
        n_items = self._n_items()
        return self._pairs(np.asarray(users), np.broadcast_to(np.arange(n_items), (len(users), n_items)))

    def _n_items(self) -> int:
        net = self._net
        return (net.mf_item if hasattr(net, "mf_item") else net.mlp_item).num_embeddings

    def score_candidates(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Only the listed (user, item) pairs go through the network."""
        if self._net is None:
            raise BadInput("call fit() before scoring")
        return self._pairs(users, items)


_SMOKE = {"epochs": 6, "batch_size": 512, "lr": 0.005, "factors": 8, "layers": (16, 8)}
ADAPTERS = (
    AdapterSpec(
        name="gmf",
        family="recommender",
        factory="rankbench.adapters.recsys.ncf:NCF",
        extra="recsys",
        params={"model": "gmf"},
        smoke_params=_SMOKE,
        description="NCF GMF (He et al. 2017), 8 predictive factors, log loss with 4 negatives",
    ),
    AdapterSpec(
        name="mlp",
        family="recommender",
        factory="rankbench.adapters.recsys.ncf:NCF",
        extra="recsys",
        params={"model": "mlp"},
        smoke_params=_SMOKE,
        description="NCF MLP tower (He et al. 2017), layers 64-32-16-8",
    ),
    AdapterSpec(
        name="neumf",
        family="recommender",
        factory="rankbench.adapters.recsys.ncf:NCF",
        extra="recsys",
        smoke_params=_SMOKE,
        description="NCF NeuMF (GMF + MLP), trained from scratch with Adam",
    ),
    AdapterSpec(
        name="neumf-pretrain",
        family="recommender",
        factory="rankbench.adapters.recsys.ncf:NCF",
        extra="recsys",
        params={"pretrain": True},
        smoke_params={**_SMOKE, "finetune_lr": 0.01},
        description="NCF NeuMF initialised from pre-trained GMF and MLP, tuned with SGD (Sec. 3.4.1)",
    ),
)
