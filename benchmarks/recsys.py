"""Training cost of our NeuMF and Mult-VAE against RecBole's, same data and hyper-parameters.

The ML-100k agreement split (random 70/10/20 per user, from the data home; the generated
`recsys-synth` data when ML-100k is absent) is trained for a fixed number of epochs without
validation by each implementation, each in a fresh process so peak memory is its own.
Reported per implementation: seconds per training epoch and the peak resident memory added
during training (sampled every 5 ms); then ours / RecBole ratios (below 1 = ours cheaper).

    RANKBENCH_DATA=../shared/data python benchmarks/recsys.py [--neumf-epochs 2] [--vae-epochs 30]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time

import numpy as np
import psutil

MODELS = {"neumf": "NeuMF", "multvae": "MultiVAE"}
SHARED = {"neumf": {"batch_size": 1024}, "multvae": {}}


def _split():  # -> Split, data name
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


def one(impl: str, model: str, epochs: int) -> dict[str, float | str]:
    """Train one implementation in this process and report its cost."""
    import torch

    from rankbench.harness.registry import ADAPTERS
    from rankbench.suites.recsys.cards import warm_up_torch
    from rankbench.suites.recsys.recbole_runner import run_recbole

    split, data_name = _split()
    warm_up_torch()
    spec = ADAPTERS.get(model)
    params = {**spec.defaults(), **SHARED[model], "epochs": epochs}
    users = np.arange(8)
    torch.manual_seed(0)
    if impl == "ours":
        adapter = spec.build(**params)
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            adapter.fit(split.train, None)
            fit_s = time.perf_counter() - t0
        adapter.score(users)
    else:
        with PeakRSS() as mem:
            run = run_recbole(MODELS[model], split, params, users, "nDCG@20", validate=False)
        fit_s = run.fit_s
    return {"data": data_name, "epoch_s": fit_s / epochs, "peak_mb": (mem.peak - mem.start) / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neumf-epochs", type=int, default=2)
    parser.add_argument("--vae-epochs", type=int, default=30)
    parser.add_argument("--one", nargs=2, metavar=("IMPL", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    epochs = {"neumf": args.neumf_epochs, "multvae": args.vae_epochs}
    if args.one:
        impl, model = args.one
        print(json.dumps(one(impl, model, epochs[model])))
        return
    print(f"torch threads: {__import__('torch').get_num_threads()}; each run in a fresh process")
    print(f"{'model':<9} {'impl':<8} {'epochs':>6} {'s/epoch':>9} {'peak MB':>9}")
    out: dict[tuple[str, str], dict] = {}
    for model in MODELS:
        for impl in ("ours", "recbole"):
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    impl,
                    model,
                    f"--neumf-epochs={args.neumf_epochs}",
                    f"--vae-epochs={args.vae_epochs}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                sys.exit(f"{impl} {model} failed:\n{proc.stderr[-2000:]}")
            out[impl, model] = r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{model:<9} {impl:<8} {epochs[model]:>6} {r['epoch_s']:>9.2f} {r['peak_mb']:>9.1f}  ({r['data']})")
    print("ratios ours / RecBole (< 1: ours cheaper)")
    for model in MODELS:
        ours, theirs = out["ours", model], out["recbole", model]
        print(
            f"{model:<9} time/epoch x{ours['epoch_s'] / theirs['epoch_s']:.2f}   "
            f"peak memory x{ours['peak_mb'] / max(theirs['peak_mb'], 1e-9):.2f}"
        )


if __name__ == "__main__":
    main()
