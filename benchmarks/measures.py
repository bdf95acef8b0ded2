"""IR evaluation speed: rankbench vs pytrec_eval, ranx and ir_measures, from files and from prepared arrays.

Two measurements per size (default 3,000 x 500 and 10,000 x 1,000 ranked documents per query;
graded qrels 0-3, 50 judged documents per query, 30 of them retrieved; scores with many ties, written
best first with equal scores in a random order, as a search system writes them),
five measures (nDCG@10, AP, RR, P@10, R@100), per-query values, every library the same number
of times (best of `--repeat`):

1. From files, end to end: each library runs in a fresh Python process that reads the same TREC
   qrels and run files and evaluates them, as a user would: `rankbench evaluate --format json`
   (the installed executable's code path), `pytrec_eval.parse_qrel/parse_run` +
   `RelevanceEvaluator`, `ranx.Qrels/Run.from_file` + `ranx.evaluate`, and
   `ir_measures.read_trec_*` + `calc_aggregate`. Import time counts.
2. From prepared arrays, in this process after a warm-up on a small input (ranx compiles with
   numba on first use): each library from its own native input already in memory (rankbench:
   numpy id/score arrays; the others: nested dicts), including everything it does with it —
   rankbench `Run.from_arrays` + `Qrels` + `evaluate_arrays`; pytrec_eval `RelevanceEvaluator`
   + `evaluate`; ranx `Qrels` + `Run` + `evaluate`; ir_measures `calc_aggregate`.

Every library's means must equal pytrec_eval's (asserted, before any time is printed; ranx to
1e-3 since it orders tied scores its own way). Times are wall and CPU seconds (user + system of
the child process, or of this process with all its threads), which stay fair on a busy machine.

    python benchmarks/measures.py [--sizes 3000x500 10000x1000] [--repeat 3] [--skip ranx] [--only files]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.measures.ranking import evaluate_arrays
from rankbench.harness.records import Qrels, Run

OURS = ["nDCG@10", "AP", "RR", "P@10", "R@100"]
TREC = {"ndcg_cut_10": "nDCG@10", "map": "AP", "recip_rank": "RR", "P_10": "P@10", "recall_100": "R@100"}
RANX = {"ndcg@10": "nDCG@10", "map": "AP", "mrr": "RR", "precision@10": "P@10", "recall@100": "R@100"}
LIBRARIES = ("rankbench", "pytrec_eval", "ranx", "ir_measures")
TOLERANCE = {"ranx": 1e-3}  # ranx breaks score ties its own way (not trec_eval's doc id descending at float32)

# One script per library for the cold-process, from-files measurement; each prints its means as JSON.
FILE_SCRIPTS = {
    "rankbench": None,  # the `rankbench evaluate` command itself, see `file_command`
    "pytrec_eval": f"""
import json, sys, pytrec_eval
with open(sys.argv[1]) as f: qrels = pytrec_eval.parse_qrel(f)
with open(sys.argv[2]) as f: run = pytrec_eval.parse_run(f)
res = pytrec_eval.RelevanceEvaluator(qrels, {{"ndcg_cut.10", "map", "recip_rank", "P.10", "recall.100"}}).evaluate(run)
print(json.dumps({{o: sum(v[t] for v in res.values()) / len(res) for t, o in {TREC!r}.items()}}))
""",
    "ranx": f"""
import json, sys, ranx
names = {RANX!r}
q, r = ranx.Qrels.from_file(sys.argv[1], kind="trec"), ranx.Run.from_file(sys.argv[2], kind="trec")
res = ranx.evaluate(q, r, list(names), make_comparable=True)
print(json.dumps({{o: float(res[t]) for t, o in names.items()}}))
""",
    "ir_measures": """
import json, sys, ir_measures
from ir_measures import nDCG, AP, RR, P, R
ms = {nDCG @ 10: "nDCG@10", AP: "AP", RR: "RR", P @ 10: "P@10", R @ 100: "R@100"}
qrels, run = ir_measures.read_trec_qrels(sys.argv[1]), ir_measures.read_trec_run(sys.argv[2])
agg = ir_measures.calc_aggregate(list(ms), qrels, run)
print(json.dumps({o: float(agg[m]) for m, o in ms.items()}))
""",
}


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


# ---- from files, cold processes ---------------------------------------------------------------


def write_files(folder: Path, n_queries: int, n_docs: int) -> tuple[Path, Path]:
    """TREC qrels and run files of `make_data`; the run best first per query, as a search system writes
    it, with equal scores in a random order (not trec_eval's, so no reader gets its rows pre-ranked)."""
    run_src, qrels_src = make_data(n_queries, n_docs)
    run = Run.from_arrays(run_src["q"], run_src["d"], run_src["s"])
    lengths = np.diff(run.offsets)
    query = np.repeat(np.arange(len(run.query_ids)), lengths)
    order = np.lexsort((np.random.default_rng(1).random(len(query)), -run.scores, query))
    rank = np.arange(len(order)) - np.repeat(run.offsets[:-1], lengths) + 1
    q, d, s = run.query_ids[query[order]], run.doc_ids[order], run.scores[order]
    run_path, qrels_path = folder / "run.txt", folder / "qrels.txt"
    with open(run_path, "w") as fh:
        for qi, di, r, si in zip(q.tolist(), d.tolist(), rank.tolist(), s.tolist(), strict=True):
            fh.write(f"{qi} Q0 {di} {r} {si!r} bench\n")
    with open(qrels_path, "w") as fh:
        for qi, di, r in zip(qrels_src["q"].tolist(), qrels_src["d"].tolist(), qrels_src["r"].tolist(), strict=True):
            fh.write(f"{qi} 0 {di} {r}\n")
    return qrels_path, run_path


def file_command(lib: str, qrels: Path, run: Path) -> list[str]:
    if lib == "rankbench":
        measures = [x for m in OURS for x in ("-m", m)]
        entry = "from rankbench.harness.entry import main; main()"  # what the `rankbench` executable runs
        return [sys.executable, "-c", entry, "evaluate", str(qrels), str(run), *measures, "--format", "json"]
    return [sys.executable, "-c", FILE_SCRIPTS[lib], str(qrels), str(run)]


def timed_process(command: list[str]) -> tuple[dict[str, float], float, float]:
    """(means printed, wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = json.loads(proc.stdout[proc.stdout.index("{") :])
    return out.get("measures", out), wall, cpu


def from_files(n_queries: int, n_docs: int, libs: list[str], repeat: int) -> dict[str, tuple[dict, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        qrels, run = write_files(Path(tmp), n_queries, n_docs)
        print(
            f"  run file {run.stat().st_size / 1e6:.0f} MB, qrels file {qrels.stat().st_size / 1e6:.1f} MB", flush=True
        )
        results = {}
        for lib in libs:
            runs = [timed_process(file_command(lib, qrels, run)) for _ in range(repeat)]
            results[lib] = (runs[0][0], min(r[1] for r in runs), min(r[2] for r in runs))
    return results


# ---- from prepared arrays, in this process ----------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(value, wall seconds, CPU seconds of this process, all threads) of `fn()`."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0, time.process_time() - c0


def array_evaluators(libs: list[str]) -> dict[str, Callable[[dict, dict, dict, dict], dict[str, float]]]:
    """Per library: f(run arrays, qrels arrays, run dict, qrels dict) -> means, from its native input."""
    out: dict[str, Callable[[dict, dict, dict, dict], dict[str, float]]] = {}

    def ours(ra: dict, qa: dict, rd: dict, qd: dict) -> dict[str, float]:
        run = Run.from_arrays(ra["q"], ra["d"], ra["s"])
        _, values = evaluate_arrays(run, Qrels(qa["q"], qa["d"], qa["r"]), OURS)
        return {m: float(v.mean()) for m, v in values.items()}

    out["rankbench"] = ours
    if "pytrec_eval" in libs:
        import pytrec_eval

        def trec(ra: dict, qa: dict, rd: dict, qd: dict) -> dict[str, float]:
            measures = {"ndcg_cut.10", "map", "recip_rank", "P.10", "recall.100"}
            res = pytrec_eval.RelevanceEvaluator(qd, measures).evaluate(rd)
            return {o: float(np.mean([v[t] for v in res.values()])) for t, o in TREC.items()}

        out["pytrec_eval"] = trec
    if "ranx" in libs:
        import ranx

        def rx(ra: dict, qa: dict, rd: dict, qd: dict) -> dict[str, float]:
            res = ranx.evaluate(ranx.Qrels(qd), ranx.Run(rd), list(RANX), make_comparable=True)
            return {RANX[k]: float(v) for k, v in res.items()}

        out["ranx"] = rx
    if "ir_measures" in libs:
        import ir_measures

        im = [ir_measures.nDCG @ 10, ir_measures.AP, ir_measures.RR, ir_measures.P @ 10, ir_measures.R @ 100]

        def irm(ra: dict, qa: dict, rd: dict, qd: dict) -> dict[str, float]:
            agg = ir_measures.calc_aggregate(im, qd, rd)
            return {o: float(agg[m]) for m, o in zip(im, OURS, strict=True)}

        out["ir_measures"] = irm
    return out


def from_arrays(n_queries: int, n_docs: int, libs: list[str], repeat: int) -> dict[str, tuple[dict, float, float]]:
    evaluators = array_evaluators(libs)
    small_a, small_q = make_data(50, 100, seed=1)
    small = (small_a, small_q, nested(small_a["q"], small_a["d"], small_a["s"], float))
    small += (nested(small_q["q"], small_q["d"], small_q["r"], int),)
    for fn in evaluators.values():
        fn(*small)  # warm-up: numba compiles, first-call caches
    ra, qa = make_data(n_queries, n_docs)
    rd, qd = nested(ra["q"], ra["d"], ra["s"], float), nested(qa["q"], qa["d"], qa["r"], int)
    results = {}
    for lib, fn in evaluators.items():
        runs = [timed(lambda fn=fn: fn(ra, qa, rd, qd)) for _ in range(repeat)]
        results[lib] = (runs[0][0], min(r[1] for r in runs), min(r[2] for r in runs))
    return results


# ---- report -----------------------------------------------------------------------------------


def check_agreement(results: dict[str, tuple[dict, float, float]]) -> None:
    """Assert every library's means equal pytrec_eval's (the reference), before any time is printed."""
    ref = results["pytrec_eval"][0] if "pytrec_eval" in results else results["rankbench"][0]
    for lib, (means, _, _) in results.items():
        worst = max(abs(means[m] - ref[m]) for m in OURS)
        tolerance = TOLERANCE.get(lib, 1e-9)
        assert worst < tolerance, f"{lib} disagrees with the reference by {worst:.2e}: {means} vs {ref}"
        print(f"    {lib:12s} max |mean - pytrec_eval| = {worst:.1e} (asserted < {tolerance:g})")


def report(title: str, results: dict[str, tuple[dict, float, float]]) -> None:
    check_agreement(results)
    ours_wall, ours_cpu = results["rankbench"][1], results["rankbench"][2]
    print(f"  {title}: wall s, CPU s")
    for lib, (_, wall, cpu) in results.items():
        ratio = (
            ""
            if lib == "rankbench"
            else f"   rankbench {wall / ours_wall:5.1f}x faster (wall), {cpu / ours_cpu:5.1f}x (CPU)"
        )
        print(f"    {lib:12s} {wall:8.3f} s wall {cpu:8.3f} s CPU{ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["3000x500", "10000x1000"], help="QUERIESxDOCS, each timed")
    parser.add_argument("--repeat", type=int, default=3, help="every library: best of this many runs")
    parser.add_argument("--skip", action="append", default=[], choices=[x for x in LIBRARIES if x != "rankbench"])
    parser.add_argument("--only", choices=["files", "arrays"], help="only one of the two measurements")
    args = parser.parse_args()
    libs = [x for x in LIBRARIES if x not in args.skip]
    for size in args.sizes:
        n_queries, n_docs = (int(x) for x in size.lower().split("x"))
        print(f"\n{n_queries:,} queries x {n_docs:,} docs = {n_queries * n_docs:,} run rows", flush=True)
        if args.only != "arrays":
            report(
                f"from files, end to end in a cold process, best of {args.repeat}",
                from_files(n_queries, n_docs, libs, args.repeat),
            )
        if args.only != "files":
            report(
                f"from prepared arrays/dicts in this process, best of {args.repeat}",
                from_arrays(n_queries, n_docs, libs, args.repeat),
            )


if __name__ == "__main__":
    main()
