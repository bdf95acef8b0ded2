"""FuxiCTR's own models on our encoded tables, trained by FuxiCTR's own BaseModel loop.

The pip wheel `fuxictr` ships the layers and the training loop but not the model zoo, and
DCNv3 (FCN) was in FuxiCTR's model zoo only up to commit 7b98a49. So the model classes are
imported from a FuxiCTR checkout named by `FUXICTR_MODEL_ZOO` (its `model_zoo` folder at
that commit). Feature maps are built from the CTRTable, so both libraries see the same codes.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.deps import require
from rankbench.harness.errors import HarnessError
from rankbench.harness.records import CTRTable
from rankbench.harness.registry import ADAPTERS

ZOO_ENV = "FUXICTR_MODEL_ZOO"
ZOO_COMMIT = "7b98a49"


class ModelZooMissing(HarnessError):
    """FuxiCTR's model zoo is not in the wheel: say where to get it."""

    def __init__(self, path: str) -> None:
        where = f"{ZOO_ENV}={path} has no DCNv2/ and DCNv3/ folders" if path else f"{ZOO_ENV} is not set"
        super().__init__(
            f"{where}: clone github.com/reczoo/FuxiCTR, check out {ZOO_COMMIT} (the last commit with DCNv3) "
            f"and set {ZOO_ENV} to its model_zoo folder"
        )


def model_class(name: str) -> Any:
    """FuxiCTR's `DCNv2` or `DCNv3` class from the model zoo folder."""
    require("fuxictr", "dev", "agreement with FuxiCTR")
    root = os.environ.get(ZOO_ENV, "")
    path = Path(root) / name / "src" / f"{name}.py"
    if not root or not path.is_file():
        raise ModelZooMissing(root)
    spec = importlib.util.spec_from_file_location(f"fuxictr_zoo_{name}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return getattr(module, name)


def feature_map(table: CTRTable, dataset_id: str, data_dir: str) -> Any:
    """A FuxiCTR FeatureMap for the table's fields: categorical fields with their vocabulary sizes."""
    features = require("fuxictr.features", "dev", "agreement with FuxiCTR")
    fmap = features.FeatureMap(dataset_id, data_dir)
    for name, size in zip(table.cat_fields, table.vocab_sizes, strict=True):
        fmap.features[name] = {"type": "categorical", "vocab_size": int(size), "source": ""}
    for name in table.num_fields:
        fmap.features[name] = {"type": "numeric", "source": ""}
    fmap.labels = ["label"]
    fmap.num_fields = fmap.get_num_fields()
    fmap.set_column_index()
    return fmap


class Batches:
    """FuxiCTR-style batches (dicts of tensors), reshuffled every pass when `shuffle` is set."""

    def __init__(self, table: CTRTable, batch_size: int, shuffle: bool, seed: int = 0) -> None:
        torch = require("torch", "ctr")
        self.torch = torch
        self.columns = {name: torch.from_numpy(table.categorical[:, j]) for j, name in enumerate(table.cat_fields)}
        self.columns |= {name: torch.from_numpy(table.numeric[:, j]) for j, name in enumerate(table.num_fields)}
        self.columns["label"] = torch.from_numpy(np.asarray(table.labels, dtype=np.float32))
        self.n, self.batch_size, self.shuffle = len(table), batch_size, shuffle
        self.gen = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        order = self.torch.randperm(self.n, generator=self.gen) if self.shuffle else self.torch.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield {k: v[idx] for k, v in self.columns.items()}


TRAINING_KNOBS = ("batch_size", "max_epochs", "seed", "patience")
"""Our training-loop parameters that FuxiCTR takes elsewhere: in `fit`, as its seed, or renamed."""


def shared_config(adapter: str) -> dict[str, Any]:
    """The model and optimiser config both libraries get: our adapter's defaults, read from its record.

    FuxiCTR's models take the same names (`embedding_dim`, `learning_rate`, `num_cross_layers`, ...);
    our `patience` becomes FuxiCTR's `early_stop_patience`; batch size, epochs and seed are
    `fit_predict` arguments. Raises `MissingDependency` without torch (the record's class is read).
    """
    defaults = ADAPTERS.get(adapter).defaults()
    config = {k: v for k, v in defaults.items() if k not in TRAINING_KNOBS}
    return {**config, "early_stop_patience": defaults["patience"]}


def build_model(name: str, table: CTRTable, model_root: str, seed: int, **params: Any) -> Any:
    """FuxiCTR model `name` with FuxiCTR's compile (Adam, BCE) and reset, seeded as FuxiCTR seeds runs."""
    require("fuxictr.pytorch.torch_utils", "dev").seed_everything(seed)
    cls = model_class(name)
    fmap = feature_map(table, "rankbench", model_root)
    fmap.default_emb_dim = params.get("embedding_dim", 10)  # what FuxiCTR's loader copies from the config
    base = {
        "gpu": -1,
        "optimizer": "adam",
        "loss": "binary_crossentropy",
        "metrics": ["AUC", "logloss"],
        "verbose": 0,
        "model_root": model_root,
        "monitor": "AUC",
        "monitor_mode": "max",
    }
    return cls(fmap, **{**base, **params})


def fit_predict(
    name: str,
    train: CTRTable,
    valid: CTRTable,
    test: CTRTable,
    *,
    batch_size: int,
    max_epochs: int,
    seed: int,
    **params: Any,
) -> np.ndarray:
    """Train with FuxiCTR's `fit` (early stopping on valid AUC, best checkpoint reloaded), predict test."""
    with tempfile.TemporaryDirectory(prefix="fuxictr-") as root:
        model = build_model(name, train, root, seed, **params)
        os.makedirs(model.model_dir, exist_ok=True)  # FuxiCTR's checkpoints go there
        model.fit(
            Batches(train, batch_size, True, seed),
            epochs=max_epochs,
            validation_data=Batches(valid, batch_size, False),
        )
        return np.asarray(model.predict(Batches(test, batch_size, False)), dtype=np.float64)
