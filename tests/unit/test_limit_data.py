"""LIMIT loaders: checksums from SHA256SUMS are enforced, and the reconstructed corpus keeps LIMIT's qrels true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import ChecksumMismatch, DatasetMissing
from rankbench.harness.registry import DATASETS
from rankbench.suites.limit.official import load_reconstructed, load_small


def _sums(home: Path) -> dict[str, str]:
    lines = (home / "limit" / "SHA256SUMS").read_text(encoding="utf-8").split("\n")
    return {f"limit/{rel}": digest for digest, rel in (line.split() for line in lines if line.strip())}


def test_registered_checksums_are_those_of_sha256sums(real_data: Path) -> None:
    sums = _sums(real_data)
    for name in ("limit-small", "limit-reconstructed", "limit"):
        for rel, digest in DATASETS.get(name).files.items():
            if rel in sums:  # the official 50k corpus is not in the data home
                assert digest == f"sha256:{sums[rel]}", rel


def test_missing_file_names_the_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    with pytest.raises(DatasetMissing, match="limit-small"):
        load_small(DATASETS.get("limit-small"))


def test_tampered_file_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "limit" / "limit-small"
    folder.mkdir(parents=True)
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl"):
        (folder / name).write_text('{"_id": "x", "text": "x likes y."}\n', encoding="utf-8")
    monkeypatch.setenv("RANKBENCH_DATA", str(tmp_path))
    with pytest.raises(ChecksumMismatch):
        load_small(DATASETS.get("limit-small"))


def test_limit_small_is_read_as_published(real_data: Path) -> None:
    ds = load_dataset("limit-small").data
    assert (len(ds.corpus), len(ds.queries), len(ds.qrels)) == (46, 1000, 2000)


def test_reconstructed_corpus_realises_the_official_qrels(real_data: Path) -> None:
    loaded = load_reconstructed(DATASETS.get("limit-reconstructed"), n_docs=400, seed=1)
    ds = loaded.data
    assert loaded.info["reconstructed"] is True and len(ds.corpus) == 400
    assert len(set(ds.corpus.ids.tolist())) == 400
    liked = {
        doc: set(re.split(r", | and ", text.split(" likes ", 1)[1].rstrip(".")))
        for doc, text in zip(ds.corpus.ids.tolist(), ds.corpus.texts, strict=True)
    }
    relevant: dict[str, set[str]] = {}
    for q, d in zip(ds.qrels.query_ids.tolist(), ds.qrels.doc_ids.tolist(), strict=True):
        relevant.setdefault(q, set()).add(d)
    asked = {q: re.fullmatch(r"Who likes (.+)\?", t)[1] for q, t in zip(ds.queries.ids, ds.queries.texts, strict=True)}
    # attributes containing " and " split in two here; they are not LIMIT query attributes of this check
    checked = 0
    for qid, attr in asked.items():
        if " and " in attr:
            continue
        assert {d for d, items in liked.items() if attr in items} == relevant[qid]
        checked += 1
    assert checked > 900
