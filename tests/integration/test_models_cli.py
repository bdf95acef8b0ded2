"""`rankbench run` on hub ids from a Hugging Face cache in hub layout, offline (HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hubcache import MINILM_ID, MINILM_REVISION, build_hub_home
from tests.integration._cli import rankbench

pytest.importorskip("sentence_transformers")


def test_hub_id_and_packaged_minilm_agree_and_a_missing_id_is_one_line(tmp_path: Path) -> None:
    home = build_hub_home(tmp_path / "hf")
    env = {"HF_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(home / "hub")}
    out = tmp_path / "results"
    hub_ref = f"sentence-transformers(model={MINILM_ID})"
    mteb_ref = f"mteb(model={MINILM_ID})"  # mteb.get_model loads mteb's pinned revision from the same cache
    done = rankbench("run", "ir-synth-tiny", "-a", hub_ref, "-a", "minilm", "-a", mteb_ref, "-o", str(out), **env)
    assert done.returncode == 0, done.stderr[-2000:]
    cells = {d["adapter"]: d for d in (json.loads(p.read_text()) for p in out.rglob("*.json")) if "adapter" in d}
    hub, packaged = cells[f"sentence-transformers(model={MINILM_ID!r})"], cells["minilm"]
    assert hub["status"] == packaged["status"] == "ok"
    assert hub["measures"]["nDCG@10"]["value"] == packaged["measures"]["nDCG@10"]["value"] > 0
    assert hub["provenance"]["model"]["revision"] == MINILM_REVISION
    assert hub["provenance"]["device"] == packaged["provenance"]["device"]
    via_mteb = cells[f"mteb(model={MINILM_ID!r})"]
    assert via_mteb["status"] == "ok", via_mteb.get("error")
    assert via_mteb["measures"]["nDCG@10"]["value"] == pytest.approx(packaged["measures"]["nDCG@10"]["value"], abs=1e-6)
    assert via_mteb["provenance"]["model"]["revision"] == MINILM_REVISION

    missing = rankbench(
        "run",
        "ir-synth-tiny",
        "-a",
        "sentence-transformers(model=BAAI/bge-small-en-v1.5)",
        "-o",
        str(tmp_path / "r2"),
        **env,
    )
    assert missing.returncode != 0
    lines = [line for line in missing.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "BAAI/bge-small-en-v1.5" in lines[0] and "hf download" in lines[0], missing.stderr
    assert "Traceback" not in missing.stderr and not (tmp_path / "r2").exists()
