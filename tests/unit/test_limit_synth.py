"""The LIMIT-style generator: each qrel pattern holds its definition, and the text realises the qrels."""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict

import numpy as np
import pytest

from rankbench.harness.errors import BadInput
from rankbench.harness.records import IRDataset
from rankbench.suites.ir.synth import checksum_ir
from rankbench.suites.limit.synth import core_size, dense_core_size, generate, qrel_sets


def _sets(ds: IRDataset) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for q, d in zip(ds.qrels.query_ids.tolist(), ds.qrels.doc_ids.tolist(), strict=True):
        out[q].add(d)
    return {q: frozenset(v) for q, v in out.items()}


def test_dense_covers_every_subset_of_its_core() -> None:
    n_core = dense_core_size(45, 2)
    assert n_core == 10 and math.comb(n_core, 2) == 45
    sets = qrel_sets("dense", 45, 2, np.random.default_rng(0))
    assert {tuple(r) for r in sets} == set(itertools.combinations(range(10), 2))
    triples = qrel_sets("dense", 20, 3, np.random.default_rng(0))
    assert len({tuple(r) for r in triples}) == 20 == math.comb(6, 3)


def test_disjoint_sets_never_overlap() -> None:
    sets = qrel_sets("disjoint", 30, 3, np.random.default_rng(0))
    flat = sets.ravel()
    assert len(flat) == len(set(flat.tolist())) == core_size("disjoint", 30, 3)


def test_cycle_links_neighbours_and_wraps() -> None:
    sets = qrel_sets("cycle", 12, 2, np.random.default_rng(0))
    for i, row in enumerate(sets):
        assert set(row.tolist()) == {i, (i + 1) % 12}
    degree = np.bincount(sets.ravel())
    assert (degree == 2).all()  # every core document is relevant to exactly k queries


def test_random_draws_k_distinct_core_documents() -> None:
    sets = qrel_sets("random", 200, 3, np.random.default_rng(0))
    n_core = core_size("random", 200, 3)
    assert all(len(set(r.tolist())) == 3 for r in sets)
    assert sets.min() >= 0 and sets.max() < n_core
    assert len({tuple(r) for r in sets}) > 100  # not a fixed pattern


@pytest.mark.parametrize("pattern", ["dense", "random", "cycle", "disjoint"])
def test_documents_like_exactly_what_their_queries_ask(pattern: str) -> None:
    ds = generate(n_docs=120, n_queries=28, k=2, pattern=pattern, vocab_size=200, attrs_per_doc=8, seed=3)
    text = dict(zip(ds.corpus.ids.tolist(), ds.corpus.texts, strict=True))
    liked = {d: set(re.split(r", | and ", t.split(" likes ", 1)[1].rstrip("."))) for d, t in text.items()}
    sets = _sets(ds)
    assert all(len(s) == 2 for s in sets.values()) and len(sets) == 28
    for qid, qtext in zip(ds.queries.ids.tolist(), ds.queries.texts, strict=True):
        attr = re.fullmatch(r"Who likes (.+)\?", qtext)[1]
        assert {d for d, items in liked.items() if attr in items} == sets[qid]
    assert all(len(items) >= 8 for items in liked.values())


def test_deterministic_per_seed() -> None:
    a, b = (
        generate(n_docs=80, n_queries=20, vocab_size=100, attrs_per_doc=5, seed=1),
        generate(n_docs=80, n_queries=20, vocab_size=100, attrs_per_doc=5, seed=1),
    )
    c = generate(n_docs=80, n_queries=20, vocab_size=100, attrs_per_doc=5, seed=2)
    assert checksum_ir(a) == checksum_ir(b) != checksum_ir(c)


def test_bad_parameters_say_what_to_fix() -> None:
    with pytest.raises(BadInput, match="n_docs >= 40"):
        generate(n_docs=30, n_queries=20, pattern="disjoint", vocab_size=100, attrs_per_doc=5)
    with pytest.raises(BadInput, match="qrel pattern"):
        generate(pattern="star")
    with pytest.raises(BadInput, match="vocab_size"):
        generate(n_docs=80, n_queries=20, vocab_size=21, attrs_per_doc=5)
