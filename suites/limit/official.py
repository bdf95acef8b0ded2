"""LIMIT (Weller et al., 2025) on the official files: `limit-small`, `limit` and `limit-reconstructed`.

`limit-small` (46 people, 1,000 queries, 2 relevant each) and `limit` (50,000 people) are read as
published; both are fetched from the official Hugging Face datasets `orionweller/LIMIT-small` and
`orionweller/LIMIT` on first use, checked against the sha256s in the download manifest.
`limit-reconstructed` needs no corpus download: LIMIT's queries and qrels over a *reconstructed*
corpus (rebuilt as the data folder's SOURCE.md describes): the 46 people relevant in the qrels like
exactly the attributes their queries ask for, padded to 45 liked items, and 49,954 generated
distractor people like 45 items drawn from attributes that no LIMIT query asks for. Its numbers are
close to, not equal to, the paper's; every result says `"reconstructed": true` in its info.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from rankbench.harness.datahome import checked_file, files_checksum
from rankbench.harness.errors import BadInput
from rankbench.harness.formats import read_beir_corpus, read_beir_qrels, read_beir_queries
from rankbench.harness.interfaces import IR_FAMILIES
from rankbench.harness.records import Corpus, IRDataset, Loaded, Queries
from rankbench.harness.registry import DatasetSpec
from rankbench.harness.suite import Suite
from rankbench.suites.catalog import dataset_spec, downloads, entry, files
from rankbench.suites.ir.synth import checksum_ir
from rankbench.suites.limit.synth import LIMIT_MEASURES

_SOURCE = "fetched from orionweller/LIMIT(-small) on Hugging Face (the files of google-deepmind/limit data/)"
_CITATION = "Weller, Boratko, Naim, Lee. On the Theoretical Limitations of Embedding-Based Retrieval. arXiv:2508.21038"
_LIMIT = files("limit")
_SMALL = files("limit-small")
# the reconstruction reads LIMIT's queries and qrels, and LIMIT-small's people and attributes
_RECONSTRUCTED = {
    rel: c for rel, c in {**_LIMIT, **_SMALL}.items() if not rel.endswith(("limit/corpus.jsonl", "small/qrels.jsonl"))
}
_QUERY = re.compile(r"^Who likes (?P<attr>.+)\?$")


def _files(spec: DatasetSpec, folder: str) -> dict[str, Path]:
    return {
        Path(rel).name: checked_file(spec, rel, _SOURCE) for rel in spec.files if rel.startswith(f"limit/{folder}/")
    }


def load_official(spec: DatasetSpec, folder: str = "limit-small") -> Loaded:
    """LIMIT or LIMIT-small exactly as published, every file checked against its sha256."""
    paths = _files(spec, folder)
    ds = IRDataset(
        read_beir_corpus(paths["corpus.jsonl"]),
        read_beir_queries(paths["queries.jsonl"]),
        read_beir_qrels(paths["qrels.jsonl"]),
    )
    return Loaded(ds, files_checksum(spec), {"source": f"{folder} (official files)", "citation": _CITATION})


def load_small(spec: DatasetSpec) -> Loaded:
    """LIMIT-small exactly as published."""
    return load_official(spec, "limit-small")


def asked_attribute(text: str, path: Path, line: int) -> str:
    """The attribute of a LIMIT query (`Who likes Birch Trees?` -> `Birch Trees`)."""
    m = _QUERY.match(text.strip())
    if not m:
        raise BadInput(f"expected a query of the form 'Who likes X?', got {text!r}", path=path, line=line)
    return m["attr"]


def _attributes(queries: Queries, path: Path) -> list[str]:
    return [asked_attribute(t, path, i + 1) for i, t in enumerate(queries.texts)]


def _sentence(name: str, liked: list[str]) -> str:
    return f"{name} likes {', '.join(liked[:-1])} and {liked[-1]}."


def reconstruct_corpus(
    queries: Queries,
    qrels_pairs: list[tuple[str, str]],
    asked: list[str],
    padding: list[str],
    person_names: list[str],
    n_docs: int,
    attrs_per_doc: int,
    seed: int,
) -> Corpus:
    """The LIMIT-sized corpus: relevant people like their queries' attributes, distractors like none."""
    if len(padding) < attrs_per_doc:
        raise BadInput(f"only {len(padding)} padding attributes for {attrs_per_doc} liked items per person")
    rng = np.random.default_rng(seed)
    attr_of = dict(zip(queries.ids.tolist(), asked, strict=True))
    likes: dict[str, list[str]] = defaultdict(list)
    for qid, person in qrels_pairs:
        likes[person].append(attr_of[qid])
    relevant = sorted(likes)
    if n_docs < len(relevant):
        raise BadInput(f"n_docs={n_docs} is smaller than the {len(relevant)} relevant people")
    pad = np.array(padding)
    texts, ids = [], []
    for person in relevant:
        items = likes[person] + list(rng.choice(pad, size=max(0, attrs_per_doc - len(likes[person])), replace=False))
        rng.shuffle(items)
        ids.append(person)
        texts.append(_sentence(person, items))
    # distractor names: first name, middle initial, surname (LIMIT's own name pools give ~220k of them)
    firsts = sorted({n.split()[0] for n in person_names})
    lasts = sorted({n.split()[-1] for n in person_names})
    taken = set(person_names)
    initials = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    capacity = len(firsts) * len(lasts) * len(initials)
    n_distractors = n_docs - len(relevant)
    if capacity < n_distractors + len(taken):
        raise BadInput(f"cannot make {n_distractors} distinct distractor names from {len(person_names)} names")
    while len(ids) < n_docs:
        name = f"{rng.choice(firsts)} {rng.choice(initials)}. {rng.choice(lasts)}"
        if name in taken:
            continue
        taken.add(name)
        items = list(rng.choice(pad, size=attrs_per_doc, replace=False))
        ids.append(name)
        texts.append(_sentence(name, items))
    order = rng.permutation(n_docs)
    return Corpus(np.array(ids)[order], tuple(texts[i] for i in order), tuple("" for _ in range(n_docs)))


def load_reconstructed(spec: DatasetSpec, n_docs: int = 50_000, attrs_per_doc: int = 45, seed: int = 0) -> Loaded:
    """LIMIT's real queries and qrels over a reconstructed 50k-document corpus (see module docstring)."""
    full = _files(spec, "limit")
    small = _files(spec, "limit-small")
    queries = read_beir_queries(full["queries.jsonl"])
    qrels = read_beir_qrels(full["qrels.jsonl"])
    asked = _attributes(queries, full["queries.jsonl"])
    small_queries = read_beir_queries(small["queries.jsonl"])
    # padding attributes: LIMIT-small's query attributes that no LIMIT query asks for
    padding = sorted(set(_attributes(small_queries, small["queries.jsonl"])) - set(asked))
    names = read_beir_corpus(small["corpus.jsonl"]).ids.tolist() + sorted(set(qrels.doc_ids.tolist()))
    pairs = list(zip(qrels.query_ids.tolist(), qrels.doc_ids.tolist(), strict=True))
    corpus = reconstruct_corpus(queries, pairs, asked, padding, names, n_docs, attrs_per_doc, seed)
    ds = IRDataset(corpus, queries, qrels)
    info = {
        "source": "LIMIT queries and qrels (official files) over a reconstructed corpus",
        "reconstructed": True,
        "n_padding_attributes": len(padding),
        "files_checksum": files_checksum(spec),
        "citation": _CITATION,
    }
    return Loaded(ds, checksum_ir(ds), info)


DATASETS = (
    dataset_spec("limit-small", "rankbench.suites.limit.official:load_small"),
    dataset_spec("limit", "rankbench.suites.limit.official:load_official", params={"folder": "limit"}),
    DatasetSpec(
        name="limit-reconstructed",
        loader="rankbench.suites.limit.official:load_reconstructed",
        files=_RECONSTRUCTED,
        downloads=tuple(d for d in downloads("limit") + downloads("limit-small") if d.path in _RECONSTRUCTED),
        description="LIMIT: official queries/qrels over a reconstructed 50k-person corpus (not the official corpus)",
        source=_SOURCE,
        licence=entry("limit")["licence"],
        citation=_CITATION,
        params={"n_docs": 50_000, "attrs_per_doc": 45, "seed": 0},
    ),
)
SUITES = (
    Suite(
        name="limit-small",
        dataset="limit-small",
        task="retrieval",
        measures=LIMIT_MEASURES,
        families=IR_FAMILIES,
        settings={"depth": 100},
        description="LIMIT-small (Weller et al. 2025), official files; Recall@2/10/100 as in the paper",
        tags=("limit", "stress"),
    ),
    Suite(
        name="limit",
        dataset="limit",
        task="retrieval",
        measures=LIMIT_MEASURES,
        families=IR_FAMILIES,
        settings={"depth": 100},
        description="LIMIT (Weller et al. 2025), official 50k corpus, queries and qrels; Recall@2/10/100",
        tags=("limit", "stress"),
    ),
    Suite(
        name="limit-reconstructed",
        dataset="limit-reconstructed",
        task="retrieval",
        measures=LIMIT_MEASURES,
        families=IR_FAMILIES,
        settings={"depth": 100},
        description="LIMIT with a reconstructed 50k corpus (official queries/qrels); approximate to the paper",
        tags=("limit", "stress", "reconstructed"),
    ),
)
