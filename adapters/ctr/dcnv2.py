"""DCN-V2 (Wang et al., WWW 2021): full-rank matrix cross layers, stacked on or parallel to a DNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rankbench.adapters.ctr.layers import FieldEmbedding, mlp, reset_linear
from rankbench.adapters.ctr.trainer import CTRNet, TorchCTRModel
from rankbench.harness.errors import BadInput
from rankbench.harness.records import CTRTable

STRUCTURES = ("crossnet_only", "stacked", "parallel", "stacked_parallel")


class CrossNetV2(nn.Module):
    """x_{l+1} = x_0 * (W_l x_l + b_l) + x_l with a full d x d matrix per layer."""

    def __init__(self, dim: int, n_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(n_layers))

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0
        for layer in self.layers:
            x = x0 * layer(x) + x
        return x


class DCNv2Net(CTRNet):
    def __init__(
        self,
        table: CTRTable,
        dim: int,
        structure: str,
        n_cross: int,
        stacked: Sequence[int],
        parallel: Sequence[int],
        dropout: float,
        batch_norm: bool,
    ) -> None:
        super().__init__()
        self.structure = structure
        self.embedding = FieldEmbedding(table.vocab_sizes, len(table.num_fields), dim)
        width = self.embedding.n_fields * dim
        self.cross = CrossNetV2(width, n_cross)
        # only the DNNs the structure uses exist: unused ones would still cost Adam updates
        self.stacked = mlp(width, stacked if "stacked" in structure else (), dropout, batch_norm)
        self.parallel = mlp(width, parallel if "parallel" in structure else (), dropout, batch_norm)
        out = {
            "crossnet_only": width,
            "stacked": stacked[-1] if stacked else width,
            "parallel": width + (parallel[-1] if parallel else width),
            "stacked_parallel": (stacked[-1] if stacked else width) + (parallel[-1] if parallel else width),
        }[structure]
        self.fc = nn.Linear(out, 1)
        reset_linear(self)

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.embedding(cat, num).flatten(1)
        cross = self.cross(x)
        if self.structure == "crossnet_only":
            h = cross
        elif self.structure == "stacked":
            h = self.stacked(cross)
        elif self.structure == "parallel":
            h = torch.cat([cross, self.parallel(x)], dim=-1)
        else:
            h = torch.cat([self.stacked(cross), self.parallel(x)], dim=-1)
        return {"logit": self.fc(h).squeeze(-1)}


class DCNv2(TorchCTRModel):
    """Defaults are BARS's tuned DCNv2 on frappe_x1 (parallel, 4 cross layers, DNN 3x400, dropout 0.4, BN)."""

    def __init__(
        self,
        model_structure: str = "parallel",
        num_cross_layers: int = 4,
        stacked_dnn_hidden_units: Sequence[int] = (500, 500, 500),
        parallel_dnn_hidden_units: Sequence[int] = (400, 400, 400),
        net_dropout: float = 0.4,
        batch_norm: bool = True,
        **common: object,
    ) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        if model_structure not in STRUCTURES:
            raise BadInput(f"model_structure must be one of {', '.join(STRUCTURES)}, got {model_structure!r}")
        self.model_structure, self.num_cross_layers = model_structure, num_cross_layers
        self.stacked_dnn_hidden_units = tuple(stacked_dnn_hidden_units)
        self.parallel_dnn_hidden_units = tuple(parallel_dnn_hidden_units)
        self.net_dropout, self.batch_norm = net_dropout, batch_norm

    def build(self, table: CTRTable) -> CTRNet:
        return DCNv2Net(
            table,
            self.embedding_dim,
            self.model_structure,
            self.num_cross_layers,
            self.stacked_dnn_hidden_units,
            self.parallel_dnn_hidden_units,
            self.net_dropout,
            self.batch_norm,
        )
