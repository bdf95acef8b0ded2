"""Training cost and quality of our NeuMF and Mult-VAE against RecBole's: same split, settings, epochs, repeats.

Data: the ML-100k agreement split (random 70/10/20 per user, split seed 0, from the data home; the
generated `recsys-synth` data when ML-100k is absent). Settings: each adapter's defaults with the
overrides of the `agree-recbole-ml100k` card (NeuMF: batch 1,024 and PyTorch's initialisation;
Mult-VAE: RecBole's reparameterisation noise), mapped to RecBole's keys by the card's own mapping,
so both libraries get the same sizes, optimiser, learning rate and batch size.

Every run is a fresh Python process for one library and model (alternating between the
libraries), which imports its library, reads the split, and then, inside the measured span:
trains for a fixed number of epochs (`--neumf-epochs`, `--vae-epochs`; no validation, no early
stopping) and scores every item for every test user. RecBole's span includes writing the split
as its `.inter` files and building its dataset, which is how it is fed the same data. Measured
identically on both sides, over that span: wall seconds, CPU seconds (user + system, all
threads), and the resident memory it added (peak RSS sampled every 5 ms minus the RSS at its
start); and the whole process's peak RSS (`ru_maxrss`: imports, data and all).

Quality is checked before any cost is printed: the same measure code (test items, train and
validation items excluded) scores both libraries' outputs on the same users, nDCG@20 and R@20
are printed for each, and their means over the repeats are asserted within `--tolerance`.
Repeat r uses seed `--seed` + r on both sides; costs are the best (lowest) of `--repeats`.

    RANKBENCH_DATA=../shared/data python benchmarks/recsys.py [--neumf-epochs 5] [--vae-epochs 50]
        [--repeats 3] [--tolerance 0.03] [--quick]

`--quick` (NeuMF 2 epochs, Mult-VAE 10 epochs, 1 repeat) checks the script in about two minutes.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import psutil

MODELS = {"neumf": "NeuMF", "multvae": "MultiVAE"}
MEASURES = ("nDCG@20", "R@20")
IMPLS = ("rankbench", "RecBole")


def _split() -> tuple[Any, str]:  # (Split, data name)
    from rankbench.harness.datahome import load_dataset
    from rankbench.harness.errors import DatasetMissing
    from rankbench.harness.splits import dedupe, random_holdout

    try:
        data, name = load_dataset("ml-100k").data, "ml-100k"
    except DatasetMissing:
        data, name = load_dataset("recsys-synth").data, "recsys-synth"
    return random_holdout(dedupe(data), 0.2, 0.1, seed=0), name


class PeakRSS:
    """Samples this process's RSS in a thread; `peak - start` is what the measured block added."""

    def __enter__(self) -> PeakRSS:
        self.proc = psutil.Process()
        self.start = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def one(impl: str, model: str, epochs: int, seed: int) -> dict[str, Any]:
    """Train and score one implementation in this (fresh) process; its cost and test measures."""
    import torch

    from rankbench.harness.registry import ADAPTERS
    from rankbench.suites.recsys.cards import AGREE_MODELS, evaluate_scores, warm_up_torch

    split, data_name = _split()
    users = np.flatnonzero(split.test.to_csr().getnnz(axis=1) > 0)
    rb_model, overrides = AGREE_MODELS[model]
    spec = ADAPTERS.get(model)
    params = {**spec.defaults(), **overrides, "epochs": epochs, "seed": seed}
    warm_up_torch()
    if impl == "rankbench":
        adapter = spec.build(**params)
    else:  # the library's modules load before the span, as ours did above
        import importlib

        from rankbench.adapters.recsys.recbole_models import recbole_compat
        from rankbench.suites.recsys.recbole_runner import run_recbole

        recbole_compat()
        for module in ("recbole.config", "recbole.data", "recbole.utils", "recbole.trainer"):
            importlib.import_module(module)
    torch.manual_seed(seed)
    with PeakRSS() as mem:
        c0, t0 = time.process_time(), time.perf_counter()
        if impl == "rankbench":
            adapter.fit(split.train, None)
            scores = adapter.score(users)
        else:
            scores = run_recbole(rb_model, split, params, users, str(overrides["valid_measure"]), validate=False).scores
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    values = evaluate_scores(scores, split, users)
    return {
        "data": data_name,
        "users": len(users),
        "wall": wall,
        "cpu": cpu,
        "span_mb": (mem.peak - mem.start) / 2**20,
        "process_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10,  # KiB on Linux
        "measures": {m: float(np.mean(values[m])) for m in MEASURES},
    }


def child(impl: str, model: str, epochs: int, seed: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", impl, model, str(epochs), str(seed)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{impl} {model} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neumf-epochs", type=int, default=5)
    parser.add_argument("--vae-epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3, help="both libraries: best of this many fresh processes")
    parser.add_argument("--seed", type=int, default=0, help="repeat r uses seed + r on both sides")
    parser.add_argument("--tolerance", type=float, default=0.03, help="max |mean ours - mean RecBole| per measure")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--quick", action="store_true", help="NeuMF 2 epochs, Mult-VAE 10 epochs, 1 repeat")
    parser.add_argument("--one", nargs=4, metavar=("IMPL", "MODEL", "EPOCHS", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        impl, model, epochs, seed = args.one
        print(json.dumps(one(impl, model, int(epochs), int(seed))))
        return
    if args.quick:
        args.neumf_epochs, args.vae_epochs, args.repeats = 2, 10, 1
    epochs = {"neumf": args.neumf_epochs, "multvae": args.vae_epochs}
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {(i, m): [] for m in args.models for i in IMPLS}
    for model in args.models:
        for r in range(args.repeats):
            for impl in IMPLS if r % 2 == 0 else IMPLS[::-1]:
                runs[impl, model].append(child(impl, model, epochs[model], args.seed + r))

    # quality first: both libraries' test measures, asserted close, before any cost is printed
    first = runs[IMPLS[0], args.models[0]][0]
    print(f"data {first['data']}: {first['users']} test users; each run a fresh process; best of {args.repeats}")
    header = " ".join(f"{m:>8}" for m in MEASURES)
    print(f"{'model':<8} {'library':<10} {'epochs':>6} {header}  (mean of the repeats)")
    failures = []
    for model in args.models:
        means = {}
        for impl in IMPLS:
            means[impl] = {m: float(np.mean([r["measures"][m] for r in runs[impl, model]])) for m in MEASURES}
            print(f"{model:<8} {impl:<10} {epochs[model]:>6} " + " ".join(f"{means[impl][m]:8.4f}" for m in MEASURES))
        for m in MEASURES:
            gap = abs(means["rankbench"][m] - means["RecBole"][m])
            print(f"{model:<8} |{m} rankbench - RecBole| = {gap:.4f} (asserted <= {args.tolerance})")
            if gap > args.tolerance:
                failures.append(f"{model} {m}: {gap:.4f}")
    assert not failures, f"quality disagrees beyond {args.tolerance}: {', '.join(failures)}"

    print("\ncost of train + score all test users, the same span on both sides (best of the repeats)")
    print(f"{'model':<8} {'library':<10} {'wall s':>8} {'CPU s':>8} {'span MB':>9} {'process MB':>11}")
    for model in args.models:
        best = {}
        for impl in IMPLS:
            rs = runs[impl, model]
            best[impl] = {k: min(r[k] for r in rs) for k in ("wall", "cpu", "span_mb", "process_mb")}
            b = best[impl]
            print(f"{model:<8} {impl:<10} {b['wall']:8.2f} {b['cpu']:8.2f} {b['span_mb']:9.1f} {b['process_mb']:11.1f}")
        o, t = best["rankbench"], best["RecBole"]
        print(
            f"{model:<8} rankbench / RecBole: wall x{o['wall'] / t['wall']:.2f}, CPU x{o['cpu'] / t['cpu']:.2f}, "
            f"span memory x{o['span_mb'] / max(t['span_mb'], 1e-9):.2f}, "
            f"process memory x{o['process_mb'] / t['process_mb']:.2f} (< 1: rankbench cheaper)"
        )


if __name__ == "__main__":
    main()
