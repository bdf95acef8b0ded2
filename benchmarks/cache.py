"""Re-running an unchanged dense-retrieval suite: cold cache vs warm cache vs resume.

A generated topical collection (`ir_synth.generate`, `--docs` documents) is registered as a
suite in this process and run with a dense retriever over a packaged embedder (`--embedder`,
default MiniLM) three times, each time through the real runner:

1. cold: empty output cache, empty results directory; every document is embedded.
2. warm: same cache, a new results directory, so every cell is computed again; only the
   document embeddings come from the cache (queries are still encoded, search and
   evaluation still run).
3. resume: the warm results directory again; stored cells are skipped.

The model library is imported, the embedder built and the collection generated once before timing, so both timed
runs pay the same (small) adapter build cost and neither pays the one-off import.
Metrics of the cold and warm runs must be identical. Prints seconds and ratios.

    HF_HUB_OFFLINE=1 python benchmarks/cache.py [--docs 1000] [--embedder minilm]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--embedder", default="minilm", help="registered embedder reference")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="rankbench-cache-bench-"))
    os.environ["RANKBENCH_CACHE"] = str(scratch / "cache")  # before the harness reads it

    from rankbench.harness.cache import OutputCache
    from rankbench.harness.datahome import load_dataset
    from rankbench.harness.registry import ADAPTERS, DATASETS, SUITES, DatasetSpec
    from rankbench.harness.runner import plan, run_plan
    from rankbench.harness.store import ResultStore
    from rankbench.harness.suite import Suite

    name = f"cache-bench-{args.docs}"
    params = {"n_docs": args.docs, "n_queries": args.queries, "seed": 7}
    DATASETS.add(DatasetSpec(name=name, loader="rankbench.suites.ir.synth:load", generated=True, params=params))
    SUITES.add(Suite(name=name, dataset=name, task="retrieval", measures=("nDCG@10", "R@100"), families=("embedder",)))
    ADAPTERS.get("dense")
    from rankbench.harness.adapter_ref import parse_adapter_ref

    parse_adapter_ref(args.embedder).build()  # import the model library once, untimed
    load_dataset(name)  # generate the collection once, untimed (kept per process)
    cells = plan([name], [args.embedder])

    def timed(out: Path, rerun: bool) -> tuple[float, ResultStore]:
        store = ResultStore(out)
        t0 = time.perf_counter()
        summary = run_plan(cells, store, rerun=rerun)
        elapsed = time.perf_counter() - t0
        if not summary.ok:
            raise SystemExit(f"run failed: {summary.failed}")
        return elapsed, store

    def values(store: ResultStore) -> dict[str, float]:
        [result] = store.results()
        return {k: v.value for k, v in result.measures.items()}

    cold, cold_store = timed(scratch / "cold", rerun=True)
    warm, warm_store = timed(scratch / "warm", rerun=True)
    resume, _ = timed(scratch / "warm", rerun=False)
    same = values(cold_store) == values(warm_store)
    cache = OutputCache()
    print(f"suite: {args.docs} generated documents, {args.queries} queries; adapter {args.embedder}")
    print(f"cache: {len(list(cache.entries()))} entries, {cache.total_bytes() / 2**20:.2f} MiB")
    print(f"cold run (empty cache)          {cold:9.2f} s")
    print(f"warm re-run (--rerun, cached)   {warm:9.2f} s   cold/warm   = {cold / warm:7.1f}x")
    print(f"re-run of stored cells (resume) {resume:9.3f} s   cold/resume = {cold / resume:7.0f}x")
    print(f"metrics identical cold vs warm: {same} {values(warm_store)}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
