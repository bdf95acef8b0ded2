"""A plugin outside the repo: benchmarked from Python with no registration, then from the CLI once it
declares `ADAPTERS`, and checked with the shipped contract kit."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness import Qrels, ResultStore, Run, RunResults, evaluate, run
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import BadInput

PLUGIN = '''
"""A third-party retriever: one class, no rankbench registration code."""

import numpy as np

from rankbench.harness.records import Run


class TermOverlap:
    """Scores a document by how many distinct query terms it contains, times `weight` (ties by doc id)."""

    def __init__(self, weight: float = 1.0, lowercase: bool = True) -> None:
        self.weight = weight
        self.lowercase = lowercase

    def _terms(self, text: str) -> set[str]:
        return set((text.lower() if self.lowercase else text).split())

    def index(self, corpus) -> None:
        self.ids = corpus.ids
        self.docs = [self._terms(t) for t in corpus.full_texts()]

    def search(self, queries, k: int) -> Run:
        q, d, s = [], [], []
        for qid, text in zip(queries.ids, queries.texts):
            terms = self._terms(text)
            scores = np.array([len(terms & doc) for doc in self.docs], float) * self.weight
            top = np.argsort(-scores, kind="stable")[:k]
            q += [qid] * len(top)
            d += self.ids[top].tolist()
            s += scores[top].tolist()
        return Run.from_arrays(np.array(q), np.array(d), np.array(s))
'''
REGISTRATION = """

from rankbench.harness.registry import AdapterSpec

ADAPTERS = (AdapterSpec(name="term-overlap", family="retriever", factory="{package}.overlap:TermOverlap"),)
"""


def write_plugin(root: Path, package: str, *, registered: bool) -> Path:
    folder = root / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    source = PLUGIN + (REGISTRATION.format(package=package) if registered else "")
    (folder / "overlap.py").write_text(textwrap.dedent(source))
    return root


@pytest.fixture
def plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The plugin module without registration, importable from a folder outside the repo."""
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path / "site", "rb_plugin_plain", registered=False)))
    yield importlib.import_module("rb_plugin_plain.overlap")
    sys.modules.pop("rb_plugin_plain.overlap", None)
    sys.modules.pop("rb_plugin_plain", None)


def test_an_unregistered_object_is_benchmarked_in_three_lines(plain, tmp_path: Path) -> None:
    from rb_plugin_plain.overlap import TermOverlap

    from rankbench.harness import run

    results = run("ir-synth", TermOverlap(), out=tmp_path / "results")
    assert isinstance(results, RunResults) and results.ok and len(results.ran) == 1
    (cell,) = results.cells
    assert cell.adapter.startswith("TermOverlap-") and cell.suite == "ir-synth"

    # the stored means are what evaluating the object's own run gives
    data = load_dataset("ir-synth").data
    model = plain.TermOverlap()
    model.index(data.corpus)
    expected = evaluate(model.search(data.queries, 100), data.qrels, ["nDCG@10", "AP"], missing_as_zero=True).mean()
    means = results.means().loc[("ir-synth", cell.adapter)]
    assert means["nDCG@10"] == pytest.approx(expected["nDCG@10"], abs=1e-12)
    assert means["AP"] == pytest.approx(expected["AP"], abs=1e-12)
    assert f"{means['nDCG@10']:.4f}" in str(results) and "1 ran, 0 cached, 0 failed" in str(results)

    (stored,) = ResultStore(tmp_path / "results").results()
    assert stored.adapter == cell.adapter and stored.family == "retriever"
    assert stored.info["adapter_object"] == {
        "class": "rb_plugin_plain.overlap.TermOverlap",
        "params": {"lowercase": True, "weight": 1.0},
    }


def test_objects_with_equal_parameters_share_cells_and_different_ones_never(plain, tmp_path: Path) -> None:
    out = tmp_path / "results"
    first = run("ir-synth-tiny", plain.TermOverlap(), out=out)
    again = run("ir-synth-tiny", plain.TermOverlap(weight=1.0), out=out)
    assert again.cells == first.cells and len(again.cached) == 1 and not again.ran
    other = run("ir-synth-tiny", [plain.TermOverlap(lowercase=False), plain.TermOverlap(weight=2.0)], out=out)
    assert len(other.ran) == 2 and len({c.adapter for c in (*first.cells, *other.cells)}) == 3
    named = run("ir-synth-tiny", plain.TermOverlap(), out=out, name="my-overlap")
    assert [c.adapter for c in named.ran] == ["my-overlap"]


def test_objects_and_references_run_together(plain, tmp_path: Path) -> None:
    results = run(["ir-synth-tiny"], ["bm25", plain.TermOverlap()], out=tmp_path / "results", seeds=[0, 1])
    assert results.ok and len(results.ran) == 4
    means = results.means()
    assert set(means.index.get_level_values("adapter")) == {"bm25", results.cells[-1].adapter}
    bm25 = [r for r in results.results() if r.adapter == "bm25"]
    assert means.loc[("ir-synth-tiny", "bm25"), "nDCG@10"] == pytest.approx(
        np.mean([r.measures["nDCG@10"].value for r in bm25])
    )


def test_objects_that_fit_no_family_or_a_registered_name_are_refused(plain, tmp_path: Path) -> None:
    with pytest.raises(
        BadInput, match=r"TermOverlap implements no family these suites take.*recommender \(fit, score\)"
    ):
        run("recsys-synth-tiny", plain.TermOverlap(), out=tmp_path / "r")
    with pytest.raises(BadInput, match="TermOverlap is not a reranker: it needs rerank"):
        run("ir-synth-tiny", plain.TermOverlap(), out=tmp_path / "r", family="reranker")
    with pytest.raises(BadInput, match="'bm25' is a registered adapter"):
        run("ir-synth-tiny", plain.TermOverlap(), out=tmp_path / "r", name="bm25")

    class Both(plain.TermOverlap):
        def encode(self, texts, *, role):
            return np.ones((len(texts), 2))

    with pytest.raises(BadInput, match="implements retriever and embedder; pass run"):
        run("ir-synth-tiny", Both(), out=tmp_path / "r")
    assert run("ir-synth-tiny", Both(), out=tmp_path / "r", family="retriever").ok
    assert not (tmp_path / "r" / "recsys-synth-tiny").exists()


def test_records_and_evaluate_come_from_the_flat_api() -> None:
    qrels = Qrels.from_dict({"q1": {"d1": 1, "d2": 0}})
    ranked = Run.from_dict({"q1": {"d2": 2.0, "d1": 1.0}})
    assert evaluate(ranked, qrels, ["RR"])["RR"].tolist() == [0.5]


def test_the_plugin_runs_from_the_cli_once_it_declares_adapters(plain, tmp_path: Path) -> None:
    from rankbench.harness.testing import check_adapter

    site = write_plugin(tmp_path / "site2", "rb_plugin_registered", registered=True)
    env = {
        **os.environ,
        "RANKBENCH_PLUGINS": "rb_plugin_registered.overlap",
        "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p),
    }
    cli = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
    listed = subprocess.run([*cli, "list", "adapters"], capture_output=True, text=True, env=env, timeout=300)
    assert listed.returncode == 0 and "term-overlap" in listed.stdout
    out = tmp_path / "cli-results"
    done = subprocess.run(
        [*cli, "run", "ir-synth", "-a", "term-overlap", "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (doc,) = [json.loads(p.read_text()) for p in out.rglob("*.json") if not p.name.startswith(".")]
    assert doc["adapter"] == "term-overlap" and doc["status"] == "ok"

    # the same model through the Python API gives the same numbers under its own name
    api = run("ir-synth", plain.TermOverlap(), out=tmp_path / "api-results").means()
    assert doc["measures"]["nDCG@10"]["value"] == pytest.approx(api["nDCG@10"].iloc[0], abs=1e-12)

    # the shipped contract kit checks the plugin's spec
    sys.path.insert(0, str(site))
    try:
        module = importlib.import_module("rb_plugin_registered.overlap")
        check_adapter(module.ADAPTERS[0])
    finally:
        sys.path.remove(str(site))
        for name in ("rb_plugin_registered.overlap", "rb_plugin_registered"):
            sys.modules.pop(name, None)
