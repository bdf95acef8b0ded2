"""Logistic regression on one-hot fields: the additive baseline every cross model must beat."""

from __future__ import annotations

import torch

from rankbench.adapters.ctr.layers import FirstOrder
from rankbench.adapters.ctr.trainer import CTRNet, TorchCTRModel
from rankbench.harness.records import CTRTable


class LRNet(CTRNet):
    def __init__(self, table: CTRTable) -> None:
        super().__init__()
        self.linear = FirstOrder(table.vocab_sizes, len(table.num_fields))

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logit": self.linear(cat, num).squeeze(-1)}


class LR(TorchCTRModel):
    def build(self, table: CTRTable) -> CTRNet:
        return LRNet(table)
