from __future__ import annotations

from pathlib import Path

import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.formats import read_beir_corpus, read_beir_qrels, read_trec_qrels, read_trec_run


def test_trec_roundtrip(tmp_path: Path) -> None:
    (tmp_path / "qrels").write_text("q1 0 d1 2\nq1 0 d2 0\n")
    (tmp_path / "run").write_text("q1 Q0 d2 1 3.5 x\nq1 Q0 d1 2 1.5 x\n")
    qrels = read_trec_qrels(tmp_path / "qrels")
    run = read_trec_run(tmp_path / "run")
    assert qrels.to_dict() == {"q1": {"d1": 2, "d2": 0}}
    assert list(run.doc_ids) == ["d2", "d1"]


@pytest.mark.parametrize(
    ("name", "content", "reader", "message"),
    [
        ("run", "q1 Q0 d1 1 nan x\n", read_trec_run, "not finite"),
        ("run", "q1 Q0 d1 1 1.0 x\nq1 Q0 d1 2 0.5 x\n", read_trec_run, "twice"),
        ("qrels", "q1 0 d1 high\n", read_trec_qrels, "not an integer"),
        ("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\n", read_beir_qrels, "3 tab-separated"),
        ("corpus.jsonl", '{"_id": "a", "text": "x"}\n{"_id": "b", "te', read_beir_corpus, "invalid JSON"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, name: str, content: str, reader, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BadInput, match=message) as info:
        reader(path)
    assert str(path) in str(info.value)
