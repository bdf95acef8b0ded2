"""Reproduction cards for BEIR SciFact: BM25 (BEIR paper, Anserini) and all-MiniLM-L6-v2 (MTEB).

Tolerances say how far an honest re-implementation may land: our BM25 is bm25s with Lucene's
scoring and Anserini's English analysis on title + text (adapters/ir/analysis.py lists where it
still differs from Lucene), not Lucene itself, so it is
held to ±0.015 of the BEIR paper and the Anserini multifield index (which scores title and
text as separate fields) and ±0.01 of the Anserini flat index it mirrors. MiniLM runs the same
weights with the same pooling as MTEB, so only numerical noise is allowed: ±0.005.
"""

from __future__ import annotations

from rankbench.harness.registry import QuickstartEntry
from rankbench.harness.reproduce import Card, Target

BEIR_PAPER = "Thakur et al., BEIR, NeurIPS Datasets & Benchmarks 2021 (arXiv:2104.08663), Table 2"
ANSERINI_FLAT = "Anserini BEIR v1.0.0 regression, scifact flat index (beir-v1.0.0-scifact.flat.yaml)"
ANSERINI_MULTI = "Anserini BEIR v1.0.0 regression, scifact multifield index (beir-v1.0.0-scifact.multifield.yaml)"
MTEB_LEADERBOARD = "MTEB leaderboard, sentence-transformers/all-MiniLM-L6-v2, SciFact (Muennighoff et al., EACL 2023)"

CARDS = (
    Card(
        name="bm25-scifact",
        description="BM25 (k1=0.9, b=0.4) on BEIR SciFact test: BEIR paper and Anserini flat/multifield",
        suite="beir-scifact",
        targets=(
            Target("bm25", "nDCG@10", 0.665, 0.015, BEIR_PAPER),
            Target("bm25", "nDCG@10", 0.6789, 0.01, ANSERINI_FLAT),
            Target("bm25", "nDCG@10", 0.6647, 0.015, ANSERINI_MULTI),
            Target("bm25", "R@100", 0.9253, 0.015, ANSERINI_FLAT),
        ),
    ),
    Card(
        name="minilm-scifact",
        description="all-MiniLM-L6-v2 (exact cosine search) on BEIR SciFact test, as MTEB reports it",
        suite="beir-scifact",
        targets=(Target("minilm", "nDCG@10", 0.6451, 0.005, MTEB_LEADERBOARD),),
    ),
)

QUICKSTART = (
    QuickstartEntry(name="ir-neural", suite="ir-synth", adapters=("minilm", "bm25>>cross-encoder@20"), order=11),
)
