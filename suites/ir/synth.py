"""A generated IR collection for tests and the quickstart: topical documents in real English words.

Each topic has its own vocabulary; documents mix words of one topic with common filler,
queries pick a few words of a topic, and a document's grade counts how many query words
it contains (2 = all, 1 = most, same topic). Lexical and semantic models both get signal,
and the collection is byte-for-byte deterministic per seed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from rankbench.harness.interfaces import IR_FAMILIES
from rankbench.harness.records import Corpus, DevSplit, IRDataset, Loaded, Qrels, Queries
from rankbench.harness.registry import DatasetSpec, QuickstartEntry
from rankbench.harness.suite import Suite

TOPICS: dict[str, tuple[str, ...]] = {
    "cooking": (
        "recipe",
        "oven",
        "garlic",
        "butter",
        "flour",
        "simmer",
        "sauce",
        "onion",
        "bake",
        "pepper",
        "kitchen",
        "roast",
        "pasta",
        "dough",
        "spice",
        "salad",
        "grill",
        "soup",
        "knife",
        "vinegar",
    ),
    "astronomy": (
        "telescope",
        "galaxy",
        "planet",
        "orbit",
        "comet",
        "nebula",
        "star",
        "lunar",
        "eclipse",
        "asteroid",
        "cosmic",
        "gravity",
        "satellite",
        "meteor",
        "solar",
        "supernova",
        "quasar",
        "observatory",
        "constellation",
        "redshift",
    ),
    "finance": (
        "stock",
        "bond",
        "dividend",
        "interest",
        "inflation",
        "market",
        "portfolio",
        "equity",
        "loan",
        "bank",
        "credit",
        "investor",
        "currency",
        "hedge",
        "asset",
        "yield",
        "budget",
        "tax",
        "profit",
        "mortgage",
    ),
    "medicine": (
        "patient",
        "vaccine",
        "diagnosis",
        "surgery",
        "symptom",
        "therapy",
        "clinic",
        "antibiotic",
        "virus",
        "dose",
        "nurse",
        "tumor",
        "infection",
        "fever",
        "blood",
        "heart",
        "insulin",
        "cancer",
        "hospital",
        "immune",
    ),
    "sport": (
        "football",
        "goal",
        "coach",
        "tennis",
        "match",
        "league",
        "referee",
        "stadium",
        "sprint",
        "marathon",
        "tournament",
        "player",
        "score",
        "basketball",
        "medal",
        "swimming",
        "team",
        "trophy",
        "cricket",
        "athlete",
    ),
    "music": (
        "guitar",
        "melody",
        "piano",
        "concert",
        "rhythm",
        "orchestra",
        "violin",
        "album",
        "singer",
        "chord",
        "drum",
        "jazz",
        "opera",
        "lyrics",
        "symphony",
        "tempo",
        "harmony",
        "band",
        "song",
        "composer",
    ),
    "computing": (
        "compiler",
        "database",
        "server",
        "algorithm",
        "network",
        "software",
        "processor",
        "memory",
        "kernel",
        "python",
        "cache",
        "encryption",
        "cloud",
        "query",
        "index",
        "thread",
        "binary",
        "protocol",
        "debugger",
        "storage",
    ),
    "gardening": (
        "tomato",
        "seed",
        "soil",
        "compost",
        "prune",
        "garden",
        "flower",
        "orchard",
        "fertilizer",
        "weed",
        "bloom",
        "harvest",
        "greenhouse",
        "shrub",
        "mulch",
        "tulip",
        "hedge",
        "rose",
        "irrigation",
        "seedling",
    ),
    "travel": (
        "flight",
        "hotel",
        "passport",
        "luggage",
        "beach",
        "island",
        "museum",
        "tourist",
        "cruise",
        "airport",
        "visa",
        "itinerary",
        "hostel",
        "train",
        "souvenir",
        "journey",
        "backpack",
        "resort",
        "ticket",
        "map",
    ),
    "law": (
        "court",
        "judge",
        "lawyer",
        "contract",
        "verdict",
        "jury",
        "statute",
        "appeal",
        "plaintiff",
        "defendant",
        "evidence",
        "trial",
        "lawsuit",
        "attorney",
        "testimony",
        "patent",
        "copyright",
        "treaty",
        "regulation",
        "settlement",
    ),
    "ocean": (
        "whale",
        "coral",
        "reef",
        "tide",
        "shark",
        "dolphin",
        "wave",
        "salmon",
        "plankton",
        "harbor",
        "lighthouse",
        "octopus",
        "seaweed",
        "sailor",
        "anchor",
        "current",
        "lagoon",
        "trench",
        "kelp",
        "submarine",
    ),
    "history": (
        "empire",
        "dynasty",
        "revolution",
        "castle",
        "medieval",
        "pharaoh",
        "treaty",
        "colony",
        "monarch",
        "archive",
        "ancient",
        "battle",
        "knight",
        "senate",
        "parliament",
        "manuscript",
        "pyramid",
        "crusade",
        "renaissance",
        "artifact",
    ),
}
FILLER = (
    "the",
    "a",
    "of",
    "and",
    "with",
    "about",
    "this",
    "that",
    "new",
    "some",
    "many",
    "often",
    "very",
    "report",
    "people",
    "study",
    "story",
    "notes",
    "great",
    "first",
    "another",
    "small",
    "large",
    "time",
)


def generate(
    n_docs: int = 600, n_queries: int = 60, doc_len: int = 30, query_len: int = 3, seed: int = 0, n_dev_queries: int = 0
) -> IRDataset:
    """Deterministic topical collection; every query has at least one grade-2 document.

    `n_dev_queries` more queries (ids `dev0000`, ...), drawn after the test queries in the same way, form
    the dev split (`IRDataset.dev`, None when 0); the corpus and the test queries do not depend on it.
    """
    rng = np.random.default_rng(seed)
    topics = list(TOPICS)
    doc_topic = rng.integers(0, len(topics), size=n_docs)
    doc_words: list[set[str]] = []
    texts, titles = [], []
    for i in range(n_docs):
        vocab = TOPICS[topics[doc_topic[i]]]
        # Zipf-like preference inside the topic so documents differ in which words they stress
        probs = 1.0 / np.arange(1, len(vocab) + 1) ** 0.8
        probs = probs[rng.permutation(len(vocab))]
        probs /= probs.sum()
        n_topic = int(doc_len * 0.6)
        words = list(rng.choice(vocab, size=n_topic, p=probs)) + list(rng.choice(FILLER, size=doc_len - n_topic))
        rng.shuffle(words)
        doc_words.append(set(words))
        texts.append(" ".join(words))
        titles.append(" ".join(rng.choice(vocab, size=2, replace=False)))

    def judged(n: int, prefix: str) -> tuple[Queries, Qrels]:
        q_ids, q_texts, rows = [], [], []
        for qi in range(n):
            anchor = int(rng.integers(0, n_docs))
            vocab = [w for w in TOPICS[topics[doc_topic[anchor]]] if w in doc_words[anchor]]
            terms = list(rng.choice(vocab, size=min(query_len, len(vocab)), replace=False))
            qid = f"{prefix}{qi:04d}"
            q_ids.append(qid)
            q_texts.append(" ".join(terms))
            for d in range(n_docs):
                overlap = sum(t in doc_words[d] for t in terms)
                if overlap == len(terms):
                    rows.append((qid, f"d{d:05d}", 2))
                elif doc_topic[d] == doc_topic[anchor] and overlap >= len(terms) - 1:
                    rows.append((qid, f"d{d:05d}", 1))
        q, d, r = zip(*rows, strict=True)
        return Queries(np.array(q_ids), tuple(q_texts)), Qrels(np.array(q), np.array(d), np.array(r))

    queries, qrels = judged(n_queries, "q")
    dev = None
    if n_dev_queries:
        dev_queries, dev_qrels = judged(n_dev_queries, "dev")
        dev = DevSplit(queries=dev_queries, qrels=dev_qrels)
    return IRDataset(
        Corpus(np.array([f"d{i:05d}" for i in range(n_docs)]), tuple(texts), tuple(titles)), queries, qrels, dev
    )


def checksum_ir(ds: IRDataset) -> str:
    """sha256 over the collection's content, recorded in provenance for generated data."""
    h = hashlib.sha256()
    for part in (
        ds.corpus.ids,
        ds.corpus.texts,
        ds.corpus.titles or (),
        ds.queries.ids,
        ds.queries.texts,
        ds.qrels.query_ids,
        ds.qrels.doc_ids,
        ds.qrels.labels.astype(str),
        *(
            (
                ds.dev.queries.ids,
                ds.dev.queries.texts,
                ds.dev.qrels.query_ids,
                ds.dev.qrels.doc_ids,
                ds.dev.qrels.labels.astype(str),
            )
            if ds.dev is not None
            else ()
        ),
    ):
        h.update("\x1f".join(map(str, part)).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def load(spec: DatasetSpec, **params: Any) -> Loaded:
    ds = generate(**params)
    return Loaded(ds, checksum_ir(ds), {"generated": True, "generator": "ir-synth", **params})


DATASETS = (
    DatasetSpec(
        name="ir-synth",
        loader="rankbench.suites.ir.synth:load",
        generated=True,
        params={"n_docs": 600, "n_queries": 60, "seed": 0},
        description="generated topical collection (12 topics, graded qrels)",
    ),
    DatasetSpec(
        name="ir-synth-tiny",
        loader="rankbench.suites.ir.synth:load",
        generated=True,
        params={"n_docs": 120, "n_queries": 16, "seed": 1, "n_dev_queries": 8},
        description="a tiny generated collection for contract tests, with 8 dev queries",
    ),
)

IR_MEASURES = ("nDCG@10", "R@100", "RR@10", "AP", "P@5")
SUITES = (
    Suite(
        name="ir-synth",
        dataset="ir-synth",
        task="retrieval",
        measures=IR_MEASURES,
        families=IR_FAMILIES,
        description="generated topical IR collection; ships with rankbench",
    ),
    Suite(
        name="ir-synth-tiny",
        dataset="ir-synth-tiny",
        task="retrieval",
        measures=IR_MEASURES,
        families=IR_FAMILIES,
        description="tiny generated IR collection for contract tests",
    ),
)
QUICKSTART = (QuickstartEntry(name="ir", suite="ir-synth", adapters=("bm25",), order=10),)
