"""A seeded synthetic CTR table whose clicks depend on feature crosses, not only on single features.

The click logit is a weak sum of per-value effects plus strong interaction terms: two
rank-3 pairwise crosses, a rank-2 third-order cross, a user x item affinity and a
numeric x categorical cross. Logistic regression sees only the additive part, so a model that learns crosses
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
        logit += 0.3 * rng.normal(size=v)[codes[:, j]]
    logit += 0.2 * numeric.sum(axis=1)

    def factors(v: int, rank: int) -> np.ndarray:
        # non-zero means give each cross a marginal trace too, as real crosses have (popular x busy hour)
        return rng.normal(0.4, 1.0, size=(v, rank)) / np.sqrt(rank)

    # pairwise crosses of rank 3: (hour, device) and (site, category)
    logit += 1.5 * (factors(vocab, 3)[codes[:, 2]] * factors(vocab, 3)[codes[:, 3]]).sum(axis=1)
    logit += 1.5 * (factors(vocab, 3)[codes[:, 4]] * factors(vocab, 3)[codes[:, 5]]).sum(axis=1)
    # third-order cross of rank 2: (region, slot, device)
    a, b, c = factors(vocab, 2), factors(vocab, 2), factors(vocab, 2)
    logit += 2.0 * (a[codes[:, 6]] * b[codes[:, 7]] * c[codes[:, 3]]).sum(axis=1)
    # user x item affinity of rank 4 (what embeddings of users and items capture)
    logit += 0.8 * (factors(n_users, 4)[codes[:, 0]] * factors(n_items, 4)[codes[:, 1]]).sum(axis=1)
    # numeric x categorical cross
    logit += 0.8 * numeric[:, 0] * np.where(codes[:, 5] < vocab // 2, 1.0, -1.0)
    logit -= logit.mean()
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
