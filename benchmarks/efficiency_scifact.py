"""Quality-vs-cost sweeps on BEIR SciFact (300 test queries, 5,183 abstracts).

    RANKBENCH_DATA=../shared/data python benchmarks/efficiency_scifact.py [--out DIR]
        [--sections muvera,hybrid,anncur] [--queries N] [--repeats 3] [--token-model static-minilm] [--quick]

(SPLADE-tiny exact vs Seismic has its own script: benchmarks/seismic_scifact.py.)
- muvera: exact MaxSim vs MUVERA (FDE + faiss flat, alone or followed by a MaxSim rerank of its
  candidates) at three FDE sizes. Every setting, exact MaxSim included, is the same search call
  shape (`search_vectors(one query's token bag, 100)`: scores, then the top 100), timed on the
  same queries (all test queries, or the first `--queries`), at batch size 1, with the same
  `--repeats`: per query the best of the repeats, after one untimed warm-up pass over 5 queries;
  the table gives the median over queries of wall and CPU milliseconds (query encoding excluded:
  it is the same model for every setting). Recall@100 and @10 against the exact MaxSim top 100,
  and nDCG@10, are computed on those same queries from the outputs of the timed calls. Asserted
  before any time is printed: exact MaxSim's timed per-query outputs equal the exhaustive batch
  MaxSim reference (the same top 100 scores), and every MaxSim-reranked MUVERA score equals the
  reference MaxSim score of that (query, document).
- hybrid: dense, BM25 and SPLADE alone, their interpolations over alpha, and PRF (RM3,
  Rocchio, dense vector PRF): nDCG@10 (the index + search seconds printed per run are once, wall).
- anncur: ANNCUR vs exhaustive cross-encoder scoring on a small slice of the corpus: both the
  same queries, best of `--repeats`, wall and CPU seconds; recall@10 against the exhaustive top 10.

Everything runs on one thread (BLAS, OpenMP, torch). Encoded collections come from the output
cache, so a second run only re-reads them. Tables are printed; SVG plots are written to `--out`.
`--quick` (muvera only, 20 queries, 1 repeat) checks the script in about two minutes.
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


def per_query(
    search_one: Callable[[int], tuple[np.ndarray, np.ndarray]], n: int, repeats: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Time `search_one(i)` for queries 0..n-1: (indices, scores, wall ms, CPU ms), per query.

    Per query the best (lowest) of `repeats` runs, after one untimed warm-up pass over 5 queries;
    CPU is this process's user + system time, all threads. Outputs are the first repeat's rows.
    """
    for i in range(min(n, 5)):
        search_one(i)
    wall, cpu = np.full((repeats, n), np.inf), np.full((repeats, n), np.inf)
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    for r in range(repeats):
        for i in range(n):
            c0, t0 = time.process_time(), time.perf_counter()
            out = search_one(i)
            wall[r, i], cpu[r, i] = time.perf_counter() - t0, time.process_time() - c0
            if r == 0:
                rows.append(out)
    idx = np.concatenate([np.asarray(x[0]).reshape(1, -1) for x in rows])
    scores = np.concatenate([np.asarray(x[1]).reshape(1, -1) for x in rows])
    return idx, scores, wall.min(axis=0) * 1000, cpu.min(axis=0) * 1000


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """(first value, best wall seconds, best CPU seconds of this process) of `repeats` calls of `fn`."""
    value, walls, cpus = None, [], []
    for r in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        value = out if r == 0 else value
    return value, min(walls), min(cpus)


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


def muvera_section(ds: IRDataset, out: Path, repeats: int, token_model: str) -> None:
    from rankbench.adapters.ir.multivector import FDEConfig, MaxSimRetriever, MuveraRetriever, maxsim
    from rankbench.harness.cache import OutputCache
    from rankbench.harness.topk import topk_rows

    mv = MuveraRetriever(model=token_model)
    t0 = time.perf_counter()
    docs = mv.encoder.encode_cached(ds.corpus.full_texts(), role="document")
    print(
        f"token bags ({token_model}): {docs.vectors.shape[0]:,} tokens x {docs.vectors.shape[1]} "
        f"({time.perf_counter() - t0:.1f}s incl. cache read)"
    )
    q = mv.encoder.encode(list(ds.queries.texts), role="query")
    n = len(ds.queries)
    key = {"encoder": mv.encoder.identity, "queries": ds.queries.ids.tolist(), "k": 100}

    def exact_scores() -> np.ndarray:
        return maxsim(q, docs)

    # the reference: exhaustive MaxSim of every query and document, in one batch (cached)
    full = np.asarray(OutputCache().array("maxsim-scifact", key, exact_scores))
    ref_idx, ref_top = topk_rows(full, 100)

    def one_query(retriever: MaxSimRetriever | MuveraRetriever) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
        return lambda i: retriever.search_vectors(q.take(np.array([i])), 100)

    exact = MaxSimRetriever(model=token_model)
    exact.index_vectors(docs, ds.corpus.ids)
    e_idx, e_top, e_wall, e_cpu = per_query(one_query(exact), n, repeats)
    assert np.allclose(e_top, ref_top, rtol=1e-5, atol=1e-5), "timed exact MaxSim disagrees with the batch reference"
    print(f"exact MaxSim: timed per-query top-100 scores equal the batch reference on {n} queries (asserted)")
    results: list[tuple[str, Any, Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = [
        ("exact MaxSim", "-", "-", e_idx, e_top, e_wall, e_cpu)
    ]
    for k_sim, reps, d_proj in ((3, 2, 16), (3, 4, 16), (4, 4, 16)):
        cfg = FDEConfig(k_sim=k_sim, reps=reps, d_proj=d_proj)
        dim = cfg.dimension(docs.vectors.shape[1])
        mv = MuveraRetriever(model=token_model, k_sim=k_sim, reps=reps, d_proj=d_proj)
        t0 = time.perf_counter()
        mv.index_vectors(docs, ds.corpus.ids)
        print(f"  FDE {dim}-d: index (FDE + faiss flat) built in {time.perf_counter() - t0:.1f}s", flush=True)
        for candidates in (0, 200):
            mv.candidates = candidates
            idx, top, wall, cpu = per_query(one_query(mv), n, repeats)
            if candidates:  # reranked scores are exact MaxSim: each must equal the reference's
                found = idx >= 0
                expect = np.take_along_axis(full, np.where(found, idx, 0), axis=1)
                assert np.allclose(top[found], expect[found], rtol=1e-5, atol=1e-5), "MUVERA rerank != MaxSim"
            label = f"FDE {dim}-d" + (f" +MaxSim@{candidates}" if candidates else "")
            results.append((label, dim, candidates or "-", idx, top, wall, cpu))
    print("MUVERA +MaxSim reranked scores equal the reference MaxSim scores of the same pairs (asserted)")

    exact_p50, exact_cpu = float(np.median(e_wall)), float(np.median(e_cpu))
    rows, points = [], []
    for label, dim, candidates, idx, top, wall, cpu in results:
        run = Run.from_topk(ds.queries.ids, ds.corpus.ids, idx, top)
        recall100 = overlap(idx, ref_idx, 100)
        p50 = float(np.median(wall))
        rows.append(
            [
                label,
                dim,
                candidates,
                recall100,
                overlap(idx, ref_idx, 10),
                ndcg10(run, ds),
                p50,
                float(np.median(cpu)),
                exact_p50 / p50,
                exact_cpu / float(np.median(cpu)),
            ]
        )
        points.append((label, p50, recall100))
    table(
        f"MUVERA vs exact MaxSim on SciFact ({token_model} token vectors; the same {n} queries for every row, "
        f"batch 1, per query best of {repeats}, median over queries)",
        [
            "setting",
            "FDE dim",
            "rerank",
            "R@100 vs exact",
            "R@10 vs exact",
            "nDCG@10",
            "p50 ms",
            "p50 CPU ms",
            "speed-up wall",
            "speed-up CPU",
        ],
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


def anncur_section(ds: IRDataset, n_docs: int, n_queries: int, repeats: int) -> None:
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

    def doc_rows(run: Run) -> np.ndarray:
        top = run.cut(10)
        return np.array(
            [
                [np.flatnonzero(corpus.ids == d)[0] for d in top.doc_ids[top.offsets[i] : top.offsets[i + 1]]]
                for i in range(n_queries)
            ]
        )

    table_rows = []
    for budget, items in ((n_docs, 20), (40, 20), (60, 20), (100, 40)):
        model = ANNCUR(n_anchor_items=items, n_anchor_queries=40, budget=budget)
        model.index(corpus)
        if budget == n_docs:  # the same queries, every document scored by the cross-encoder
            exhaustive, wall, cpu = best_of(lambda m=model: m.reranker.rerank(queries, every, corpus, n_docs), repeats)
            ex_idx = doc_rows(exhaustive)
            table_rows.append(["exhaustive", n_docs, "-", 1.0, wall, cpu])
            continue
        run, wall, cpu = best_of(lambda m=model: m.search(queries, 10), repeats)
        table_rows.append([f"ANNCUR k_i={items}", budget, items, overlap(doc_rows(run), ex_idx, 10), wall, cpu])
    table(
        f"ANNCUR vs exhaustive cross-encoder ({n_queries} queries x {n_docs} docs; all queries in one call, "
        f"best of {repeats})",
        ["method", "CE calls/query", "anchor items", "R@10 vs exhaustive", "wall s", "CPU s"],
        table_rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("efficiency-scifact"))
    parser.add_argument("--sections", default="muvera,hybrid")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=0, help="use only the first N test queries (0: all 300)")
    parser.add_argument("--quick", action="store_true", help="muvera only, 20 queries, 1 repeat")
    parser.add_argument("--token-model", default="static-minilm", choices=["static-minilm", "minilm"])
    parser.add_argument("--dense-model", default="static-minilm", choices=["static-minilm", "minilm"])
    parser.add_argument("--hybrid-sparse", default="bm25,splade", help="sparse runs to interpolate with the dense one")
    parser.add_argument("--anncur-docs", type=int, default=200)
    parser.add_argument("--anncur-queries", type=int, default=10)
    args = parser.parse_args()
    if args.quick:
        args.sections, args.queries, args.repeats = "muvera", 20, 1
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
            muvera_section(ds, args.out, args.repeats, args.token_model)
        if "hybrid" in sections:
            hybrid_section(ds, args.out, args.dense_model, args.hybrid_sparse.split(","))
        if "anncur" in sections:
            anncur_section(ds, args.anncur_docs, args.anncur_queries, args.repeats)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
