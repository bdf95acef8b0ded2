"""FuxiCTR's models by name on rankbench's CTR tables: `fuxictr(model=DCNv2, embedding_dim=16, ...)`.

FuxiCTR (Zhu et al., CIKM 2021) trains its models with its own BaseModel loop (Adam, binary
cross-entropy, early stopping on validation AUC, best checkpoint reloaded); rankbench scores the
test predictions with its own AUC, logloss and gAUC. The pip wheel `fuxictr` ships the layers and
the training loop but not the model zoo, so the model classes come from a FuxiCTR checkout's
`model_zoo` folder: the `zoo` parameter, else `FUXICTR_MODEL_ZOO`, else the data home's copy of the
download manifest's `fuxictr-model-zoo` (GitHub's source archive of commit 7b98a49, the last with DCNv3,
which the agreement card uses), placed by `rankbench data fetch fuxictr-model-zoo` or fetched by
`rankbench run` on first use. Feature maps are built from the CTRTable, so
both libraries see the same codes. Every parameter other than `model`, `zoo`, `batch_size`,
`max_epochs` and `seed` is the model's own constructor argument under FuxiCTR's name.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness import registry
from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput, HarnessError, MissingDependency
from rankbench.harness.records import CTRTable
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)

ZOO_ENV = "FUXICTR_MODEL_ZOO"
ZOO_COMMIT = "7b98a49"
ZOO_DATASET = "fuxictr-model-zoo"
"""The download manifest's entry for FuxiCTR's source archive at `ZOO_COMMIT` (Apache-2.0)."""
FETCH_ZOO = f"rankbench data fetch {ZOO_DATASET}"


class ModelZooMissing(MissingDependency):
    """FuxiCTR's model zoo is not in the wheel: say where to get it (a missing dependency, so contract runs skip)."""

    def __init__(self, path: str, name: str = "DCNv2") -> None:
        self.module, self.extra = "FuxiCTR model_zoo", "dev"
        if not path:
            where = f"{ZOO_ENV} is not set and the data home has no FuxiCTR model zoo"
        elif Path(path).is_dir():
            where = f"the model zoo {path} has no {name}/src/{name}.py"
        else:
            where = f"the model zoo {path} is not a folder"
        HarnessError.__init__(
            self,
            f"{where}: run `{FETCH_ZOO}` (FuxiCTR at {ZOO_COMMIT}, the last commit with DCNv3), or set {ZOO_ENV} "
            "(or the adapter's zoo=) to the model_zoo folder of a FuxiCTR checkout",
        )


def _manifest_zoo() -> tuple[Any, Path]:
    """The `fuxictr-model-zoo` dataset record and the model_zoo folder it unpacks to in the data home."""
    from rankbench.harness.datahome import data_home

    spec = registry.DATASETS.get(ZOO_DATASET)
    return spec, spec.downloads[0].target(data_home()) / "model_zoo"


def zoo_folder(zoo: str = "", *, fetch: bool = False) -> Path:
    """The model zoo folder: `zoo`, else `FUXICTR_MODEL_ZOO`, else the data home's `fuxictr-model-zoo`.

    The data home's copy has its model sources checked against the manifest's sha256s (once per
    process and file); with `fetch` it is downloaded first when absent (`rankbench.harness.download`,
    `RANKBENCH_MIRROR` honoured). Raises `ModelZooMissing` (one line naming `zoo=`/`FUXICTR_MODEL_ZOO`
    and the fetch command) when none is there, `ChecksumMismatch` for an altered source file, and
    `DownloadError` when fetching fails.
    """
    from rankbench.harness.datahome import ensure
    from rankbench.harness.download import DownloadChecksumMismatch, DownloadError
    from rankbench.harness.errors import DatasetMissing

    given = zoo or os.environ.get(ZOO_ENV, "")
    if given:
        if not Path(given).is_dir():
            raise ModelZooMissing(given)
        return Path(given)
    spec, folder = _manifest_zoo()
    if not fetch and not folder.is_dir():
        raise ModelZooMissing("")
    try:
        ensure(spec, fetch_missing=fetch)
    except DatasetMissing:
        raise ModelZooMissing("") from None
    except DownloadError as exc:
        if isinstance(exc, DownloadChecksumMismatch):
            raise
        raise DownloadError(f"{exc}; or set {ZOO_ENV} (or zoo=) to a FuxiCTR checkout's model_zoo") from None
    return folder


def prepare(params: dict[str, Any], *, fetch: bool = True) -> None:
    """The `prepare` hook of the `fuxictr` record: before any cell runs, the zoo is there (fetched if allowed).

    Raises `ModelZooMissing` under `--no-fetch` (`fetch=False`) when neither `zoo=`, `FUXICTR_MODEL_ZOO`
    nor the data home provides it.
    """
    zoo = str(params.get("zoo") or "")
    if not (zoo or os.environ.get(ZOO_ENV)) and fetch and not _manifest_zoo()[1].is_dir():
        log.info("fetching FuxiCTR's model zoo (%s) into the data home", ZOO_DATASET)
    zoo_folder(zoo, fetch=fetch)


def _candidates(root: Path, name: str) -> list[Path]:
    """`<root>/<name>/src/<name>.py`, else any `<root>/**/src/<name>.py`, PyTorch before TensorFlow (`DCN_tf`)."""
    direct = root / name / "src" / f"{name}.py"
    if direct.is_file():
        return [direct]
    found = root.glob(f"**/src/{name}.py")
    return sorted(found, key=lambda p: (any(part.endswith("_tf") for part in p.parts), str(p)))


def model_class(name: str, zoo: str = "") -> Any:
    """FuxiCTR model class `name` from the model zoo (`zoo_folder(zoo)`: `zoo=`, `FUXICTR_MODEL_ZOO` or the data home).

    The class lives in `<zoo>/<name>/src/` (or any `<zoo>/**/src/<name>.py`, a PyTorch folder before a
    `*_tf` one); a `src` folder that is a package is imported as one, so the model's relative imports
    work. Never downloads. Raises `ModelZooMissing`.
    """
    require("fuxictr", "dev", "FuxiCTR models")
    root = zoo_folder(zoo)
    found = _candidates(root, name)
    if not found:
        raise ModelZooMissing(str(root), name)
    path = found[0]
    package = path.parent / "__init__.py"
    module_name = f"fuxictr_zoo_{name}"
    if package.is_file():
        spec = importlib.util.spec_from_file_location(
            module_name, package, submodule_search_locations=[str(path.parent)]
        )
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[module_name] = module  # relative imports inside the package resolve through sys.modules
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    if not hasattr(module, name):
        module = importlib.import_module(f"{module_name}.{name}")
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
    defaults = registry.ADAPTERS.get(adapter).defaults()
    config = {k: v for k, v in defaults.items() if k not in TRAINING_KNOBS}
    return {**config, "early_stop_patience": defaults["patience"]}


def build_model(name: str, table: CTRTable, model_root: str, seed: int, zoo: str = "", **params: Any) -> Any:
    """FuxiCTR model `name` with FuxiCTR's compile (Adam, BCE) and reset, seeded as FuxiCTR seeds runs."""
    require("fuxictr.pytorch.torch_utils", "dev").seed_everything(seed)
    cls = model_class(name, zoo)
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
    zoo: str = "",
    **params: Any,
) -> np.ndarray:
    """Train with FuxiCTR's `fit` (early stopping on valid AUC, best checkpoint reloaded), predict test."""
    with tempfile.TemporaryDirectory(prefix="fuxictr-") as root:
        model = build_model(name, train, root, seed, zoo, **params)
        os.makedirs(model.model_dir, exist_ok=True)  # FuxiCTR's checkpoints go there
        model.fit(
            Batches(train, batch_size, True, seed),
            epochs=max_epochs,
            validation_data=Batches(valid, batch_size, False),
        )
        return np.asarray(model.predict(Batches(test, batch_size, False)), dtype=np.float64)


class FuxiCTRModel:
    """One FuxiCTR model trained by FuxiCTR's loop; `params` are the model's constructor arguments."""

    def __init__(
        self,
        model: str = "DCNv2",
        zoo: str = "",
        batch_size: int = 4096,
        max_epochs: int = 100,
        seed: int = 2021,
        **params: Any,
    ) -> None:
        self.model, self.zoo, self.batch_size, self.max_epochs, self.seed = model, zoo, batch_size, max_epochs, seed
        self.params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
        model_class(model, zoo)  # a missing library or zoo stops here, before any data is read
        self.model_provenance = {"fuxictr_zoo": str(zoo_folder(zoo)), "fuxictr_zoo_commit": self._zoo_commit(zoo)}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._net: Any = None

    @staticmethod
    def _zoo_commit(zoo: str) -> str:
        """The pinned commit when the zoo is the data home's `fuxictr-model-zoo`, else "" (a user's checkout)."""
        if zoo or os.environ.get(ZOO_ENV):
            return ""
        return str(registry.DATASETS.get(ZOO_DATASET).params["commit"])

    def get_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "zoo": self.zoo,
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "seed": self.seed,
            **self.params,
        }

    def fit(self, train: CTRTable, valid: CTRTable) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="fuxictr-")
        net = build_model(self.model, train, self._tmp.name, self.seed, self.zoo, **self.params)
        os.makedirs(net.model_dir, exist_ok=True)  # FuxiCTR's checkpoints go there
        net.fit(
            Batches(train, self.batch_size, True, self.seed),
            epochs=self.max_epochs,
            validation_data=Batches(valid, self.batch_size, False),
        )
        self._net = net

    def predict_proba(self, table: CTRTable) -> np.ndarray:
        if self._net is None:
            raise BadInput("call fit() before predict_proba()")
        return np.asarray(self._net.predict(Batches(table, self.batch_size, False)), dtype=np.float64).reshape(-1)


ADAPTERS = (
    AdapterSpec(
        name="fuxictr",
        family="ctr",
        factory="rankbench.adapters.ctr.fuxictr_models:FuxiCTRModel",
        extra="dev",
        open_params=True,
        smoke_params={"batch_size": 256, "max_epochs": 3},
        prepare="rankbench.adapters.ctr.fuxictr_models:prepare",
        description="FuxiCTR's models by name from its model zoo (zoo=, FUXICTR_MODEL_ZOO, or the data home's "
        "fuxictr-model-zoo, fetched on first use), FuxiCTR's training loop; other parameters go to the model",
    ),
)
