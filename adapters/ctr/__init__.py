"""CTR models (LR, FM, DNN, DCN, DCNv2, FCN) on one shared embedding layer and training loop.

The networks need torch at import, so they live in this subpackage's modules and only
these specs are read when the registry scans `rankbench.adapters`: listing stays instant
and torch is imported when a CTR adapter is built. Shared defaults are BARS's (embedding
dim 10, Adam, lr 1e-3, batch 4096, early stopping on validation AUC with patience 2).
"""

from __future__ import annotations

from rankbench.harness.registry import AdapterSpec

COMMON = {
    "embedding_dim": 10,
    "batch_size": 4096,
    "learning_rate": 1e-3,
    "max_epochs": 100,
    "patience": 2,
    "embedding_regularizer": 0.0,
    "seed": None,
}
SMOKE = {"max_epochs": 3, "batch_size": 256, "seed": 0}
DNN_DEFAULTS = {"hidden_units": (400, 400, 400), "net_dropout": 0.2, "batch_norm": True}
SMALL_DNN = {"hidden_units": (64, 64)}


def _spec(name: str, cls: str, description: str, params: dict, smoke: dict | None = None) -> AdapterSpec:
    return AdapterSpec(
        name=name,
        family="ctr",
        factory=f"rankbench.adapters.ctr.{cls}",
        extra="ctr",
        params={**COMMON, **params},
        description=description,
        smoke_params={**SMOKE, **(smoke or {})},
    )


ADAPTERS = (
    _spec("lr", "lr:LR", "logistic regression on one-hot fields (torch, BARS protocol)", {}, {"learning_rate": 1e-2}),
    _spec("fm", "fm:FM", "factorization machine (Rendle 2010), embedding dim 10", {}, {"learning_rate": 1e-2}),
    _spec("dnn", "dnn:DNN", "MLP over field embeddings (BARS DNN)", DNN_DEFAULTS, SMALL_DNN),
    _spec(
        "dcn",
        "dcn:DCN",
        "Deep & Cross Network (Wang et al. 2017): cross network beside a DNN",
        {"num_cross_layers": 3, **DNN_DEFAULTS},
        SMALL_DNN,
    ),
    _spec(
        "dcnv2",
        "dcnv2:DCNv2",
        "DCN-V2 (Wang et al. 2021), full-rank cross; BARS frappe_x1 config (parallel, 4 cross layers)",
        {
            "model_structure": "parallel",
            "num_cross_layers": 4,
            "stacked_dnn_hidden_units": (500, 500, 500),
            "parallel_dnn_hidden_units": (400, 400, 400),
            "net_dropout": 0.4,
            "batch_norm": True,
        },
        {"parallel_dnn_hidden_units": (64, 64), "stacked_dnn_hidden_units": (64, 64)},
    ),
    _spec(
        "fcn",
        "fcn:FCN",
        "FCN / DCNv3 (Li et al. 2024): Linear + Exponential Cross Networks, Self-Mask, Tri-BCE",
        {
            "num_deep_cross_layers": 4,
            "num_shallow_cross_layers": 4,
            "deep_net_dropout": 0.1,
            "shallow_net_dropout": 0.3,
            "layer_norm": True,
            "batch_norm": False,
            "num_heads": 1,
        },
    ),
)
