"""Factorization machine (Rendle, 2010): first-order term plus all pairwise inner products of embeddings."""

from __future__ import annotations

import torch

from rankbench.adapters.ctr.layers import FieldEmbedding, FirstOrder
from rankbench.adapters.ctr.trainer import CTRNet, TorchCTRModel
from rankbench.harness.records import CTRTable


def pairwise_interactions(emb: torch.Tensor) -> torch.Tensor:
    """sum_{i<j} <e_i, e_j> in O(F*D): half of (sum e)^2 minus sum e^2."""
    square_of_sum = emb.sum(dim=1).pow(2)
    sum_of_square = emb.pow(2).sum(dim=1)
    return 0.5 * (square_of_sum - sum_of_square).sum(dim=1)


class FMNet(CTRNet):
    def __init__(self, table: CTRTable, dim: int) -> None:
        super().__init__()
        self.linear = FirstOrder(table.vocab_sizes, len(table.num_fields))
        self.embedding = FieldEmbedding(table.vocab_sizes, len(table.num_fields), dim)

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> dict[str, torch.Tensor]:
        logit = self.linear(cat, num).squeeze(-1) + pairwise_interactions(self.embedding(cat, num))
        return {"logit": logit}


class FM(TorchCTRModel):
    def build(self, table: CTRTable) -> CTRNet:
        return FMNet(table, self.embedding_dim)
