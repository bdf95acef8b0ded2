"""DNN (YouTube-DNN style MLP over concatenated field embeddings), BARS's `DNN` baseline."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rankbench.adapters.ctr.layers import FieldEmbedding, mlp, reset_linear
from rankbench.adapters.ctr.trainer import CTRNet, TorchCTRModel
from rankbench.harness.records import CTRTable


class DNNNet(CTRNet):
    def __init__(self, table: CTRTable, dim: int, hidden: Sequence[int], dropout: float, batch_norm: bool) -> None:
        super().__init__()
        self.embedding = FieldEmbedding(table.vocab_sizes, len(table.num_fields), dim)
        width = self.embedding.n_fields * dim
        self.mlp = mlp(width, hidden, dropout, batch_norm)
        self.fc = nn.Linear(hidden[-1] if hidden else width, 1)
        reset_linear(self)

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.embedding(cat, num).flatten(1)
        return {"logit": self.fc(self.mlp(x)).squeeze(-1)}


class DNN(TorchCTRModel):
    def __init__(
        self,
        hidden_units: Sequence[int] = (400, 400, 400),
        net_dropout: float = 0.2,
        batch_norm: bool = True,
        **common: object,
    ) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        self.hidden_units, self.net_dropout, self.batch_norm = tuple(hidden_units), net_dropout, batch_norm

    def build(self, table: CTRTable) -> CTRNet:
        return DNNNet(table, self.embedding_dim, self.hidden_units, self.net_dropout, self.batch_norm)
