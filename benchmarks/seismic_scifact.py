"""Seismic on BEIR SciFact: the Seismic authors' library (`pyseismic-lsr`) against exact SPLADE-tiny retrieval.

    RANKBENCH_DATA=../shared/data python benchmarks/seismic_scifact.py [--latency-queries 300] [--repeats 3]

Every setting is scored on the same SPLADE-tiny vectors (documents from the output cache):
recall@10 of its top 10 against the exact top 10 (scipy sparse product), nDCG@10, and per-query
cost at batch size 1 (query encoding excluded, one thread): median wall milliseconds and mean
CPU milliseconds (`time.process_time`, all threads of the process). The machine this runs on may be
shared: CPU time is the number to compare across settings; wall time is honest only on a quiet machine.

rankbench carried its own Seismic-style index (numba) before it used the library; this script at
the commit that added it (`git log --diff-filter=A -- benchmarks/seismic_scifact.py`), run with
`--home-made --no-library`, measures that index the same way.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from efficiency_scifact import ndcg10, overlap, table

from rankbench.harness.datahome import load_dataset
from rankbench.harness.records import IRDataset, Run


def per_query_cost(search_one: Callable[[int], Any], n: int, repeats: int) -> tuple[float, float]:
    """(median over queries of the median wall ms over repeats, mean CPU ms per query) after a warm-up."""
    for i in range(min(n, 5)):
        search_one(i)
    wall = np.empty((repeats, n))
    cpu0 = time.process_time()
    for r in range(repeats):
        for i in range(n):
            t0 = time.perf_counter()
            search_one(i)
            wall[r, i] = time.perf_counter() - t0
    cpu_ms = (time.process_time() - cpu0) / (repeats * n) * 1000
    return float(np.median(np.median(wall, axis=0)) * 1000), cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-queries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from threadpoolctl import threadpool_limits

    ds: IRDataset = load_dataset("beir-scifact").data
    print(
        f"SciFact: {len(ds.corpus)} docs, {len(ds.queries)} test queries; cpu_count={os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f} at start; 1 thread"
    )
    with threadpool_limits(limits=1):
        import torch

        torch.set_num_threads(1)
        from rankbench.adapters.ir.splade import SpladeRetriever

        exact = SpladeRetriever()
        docs = exact.encoder.encode_cached(ds.corpus.full_texts(), role="document")
        q = exact.encoder.encode_cached(list(ds.queries.texts), role="query")
        print(f"SPLADE-tiny: {docs.nnz / docs.shape[0]:.0f} nnz/doc, {q.nnz / q.shape[0]:.0f} nnz/query")
        exact.index_vectors(docs, ds.corpus.ids)
        e_idx, e_scores = exact.search_vectors(q, 100)
        n = min(args.latency_queries, q.shape[0])
        wall, cpu = per_query_cost(lambda i: exact.search_vectors(q[i], 10), n, args.repeats)
        header = ["index", "build", "search", "R@10 vs exact", "nDCG@10", "p50 wall ms", "CPU ms/q", "build s"]
        exact_ndcg = ndcg10(Run.from_topk(ds.queries.ids, ds.corpus.ids, e_idx, e_scores), ds)
        rows: list[list[Any]] = [["exact (scipy)", "-", "-", 1.0, exact_ndcg, wall, cpu, 0.0]]

        def add(name: str, build: str, search: str, idx: np.ndarray, scores: np.ndarray, cost: tuple, s: float):
            run = Run.from_topk(ds.queries.ids, ds.corpus.ids, idx, scores)
            rows.append([name, build, search, overlap(idx, e_idx, 10), ndcg10(run, ds), *cost, s])
            print("  " + " | ".join(str(v) if not isinstance(v, float) else f"{v:.4f}" for v in rows[-1]), flush=True)

        from rankbench.adapters.ir.seismic import SeismicLibraryIndex

        for n_postings, energy, knobs in (
            (5000, 1.0, [(1000, 1.0)]),
            (1000, 0.5, [(1000, 1.0), (20, 0.9), (10, 0.8), (5, 0.7)]),
            (500, 0.4, [(20, 0.9), (10, 0.8)]),
            (100, 0.4, [(10, 0.8), (5, 0.7)]),
        ):
            t0 = time.process_time()
            index = SeismicLibraryIndex.build(
                docs, n_postings=n_postings, centroid_fraction=0.1, summary_energy=energy, num_threads=1
            )
            build_s = time.process_time() - t0
            for cut, hf in knobs:
                idx, scores = index.search(q, 100, query_cut=cut, heap_factor=hf)
                prepared = [index.prepare(q[i]) for i in range(n)]
                cost = per_query_cost(
                    lambda i, c=cut, h=hf, x=index, p=prepared: x.search_prepared(p[i], 10, c, h), n, args.repeats
                )
                add("pyseismic-lsr", f"λ={n_postings} α={energy}", f"cut={cut} hf={hf}", idx, scores, cost, build_s)

    table(
        f"SPLADE-tiny on SciFact: exact vs Seismic ({n} queries timed at batch 1, {args.repeats} repeats; "
        "λ: postings kept per term, α: summary energy, cut: query terms walked, "
        "hf: heap factor; build s is CPU seconds)",
        header,
        rows,
    )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
