"""A seeded synthetic CTR table whose clicks depend on feature crosses, not only on single features.

The click logit is a weak sum of per-value effects plus strong interaction terms: two
pairwise crosses with random full-rank tables, one third-order cross and a user x item
affinity. Logistic regression sees only the additive part, so a model that learns crosses
(FM for the pairs, cross networks for the pairs and the third-order term) must beat it by
a clear margin. The table is a pure function of its parameters and the seed.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from rankbench.harness.records import CTRSplits, CTRTable, Loaded
from rankbench.harness.registry import DatasetSpec

FIELDS = ("user", "item", "hour", "device", "site", "category", "region", "slot")


def generate(
    n_train: int,
    n_valid: int,
    n_test: int,
    seed: int = 0,
    n_users: int = 300,
    n_items: int = 200,
    vocab: int = 24,
    n_numeric: int = 2,
) -> CTRSplits:
    rng = np.random.default_rng(seed)
    n = n_train + n_valid + n_test
    sizes = (n_users, n_items, *([vocab] * (len(FIELDS) - 2)))
    zipf = [rng.dirichlet(np.full(v, 0.7)) for v in sizes]
    codes = np.stack([rng.choice(v, size=n, p=p) for v, p in zip(sizes, zipf, strict=True)], axis=1)
    numeric = rng.normal(size=(n, n_numeric))
    logit = np.full(n, -1.0)
    for j, v in enumerate(sizes):
        logit += 0.25 * rng.normal(size=v)[codes[:, j]]
    logit += 0.2 * numeric.sum(axis=1)
    # pairwise crosses: random tables over (hour, device) and (site, category)
    logit += 1.5 * rng.normal(size=(vocab, vocab))[codes[:, 2], codes[:, 3]]
    logit += 1.5 * rng.normal(size=(vocab, vocab))[codes[:, 4], codes[:, 5]]
    # third-order cross: region x slot x device parity pattern
    third = rng.normal(size=(vocab, vocab))[codes[:, 6], codes[:, 7]] * np.where(codes[:, 3] % 2 == 0, 1.0, -1.0)
    logit += 1.2 * third
    # user x item affinity of rank 4 (what embeddings of users and items capture)
    u, i = rng.normal(size=(n_users, 4)), rng.normal(size=(n_items, 4))
    logit += 0.6 * (u[codes[:, 0]] * i[codes[:, 1]]).sum(axis=1)
    # numeric x categorical cross
    logit += 0.8 * numeric[:, 0] * np.where(codes[:, 5] < vocab // 2, 1.0, -1.0)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    vocab_sizes = tuple(v + 1 for v in sizes)  # code 0 is the out-of-vocabulary bucket
    num_fields = tuple(f"num{j}" for j in range(n_numeric))

    def table(lo: int, hi: int) -> CTRTable:
        return CTRTable(
            codes[lo:hi] + 1, numeric[lo:hi].astype(np.float32), labels[lo:hi], FIELDS, num_fields, vocab_sizes, "user"
        )

    return CTRSplits(table(0, n_train), table(n_train, n_train + n_valid), table(n_train + n_valid, n))


def load(spec: DatasetSpec, **params: int) -> Loaded:
    splits = generate(**params)
    key = json.dumps({"generator": "ctr-synth-v1", **params}, sort_keys=True)
    checksum = hashlib.sha256(key.encode()).hexdigest()
    info = {"n_train": len(splits.train), "n_valid": len(splits.valid), "n_test": len(splits.test)}
    return Loaded(splits, checksum, {**info, "click_rate": float(splits.train.labels.mean())})
