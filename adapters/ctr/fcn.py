"""FCN / DCNv3 (Li et al., arXiv 2407.13349): Linear and Exponential Cross Networks, Self-Mask, Tri-BCE.

Both sub-networks cross the input with a half-width projection and its Self-Masked copy:
    c_l = W_l x_l  (d -> d/2),   H_l = [c_l, c_l * ReLU(LayerNorm(c_l))]
    LCN: x_{l+1} = x_0 * (H_l + b_l) + x_l     (order grows linearly: l + 1)
    ECN: x_{l+1} = x_l * (H_l + b_l) + x_l     (order grows exponentially: 2^l)
Each ends in its own logit; the prediction averages the two logits, and Tri-BCE adds each
sub-network's BCE weighted by how much worse it is than the fused prediction. Layer for
layer this is FuxiCTR's DCNv3 (multi-head embeddings, LayerNorm before the mask, optional
BatchNorm over heads, dropout after each layer, b_l initialised U(0, 1)).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from rankbench.adapters.ctr.layers import FieldEmbedding, reset_linear
from rankbench.adapters.ctr.trainer import CTRNet, TorchCTRModel
from rankbench.harness.records import CTRTable


class SelfMask(nn.Module):
    """[c, c * ReLU(LayerNorm(c))]: keeps the projection and a copy with its below-mean half zeroed."""

    def __init__(self, dim: int, layer_norm: bool = True) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim) if layer_norm else nn.Identity()

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return torch.cat([c, c * F.relu(self.norm(c))], dim=-1)


class CrossNetwork(nn.Module):
    """LCN (`exponential=False`: crosses with x_0) or ECN (`exponential=True`: crosses with x_l itself)."""

    def __init__(
        self,
        dim: int,
        n_layers: int,
        *,
        exponential: bool,
        layer_norm: bool = True,
        batch_norm: bool = False,
        dropout: float = 0.0,
        n_heads: int = 1,
    ) -> None:
        super().__init__()
        self.exponential = exponential
        self.w = nn.ModuleList(nn.Linear(dim, dim // 2, bias=False) for _ in range(n_layers))
        self.b = nn.ParameterList(nn.Parameter(torch.empty(dim // 2 * 2)) for _ in range(n_layers))
        self.mask = nn.ModuleList(SelfMask(dim // 2, layer_norm) for _ in range(n_layers))
        self.bn = nn.ModuleList(nn.BatchNorm1d(n_heads) if batch_norm else nn.Identity() for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(dim, 1)
        reset_linear(self)
        for b in self.b:
            nn.init.uniform_(b)

    def cross(self, x0: torch.Tensor) -> torch.Tensor:
        """The crossed representation before the output layer, (B, heads, d) -> (B, heads, d)."""
        x = x0
        for w, b, mask, bn in zip(self.w, self.b, self.mask, self.bn, strict=True):
            h = mask(bn(w(x))) + b
            x = self.dropout((x if self.exponential else x0) * h + x)
        return x

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        """Per-head logits averaged over heads, (B, heads, d) -> (B,)."""
        return self.fc(self.cross(x0)).mean(dim=1).squeeze(-1)


def multi_head(emb: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, F, D*H) -> (B, H, F*D): FuxiCTR DCNv3's head split (each field's slice, halves kept apart)."""
    heads = torch.stack(torch.tensor_split(emb, n_heads, dim=-1), dim=1)  # B x H x F x D
    first, second = torch.tensor_split(heads, 2, dim=-1)
    return torch.cat([first.flatten(2), second.flatten(2)], dim=-1)


def tri_bce(logit: torch.Tensor, logit_d: torch.Tensor, logit_s: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L + w_d L_d + w_s L_s with w = max(0, L_sub - L): a sub-network is pushed only while it lags the fusion."""
    loss = F.binary_cross_entropy_with_logits(logit, y)
    loss_d = F.binary_cross_entropy_with_logits(logit_d, y)
    loss_s = F.binary_cross_entropy_with_logits(logit_s, y)
    return loss + loss_d * torch.clamp(loss_d - loss, min=0) + loss_s * torch.clamp(loss_s - loss, min=0)


class FCNNet(CTRNet):
    def __init__(
        self,
        table: CTRTable,
        dim: int,
        n_heads: int,
        deep_layers: int,
        shallow_layers: int,
        deep_dropout: float,
        shallow_dropout: float,
        layer_norm: bool,
        batch_norm: bool,
    ) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.embedding = FieldEmbedding(table.vocab_sizes, len(table.num_fields), dim * n_heads)
        width = self.embedding.n_fields * dim
        common = {"layer_norm": layer_norm, "batch_norm": batch_norm, "n_heads": n_heads}
        self.ecn = CrossNetwork(width, deep_layers, exponential=True, dropout=deep_dropout, **common)
        self.lcn = CrossNetwork(width, shallow_layers, exponential=False, dropout=shallow_dropout, **common)

    def forward(self, cat: torch.Tensor, num: torch.Tensor) -> dict[str, torch.Tensor]:
        x = multi_head(self.embedding(cat, num), self.n_heads)
        logit_d, logit_s = self.ecn(x), self.lcn(x)
        return {"logit": 0.5 * (logit_d + logit_s), "logit_d": logit_d, "logit_s": logit_s}

    def loss(self, out: dict[str, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        return tri_bce(out["logit"], out["logit_d"], out["logit_s"], y)


class FCN(TorchCTRModel):
    """Defaults are FuxiCTR's DCNv3 defaults (4 deep + 4 shallow layers, dropout 0.1 / 0.3, LayerNorm)."""

    def __init__(
        self,
        num_deep_cross_layers: int = 4,
        num_shallow_cross_layers: int = 4,
        deep_net_dropout: float = 0.1,
        shallow_net_dropout: float = 0.3,
        layer_norm: bool = True,
        batch_norm: bool = False,
        num_heads: int = 1,
        **common: object,
    ) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        self.num_deep_cross_layers, self.num_shallow_cross_layers = num_deep_cross_layers, num_shallow_cross_layers
        self.deep_net_dropout, self.shallow_net_dropout = deep_net_dropout, shallow_net_dropout
        self.layer_norm, self.batch_norm, self.num_heads = layer_norm, batch_norm, num_heads

    def build(self, table: CTRTable) -> CTRNet:
        return FCNNet(
            table,
            self.embedding_dim,
            self.num_heads,
            self.num_deep_cross_layers,
            self.num_shallow_cross_layers,
            self.deep_net_dropout,
            self.shallow_net_dropout,
            self.layer_norm,
            self.batch_norm,
        )
