"""Training and inference cost of our DCNv2 against FuxiCTR's DCNv2: same table, config, epochs and repeats.

Both models are built for the same CTR table (`--table`, default `frappe-nfm` from the data home,
the data BARS tuned this config on) with the `dcnv2` record's defaults (BARS's frappe_x1 config:
parallel, 4 cross layers, DNN 3x400, dropout 0.4, BatchNorm, embedding dim 10, Adam lr 1e-3,
gradient norm clipped at 10) and the same batch size (the record's 4,096) and seed. One repeat, for
each library in turn (the order alternates between repeats, so background load hits both alike):

1. build a fresh model (seed `--seed` + repeat: FuxiCTR's `seed_everything`, our `torch.manual_seed`);
2. timed: train `--epochs` full passes over the train table with a fixed learning rate, no
   validation and no early stopping: ours through `run_epoch` (batches sliced from in-memory
   tensors), FuxiCTR through its own `train_step` per batch, fed its dict-of-tensor batches
   (columns already tensors; the per-batch row selection is inside the timed span on both sides).
   Both shuffle with the same seeded `torch.randperm` order;
3. timed: predict the test table (batches of 16,384 rows on both sides);
4. test AUC of each side's predictions, computed by scikit-learn's `roc_auc_score` for both.

Before any time is printed, the two libraries' mean test AUCs over the repeats are asserted to
lie within `--auc-tolerance` (default 0.01) of each other. Times are the best of `--repeats`
for both libraries, wall and CPU seconds (user + system of this process, all threads), after
an untimed warm-up of each model (first-call allocations, kernel selection); one torch thread
by default (`--threads`). Needs FuxiCTR's model zoo (not in its wheel): FUXICTR_MODEL_ZOO naming
a FuxiCTR checkout's `model_zoo` folder, else the data home's copy (`rankbench data fetch
fuxictr-model-zoo`); without either the script says so in one line and exits 1 (it never downloads).

    [FUXICTR_MODEL_ZOO=<FuxiCTR checkout at 7b98a49>/model_zoo] python benchmarks/ctr.py \\
        [--table frappe-nfm] [--epochs 3] [--repeats 3] [--threads 1] [--quick]

`--quick` (1 repeat, 2 epochs) checks the script in under two minutes. On Frappe both libraries
agree within 0.001 AUC from the second epoch on (seed 2021: 0.9170 / 0.9171 after 2 epochs, 0.9244 /
0.9246 after 5). On the generated tables FuxiCTR's DCNv2 learns more slowly in the first epochs
(ctr-synth, seed 2021: 0.7771 / 0.7556 after 4 epochs), so the assertion needs more epochs there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field

import numpy as np
import torch
from measures import timed
from sklearn.metrics import roc_auc_score

from rankbench.adapters.ctr.dcnv2 import DCNv2
from rankbench.adapters.ctr.fuxictr_models import Batches, build_model, shared_config, zoo_folder
from rankbench.adapters.ctr.trainer import PREDICT_BATCH, Tensors, TrainConfig, make_optimizer, predict, run_epoch
from rankbench.harness.datahome import load_dataset
from rankbench.harness.errors import DatasetMissing, MissingDependency
from rankbench.harness.records import CTRTable
from rankbench.harness.registry import ADAPTERS

SIDES = ("rankbench", "FuxiCTR")


@dataclass
class Side:
    """One library's timings (wall, CPU) per repeat and its test AUC per repeat."""

    train: list[tuple[float, float]] = field(default_factory=list)
    infer: list[tuple[float, float]] = field(default_factory=list)
    auc: list[float] = field(default_factory=list)

    def best(self, phase: str) -> tuple[float, float]:
        runs = getattr(self, phase)
        return min(r[0] for r in runs), min(r[1] for r in runs)


class Ours:
    """Our DCNv2 with the record's defaults, trained by the shared CTR trainer's epoch loop."""

    def __init__(self, table: CTRTable, test: CTRTable, seed: int) -> None:
        spec: DCNv2 = ADAPTERS.get("dcnv2").build()
        torch.manual_seed(seed)
        self.net = spec.build(table)
        self.optimizer = make_optimizer(self.net, spec.learning_rate)
        self.cfg = TrainConfig(spec.batch_size, spec.learning_rate, 1, 1, spec.embedding_regularizer, seed)
        self.gen = torch.Generator().manual_seed(seed)
        self.train_data, self.test_data = Tensors.of(table), Tensors.of(test)
        self.batch_size = spec.batch_size

    def fit(self, epochs: int) -> None:
        for _ in range(epochs):
            run_epoch(self.net, self.optimizer, self.train_data, self.cfg, self.gen)

    def predict(self) -> np.ndarray:
        return predict(self.net, self.test_data)


class Theirs:
    """FuxiCTR's DCNv2 from its model zoo with the same config, trained by its own `train_step`."""

    def __init__(self, table: CTRTable, test: CTRTable, seed: int, root: str, batch_size: int) -> None:
        config = {k: list(v) if isinstance(v, tuple) else v for k, v in shared_config("dcnv2").items()}
        self.net = build_model("DCNv2", table, root, seed, **config)
        self.net._max_gradient_norm = 10.0  # set by FuxiCTR's fit(); train_step reads it
        self.train_batches = Batches(table, batch_size, True, seed)
        self.test_batches = Batches(test, PREDICT_BATCH, False)

    def fit(self, epochs: int) -> None:
        for _ in range(epochs):
            self.net.train()
            for batch in self.train_batches:
                self.net.train_step(batch)

    def predict(self) -> np.ndarray:
        return np.asarray(self.net.predict(self.test_batches), dtype=np.float64).reshape(-1)


def make(side: str, train: CTRTable, test: CTRTable, seed: int, root: str) -> Ours | Theirs:
    if side == "rankbench":
        return Ours(train, test, seed)
    return Theirs(train, test, seed, root, ADAPTERS.get("dcnv2").build().batch_size)


def warm_up(train: CTRTable, test: CTRTable, root: str) -> None:
    """One untimed epoch on a slice, and one prediction, per library: first-call costs land here."""
    head = train.take(np.arange(min(len(train), 8192)))
    for side in SIDES:
        model = make(side, head, test, 0, root)
        model.fit(1)
        model.predict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", default="frappe-nfm", help="a registered CTR dataset (train and test split)")
    parser.add_argument("--epochs", type=int, default=3, help="training passes, the same for both libraries")
    parser.add_argument("--repeats", type=int, default=3, help="both libraries: best of this many runs")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--seed", type=int, default=2021, help="repeat r uses seed + r on both sides")
    parser.add_argument("--auc-tolerance", type=float, default=0.01, help="max |mean AUC ours - FuxiCTR|")
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.repeats = 2, 1
    try:
        zoo_folder()  # FUXICTR_MODEL_ZOO, else the data home's copy; never downloads
    except MissingDependency as exc:
        sys.exit(str(exc))
    torch.set_num_threads(args.threads)
    try:
        splits = load_dataset(args.table).data
    except DatasetMissing as exc:
        sys.exit(f"{exc} (or pick another table with --table, e.g. ctr-synth)")
    train, test = splits.train, splits.test
    sides = {side: Side() for side in SIDES}
    params: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="rankbench-ctr-bench-") as root:
        try:
            warm_up(train, test, root)
        except MissingDependency as exc:
            sys.exit(str(exc))
        for r in range(args.repeats):
            for side in SIDES if r % 2 == 0 else SIDES[::-1]:
                model = make(side, train, test, args.seed + r, root)
                params[side] = sum(p.numel() for p in model.net.parameters())
                _, wall, cpu = timed(lambda m=model: m.fit(args.epochs))
                sides[side].train.append((wall, cpu))
                scores, wall, cpu = timed(model.predict)
                sides[side].infer.append((wall, cpu))
                sides[side].auc.append(float(roc_auc_score(np.asarray(test.labels), scores)))

    ours, theirs = sides["rankbench"], sides["FuxiCTR"]
    gap = abs(float(np.mean(ours.auc)) - float(np.mean(theirs.auc)))
    assert gap <= args.auc_tolerance, (
        f"test AUC disagrees by {gap:.4f} > {args.auc_tolerance}: ours {ours.auc}, FuxiCTR {theirs.auc}"
    )
    print(
        f"table {args.table}: {len(train)} train / {len(test)} test rows; {args.epochs} epochs, batch "
        f"{ADAPTERS.get('dcnv2').build().batch_size}; torch threads {args.threads}; best of {args.repeats}"
    )
    print(f"parameters: rankbench {params['rankbench']:,}  FuxiCTR {params['FuxiCTR']:,}")
    for side, s in sides.items():
        print(f"test AUC (sklearn) {side:9s} " + " ".join(f"{a:.4f}" for a in s.auc) + f"  mean {np.mean(s.auc):.4f}")
    print(f"|mean AUC difference| {gap:.4f} (asserted <= {args.auc_tolerance})")
    print(f"{'phase':<6} {'library':<10} {'wall s':>8} {'CPU s':>8} {'samples/s (wall)':>17}")
    for phase, rows in (("train", len(train) * args.epochs), ("infer", len(test))):
        for side, s in sides.items():
            wall, cpu = s.best(phase)
            print(f"{phase:<6} {side:<10} {wall:8.3f} {cpu:8.3f} {rows / wall:17,.0f}")
        (ow, oc), (tw, tc) = ours.best(phase), theirs.best(phase)
        print(f"{phase:<6} FuxiCTR / rankbench time: {tw / ow:.2f}x wall, {tc / oc:.2f}x CPU (> 1: rankbench faster)")


if __name__ == "__main__":
    main()
