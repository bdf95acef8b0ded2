"""Model references: one grammar for the weights of every neural adapter, and the registry of named checkpoints.

A model reference (the `model=` parameter of a neural adapter) is one of

- a name a package ships (`minilm`, `splade-tiny`, ...): the adapter resolves it itself;
- a local folder (`/models/my-encoder`, `./out`, `~/ckpt`);
- a registered checkpoint name (`tas-b`, `bge-small-en-v1.5`; see `rankbench list models`),
  optionally with a revision (`tas-b@<commit>`);
- a Hugging Face hub id `ORG/NAME`, optionally pinned: `BAAI/bge-small-en-v1.5@<commit>`.

Hub ids are fetched by `huggingface_hub.snapshot_download` into the Hugging Face cache
(`HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`), which honours
`HF_HUB_OFFLINE`; rankbench has no HTTP code of its own. Offline, a reference missing from the
cache is one `BadInput` line naming the id, the revision and the command that downloads it.
Weights that would run Python code from their repository (`auto_map` in config.json) are
refused unless the reference sets `trust_remote_code=True`.

`Checkpoint` records (declared in adapter modules as a top-level `CHECKPOINTS` tuple) follow mteb's
`ModelMeta`: hub id, pinned revision, family, dimension, max length, prompts, licence, citation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput

log = logging.getLogger(__name__)

CheckpointFamily = Literal["embedder", "reranker", "sparse", "multivector"]
_HUB_ID = re.compile(r"^(?P<id>[A-Za-z0-9][\w.\-]*/[\w.\-]+)(?:@(?P<rev>[\w.\-/]+))?$")
_NAME_AT = re.compile(r"^(?P<name>[\w.\-]+)@(?P<rev>[\w.\-/]+)$")
OTHER_FRAMEWORKS = (
    "*.onnx",
    "onnx/*",
    "openvino/*",
    "*.h5",
    "*.msgpack",
    "*.ot",
    "*.tflite",
    "*.gguf",
    "coreml/*",
    "rust_model*",
    "tf_model*",
    "flax_model*",
)
"""Files of other runtimes that a torch load never reads; not downloaded."""


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """A named checkpoint, like mteb's `ModelMeta`.

    `revision` is the hub commit the name resolves to (None: the repository's `main` at download
    time; the resolved commit still goes into each result's provenance). `dim` is the output
    dimension (the vocabulary size for sparse models, the per-token size for multi-vector ones),
    `max_length` the model's maximum input in tokens, `parameters_m` its size in millions of
    parameters. `source` says where revision and prompts were looked up.
    """

    name: str
    hub_id: str
    revision: str | None
    family: CheckpointFamily
    dim: int | None
    max_length: int | None
    licence: str
    citation: str
    parameters_m: float | None
    source: str
    query_prompt: str | None = None
    document_prompt: str | None = None
    pooling: str | None = None
    trust_remote_code: bool = False
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class ResolvedModel:
    """Where a reference's weights are on disk, and what they are (for identities and provenance)."""

    reference: str
    path: Path
    source: Literal["local", "hub"]
    hub_id: str | None = None
    revision: str | None = None
    checkpoint: Checkpoint | None = None

    @property
    def identity(self) -> str:
        """Names the exact weights: hub id and commit, or a local folder's path, sizes and mtimes."""
        if self.source == "hub":
            return f"hf:{self.hub_id}@{self.revision}"
        return f"local:{self.path.name}:{path_identity(self.path)}"

    def provenance(self) -> dict[str, str]:
        out = {"model": self.reference, "model_source": self.source}
        if self.hub_id:
            out |= {"hub_id": self.hub_id, "revision": self.revision or ""}
        else:
            out["model_path"] = str(self.path)
        return out


def path_identity(path: Path) -> str:
    """Identity of a local model folder: its path plus size and mtime of every weight or config file."""
    h = hashlib.sha256(str(path.resolve()).encode())
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in {".safetensors", ".bin", ".onnx", ".json", ".npy"}:
            st = f.stat()
            h.update(f"{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time (as huggingface_hub reads it)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def registered(name: str) -> Checkpoint | None:
    from rankbench.harness.registry import MODELS

    return MODELS.get(name) if name in MODELS else None


def split_reference(text: str) -> tuple[Literal["local", "registered", "hub", "other"], str, str | None]:
    """(kind, id, revision) of a reference; `other` is left to the adapter (a packaged name, or unknown)."""
    text = text.strip()
    folder = Path(text).expanduser()
    if folder.is_dir() or text.startswith(("/", "./", "../", "~")) or text.split("@")[0].count("/") > 1:
        return "local", text, None
    m = _NAME_AT.match(text)
    name, rev = (m["name"], m["rev"]) if m else (text, None)
    if registered(name) is not None:
        return "registered", name, rev
    m = _HUB_ID.match(text)
    if m:
        return "hub", m["id"], m["rev"]
    return "other", text, None


def quiet_weight_loading() -> None:
    """Turn off transformers' "Loading weights" bar (one per model load, on the cell's output) unless
    rankbench logs at INFO (`-v`). Downloads keep their huggingface_hub progress bars."""
    if log.isEnabledFor(logging.INFO):
        return
    with contextlib.suppress(ImportError):
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


def resolve(reference: str, *, trust_remote_code: bool = False) -> ResolvedModel:
    """Weights on disk for a local folder, a registered name or a hub id (downloaded by huggingface_hub).

    Raises:
        BadInput: a missing folder; a hub id absent from the cache while offline (names the
            download command); an unknown repository or revision; remote code not allowed.
        UnknownName: anything else (neither a folder, a registered name nor ORG/NAME).
    """
    quiet_weight_loading()
    kind, ident, revision = split_reference(reference)
    if kind == "local":
        folder = Path(ident).expanduser()
        if not folder.is_dir():
            raise BadInput(f"model folder {ident!r} does not exist")
        _check_remote_code(folder, reference, trust_remote_code)
        return ResolvedModel(reference=reference, path=folder, source="local")
    checkpoint = None
    if kind == "registered":
        checkpoint = registered(ident)
        assert checkpoint is not None
        ident, revision = checkpoint.hub_id, revision or checkpoint.revision
    elif kind == "other":
        from rankbench.harness.errors import UnknownName
        from rankbench.harness.registry import MODELS

        raise UnknownName(
            "model (a local folder, a registered name, or a hub id ORG/NAME[@revision])", ident, MODELS.names()
        )
    path = snapshot(ident, revision)
    _check_remote_code(path, reference, trust_remote_code)
    return ResolvedModel(
        reference=reference, path=path, source="hub", hub_id=ident, revision=path.name, checkpoint=checkpoint
    )


def snapshot(hub_id: str, revision: str | None) -> Path:
    """The cached snapshot folder of `hub_id` at `revision`, downloaded unless HF_HUB_OFFLINE is set."""
    hub = require("huggingface_hub", "ir", "models from the Hugging Face hub")
    errors = require("huggingface_hub.errors", "ir", "models from the Hugging Face hub")
    offline = hub_offline()
    cache = hub_cache_dir()
    pinned = f" --revision {revision}" if revision else ""
    try:
        path = hub.snapshot_download(
            hub_id,
            revision=revision,
            cache_dir=str(cache),
            local_files_only=offline,
            ignore_patterns=list(OTHER_FRAMEWORKS),
        )
    except errors.RevisionNotFoundError:
        raise BadInput(f"model {hub_id!r} has no revision {revision!r} on the hub") from None
    except (errors.RepositoryNotFoundError, errors.GatedRepoError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"model {hub_id!r} cannot be fetched from the hub ({first})") from None
    except (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, FileNotFoundError):
        why = "HF_HUB_OFFLINE is set" if offline else "the hub cannot be reached"
        raise BadInput(
            f"model {hub_id!r} (revision {revision or 'main'}) is not in the Hugging Face cache {cache} and {why}: "
            f"download it first with `hf download {hub_id}{pinned}`, or pass a local folder (model=/path/to/model)"
        ) from None
    except (errors.HfHubHTTPError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(
            f"model {hub_id!r} (revision {revision or 'main'}) could not be downloaded ({first}); "
            "set HF_HUB_OFFLINE=1 to use only the local cache"
        ) from None
    return Path(path)


def _check_remote_code(folder: Path, reference: str, trust_remote_code: bool) -> None:
    config = folder / "config.json"
    if trust_remote_code or not config.is_file():
        return
    try:
        auto_map = json.loads(config.read_text(encoding="utf-8")).get("auto_map")
    except (OSError, json.JSONDecodeError):
        return
    if auto_map:
        raise BadInput(
            f"model {reference!r} runs Python code from its repository (config.json auto_map), which could do "
            "anything on this machine; read that code, then set trust_remote_code=True on the adapter reference"
        )


def preflight(params: dict[str, Any]) -> None:
    """Check an adapter's `model=` before any cell runs: a hub id missing offline fails the plan, not each cell."""
    model = params.get("model")
    if not isinstance(model, str):
        return
    kind, _, _ = split_reference(model)
    if kind == "local" or (kind in ("hub", "registered") and hub_offline()):
        resolve(model, trust_remote_code=bool(params.get("trust_remote_code", False)))


def model_info(resolved: ResolvedModel | None, device: str, dtype: str = "float32") -> dict[str, str]:
    """Provenance of a built neural adapter: weights (hub id + commit, or folder) and device."""
    from rankbench.harness.devices import describe

    return {**(resolved.provenance() if resolved else {}), **describe(device, dtype)}


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a model folder, or {} when the file is absent."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"cannot parse model config: {exc.msg}", path=path, line=exc.lineno) from None
    return data if isinstance(data, dict) else {}
