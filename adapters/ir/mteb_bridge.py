"""The bridge to MTEB for models, offline.

- `MtebEmbedder`: any MTEB model object (mteb's encoder protocol: `encode(DataLoader, task_metadata=,
  hf_split=, hf_subset=, prompt_type=)`) used as a rankbench Embedder; registered as `mteb`.
- `RankbenchEncoder` + `run_mteb_retrieval`: a rankbench Embedder run through mteb itself on an MTEB
  retrieval task whose data comes from a local folder (HF-repo layout, all JSONL), so mteb's own
  evaluator scores it and the two harnesses can be checked against each other.
- `write_mteb_folder`: builds that folder from an `IRDataset`.

The data loaders (BEIR folders, ir_datasets ids, MTEB tasks) live in the data layer:
`rankbench.suites.ir.beir`, `rankbench.suites.ir.irds`, `rankbench.suites.ir.mteb_tasks`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.deps import require
from rankbench.harness.devices import DEVICE_DEFAULT, describe, resolve_device
from rankbench.harness.errors import BadInput
from rankbench.harness.models import hub_offline, registered, snapshot, split_reference
from rankbench.harness.models import resolve as resolve_model
from rankbench.harness.records import IRDataset
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)


def _default_task_metadata(task: str) -> Any:
    return require("mteb", "ir", "the MTEB bridge").get_task(task).metadata


class MtebEmbedder:
    """Wraps an MTEB encoder: `model` is an mteb model object, or a name `mteb.get_model` resolves.

    Strings: `"minilm"` wraps the packaged MiniLM in mteb's own sentence-transformers wrapper; a
    local folder likewise; any other name (a hub id mteb knows, optionally `@revision`, or a
    registered checkpoint name) goes to `mteb.get_model`, which loads it with mteb's own loader,
    prompts and pinned revision. Offline, the reference is checked against the Hugging Face cache
    first, so a missing model is one line naming the download command.
    """

    def __init__(
        self, model: Any = "minilm", task: str = "SciFact", batch_size: int = 64, device: str = DEVICE_DEFAULT
    ) -> None:
        mteb = require("mteb", "ir", "the MTEB bridge")
        self.device = resolve_device(device)
        self.model_provenance: dict[str, str] = describe(self.device)
        if isinstance(model, str):
            model = self._load(mteb, model)
        if not callable(getattr(model, "encode", None)):
            raise BadInput(f"{type(model).__name__} does not follow mteb's encoder protocol (no encode)")
        self.model = model
        self.task_metadata = _default_task_metadata(task)
        self.batch_size = batch_size
        self._prompt_types = {"query": mteb.types.PromptType.query, "document": mteb.types.PromptType.document}

    def _load(self, mteb: Any, reference: str) -> Any:
        st = require("sentence_transformers", "ir", "the MTEB bridge")
        if reference == "minilm":
            from rankbench.adapters.ir.embedders import _packaged_minilm

            self.model_provenance |= {"model": reference, "model_source": "package"}
            path = _packaged_minilm()[0]
            return mteb.models.SentenceTransformerEncoderWrapper(st.SentenceTransformer(path, device=self.device))
        kind, ident, revision = split_reference(reference)
        if kind == "local":
            local = resolve_model(reference)
            self.model_provenance |= local.provenance()
            return mteb.models.SentenceTransformerEncoderWrapper(
                st.SentenceTransformer(str(local.path), device=self.device)
            )
        if kind == "registered":
            checkpoint = registered(ident)
            assert checkpoint is not None
            ident, revision = checkpoint.hub_id, revision or checkpoint.revision
        try:
            meta = mteb.get_model_meta(ident, revision, fetch_from_hf=not hub_offline())
        except Exception as exc:  # mteb raises several types for unknown names
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BadInput(f"mteb does not know model {ident!r} ({first})") from None
        revision = revision or meta.revision
        if hub_offline() and "/" in ident:
            snapshot(ident, revision)  # one line naming the download when the cache lacks it
        self.model_provenance |= {
            "model": reference,
            "model_source": "mteb",
            "hub_id": ident,
            "revision": revision or "",
        }
        return mteb.get_model(ident, revision=revision, device=self.device)

    def encode(self, texts: Sequence[str], *, role: str) -> np.ndarray:
        datasets = require("datasets", "ir", "the MTEB bridge")
        torch_data = require("torch.utils.data", "ir", "the MTEB bridge")
        items = list(texts)
        column = {"text": items} if role == "query" else {"text": items, "title": [""] * len(items), "body": items}
        if role == "query":
            column["query"] = items
        loader = torch_data.DataLoader(datasets.Dataset.from_dict(column), batch_size=self.batch_size)
        out = self.model.encode(
            loader,
            task_metadata=self.task_metadata,
            hf_split="test",
            hf_subset="default",
            prompt_type=self._prompt_types[role],
        )
        if hasattr(out, "detach"):
            out = out.detach().cpu().numpy()
        return np.asarray(out, dtype=np.float32)


def _abs_encoder() -> type:
    mteb = require("mteb", "ir", "the MTEB bridge")
    return mteb.models.abs_encoder.AbsEncoder


def rankbench_encoder(embedder: Any, name: str = "rankbench/embedder") -> Any:
    """An MTEB encoder (subclass of mteb's `AbsEncoder`) that encodes with a rankbench Embedder."""
    mteb = require("mteb", "ir", "the MTEB bridge")

    class RankbenchEncoder(_abs_encoder()):  # type: ignore[misc]
        def __init__(self) -> None:
            self.model = embedder
            meta = mteb.models.model_meta
            self.mteb_model_meta = meta.ModelMeta.create_empty(
                {"name": name, "revision": "local", "similarity_fn_name": meta.ScoringFunction.COSINE}
            )

        def encode(self, inputs: Any, *, prompt_type: Any = None, **_: Any) -> np.ndarray:
            role = "query" if prompt_type == mteb.types.PromptType.query else "document"
            texts = [t for batch in inputs for t in batch["text"]]
            return np.asarray(self.model.encode(texts, role=role), dtype=np.float32)

    return RankbenchEncoder()


def write_mteb_folder(ds: IRDataset, folder: Path, split: str = "test") -> Path:
    """Write an IR dataset in the HF-repo layout mteb loads offline (corpus/queries/qrels JSONL + README)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qrels").mkdir(exist_ok=True)
    titles = ds.corpus.titles or ("",) * len(ds.corpus)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for i, t, x in zip(ds.corpus.ids.tolist(), titles, ds.corpus.texts, strict=True):
            fh.write(json.dumps({"_id": i, "title": t, "text": x}, ensure_ascii=False) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as fh:
        for i, x in zip(ds.queries.ids.tolist(), ds.queries.texts, strict=True):
            fh.write(json.dumps({"_id": i, "text": x}, ensure_ascii=False) + "\n")
    with open(folder / "qrels" / f"{split}.jsonl", "w", encoding="utf-8") as fh:
        for q, d, r in zip(
            ds.qrels.query_ids.tolist(), ds.qrels.doc_ids.tolist(), ds.qrels.labels.tolist(), strict=True
        ):
            fh.write(json.dumps({"query-id": q, "corpus-id": d, "score": r}) + "\n")
    (folder / "README.md").write_text(
        "---\nconfigs:\n"
        "- config_name: corpus\n  data_files:\n  - split: corpus\n    path: corpus.jsonl\n"
        "- config_name: queries\n  data_files:\n  - split: queries\n    path: queries.jsonl\n"
        f"- config_name: default\n  data_files:\n  - split: {split}\n    path: qrels/{split}.jsonl\n"
        "---\n",
        encoding="utf-8",
    )
    return folder


def run_mteb_retrieval(embedder: Any, task_name: str, folder: Path, split: str = "test") -> dict[str, float]:
    """Score a rankbench Embedder with mteb's own evaluator on `task_name`, data read from `folder`."""
    mteb = require("mteb", "ir", "the MTEB bridge")
    task = mteb.get_task(task_name, eval_splits=[split])
    task.metadata.dataset["path"] = str(folder)
    task.metadata.dataset["revision"] = "local"
    result = mteb.evaluate(
        rankbench_encoder(embedder), task, cache=None, show_progress_bar=False, overwrite_strategy="always"
    )
    scores = result.task_results[0].scores[split][0]
    return {k: float(v) for k, v in scores.items() if isinstance(v, int | float)}


ADAPTERS = (
    AdapterSpec(
        name="mteb",
        family="embedder",
        factory="rankbench.adapters.ir.mteb_bridge:MtebEmbedder",
        extra="ir",
        description="any model mteb.get_model knows (model=ORG/NAME[@rev]), or an mteb encoder object, as an embedder",
    ),
)
