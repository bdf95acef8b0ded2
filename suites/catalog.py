"""The download/checksum manifest (`downloads.json`, shipped with the package) as dataset records.

The manifest lists, per dataset, the files it reads from the data home with the checksum of their
content, the downloads that provide them (publisher URL, checksum, size, unpack folder), its licence
and citation: one data file in the manner of ir_datasets' `downloads.json`, instead of checksums
written into each suite module. This module only reads it; it declares no records itself.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from rankbench.harness.download import Download
from rankbench.harness.errors import UnknownName
from rankbench.harness.registry import DatasetSpec

MANIFEST = "downloads.json"


@cache
def manifest() -> dict[str, dict[str, Any]]:
    """Every dataset entry of the manifest, by dataset name."""
    text = resources.files("rankbench.suites").joinpath(MANIFEST).read_text(encoding="utf-8")
    return json.loads(text)["datasets"]


def entry(name: str) -> dict[str, Any]:
    entries = manifest()
    if name not in entries:
        raise UnknownName("dataset in the download manifest", name, entries)
    return entries[name]


def files(name: str) -> dict[str, str]:
    """Relative path in the data home -> checksum of its content (`""` where none is published)."""
    return dict(entry(name)["files"])


def downloads(name: str) -> tuple[Download, ...]:
    """The dataset's downloads; an archive also checks the listed files it unpacks (its `members`)."""
    listed = files(name)
    out = []
    for item in entry(name)["downloads"]:
        unpack = item.get("unpack", "")
        prefix = f"{unpack.rstrip('/')}/"
        members = {rel[len(prefix) :]: c for rel, c in listed.items() if unpack and rel.startswith(prefix) and c}
        out.append(
            Download(
                url=item["url"],
                path=item["path"],
                checksum=item.get("checksum", ""),
                size=item.get("size"),
                unpack=unpack,
                members=members,
            )
        )
    return tuple(out)


def dataset_spec(name: str, loader: str, **fields: Any) -> DatasetSpec:
    """A `DatasetSpec` whose files, downloads, licence, citation, source and description come from the manifest."""
    item = entry(name)
    defaults = {
        "files": files(name),
        "downloads": downloads(name),
        "licence": item.get("licence", ""),
        "citation": item.get("citation", ""),
        "description": item.get("description", ""),
        "source": item.get("source", ""),
    }
    return DatasetSpec(name=name, loader=loader, **{**defaults, **fields})
