"""CTR models (LR, FM, DNN, DCN, DCNv2, FCN) on one shared embedding layer and training loop.

The networks need torch at import, so they live in this subpackage's modules and only
these specs are read when the registry scans `rankbench.adapters`: listing stays instant
and torch is imported when a CTR adapter is built. The defaults live in the constructors
only: the shared training knobs (BARS's) in `trainer.TorchCTRModel`, each network's own in its
class; these records set only what the contract tests shrink (`smoke_params`).
"""

from __future__ import annotations

from rankbench.harness.registry import AdapterSpec

SMOKE = {"max_epochs": 3, "batch_size": 256, "seed": 0}
SMALL_DNN = {"hidden_units": (64, 64)}


def _spec(name: str, cls: str, description: str, smoke: dict | None = None) -> AdapterSpec:
    return AdapterSpec(
        name=name,
        family="ctr",
        factory=f"rankbench.adapters.ctr.{cls}",
        extra="ctr",
        description=description,
        smoke_params={**SMOKE, **(smoke or {})},
    )


ADAPTERS = (
    _spec("lr", "lr:LR", "logistic regression on one-hot fields (torch, BARS settings)", {"learning_rate": 1e-2}),
    _spec("fm", "fm:FM", "factorization machine (Rendle 2010), embedding dim 10", {"learning_rate": 1e-2}),
    _spec("dnn", "dnn:DNN", "MLP over field embeddings (BARS DNN)", SMALL_DNN),
    _spec("dcn", "dcn:DCN", "Deep & Cross Network (Wang et al. 2017): cross network beside a DNN", SMALL_DNN),
    _spec(
        "dcnv2",
        "dcnv2:DCNv2",
        "DCN-V2 (Wang et al. 2021), full-rank cross; BARS frappe_x1 config (parallel, 4 cross layers)",
        {"parallel_dnn_hidden_units": (64, 64), "stacked_dnn_hidden_units": (64, 64)},
    ),
    _spec(
        "fcn",
        "fcn:FCN",
        "FCN / DCNv3 (Li et al. 2024): Linear + Exponential Cross Networks, Self-Mask, Tri-BCE",
    ),
)
