"""Adapter references as written on the command line and stored in results.

Grammar (one parser for the CLI, run matrices and the store)::

    ref    := stage (">>" stage)*
    stage  := NAME ["(" key=value ("," key=value)* ")"] ["@" INT]
            | NAME ":" VALUE          (the adapter's `shorthand` parameter: `run:FILE` = `run(path=FILE)`)

`bm25(k1=1.2)` sets parameters; `bm25>>cross-encoder@100` is a pipeline that reranks the
top 100 of the first stage. An adapter with a `canonical` function has its parameters made
canonical when parsed (`run:FILE` is stored as `run(path='/abs/FILE',sha256='…')`). A
multi-stage reference builds the registered `pipeline` adapter, so the harness needs no
concrete pipeline class.
"""

from __future__ import annotations

import ast
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from rankbench.harness.errors import BadInput, MissingDependency
from rankbench.harness.registry import ADAPTERS, AdapterSpec, resolve

_SHORTHAND = re.compile(r"^\s*(?P<name>[A-Za-z][A-Za-z0-9_.\-]*):(?P<value>.*?)\s*$")
_STAGE = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.\-]+)\s*(?:\((?P<params>.*)\))?\s*(?:@\s*(?P<depth>\S+))?\s*$")


@dataclass(frozen=True)
class Stage:
    name: str
    params: tuple[tuple[str, Any], ...] = ()
    depth: int | None = None

    def __str__(self) -> str:
        text = self.name
        if self.params:
            text += "(" + ",".join(f"{k}={v!r}" for k, v in self.params) + ")"
        if self.depth is not None:
            text += f"@{self.depth}"
        return text


@dataclass(frozen=True)
class AdapterRef:
    """A parsed reference; `str(ref)` is canonical (sorted params) and names the stored cell."""

    stages: tuple[Stage, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return ">>".join(str(s) for s in self.stages)

    @property
    def is_pipeline(self) -> bool:
        return len(self.stages) > 1

    def spec(self) -> AdapterSpec:
        return ADAPTERS.get("pipeline" if self.is_pipeline else self.stages[0].name)

    def build(self, seed_offset: int = 0) -> Any:
        """Instantiate the adapter (or the pipeline of its stages).

        `seed_offset` is the cell's seed: each stage whose constructor takes `seed` gets its own
        seed (the reference's, else the constructor's default) plus `seed_offset`, so that the
        seeds of a run train different models while seed 0 builds exactly what the reference says.
        """
        stages = tuple(_offset_seed(stage, seed_offset) for stage in self.stages)
        if self.is_pipeline:
            return ADAPTERS.get("pipeline").build(stages=tuple(str(s) for s in stages))
        return ADAPTERS.get(stages[0].name).build(**dict(stages[0].params))


def _offset_seed(stage: Stage, offset: int) -> Stage:
    """`stage` with `seed` moved by `offset` when its adapter takes an integer seed (looked up: unknown names raise)."""
    spec = ADAPTERS.get(stage.name)
    if not offset:
        return stage
    params = dict(stage.params)
    own = params.get("seed", spec.defaults().get("seed"))
    if not isinstance(own, int) or isinstance(own, bool):
        return stage
    params["seed"] = own + offset
    return Stage(stage.name, tuple(sorted(params.items())), stage.depth)


def _parse_value(text: str, where: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if re.fullmatch(r"[A-Za-z_][\w\-./]*", text):
            return text  # a bare word is a string: index=hnsw
        raise BadInput(f"cannot read parameter value {text!r} in {where!r}") from None


def parse_stage(text: str, whole: str | None = None) -> Stage:
    """One `NAME(key=value,...)@k` stage (also used for suite references)."""
    whole = whole or text
    m = _STAGE.match(text)
    if not m:
        raise BadInput(f"cannot parse adapter reference {whole!r}; expected NAME(key=value,...)@k")
    params = parse_params(m["params"] or "", whole)
    depth = None
    if m["depth"] is not None:
        if not m["depth"].isdigit() or int(m["depth"]) <= 0:
            raise BadInput(f"rerank depth {m['depth']!r} in {whole!r} must be a positive integer")
        depth = int(m["depth"])
    return Stage(m["name"], params, depth)


def parse_params(text: str, whole: str) -> tuple[tuple[str, Any], ...]:
    """The `key=value,...` inside a reference's parentheses, sorted by key; `BadInput` (one line naming
    `whole`, the reference as written) for a part that is not `key=value`, a key set twice or an unreadable value."""
    params: dict[str, Any] = {}
    if text.strip():
        for part in _split_top_level(text):
            key, eq, value = part.partition("=")
            if not eq or not key.strip().isidentifier():
                raise BadInput(f"adapter parameter {part.strip()!r} in {whole!r} must be key=value")
            if key.strip() in params:
                raise BadInput(f"parameter {key.strip()!r} is set twice in {whole!r}; keep one")
            params[key.strip()] = _parse_value(value.strip(), whole)
    return tuple(sorted(params.items()))


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts


def parse_adapter_ref(text: str) -> AdapterRef:
    """Parse and check names against the registry (unknown names get did-you-mean errors)."""
    stages = []
    for part in text.split(">>"):
        stage = _parse_shorthand(part, text) or parse_stage(part, text)
        spec = ADAPTERS.get(stage.name)
        if stages and spec.family != "reranker":  # what the pipeline's constructor says, before any cell
            raise BadInput(f"pipeline stage {part.strip()!r} of {text!r} must be a reranker, it is a {spec.family}")
        if stage.params:  # caught here, before any cell runs, rather than as a failed cell per seed
            with contextlib.suppress(MissingDependency):  # each cell then fails naming the extra to install
                spec.check_params(dict(stage.params))
            spec.check_ranges(dict(stage.params))
        if spec.canonical:
            params = resolve(spec.canonical, spec.extra)(dict(stage.params))
            stage = Stage(stage.name, tuple(sorted(params.items())), stage.depth)
        stages.append(stage)
    return AdapterRef(tuple(stages))


def _parse_shorthand(text: str, whole: str) -> Stage | None:
    """`NAME:VALUE` for an adapter with a `shorthand` parameter; None when `text` is not of that form."""
    m = _SHORTHAND.match(text)
    if not m or "(" in m["name"]:
        return None
    spec = ADAPTERS.get(m["name"])
    if not spec.shorthand:
        raise BadInput(f"adapter {spec.name!r} takes no NAME:VALUE shorthand in {whole!r}; use NAME(key=value)")
    if not m["value"]:
        raise BadInput(f"{whole!r}: nothing after {spec.name + ':'!r}; expected {spec.name}:{spec.shorthand.upper()}")
    return Stage(spec.name, ((spec.shorthand, m["value"]),))
