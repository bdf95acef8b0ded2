"""`Result`: one (suite, adapter, seed) cell, as stored on disk and validated by its schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import Any

from rankbench.harness.errors import BadInput
from rankbench.harness.provenance import SCHEMA_VERSION
from rankbench.harness.stats import Estimate


@dataclass(frozen=True)
class ErrorInfo:
    type: str
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class Result:
    suite: str
    adapter: str
    seed: int
    status: str  # "ok" | "failed"
    measures: dict[str, Estimate]
    timings: dict[str, float]
    provenance: dict[str, Any]
    family: str | None = None
    unit: str = "query"
    units_file: str | None = None
    tags: tuple[str, ...] = ()
    """The suite's tags when the cell ran (schema 2 on; see `rankbench.harness.suite.suite_tags` for older cells)."""
    resources: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def with_units_file(self, name: str | None) -> Result:
        return replace(self, units_file=name)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "suite": self.suite,
            "adapter": self.adapter,
            "family": self.family,
            "seed": self.seed,
            "status": self.status,
            "unit": self.unit,
            "units_file": self.units_file,
            "tags": list(self.tags),
            "measures": {k: v.to_json() for k, v in self.measures.items()},
            "timings": self.timings,
            "resources": self.resources,
            "info": self.info,
            "error": None if self.error is None else vars(self.error),
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], source: str = "<result>") -> Result:
        """Read a stored document of any schema version this rankbench knows (older ones are upgraded)."""
        validate(doc, source)
        return cls(
            suite=doc["suite"],
            adapter=doc["adapter"],
            seed=doc["seed"],
            status=doc["status"],
            measures={
                k: Estimate(
                    _num(v.get("value")),
                    _num(v.get("ci_low", v.get("value"))),
                    _num(v.get("ci_high", v.get("value"))),
                    int(v.get("n", 0)),
                )
                for k, v in doc["measures"].items()
            },
            timings=dict(doc["timings"]),
            provenance=_upgrade_provenance(doc["provenance"]),
            family=doc.get("family"),
            unit=doc.get("unit", "query"),
            units_file=doc.get("units_file"),
            tags=tuple(doc.get("tags", ())),
            resources=dict(doc.get("resources") or {}),
            info=dict(doc.get("info") or {}),
            error=ErrorInfo(**doc["error"]) if doc.get("error") else None,
            schema_version=doc["schema_version"],
        )


def _upgrade_provenance(provenance: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 stored the task's settings as `protocol`, and a recommender's split name under the key
    `protocol` inside them; both read under their current names, `settings` and `split`."""
    out = dict(provenance)
    if "protocol" in out and "settings" not in out:
        settings = dict(out.pop("protocol") or {})
        if settings.get("task") == "recommendation" and "protocol" in settings:
            settings["split"] = settings.pop("protocol")
        out["settings"] = settings
    return out


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


@cache
def _schema(version: int) -> dict[str, Any]:
    return json.loads(files("rankbench.harness").joinpath(f"schemas/result-v{version}.json").read_text())


def validate(doc: dict[str, Any], source: str = "<result>") -> None:
    """Check a result document against the JSON schema of its version."""
    import jsonschema

    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if not isinstance(version, int):
        raise BadInput("not a rankbench result (no integer schema_version)", path=source)
    if version > SCHEMA_VERSION:
        raise BadInput(
            f"result has schema version {version}, newer than this rankbench reads "
            f"({SCHEMA_VERSION}); upgrade rankbench",
            path=source,
        )
    try:
        jsonschema.validate(doc, _schema(version))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "document"
        raise BadInput(f"invalid result at {where}: {exc.message}", path=source) from None


def dumps(result: Result) -> str:
    return json.dumps(result.to_json(), indent=1, sort_keys=True, allow_nan=False)
