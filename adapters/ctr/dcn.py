"""Deep & Cross Network (Wang et al., 2017): a vector-weight cross network beside a DNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rankbench.adapters.ctr.dnn import DNN
from rankbench.adapters.ctr.layers import FieldEmbedding, mlp, reset_linear
from rankbench.adapters.ctr.trainer import CTRNet
from rankbench.harness.records import CTRTable


class CrossNet(nn.Module):
    """x_{l+1} = x_0 * (x_l . w_l) + b_l + x_l: each layer raises the cross order by one with O(d) weights."""

    def __init__(self, dim: int, n_layers: int) -> None:
        super().__init__()
        self.w = nn.ModuleList(nn.Linear(dim, 1, bias=False) for _ in range(n_layers))
        self.b = nn.ParameterList(nn.Parameter(torch.zeros(dim)) for _ in range(n_layers))

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0
        for w, b in zip(self.w, self.b, strict=True):
            x = x0 * w(x) + b + x
        return x


class DCNNet(CTRNet):
    def __init__(
        self, table: CTRTable, dim: int, n_cross: int, hidden: Sequence[int], dropout: float, batch_norm: bool
    ) -> None:
        super().__init__()
        self.embedding = FieldEmbedding(table.vocab_sizes, len(table.num_fields), dim)
        width = self.embedding.n_fields * dim
        self.cross = CrossNet(width, n_cross)
        self.dnn = mlp(width, hidden, dropout, batch_norm)
        self.fc = nn.Linear(width + (hidden[-1] if hidden else 0), 1)
        reset_linear(self)

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.embedding(cat, num).flatten(1)
        parts = [self.cross(x), self.dnn(x)] if len(self.dnn) else [self.cross(x)]
        return {"logit": self.fc(torch.cat(parts, dim=-1)).squeeze(-1)}


class DCN(DNN):
    """A DNN with a cross network beside it: the DNN's knobs (`hidden_units`, `net_dropout`,
    `batch_norm`) and defaults are `DNN`'s, passed through `**dnn`."""

    def __init__(self, num_cross_layers: int = 3, **dnn: object) -> None:
        super().__init__(**dnn)  # type: ignore[arg-type]
        self.num_cross_layers = num_cross_layers

    def build(self, table: CTRTable) -> CTRNet:
        return DCNNet(
            table, self.embedding_dim, self.num_cross_layers, self.hidden_units, self.net_dropout, self.batch_norm
        )
