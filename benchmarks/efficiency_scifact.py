"""Quality-vs-cost sweeps on BEIR SciFact (300 test queries, 5,183 abstracts).

    RANKBENCH_DATA=../shared/data python benchmarks/efficiency_scifact.py [--out DIR]
        [--sections muvera,hybrid,anncur] [--latency-queries 300] [--repeats 3]

(SPLADE-tiny exact vs Seismic has its own script: benchmarks/seismic_scifact.py.)
- muvera: exact MaxSim vs MUVERA (FDE + faiss flat, then MaxSim rerank of the candidates)
  at three FDE sizes: recall@100 against the exact MaxSim top 100, nDCG@10, latency.
  The token model is a CLI choice (`--token-model`, default static-minilm: see below).
- hybrid: dense, BM25 and SPLADE alone, their interpolations over alpha, and PRF (RM3,
  Rocchio, dense vector PRF): nDCG@10.
- anncur: ANNCUR vs exhaustive cross-encoder scoring on a small slice of the corpus.

Latencies are per query at batch size 1 (query encoding excluded: it is the same model
for exact and approximate search), one thread, median of `--repeats` runs per query.
Encoded collections come from the output cache, so a second run only re-reads them.
Tables are printed; SVG plots are written to `--out`.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.datahome import load_dataset
from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import IRDataset, Qrels, Run


def ndcg10(run: Run, ds: IRDataset) -> float:
    return float(evaluate(run, ds.qrels, ["nDCG@10"], missing_as_zero=True)["nDCG@10"].mean())


def overlap(approx: np.ndarray, exact: np.ndarray, k: int) -> float:
    """Mean |approx top k ∩ exact top k| / |exact top k| (the usual ANN recall)."""
    vals = []
    for a, e in zip(approx[:, :k], exact[:, :k], strict=True):
        truth = set(e[e >= 0].tolist())
        if truth:
            vals.append(len(truth & set(a[a >= 0].tolist())) / len(truth))
    return float(np.mean(vals))


def per_query_ms(search_one: Callable[[int], Any], n: int, repeats: int) -> np.ndarray:
    """Median over repeats of each query's wall time, after one warm-up pass."""
    for i in range(min(n, 5)):
        search_one(i)
    times = np.empty((repeats, n))
    for r in range(repeats):
        for i in range(n):
            t0 = time.perf_counter()
            search_one(i)
            times[r, i] = time.perf_counter() - t0
    return np.median(times, axis=0) * 1000


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(h)), *(len(_fmt(r[i])) for r in rows)) + 2 for i, h in enumerate(header)]
    print("".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("".join(_fmt(v).rjust(w) for v, w in zip(r, widths, strict=True)))


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def plot(path: Path, title: str, xlabel: str, ylabel: str, points: list[tuple[str, float, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for label, x, y in points:
        ax.scatter([x], [y])
        ax.annotate(label, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="svg")
    plt.close(fig)
    print(f"plot: {path}")


# ---- sections ----------------------------------------------------------------------------------


def muvera_section(ds: IRDataset, out: Path, n_lat: int, repeats: int, token_model: str) -> None:
    from rankbench.adapters.ir.multivector import FDEConfig, MuveraRetriever, maxsim
    from rankbench.harness.cache import OutputCache

    mv = MuveraRetriever(model=token_model)
    t0 = time.perf_counter()
    docs = mv.encoder.encode_cached(ds.corpus.full_texts(), role="document")
    print(
        f"token bags ({token_model}): {docs.vectors.shape[0]:,} tokens x {docs.vectors.shape[1]} "
        f"({time.perf_counter() - t0:.1f}s incl. cache read)"
    )
    q = mv.encoder.encode(list(ds.queries.texts), role="query")
    key = {"encoder": mv.encoder.identity, "queries": ds.queries.ids.tolist(), "k": 100}
    cache = OutputCache()

    def exact_scores() -> np.ndarray:
        return maxsim(q, docs)

    t0 = time.perf_counter()
    full = np.asarray(cache.array("maxsim-scifact", key, exact_scores))
    print(f"exhaustive MaxSim, all queries in one batch: {time.perf_counter() - t0:.1f}s")
    e_idx = np.argsort(-full, axis=1, kind="stable")[:, :100]
    exact_run = Run.from_topk(ds.queries.ids, ds.corpus.ids, e_idx, np.take_along_axis(full, e_idx, axis=1))
    n = min(n_lat, len(ds.queries))
    exact_ms = per_query_ms(lambda i: maxsim(q.take(np.array([i])), docs), min(n, 10), 1)
    print(f"exact MaxSim per query (10 queries, one run each): median {np.median(exact_ms):.0f} ms")
    rows = [["exact MaxSim", "-", "-", 1.0, 1.0, ndcg10(exact_run, ds), float(np.median(exact_ms)), 1.0]]
    points = [("exact MaxSim", float(np.median(exact_ms)), 1.0)]
    for k_sim, reps, d_proj in ((3, 2, 16), (3, 4, 16), (4, 4, 16)):
        cfg = FDEConfig(k_sim=k_sim, reps=reps, d_proj=d_proj)
        mv = MuveraRetriever(model=token_model, k_sim=k_sim, reps=reps, d_proj=d_proj)
        t0 = time.perf_counter()
        mv.index_vectors(docs, ds.corpus.ids)
        print(
            f"  FDE {cfg.dimension(docs.vectors.shape[1])}-d: index (FDE + faiss flat) built in "
            f"{time.perf_counter() - t0:.1f}s"
        )
        for candidates in (0, 200):
            mv.candidates = candidates
            idx, scores = mv.search_vectors(q, 100)
            run = Run.from_topk(ds.queries.ids, ds.corpus.ids, idx, scores)
            ms = per_query_ms(lambda i, m=mv: m.search_vectors(q.take(np.array([i])), 100), n, repeats)
            label = f"FDE {cfg.dimension(docs.vectors.shape[1])}-d" + (f" +MaxSim@{candidates}" if candidates else "")
            rows.append(
                [
                    label,
                    cfg.dimension(docs.vectors.shape[1]),
                    candidates or "-",
                    overlap(idx, e_idx, 100),
                    overlap(idx, e_idx, 10),
                    ndcg10(run, ds),
                    float(np.median(ms)),
                    float(np.median(exact_ms) / np.median(ms)),
                ]
            )
            points.append((label, float(np.median(ms)), overlap(idx, e_idx, 100)))
            print("  row:", " | ".join(_fmt(v) for v in rows[-1]), flush=True)
    table(
        f"MUVERA vs exact MaxSim on SciFact ({token_model} token vectors; {n} queries timed at batch 1)",
        ["setting", "FDE dim", "rerank", "R@100 vs exact", "R@10 vs exact", "nDCG@10", "p50 ms", "speed-up"],
        rows,
    )
    plot(
        out / "muvera_recall_latency.svg",
        f"MUVERA vs exact MaxSim ({token_model}, SciFact)",
        "median latency per query (ms, log)",
        "recall@100 vs exact MaxSim",
        points,
    )


def hybrid_section(ds: IRDataset, out: Path, dense_model: str, sparse_models: list[str]) -> None:
    from rankbench.adapters.ir.fusion import interpolate
    from rankbench.harness.registry import ADAPTERS

    runs: dict[str, Run] = {}
    for name, spec, params in (
        ("bm25", "bm25", {}),
        (dense_model, "dense", {"embedder": dense_model}),
        *((("splade", "splade", {}),) if "splade" in sparse_models else ()),
        ("bm25-rm3", "bm25-rm3", {}),
        ("bm25-rocchio", "bm25-rocchio", {}),
        (f"{dense_model} vector PRF", "dense-prf", {"embedder": dense_model}),
    ):
        t0 = time.perf_counter()
        retriever = ADAPTERS.get(spec).build(**params)
        retriever.index(ds.corpus)
        runs[name] = retriever.search(ds.queries, 1000)
        print(f"  {name}: {time.perf_counter() - t0:.1f}s")
    rows = [[name, "-", ndcg10(run, ds)] for name, run in runs.items()]
    alphas = [round(a, 1) for a in np.linspace(0, 1, 11)]
    points = []
    for sparse in sparse_models:
        for a in alphas:
            fused = interpolate(runs[dense_model], runs[sparse], a, "minmax")
            score = ndcg10(fused, ds)
            rows.append([f"{a}*{dense_model} + {1 - a:.1f}*{sparse}", a, score])
            points.append((sparse, a, score))
    table(
        "Dense + sparse interpolation and PRF on SciFact (min-max per query, depth 1000)",
        ["run", "alpha", "nDCG@10"],
        rows,
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for sparse in sparse_models:
        ax.plot(alphas, [s for name, _, s in points if name == sparse], marker="o", label=f"{dense_model} + {sparse}")
    ax.set(title="Interpolation on SciFact", xlabel=f"alpha (weight of {dense_model})", ylabel="nDCG@10")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "interpolation_alpha.svg", format="svg")
    plt.close(fig)
    print(f"plot: {out / 'interpolation_alpha.svg'}")


def anncur_section(ds: IRDataset, n_docs: int, n_queries: int) -> None:
    from rankbench.adapters.ir.anncur import ANNCUR
    from rankbench.harness.records import Corpus

    rng = np.random.default_rng(0)
    queries = ds.queries.subset(np.arange(n_queries))
    judged = set(ds.qrels.doc_ids[np.isin(ds.qrels.query_ids, queries.ids)].tolist())
    rows_judged = np.flatnonzero(np.isin(ds.corpus.ids, list(judged)))
    others = rng.choice(np.setdiff1d(np.arange(len(ds.corpus)), rows_judged), n_docs - len(rows_judged), replace=False)
    rows = np.sort(np.concatenate([rows_judged, others]))
    corpus = Corpus(
        ds.corpus.ids[rows],
        tuple(ds.corpus.texts[i] for i in rows),
        tuple(ds.corpus.titles[i] for i in rows) if ds.corpus.titles else None,
    )
    every = Run.from_arrays(
        np.repeat(queries.ids, n_docs), np.tile(corpus.ids, n_queries), np.zeros(n_docs * n_queries)
    )
    table_rows = []
    for budget, items in ((n_docs, 20), (40, 20), (60, 20), (100, 40)):
        model = ANNCUR(n_anchor_items=items, n_anchor_queries=40, budget=budget)
        model.index(corpus)
        if budget == n_docs:
            t0 = time.perf_counter()
            exhaustive = model.reranker.rerank(queries, every, corpus, n_docs)
            ex_s = time.perf_counter() - t0
            ex_idx = np.array(
                [
                    [
                        np.flatnonzero(corpus.ids == d)[0]
                        for d in exhaustive.cut(10).doc_ids[exhaustive.offsets[i] : exhaustive.offsets[i] + 10]
                    ]
                    for i in range(n_queries)
                ]
            )
            table_rows.append(["exhaustive", n_docs, "-", 1.0, ex_s])
            continue
        t0 = time.perf_counter()
        run = model.search(queries, 10).cut(10)
        s = time.perf_counter() - t0
        got = np.array(
            [
                [np.flatnonzero(corpus.ids == d)[0] for d in run.doc_ids[run.offsets[i] : run.offsets[i + 1]]]
                for i in range(n_queries)
            ]
        )
        table_rows.append([f"ANNCUR k_i={items}", budget, items, overlap(got, ex_idx, 10), s])
    table(
        f"ANNCUR vs exhaustive cross-encoder ({n_queries} queries x {n_docs} docs)",
        ["method", "CE calls/query", "anchor items", "R@10 vs exhaustive", "seconds"],
        table_rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("efficiency-scifact"))
    parser.add_argument("--sections", default="muvera,hybrid")
    parser.add_argument("--latency-queries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=0, help="use only the first N test queries (0: all 300)")
    parser.add_argument("--token-model", default="static-minilm", choices=["static-minilm", "minilm"])
    parser.add_argument("--dense-model", default="static-minilm", choices=["static-minilm", "minilm"])
    parser.add_argument("--hybrid-sparse", default="bm25,splade", help="sparse runs to interpolate with the dense one")
    parser.add_argument("--anncur-docs", type=int, default=200)
    parser.add_argument("--anncur-queries", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from threadpoolctl import threadpool_limits

    args.out.mkdir(parents=True, exist_ok=True)
    ds = load_dataset("beir-scifact").data
    if args.queries:
        queries = ds.queries.subset(np.arange(min(args.queries, len(ds.queries))))
        keep = np.isin(ds.qrels.query_ids, queries.ids)
        ds = IRDataset(
            ds.corpus, queries, Qrels(ds.qrels.query_ids[keep], ds.qrels.doc_ids[keep], ds.qrels.labels[keep])
        )
    print(
        f"SciFact: {len(ds.corpus)} docs, {len(ds.queries)} test queries; cpu_count={os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f} at start; 1 thread"
    )
    sections = set(args.sections.split(","))
    with threadpool_limits(limits=1):
        import torch

        torch.set_num_threads(1)
        if "muvera" in sections:
            muvera_section(ds, args.out, min(args.latency_queries, 30), args.repeats, args.token_model)
        if "hybrid" in sections:
            hybrid_section(ds, args.out, args.dense_model, args.hybrid_sparse.split(","))
        if "anncur" in sections:
            anncur_section(ds, args.anncur_docs, args.anncur_queries)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
