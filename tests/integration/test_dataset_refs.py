"""Dataset references on the command line: BEIR names, local folders and files, ir_datasets ids, MTEB tasks.

All offline: BEIR names are checked as references (their downloads are tested in test_download.py),
ir_datasets reads a home laid out as its own cache, and mteb reads a local folder in the HF layout.
"""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.records import CTRSplits, Interactions
from rankbench.harness.suite import resolve_suite
from tests.integration._cli import measures_by_cell, rankbench


def test_beir_references_resolve_to_canonical_suites() -> None:
    assert resolve_suite("beir/nfcorpus").name == "beir/nfcorpus/test"
    assert resolve_suite("beir/scifact/train").dataset_params["split"] == "train"
    assert resolve_suite("beir/msmarco").name == "beir/msmarco/dev"  # BEIR evaluates MS MARCO on dev
    android = resolve_suite("beir/cqadupstack/android")
    assert (android.name, android.dataset) == ("beir/cqadupstack/android/test", "beir/cqadupstack/android")
    assert resolve_suite("beir/nfcorpus").measures[:2] == ("nDCG@10", "R@100")
    with pytest.raises(UnknownName, match="beir/nfcorpus"):
        resolve_suite("beir/nfcorps")
    with pytest.raises(UnknownName, match="split of beir/scifact"):
        resolve_suite("beir/scifact/dev")


def _scifact_folder(data: Path, out: Path) -> Path:
    src = data / "ir" / "scifact"
    (out / "qrels").mkdir(parents=True)
    for name in ("corpus.jsonl", "queries.jsonl"):
        with gzip.open(src / f"{name}.gz", "rb") as fh, open(out / name, "wb") as dst:
            shutil.copyfileobj(fh, dst)
    shutil.copy(src / "qrels" / "test.tsv", out / "qrels" / "test.tsv")
    return out


def test_beir_folder_gives_what_the_registered_suite_gives(real_data: Path, tmp_path: Path) -> None:
    folder = _scifact_folder(real_data, tmp_path / "my-collection")
    out = tmp_path / "results"
    proc = rankbench("run", str(folder), "beir-scifact", "-a", "bm25", "-o", str(out), RANKBENCH_DATA=str(real_data))
    assert proc.returncode == 0, proc.stderr
    cells = measures_by_cell(out)
    ours, registered = cells[(str(folder), "bm25", 0)], cells[("beir-scifact", "bm25", 0)]
    assert ours["nDCG@10"] == registered["nDCG@10"] and ours["R@100"] == registered["R@100"]
    assert ours["nDCG@10"] > 0.6


TOPICS = """<top>
<num> Number: 301
<title> oil spills
<desc> Description:
Oil spills at sea.
<narr> Narrative:
Relevant documents discuss oil spills.
</top>

<top>
<num> Number: 302
<title> tax reform
<desc> Description:
Tax reform proposals.
<narr> Narrative:
Relevant documents discuss tax reform.
</top>
"""
DOCS = """<DOC>
<DOCNO> D1 </DOCNO>
<TEXT>A large oil spill hit the coast; oil spills harm birds.</TEXT>
</DOC>
<DOC>
<DOCNO> D2 </DOCNO>
<TEXT>Congress debates tax reform &amp; tax cuts.</TEXT>
</DOC>
<DOC>
<DOCNO> D3 </DOCNO>
<TEXT>Football results of the weekend.</TEXT>
</DOC>
"""


def test_trec_folder_runs_as_a_retrieval_suite(tmp_path: Path) -> None:
    pytest.importorskip("ir_datasets")
    folder = tmp_path / "trec"
    folder.mkdir()
    (folder / "topics.301-302.txt").write_text(TOPICS)
    (folder / "qrels.301-302.txt").write_text("301 0 D1 1\n301 0 D3 0\n302 0 D2 2\n")
    (folder / "documents.trec").write_text(DOCS)
    suite = resolve_suite(str(folder))
    data = load_dataset(suite.dataset).data
    assert sorted(data.queries.ids.tolist()) == ["301", "302"] and "oil spills" in data.queries.texts
    assert (
        dict(zip(data.corpus.ids.tolist(), data.corpus.texts, strict=True))["D2"]
        == "Congress debates tax reform & tax cuts."
    )
    out = tmp_path / "results"
    proc = rankbench("run", str(folder), "-a", "bm25", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert measures_by_cell(out)[(str(folder), "bm25", 0)]["nDCG@10"] == pytest.approx(1.0)


def test_recbole_inter_and_csv_files_become_recommender_suites(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 40, 600), rng.integers(0, 60, 600)
    frame = pd.DataFrame({"user_id:token": users, "item_id:token": items, "rating:float": 4.0, "timestamp:float": 1.0})
    frame = frame.drop_duplicates(["user_id:token", "item_id:token"])
    inter = tmp_path / "toy.inter"
    frame.to_csv(inter, sep="\t", index=False)
    suite = resolve_suite(str(inter))
    assert suite.task == "recommendation" and suite.settings["split"] == "random-holdout"
    data: Interactions = load_dataset(suite.dataset).data
    assert len(data) == len(frame) and data.n_users == frame["user_id:token"].nunique()
    csv = tmp_path / "ratings.csv"
    frame.set_axis(["userId", "movieId", "rating", "timestamp"], axis=1).to_csv(csv, index=False)
    assert len(load_dataset(resolve_suite(str(csv)).dataset).data) == len(frame)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(BadInput, match="no user column"):
        load_dataset(resolve_suite(str(bad)).dataset)


def test_bars_folder_becomes_a_ctr_suite(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    folder = tmp_path / "bars"
    folder.mkdir()
    for split, n in (("train", 300), ("valid", 100), ("test", 100)):
        pd.DataFrame(
            {"user": rng.integers(0, 9, n), "item": rng.integers(0, 7, n), "label": rng.integers(0, 2, n)}
        ).to_csv(folder / f"{split}.csv", index=False)
    suite = resolve_suite(str(folder))
    assert (suite.task, suite.unit) == ("ctr", "impression")
    splits: CTRSplits = load_dataset(suite.dataset).data
    assert splits.train.categorical.shape == (300, 2) and splits.test.cat_fields == ("user", "item")


def test_paths_that_do_not_hold_data_fail_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file or folder"):
        resolve_suite(str(tmp_path / "absent"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="BEIR layout"):
        resolve_suite(str(tmp_path / "empty"))


def test_irds_reference_runs_on_an_ir_datasets_home(real_data: Path, tmp_path: Path) -> None:
    """ir_datasets reads its own cache layout (beir/scifact/source.zip), so no download happens."""
    pytest.importorskip("ir_datasets")
    folder = _scifact_folder(real_data, tmp_path / "src" / "scifact")
    home = tmp_path / "ird"
    (home / "beir" / "scifact").mkdir(parents=True)
    with zipfile.ZipFile(home / "beir" / "scifact" / "source.zip", "w") as zf:
        for rel in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
            zf.write(folder / rel, f"scifact/{rel}")
    out = tmp_path / "results"
    env = {"RANKBENCH_DATA": str(real_data), "IR_DATASETS_HOME": str(home)}
    proc = rankbench("run", "irds:beir/scifact/test", "beir-scifact", "-a", "bm25", "-o", str(out), **env)
    assert proc.returncode == 0, proc.stderr
    cells = measures_by_cell(out)
    assert cells[("irds:beir/scifact/test", "bm25", 0)]["nDCG@10"] == cells[("beir-scifact", "bm25", 0)]["nDCG@10"]
    bad = rankbench("run", "irds:no-such/collection", "-a", "bm25", "-o", str(out), **env)
    assert bad.returncode != 0 and "no-such/collection" in bad.stdout + bad.stderr


def test_unknown_or_unjudged_irds_ids_are_usage_errors_before_any_cell_runs(tmp_path: Path) -> None:
    pytest.importorskip("ir_datasets")
    with pytest.raises(
        UnknownName, match=r"unknown ir_datasets id 'beir/scifact/tst' \(did you mean 'beir/scifact/test'"
    ):
        resolve_suite("irds:beir/scifact/tst")
    with pytest.raises(BadInput, match="'beir/scifact' lacks documents, queries or qrels"):
        resolve_suite("irds:beir/scifact")
    out = tmp_path / "results"
    proc = rankbench("run", "irds:nosuch/x", "-a", "bm25", "-o", str(out))
    assert proc.returncode == 2 and proc.stderr.startswith("error: unknown ir_datasets id 'nosuch/x'"), proc.stderr
    assert not out.exists()


def test_mteb_reference_resolves_offline_and_loads_through_mteb(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mteb")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    from rankbench.adapters.ir.mteb_bridge import write_mteb_folder
    from rankbench.suites.ir.mteb_tasks import read_mteb_task

    suite = resolve_suite("mteb:SciFact")
    assert (suite.name, suite.task) == ("mteb:SciFact", "retrieval")
    ours = load_dataset("beir-scifact").data
    theirs = read_mteb_task("SciFact", "test", str(write_mteb_folder(ours, tmp_path / "hf-scifact")))
    assert theirs.qrels.to_dict() == ours.qrels.to_dict()
    assert sorted(theirs.queries.ids.tolist()) == sorted(ours.queries.ids.tolist())
    assert dict(zip(theirs.corpus.ids.tolist(), theirs.corpus.texts, strict=True)) == dict(
        zip(ours.corpus.ids.tolist(), ours.corpus.texts, strict=True)
    )
    with pytest.raises(UnknownName, match="MTEB"):
        resolve_suite("mteb:SciFcat")
    with pytest.raises(BadInput, match="Classification task"):
        resolve_suite("mteb:Banking77Classification")


def test_data_ls_lists_every_beir_collection_with_its_licence(tmp_path: Path) -> None:
    proc = rankbench("data", "ls", RANKBENCH_DATA=str(tmp_path), COLUMNS="200")
    assert proc.returncode == 0
    names = {line.split()[0] for line in proc.stdout.splitlines() if line.strip().startswith("beir/")}
    assert {"beir/scifact", "beir/nfcorpus", "beir/msmarco", "beir/cqadupstack/android"} <= names
    assert len(names) == 14 + 12 + 4  # 14 single zips, CQADupStack's 12 forums, 4 not redistributable


def test_a_beir_folder_with_dev_qrels_gives_the_dev_split_beside_the_test_split(tmp_path: Path) -> None:
    """`dev` holds the queries and judgements of qrels/dev.tsv, as BEIR's own loader reads split 'dev'."""
    from rankbench.suites.ir.beir import load_with_beir_loader, read_beir_folder

    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": f"d{i}", "title": "", "text": f"document {i} about topic {i % 3}"} for i in range(9)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    queries = [{"_id": f"q{i}", "text": f"topic {i % 3}"} for i in range(6)]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t2\n")
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq3\td3\t1\nq3\td6\t1\nq4\td4\t2\n")
    ds = read_beir_folder(folder, "test")
    theirs = load_with_beir_loader(folder, "dev")
    assert ds.dev is not None and sorted(ds.queries.ids) == ["q0", "q1"]
    assert sorted(ds.dev.queries.ids) == sorted(theirs.queries.ids) == ["q3", "q4"]
    assert ds.dev.qrels.to_dict() == theirs.qrels.to_dict()
    assert read_beir_folder(folder, "dev").dev is None  # the dev split itself has no second dev split
    (folder / "qrels" / "dev.tsv").unlink()
    assert read_beir_folder(folder, "test").dev is None


def _beir_folder(folder: Path, *, queries: str = '{"_id": "q1", "text": "oil"}\n', qrels: bool = True) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "oil spills"}\n')
    (folder / "queries.jsonl").write_text(queries)
    if qrels:
        (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return folder


def test_malformed_local_folders_fail_when_resolved_naming_the_path_and_layout(tmp_path: Path) -> None:
    no_qrels = _beir_folder(tmp_path / "no-qrels", qrels=False)
    with pytest.raises(BadInput, match=r"no-qrels: no qrels/test.tsv \(BEIR layout: corpus.jsonl"):
        resolve_suite(str(no_qrels))
    bad_json = _beir_folder(tmp_path / "bad-json", queries="{oops\n")
    with pytest.raises(BadInput, match=r"queries.jsonl:1: invalid JSON"):
        resolve_suite(str(bad_json))
    no_text = _beir_folder(tmp_path / "no-text", queries='{"_id": "q1"}\n')
    with pytest.raises(BadInput, match=r"queries.jsonl:1: missing field 'text'.*BEIR layout"):
        resolve_suite(str(no_text))
    trec = tmp_path / "trec"
    trec.mkdir()
    (trec / "topics.txt").write_text("301\toil\n")
    with pytest.raises(BadInput, match=r"trec: no qrels\* or corpus/docs/collection\* file \(TREC layout"):
        resolve_suite(str(trec))
    (trec / "qrels.txt").write_text("301 D1 1\n")
    (trec / "docs.tsv").write_text("D1\toil\n")
    with pytest.raises(BadInput, match=r"qrels.txt:1: expected TREC qrels 'qid iter docno rel', found 3 columns"):
        resolve_suite(str(trec))
    bars = tmp_path / "bars"
    bars.mkdir()
    (bars / "train.csv").write_text("user,item\n1,2\n")
    with pytest.raises(BadInput, match=r"train.csv:1: no label column"):
        resolve_suite(str(bars))
    (tmp_path / "unknown").mkdir()
    (tmp_path / "unknown" / "notes.txt").write_text("hello\n")
    with pytest.raises(BadInput, match=r"unknown: unknown layout: .*BEIR layout.*TREC layout.*BARS layout"):
        resolve_suite(str(tmp_path / "unknown"))


def test_a_malformed_local_folder_is_a_usage_error_before_any_cell_runs(tmp_path: Path) -> None:
    folder = _beir_folder(tmp_path / "collection", qrels=False)
    out = tmp_path / "results"
    proc = rankbench("run", str(folder), "-a", "bm25", "-o", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: {folder}: no qrels/test.tsv (BEIR layout: corpus.jsonl, queries.jsonl and qrels/<split>.tsv, "
        "any of them gzipped)"
    ]
    assert not out.exists()


def test_beir_scifact_by_name_runs_on_the_pinned_copy_in_the_data_home(real_data: Path) -> None:
    """`beir/scifact` is the built-in `beir-scifact` when its files are present: no second download."""
    assert resolve_suite("beir/scifact").name == "beir-scifact"
    assert resolve_suite("beir/scifact/test").name == "beir-scifact"
    assert resolve_suite("beir/scifact/train").name == "beir/scifact/train"  # a split the copy does not hold


def test_qrels_judging_documents_absent_from_the_corpus_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every measure of such a query is capped (all zero when no judged document is in the corpus): say so."""
    from rankbench.suites.ir.beir import read_beir_folder

    folder = _beir_folder(tmp_path / "absent", qrels=False)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\tdX\t2\nq1\tdY\t0\n")
    with caplog.at_level("WARNING"):
        read_beir_folder(folder, "test")
    assert "1 of 2 relevant judgements name documents absent from the corpus (e.g. 'dX')" in caplog.text
    caplog.clear()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    with caplog.at_level("WARNING"):
        read_beir_folder(folder, "test")
    assert "absent" not in caplog.text


@pytest.mark.parametrize("adapter", ["bm25", "bm25-rm3"])
def test_the_depth_cut_among_tied_documents_follows_trec_eval_not_the_file_order(tmp_path: Path, adapter: str) -> None:
    """150 identical documents tie for the query; at depth 100 trec_eval's order (doc id descending)
    keeps d99 and drops d10 and d0, whichever order the corpus file lists them in."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    ids = [f"d{i}" for i in range(150)]
    relevant = {"d99": 1, "d0": 1, "d10": 1}
    full = pytrec_eval.RelevanceEvaluator({"q1": relevant}, {"recall.100"}).evaluate({"q1": dict.fromkeys(ids, 1.0)})
    values = []
    for name, order in (("forward", ids), ("backward", ids[::-1])):
        folder = tmp_path / name
        (folder / "qrels").mkdir(parents=True)
        (folder / "corpus.jsonl").write_text(
            "".join(json.dumps({"_id": d, "text": "apple banana"}) + "\n" for d in order)
        )
        (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "apple"}) + "\n")
        (folder / "qrels" / "test.tsv").write_text(
            "query-id\tcorpus-id\tscore\n" + "".join(f"q1\t{d}\t1\n" for d in relevant)
        )
        out = tmp_path / f"out-{name}"
        proc = rankbench("run", str(folder), "-a", adapter, "-o", str(out))  # depth 100: R@100's cut-off
        assert proc.returncode == 0, proc.stderr
        [cell] = measures_by_cell(out).values()
        values.append(cell["R@100"])
    assert values == [pytest.approx(full["q1"]["recall_100"])] * 2 and values[0] == pytest.approx(1 / 3)


def test_movielens_names_run_their_holdout_suite(real_data: Path, tmp_path: Path) -> None:
    assert [resolve_suite(n).name for n in ("ml-100k", "ml-1m", "ml-20m")] == [
        "ml-100k-holdout",
        "ml-1m-holdout",
        "ml-20m-holdout",
    ]
    assert resolve_suite("ml-1m").dataset == "ml-1m"
    out = tmp_path / "results"
    proc = rankbench(
        "run", "ml-100k", "ml-100k-holdout", "-a", "popularity", "-o", str(out), RANKBENCH_DATA=str(real_data)
    )
    assert proc.returncode == 0 and "0 ran, 1 cached" not in proc.stderr, proc.stderr
    assert "1 ran, 1 cached, 0 failed" in proc.stderr  # one suite under two names: computed once
    [(suite, adapter, seed)] = measures_by_cell(out)
    assert (suite, adapter, seed) == ("ml-100k-holdout", "popularity", 0)
