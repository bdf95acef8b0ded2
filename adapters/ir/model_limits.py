"""Limits a transformer's files declare, checked when an adapter is built instead of at the first long text.

A sequence longer than the model's position embeddings fails deep inside torch ("The size of
tensor a (1024) must match the size of tensor b (512)") or, in ONNX, with a Gather index error,
and only when the first long document arrives. The limit is written in the model folder:
`config.json` `max_position_embeddings` (RoBERTa-style models reserve `pad_token_id + 1` of
them), else `tokenizer_config.json` `model_max_length`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rankbench.harness.errors import BadInput

_OFFSET_POSITIONS = frozenset({"roberta", "xlm-roberta", "camembert", "longformer", "mpnet", "data2vec-text"})
"""Model types whose position ids start after the padding index (fairseq habit)."""
_UNBOUNDED = 10**6  # transformers writes int(1e30) as model_max_length when a tokenizer sets none


def position_limit(config: Mapping[str, Any] | None, tokenizer_config: Mapping[str, Any] | None = None) -> int | None:
    """Longest sequence (in tokens, special tokens included) the model can embed; None when not declared."""
    if config and isinstance(config.get("max_position_embeddings"), int):
        limit = int(config["max_position_embeddings"])
        if config.get("model_type") in _OFFSET_POSITIONS:
            limit -= int(config.get("pad_token_id") or 0) + 1
        return limit
    if tokenizer_config:
        length = tokenizer_config.get("model_max_length")
        if isinstance(length, int | float) and 0 < length < _UNBOUNDED:
            return int(length)
    return None


def folder_limit(folder: Path) -> int | None:
    """`position_limit` from the JSON files of a model folder."""

    def read(name: str) -> dict[str, Any] | None:
        path = folder / name
        if not path.is_file():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            raise BadInput("not valid JSON; the model folder is damaged", path=path) from None
        return doc if isinstance(doc, dict) else None

    return position_limit(read("config.json"), read("tokenizer_config.json"))


def check_length(requested: int, limit: int | None, *, option: str, model: str) -> None:
    """Raise one line naming the option to change when `requested` is not a usable sequence length."""
    if requested <= 0:
        raise BadInput(f"{option} must be a positive number of tokens, got {requested}")
    if limit is not None and requested > limit:
        raise BadInput(
            f"{option}={requested} exceeds the {limit} positions of model {model!r} (its config.json); "
            f"set {option} to at most {limit}"
        )
