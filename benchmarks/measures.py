"""IR measures speed: rankbench vs ranx, pytrec_eval and ir_measures on the same run, in one process.

Default: 10,000 queries x 1,000 ranked documents (10M rows), graded qrels (0-3) with 50 judged
documents per query (30 of them retrieved), scores with many ties. Each library evaluates the same
five measures from its own prebuilt input structures (building them is timed separately),
after a warm-up on a small input (ranx compiles with numba on first use). The values are
checked to agree before any time is printed.

    python benchmarks/measures.py [--queries 10000] [--docs 1000] [--skip ir_measures]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from rankbench.harness.measures.ranking import evaluate
from rankbench.harness.records import Qrels, Run

OURS = ["nDCG@10", "AP", "RR", "P@10", "R@100"]
TREC = {"ndcg_cut_10": "nDCG@10", "map": "AP", "recip_rank": "RR", "P_10": "P@10", "recall_100": "R@100"}
RANX = {"ndcg@10": "nDCG@10", "map": "AP", "mrr": "RR", "precision@10": "P@10", "recall@100": "R@100"}


def make_data(n_queries: int, n_docs: int, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    universe = 1_000_003  # prime, so the strided doc numbers below are distinct within a query
    start = rng.integers(0, universe, n_queries)
    stride = rng.integers(1, universe, n_queries)
    doc_num = (start[:, None] + np.arange(n_docs)[None, :] * stride[:, None]) % universe
    # 3 decimals over 1,000 docs: ~60% of rows share their score with another row of their query,
    # a stress test of trec_eval's tie-break (doc id descending) for every library.
    scores = np.round(rng.random((n_queries, n_docs)), 3)
    qids = np.array([f"q{i}" for i in range(n_queries)])
    run = {
        "q": np.repeat(qids, n_docs),
        "d": np.char.add("d", doc_num.reshape(-1).astype(str)),
        "s": scores.reshape(-1),
    }
    n_in, n_out = min(30, n_docs), 20
    picked = rng.permuted(np.tile(np.arange(n_docs), (n_queries, 1)), axis=1)[:, :n_in]
    judged_in = np.take_along_axis(doc_num, picked, axis=1)
    judged_out = (start[:, None] + (n_docs + np.arange(n_out))[None, :] * stride[:, None]) % universe
    judged = np.concatenate([judged_in, judged_out], axis=1)
    qrels = {
        "q": np.repeat(qids, n_in + n_out),
        "d": np.char.add("d", judged.reshape(-1).astype(str)),
        "r": rng.integers(0, 4, judged.size),
    }
    return run, qrels


def nested(q: np.ndarray, d: np.ndarray, v: np.ndarray, cast: Callable[[Any], Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for qi, di, vi in zip(q.tolist(), d.tolist(), v.tolist(), strict=True):
        out.setdefault(qi, {})[di] = cast(vi)
    return out


CPU: dict[float, float] = {}  # wall time -> CPU seconds of the same call (all threads of this process)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Wall seconds of `fn()`; its CPU seconds are kept in `CPU`, which stay fair on a busy machine."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    value = fn()
    wall = time.perf_counter() - t0
    CPU[wall] = time.process_time() - c0
    return value, wall


def time_screen(run_src: dict, qrels_src: dict) -> None:
    """The join's first step on this data: numpy expression vs compiled loop (same output)."""
    from rankbench.harness.ids import pair_keys, string_hash
    from rankbench.harness.measures import screen

    run = Run.from_arrays(run_src["q"], run_src["d"], run_src["s"])
    runq = np.searchsorted(run.query_ids, qrels_src["q"])
    keys = pair_keys(runq, string_hash(qrels_src["d"], run.doc_ids.dtype.itemsize // 4))
    rows = run.row_keys()
    screen.screen(keys[:10], rows[:10])  # compile outside the timing
    slow, t_numpy = timed(lambda: screen.screen_numpy(keys, rows))
    fast, t_compiled = timed(lambda: screen.screen(keys, rows))
    assert np.array_equal(slow, fast)
    print(f"row screen over {len(rows):,} rows: numpy {t_numpy:.3f} s, compiled {t_compiled:.3f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="rankbench and ranx: best of this many runs")
    parser.add_argument("--skip", action="append", default=[], choices=["ranx", "pytrec_eval", "ir_measures"])
    parser.add_argument("--screen", action="store_true", help="also time the row screen: numpy vs compiled")
    args = parser.parse_args()

    run_a, qrels_a = make_data(args.queries, args.docs)
    print(
        f"{args.queries} queries x {args.docs} docs = {len(run_a['d']):,} run rows, {len(qrels_a['d']):,} qrels rows",
        flush=True,
    )
    means: dict[str, dict[str, float]] = {}
    times: dict[str, float] = {}
    builds: dict[str, float] = {}

    small_run, small_qrels = make_data(50, 100, seed=1)

    def ours(run_src: dict, qrels_src: dict) -> tuple[Callable[[], Any], float]:
        (run, qrels), t = timed(
            lambda: (
                Run.from_arrays(run_src["q"], run_src["d"], run_src["s"]),
                Qrels(qrels_src["q"], qrels_src["d"], qrels_src["r"]),
            )
        )
        return lambda: evaluate(run, qrels, OURS), t

    warm, _ = ours(small_run, small_qrels)
    warm()
    fn, builds["rankbench"] = ours(run_a, qrels_a)
    best = []
    for _ in range(args.repeat):
        frame, t = timed(fn)
        best.append(t)
    times["rankbench"] = min(best)
    print(f"rankbench evaluated in {times['rankbench']:.3f} s", flush=True)
    means["rankbench"] = frame.mean().to_dict()
    del fn, frame
    if args.screen:
        time_screen(run_a, qrels_a)

    need_dicts = {"pytrec_eval", "ir_measures", "ranx"} - set(args.skip)
    if need_dicts:
        (run_d, qrels_d), builds["python dicts"] = timed(
            lambda: (
                nested(run_a["q"], run_a["d"], run_a["s"], float),
                nested(qrels_a["q"], qrels_a["d"], qrels_a["r"], int),
            )
        )
        small_run_d = nested(small_run["q"], small_run["d"], small_run["s"], float)
        small_qrels_d = nested(small_qrels["q"], small_qrels["d"], small_qrels["r"], int)

    if "ranx" not in args.skip:
        import ranx

        ranx.evaluate(ranx.Qrels(small_qrels_d), ranx.Run(small_run_d), list(RANX))  # numba compile
        (rq, rr), builds["ranx"] = timed(lambda: (ranx.Qrels(qrels_d), ranx.Run(run_d)))
        best = []
        for _ in range(args.repeat):
            scores, t = timed(lambda: ranx.evaluate(rq, rr, list(RANX), return_mean=True, make_comparable=True))
            best.append(t)
        times["ranx"] = min(best)
        print(f"ranx evaluated in {times['ranx']:.3f} s", flush=True)
        means["ranx"] = {RANX[k]: float(v) for k, v in scores.items()}
        del rq, rr

    if "pytrec_eval" not in args.skip:
        import pytrec_eval

        measures = {"ndcg_cut.10", "map", "recip_rank", "P.10", "recall.100"}
        pytrec_eval.RelevanceEvaluator(small_qrels_d, measures).evaluate(small_run_d)
        per_query, times["pytrec_eval"] = timed(
            lambda: pytrec_eval.RelevanceEvaluator(qrels_d, measures).evaluate(run_d)
        )
        print(f"pytrec_eval evaluated in {times['pytrec_eval']:.3f} s", flush=True)
        means["pytrec_eval"] = {
            ours_name: float(np.mean([v[k] for v in per_query.values()])) for k, ours_name in TREC.items()
        }
        del per_query

    if "ir_measures" not in args.skip:
        import ir_measures

        im = [ir_measures.nDCG @ 10, ir_measures.AP, ir_measures.RR, ir_measures.P @ 10, ir_measures.R @ 100]
        ir_measures.calc_aggregate(im, small_qrels_d, small_run_d)
        agg, times["ir_measures"] = timed(lambda: ir_measures.calc_aggregate(im, qrels_d, run_d))
        means["ir_measures"] = {ours_name: float(agg[m]) for m, ours_name in zip(im, OURS, strict=True)}

    print("\nmean values (must agree):")
    for lib, values in means.items():
        print(f"  {lib:12s} " + "  ".join(f"{m}={values[m]:.6f}" for m in OURS))
    ref = means.get("pytrec_eval", means["rankbench"])
    worst = max(abs(means["rankbench"][m] - ref[m]) for m in OURS)
    print(f"  max |rankbench - {'pytrec_eval' if 'pytrec_eval' in means else 'itself'}| = {worst:.2e}")

    print("\nbuilding inputs (not part of the evaluation times):")
    for lib, t in builds.items():
        print(f"  {lib:12s} {t:8.3f} s")
    print("\nevaluation time (5 measures, per-query values): wall, and CPU of this process (all threads)")
    cpu = {lib: CPU[t] for lib, t in times.items()}
    for lib, t in times.items():
        ratio = (
            ""
            if lib == "rankbench"
            else (
                f"   rankbench is {t / times['rankbench']:.1f}x faster (wall), {cpu[lib] / cpu['rankbench']:.1f}x (CPU)"
            )
        )
        print(f"  {lib:12s} {t:8.3f} s wall {cpu[lib]:8.3f} s CPU{ratio}")


if __name__ == "__main__":
    main()
