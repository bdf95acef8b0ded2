"""rankbench's MUVERA FDE against fastembed's (`fastembed.postprocess.Muvera`) on the same SciFact token vectors.

    RANKBENCH_DATA=../shared/data python benchmarks/muvera_agreement.py [--token-model static-minilm]
        [--seeds 3] [--configs 3x4x16,4x10x16,5x20x16]

Both implementations encode the same L2-normalised token bags (documents from the output
cache) into fixed-dimensional encodings of equal size (reps x 2^k_sim x d_proj; config
`KxRxD`); documents are ranked for each query by the FDE inner product over the whole corpus
(no rerank), and each ranking is scored by recall@100 (and @10) against the exact MaxSim top 100
(rankbench's `maxsim`). Each config runs `--seeds` random seeds per implementation, so the
difference between the two means can be read against the seed-to-seed spread (the noise).
Needs fastembed (`pip install --no-deps fastembed==0.9.1 loguru mmh3 py_rust_stemmers`:
its pins fight ours; its Muvera needs numpy only).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from typing import Any

import numpy as np
from efficiency_scifact import overlap, table

from rankbench.adapters.ir.multivector import TokenBags
from rankbench.harness.datahome import load_dataset
from rankbench.harness.records import IRDataset
from rankbench.harness.topk import topk_rows


def fastembed_fde(bags: TokenBags, muvera: Any, *, role: str) -> np.ndarray:
    """(n_texts, FDE dim) float32: fastembed's `process_query` / `process_document` on each bag (float64 in)."""
    encode = muvera.process_query if role == "query" else muvera.process_document
    return np.stack(
        [encode(bags.vectors[a:b].astype(np.float64)) for a, b in zip(bags.offsets[:-1], bags.offsets[1:], strict=True)]
    ).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token-model", default="static-minilm", choices=["static-minilm", "minilm"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--configs", default="3x4x16,4x10x16,5x20x16", help="k_sim x reps x d_proj, comma-separated")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from fastembed.postprocess import Muvera

    from rankbench.adapters.ir.multivector import FDEConfig, TokenEncoder, fde_encode, maxsim
    from rankbench.harness.cache import OutputCache

    ds: IRDataset = load_dataset("beir-scifact").data
    encoder = TokenEncoder(model=args.token_model)
    docs = encoder.encode_cached(ds.corpus.full_texts(), role="document")
    queries = encoder.encode(list(ds.queries.texts), role="query")
    dim = docs.vectors.shape[1]
    print(
        f"SciFact: {len(ds.corpus)} docs ({docs.vectors.shape[0]:,} tokens x {dim}), {len(ds.queries)} queries; "
        f"token model {args.token_model}; load average {os.getloadavg()[0]:.1f}"
    )
    key = {"encoder": encoder.identity, "queries": ds.queries.ids.tolist(), "k": 100}
    full = np.asarray(OutputCache().array("maxsim-scifact", key, lambda: maxsim(queries, docs)))
    exact = topk_rows(full, 100)[0]
    rows = []
    for text in args.configs.split(","):
        k_sim, reps, d_proj = (int(x) for x in text.split("x"))
        dimension = reps * 2**k_sim * d_proj
        results: dict[str, list[tuple[float, float, float]]] = {"rankbench": [], "fastembed": []}
        for seed in range(args.seeds):
            t0 = time.process_time()
            cfg = FDEConfig(k_sim=k_sim, reps=reps, d_proj=d_proj, seed=seed)
            d_fde, q_fde = fde_encode(docs, cfg, role="document"), fde_encode(queries, cfg, role="query")
            ours_s = time.process_time() - t0
            t0 = time.process_time()
            muvera = Muvera(dim=dim, k_sim=k_sim, dim_proj=d_proj, r_reps=reps, random_seed=seed)
            fd_fde, fq_fde = fastembed_fde(docs, muvera, role="document"), fastembed_fde(queries, muvera, role="query")
            theirs_s = time.process_time() - t0
            assert d_fde.shape[1] == fd_fde.shape[1] == dimension
            for name, (dq, dd), cpu in (
                ("rankbench", (q_fde, d_fde), ours_s),
                ("fastembed", (fq_fde, fd_fde), theirs_s),
            ):
                top = topk_rows(dq @ dd.T, 100)[0]
                results[name].append((overlap(top, exact, 100), overlap(top, exact, 10), cpu))
            print(
                f"  {text} seed {seed}: " + ", ".join(f"{n} R@100 {r[-1][0]:.4f}" for n, r in results.items()),
                flush=True,
            )
        for name, res in results.items():
            r100, r10, cpu = np.array(res).T
            rows.append(
                [
                    text,
                    dimension,
                    name,
                    float(r100.mean()),
                    float(r100.std(ddof=1)) if len(r100) > 1 else 0.0,
                    float(r10.mean()),
                    float(cpu.mean()),
                ]
            )
        diff = np.array(results["rankbench"])[:, 0] - np.array(results["fastembed"])[:, 0]
        print(f"  {text}: mean R@100 difference rankbench - fastembed {diff.mean():+.4f} (seeds {args.seeds})")
    table(
        "MUVERA FDE, rankbench vs fastembed: FDE-only ranking of all SciFact documents vs exact MaxSim top 100 "
        f"(mean and sd over {args.seeds} seeds; CPU s to encode corpus + queries)",
        ["k_sim x reps x d_proj", "FDE dim", "implementation", "R@100", "sd", "R@10", "encode CPU s"],
        rows,
    )


if __name__ == "__main__":
    main()
