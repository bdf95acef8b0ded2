"""Training and inference throughput of our DCNv2 against FuxiCTR's DCNv2, same table and config.

Both models are built for the generated `ctr-synth-small` table (`--table`) with the `dcnv2`
record's defaults (BARS's frappe_x1 config: parallel, 4 cross layers, DNN 3x400, dropout 0.4,
BatchNorm, embedding dim 10, Adam, batch 4096). Training is timed per epoch (FuxiCTR through
its own `train_step`, fed batches that are already tensors, so its data loader costs nothing
here); inference over the test table. Runs alternate between the two libraries and the
median is kept, so background load hits both alike. Prints samples/second and the ratio ours / FuxiCTR.

    FUXICTR_MODEL_ZOO=<FuxiCTR checkout at 7b98a49>/model_zoo python benchmarks/ctr.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import torch

from rankbench.adapters.ctr.dcnv2 import DCNv2
from rankbench.adapters.ctr.fuxictr_models import Batches, build_model, shared_config
from rankbench.adapters.ctr.trainer import Tensors, TrainConfig, make_optimizer, predict, run_epoch
from rankbench.harness.datahome import load_dataset
from rankbench.harness.registry import ADAPTERS

PREDICT_BATCH = 16384


def median_rate(run: Callable[[], int], repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = run()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--table", default="ctr-synth-small", help="a registered CTR dataset")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    splits = load_dataset(args.table).data
    train, test = Tensors.of(splits.train), Tensors.of(splits.test)

    model: DCNv2 = ADAPTERS.get("dcnv2").build()  # the record's defaults: BARS's frappe_x1 config
    torch.manual_seed(0)
    ours = model.build(splits.train)
    optimizer = make_optimizer(ours, model.learning_rate)
    cfg = TrainConfig(model.batch_size, model.learning_rate, 1, 1, 0.0, 0)
    gen = torch.Generator().manual_seed(0)

    with tempfile.TemporaryDirectory() as root:
        theirs = build_model(
            "DCNv2",
            splits.train,
            root,
            0,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in shared_config("dcnv2").items()},
        )
        theirs._max_gradient_norm = 10.0  # set by FuxiCTR's fit(); train_step reads it
        their_train = Batches(splits.train, model.batch_size, True, 0)
        their_test = Batches(splits.test, PREDICT_BATCH, False)
        n_ours = sum(p.numel() for p in ours.parameters())
        n_theirs = sum(p.numel() for p in theirs.parameters())

        def ours_train() -> int:
            run_epoch(ours, optimizer, train, cfg, gen)
            return len(train.labels)

        def theirs_train() -> int:
            theirs.train()
            for batch in their_train:
                theirs.train_step(batch)
            return len(train.labels)

        def ours_infer() -> int:
            predict(ours, test)
            return len(test.labels)

        def theirs_infer() -> int:
            theirs.predict(their_test)
            return len(test.labels)

        ours_train(), theirs_train()  # warm-up: first-call allocations and kernel selection
        rates: dict[str, list[float]] = {"ours_train": [], "theirs_train": [], "ours_infer": [], "theirs_infer": []}
        for _ in range(args.repeats):
            rates["ours_train"].append(median_rate(ours_train, 1))
            rates["theirs_train"].append(median_rate(theirs_train, 1))
            rates["ours_infer"].append(median_rate(ours_infer, 1))
            rates["theirs_infer"].append(median_rate(theirs_infer, 1))

    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"table {args.table}: {len(train.labels)} train / {len(test.labels)} test rows, torch threads {args.threads}")
    print(f"parameters: ours {n_ours:,}  FuxiCTR {n_theirs:,}")
    for phase in ("train", "infer"):
        o, t = med[f"ours_{phase}"], med[f"theirs_{phase}"]
        print(f"{phase:5s}  ours {o:12,.0f} samples/s   FuxiCTR {t:12,.0f} samples/s   ratio {o / t:5.2f}x")


if __name__ == "__main__":
    main()
