"""Shared torch layers of the CTR models: field embeddings, first-order term, MLP.

Initialisation follows FuxiCTR's BaseModel (embeddings N(0, 1e-4), Linear weights Xavier
normal, biases zero) so our models and FuxiCTR's start from the same distribution.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class FieldEmbedding(nn.Module):
    """All categorical fields in one table (per-field offsets) plus one vector per numeric field.

    A numeric field's embedding is its learned vector scaled by the value, as in FuxiCTR.
    One table and one gather per batch is what keeps the embedding layer cheap on CPU.
    """

    def __init__(self, vocab_sizes: Sequence[int], n_numeric: int, dim: int) -> None:
        super().__init__()
        offsets = torch.tensor([0, *list(vocab_sizes)[:-1]], dtype=torch.long).cumsum(0)
        self.register_buffer("offsets", offsets, persistent=False)
        self.table = nn.Embedding(max(1, int(sum(vocab_sizes))), dim)
        self.numeric = nn.Parameter(torch.empty(n_numeric, dim))
        self.n_fields = len(vocab_sizes) + n_numeric
        self.dim = dim
        nn.init.normal_(self.table.weight, std=1e-4)
        nn.init.normal_(self.numeric, std=1e-4)

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> torch.Tensor:
        """(B, n_cat) codes and (B, n_num) values -> (B, n_fields, dim)."""
        emb = self.table(cat + self.offsets)
        if self.numeric.shape[0]:
            emb = torch.cat([emb, num.unsqueeze(-1) * self.numeric], dim=1)
        return emb


class FirstOrder(nn.Module):
    """The linear part w0 + sum_i w_i x_i, i.e. logistic regression on one-hot fields."""

    def __init__(self, vocab_sizes: Sequence[int], n_numeric: int) -> None:
        super().__init__()
        self.weights = FieldEmbedding(vocab_sizes, n_numeric, 1)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> torch.Tensor:
        return self.weights(cat, num).sum(dim=1) + self.bias


def mlp(input_dim: int, hidden: Sequence[int], dropout: float, batch_norm: bool) -> nn.Sequential:
    """Linear -> [BatchNorm] -> ReLU -> [Dropout] blocks, FuxiCTR's MLP_Block without an output layer."""
    layers: list[nn.Module] = []
    dim = input_dim
    for width in hidden:
        layers.append(nn.Linear(dim, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        dim = width
    return nn.Sequential(*layers)


def reset_linear(module: nn.Module) -> None:
    """Xavier-normal weights and zero biases for every Linear layer (FuxiCTR's default reset)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
