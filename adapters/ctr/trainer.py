"""The training loop every CTR model shares: Adam, early stopping on validation AUC, best-state restore.

It follows FuxiCTR's BaseModel training loop (gradient-norm clipping at 10, learning rate x0.1 on
a plateau, stop after `patience` epochs without a better validation AUC, reload the best
weights) so that a model here and its FuxiCTR counterpart see the same optimisation.
Batches are sliced from tensors held in memory with one seeded permutation per epoch:
no DataLoader workers, no per-sample Python, which is where the CPU time goes elsewhere.
"""

from __future__ import annotations

import copy
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rankbench.adapters.ctr.layers import FieldEmbedding
from rankbench.adapters.early_stopping import EarlyStopping
from rankbench.harness.devices import DEVICE_DEFAULT, describe, resolve_device
from rankbench.harness.errors import BadInput
from rankbench.harness.measures.ctr import auc
from rankbench.harness.records import CTRTable

log = logging.getLogger(__name__)

PREDICT_BATCH = 16384


@dataclass
class Tensors:
    cat: torch.Tensor
    num: torch.Tensor
    labels: torch.Tensor

    @classmethod
    def of(cls, table: CTRTable) -> Tensors:
        return cls(
            torch.from_numpy(np.ascontiguousarray(table.categorical, dtype=np.int64)),
            torch.from_numpy(np.ascontiguousarray(table.numeric, dtype=np.float32)),
            torch.from_numpy(np.asarray(table.labels, dtype=np.float32)),
        )

    def to(self, device: str) -> Tensors:
        return Tensors(self.cat.to(device), self.num.to(device), self.labels.to(device))


class CTRNet(nn.Module):
    """A network maps (codes, numeric values) to a dict with at least `logit`; it may define its loss."""

    def loss(self, out: dict[str, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out["logit"], y)


@dataclass
class TrainConfig:
    batch_size: int
    learning_rate: float
    max_epochs: int
    patience: int
    embedding_regularizer: float
    seed: int
    max_grad_norm: float = 10.0
    lr_decay_on_plateau: bool = True


@dataclass
class TrainLog:
    epochs: int = 0
    best_epoch: int = 0
    best_valid_auc: float = float("nan")
    train_seconds: float = 0.0
    train_samples: int = 0
    history: list[float] = field(default_factory=list)


def embedding_penalty(net: nn.Module, weight: float) -> torch.Tensor | float:
    """FuxiCTR's embedding regulariser: (lambda / 2) * ||E||^2 over every embedding table."""
    if weight <= 0:
        return 0.0
    total: torch.Tensor | float = 0.0
    for m in net.modules():
        if isinstance(m, FieldEmbedding):
            total = total + m.table.weight.pow(2).sum() + m.numeric.pow(2).sum()
    return weight / 2 * total


@torch.no_grad()
def predict(net: CTRNet, data: Tensors) -> np.ndarray:
    net.eval()
    out = [
        torch.sigmoid(net(data.cat[i : i + PREDICT_BATCH], data.num[i : i + PREDICT_BATCH])["logit"])
        for i in range(0, len(data.labels), PREDICT_BATCH)
    ]
    return torch.cat(out).double().cpu().numpy().reshape(-1) if out else np.zeros(0)


def make_optimizer(net: nn.Module, learning_rate: float) -> torch.optim.Optimizer:
    """Adam with the fused kernel (CPU or CUDA): one pass over all parameters instead of one per tensor."""
    return torch.optim.Adam(net.parameters(), lr=learning_rate, fused=True)


def run_epoch(
    net: CTRNet, optimizer: torch.optim.Optimizer, data: Tensors, cfg: TrainConfig, gen: torch.Generator
) -> None:
    """One pass over `data` in a seeded random order, batches sliced from the in-memory tensors."""
    net.train()
    order = torch.randperm(len(data.labels), generator=gen)
    for start in range(0, len(order), cfg.batch_size):
        idx = order[start : start + cfg.batch_size].to(data.labels.device)
        out = net(data.cat[idx], data.num[idx])
        loss = net.loss(out, data.labels[idx]) + embedding_penalty(net, cfg.embedding_regularizer)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), cfg.max_grad_norm, foreach=True)
        optimizer.step()


def train_net(net: CTRNet, train_data: Tensors, valid_data: Tensors, cfg: TrainConfig) -> TrainLog:
    """Fit `net` in place; the returned log says when it stopped and how fast it trained."""
    if len(train_data.labels) == 0:
        raise BadInput("cannot train a CTR model on an empty table")
    valid_labels = valid_data.labels.cpu().numpy()
    if valid_labels.min() == valid_labels.max():
        raise BadInput("early stopping needs both clicks and non-clicks in the validation table")
    optimizer = make_optimizer(net, cfg.learning_rate)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(train_data.labels)
    result = TrainLog()
    stop = EarlyStopping(cfg.patience, min_delta=1e-6)
    for epoch in range(1, cfg.max_epochs + 1):
        t0 = time.perf_counter()
        run_epoch(net, optimizer, train_data, cfg, gen)
        result.train_seconds += time.perf_counter() - t0
        result.train_samples += n
        result.epochs = epoch
        done = stop.update(epoch, auc(valid_labels, predict(net, valid_data)), lambda: copy.deepcopy(net.state_dict()))
        if not stop.improved and cfg.lr_decay_on_plateau:
            for group in optimizer.param_groups:
                group["lr"] = max(group["lr"] * 0.1, 1e-6)
        if done:
            break
    if stop.best_state is not None:
        net.load_state_dict(stop.best_state)
    result.best_epoch, result.best_valid_auc, result.history = stop.best_epoch, stop.best, stop.history
    return result


class TorchCTRModel(ABC):
    """A CTRModel whose network is built at fit time, when the table's vocabularies are known.

    Subclasses define `build(table) -> CTRNet`; the common knobs (BARS defaults: embedding
    dim 10, Adam lr 1e-3, batch 4096, patience 2) live here.
    """

    def __init__(
        self,
        embedding_dim: int = 10,
        batch_size: int = 4096,
        learning_rate: float = 1e-3,
        max_epochs: int = 100,
        patience: int = 2,
        embedding_regularizer: float = 0.0,
        seed: int | None = None,
        device: str = DEVICE_DEFAULT,
    ) -> None:
        if embedding_dim < 1 or batch_size < 1 or max_epochs < 1 or patience < 1:
            raise BadInput("embedding_dim, batch_size, max_epochs and patience must be positive")
        self.embedding_dim = embedding_dim
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.patience = patience
        self.embedding_regularizer = embedding_regularizer
        self.seed = seed
        self.device = resolve_device(device)
        self.model_provenance = describe(self.device)
        self.net: CTRNet | None = None
        self.log: TrainLog | None = None

    @abstractmethod
    def build(self, table: CTRTable) -> CTRNet:
        """The network for this table's fields (called by `fit` after seeding)."""

    def fit(self, train: CTRTable, valid: CTRTable) -> None:
        seed = self.seed if self.seed is not None else torch.initial_seed()
        torch.manual_seed(seed)
        self.net = self.build(train).to(self.device)
        cfg = TrainConfig(
            self.batch_size, self.learning_rate, self.max_epochs, self.patience, self.embedding_regularizer, seed
        )
        self.log = train_net(self.net, Tensors.of(train).to(self.device), Tensors.of(valid).to(self.device), cfg)

    def predict_proba(self, table: CTRTable) -> np.ndarray:
        if self.net is None:
            raise BadInput("call fit() before predict_proba()")
        return predict(self.net, Tensors.of(table).to(self.device))

    def n_parameters(self) -> int:
        return 0 if self.net is None else sum(p.numel() for p in self.net.parameters())
