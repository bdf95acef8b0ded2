"""Mult-VAE and Mult-DAE (Liang et al., WWW 2018), following the authors' `vae_cf` code.

Both read a user's whole L2-normalised interaction row with dropout on the input (keep 0.5),
encode it through a 600-d tanh layer to a 200-d code and decode to a multinomial over all
items (log-softmax; the loss is the multinomial log-likelihood of the row). Mult-VAE's code
is Gaussian with the KL term weighted by beta, annealed linearly per update up to
`anneal_cap` over `total_anneal_steps`; Mult-DAE is deterministic with L2 `lam` on the
weights. Early stopping keeps the epoch with the best validation nDCG@100. Being functions
of the history, both score users they never trained on (strong generalization). `device=`
trains and scores on a GPU (auto: the best one available); weights start on the CPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.adapters.recsys.base import HistoryRecommender, seed_torch, state_copy, user_csr
from rankbench.harness.devices import DEVICE_DEFAULT
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Interactions
from rankbench.harness.registry import AdapterSpec

if TYPE_CHECKING:
    from scipy import sparse


def _network(
    torch: Any, n_items: int, hidden: int, latent: int, variational: bool, dropout: float, noise_std: float
) -> Any:
    nn, F = torch.nn, torch.nn.functional

    class MultAE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Linear(n_items, hidden)
            self.code = nn.Linear(hidden, 2 * latent if variational else latent)
            self.dec = nn.Linear(latent, hidden)
            self.out = nn.Linear(hidden, n_items)
            for layer in (self.enc, self.code, self.dec, self.out):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.normal_(layer.bias, std=0.001)

        def forward(self, x: Any) -> tuple[Any, Any, Any]:
            h = F.dropout(F.normalize(x, dim=1), p=dropout, training=self.training)
            h = self.code(torch.tanh(self.enc(h)))
            mu = logvar = None
            if variational:
                mu, logvar = h[:, :latent], h[:, latent:]
                h = mu + noise_std * torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
            return self.out(torch.tanh(self.dec(h))), mu, logvar

    return MultAE()


class MultVAE(HistoryRecommender):
    def __init__(
        self,
        variational: bool = True,
        hidden: int = 600,
        latent: int = 200,
        dropout: float = 0.5,
        anneal_cap: float = 0.2,
        total_anneal_steps: int = 200_000,
        lam: float = 0.0,
        epochs: int = 200,
        batch_size: int = 500,
        lr: float = 0.001,
        patience: int = 20,
        valid_measure: str = "nDCG@100",
        seed: int = 0,
        noise_std: float = 1.0,
        device: str = DEVICE_DEFAULT,
    ) -> None:
        """`noise_std` scales the reparameterisation noise: 1 in the paper; RecBole 1.2.1 hard-codes 0.01."""
        if not 0 <= dropout < 1:
            raise BadInput(f"dropout must lie in [0, 1), got {dropout}")
        if not noise_std >= 0:
            raise BadInput(f"noise_std must be >= 0, got {noise_std}")
        self.variational, self.hidden, self.latent, self.dropout = variational, hidden, latent, dropout
        self.anneal_cap, self.total_anneal_steps, self.lam = anneal_cap, total_anneal_steps, lam
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.patience, self.valid_measure, self.seed = patience, valid_measure, seed
        self.noise_std = noise_std
        self.use_device(device)
        self._net: Any = None
        self._torch: Any = None
        self.epochs_run = 0
        self.beta = 0.0

    def fit(self, train: Interactions, valid: Interactions | None) -> None:
        self._torch = torch = seed_torch(self.seed)
        rng = np.random.default_rng(self.seed)
        x = user_csr(train)
        self._train = x
        net = _network(torch, train.n_items, self.hidden, self.latent, self.variational, self.dropout, self.noise_std)
        self._net = net = net.to(self.device)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        rows = np.flatnonzero(x.getnnz(axis=1) > 0)
        stop = EarlyStopping(self.patience)
        updates = 0
        for epoch in range(self.epochs):
            net.train()
            order = rng.permutation(rows)
            for start in range(0, len(order), self.batch_size):
                batch = torch.from_numpy(x[order[start : start + self.batch_size]].toarray()).to(self.device)
                logits, mu, logvar = net(batch)
                loss = -(torch.log_softmax(logits, dim=1) * batch).sum(1).mean()
                if self.variational:
                    if self.total_anneal_steps > 0:
                        self.beta = min(self.anneal_cap, updates / self.total_anneal_steps)
                    else:
                        self.beta = self.anneal_cap
                    kl = (0.5 * (-logvar + logvar.exp() + mu.pow(2) - 1)).sum(1).mean()
                    loss = loss + self.beta * kl
                if self.lam > 0:
                    loss = loss + self.lam * sum(p.pow(2).sum() for n, p in net.named_parameters() if "weight" in n)
                opt.zero_grad()
                loss.backward()
                opt.step()
                updates += 1
            self.epochs_run = epoch + 1
            net.eval()
            if self.validation_step(epoch, stop, x, valid, lambda: state_copy(net)):
                break
        if stop.best_state is not None:
            net.load_state_dict(stop.best_state)
        net.eval()

    def score_histories(self, histories: sparse.csr_matrix) -> np.ndarray:
        if self._net is None:
            raise BadInput("call fit() before scoring")
        torch = self._torch
        out = []
        with torch.no_grad():
            for start in range(0, histories.shape[0], 2048):
                block = torch.from_numpy(histories[start : start + 2048].toarray().astype(np.float32))
                out.append(self._net(block.to(self.device))[0].cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self._net.out.out_features), np.float32)


_SMOKE = {"epochs": 10, "hidden": 64, "latent": 16, "batch_size": 50, "total_anneal_steps": 100, "lr": 0.003}
ADAPTERS = (
    AdapterSpec(
        name="multvae",
        family="recommender",
        factory="rankbench.adapters.recsys.multvae:MultVAE",
        extra="recsys",
        smoke_params=_SMOKE,
        description="Mult-VAE (Liang et al. 2018): 600-200-600, input dropout 0.5, beta annealed to 0.2",
    ),
    AdapterSpec(
        name="multdae",
        family="recommender",
        factory="rankbench.adapters.recsys.multvae:MultVAE",
        extra="recsys",
        params={"variational": False, "lam": 0.01},
        smoke_params=_SMOKE,
        description="Mult-DAE (Liang et al. 2018): denoising autoencoder, multinomial likelihood, L2 0.01",
    ),
)
