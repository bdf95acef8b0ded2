"""Seeded synthetic implicit feedback with latent structure, for tests and the quickstart.

Users and items belong to latent taste clusters; a user's affinity for an item is the dot
product of their factor vectors (cluster centre plus noise) plus a Zipf-like item popularity
term, and each user samples their items without replacement from the softmax of it. So
popularity is a fair but beatable baseline, and models that learn the factors win.
Timestamps increase along each user's sampling order, so temporal splits are meaningful.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from rankbench.harness.records import Interactions, Loaded
from rankbench.harness.registry import DatasetSpec


def generate(
    n_users: int = 600,
    n_items: int = 400,
    n_clusters: int = 8,
    dim: int = 16,
    mean_items: int = 30,
    popularity: float = 1.0,
    seed: int = 0,
) -> Interactions:
    """Implicit feedback with ratings 1-5 (higher for items closer to the user) and increasing timestamps."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, dim))
    user_f = centres[rng.integers(0, n_clusters, n_users)] + 0.8 * rng.normal(size=(n_users, dim))
    item_f = centres[rng.integers(0, n_clusters, n_items)] + 0.5 * rng.normal(size=(n_items, dim))
    pop = popularity * np.log(1.0 / np.arange(1, n_items + 1))[rng.permutation(n_items)]
    affinity = user_f @ item_f.T / np.sqrt(dim) * 1.5 + pop
    counts = np.clip(rng.poisson(mean_items, n_users), 5, n_items // 2)
    users, items, ratings, times = [], [], [], []
    for u in range(n_users):
        p = np.exp(affinity[u] - affinity[u].max())
        chosen = rng.choice(n_items, size=counts[u], replace=False, p=p / p.sum())
        users.append(np.full(len(chosen), u))
        items.append(chosen)
        a = affinity[u, chosen]
        z = (a - a.mean()) / (a.std() + 1e-9)
        ratings.append(np.clip(np.round(3 + z), 1, 5))
        times.append(1_000_000 + np.sort(rng.integers(0, 10_000_000, len(chosen))))
    return Interactions(
        np.concatenate(users),
        np.concatenate(items),
        n_users,
        n_items,
        np.concatenate(ratings).astype(np.float32),
        np.concatenate(times).astype(np.int64),
    )


def checksum_interactions(data: Interactions) -> str:
    """sha256 of the interaction arrays, recorded in provenance for generated or loaded data."""
    h = hashlib.sha256(f"{data.n_users},{data.n_items}".encode())
    for part in (data.users, data.items, data.ratings, data.timestamps):
        if part is not None:
            h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def load(spec: DatasetSpec, **params: Any) -> Loaded:
    data = generate(**params)
    return Loaded(
        data,
        checksum_interactions(data),
        {"generated": True, "generator": "recsys-synth", "n_interactions": len(data), **params},
    )


DATASETS = (
    DatasetSpec(
        name="recsys-synth",
        loader="rankbench.suites.recsys.synth:load",
        generated=True,
        params={"n_users": 600, "n_items": 400, "seed": 0},
        description="generated implicit feedback: 600 users, 400 items, 8 latent taste clusters",
    ),
    DatasetSpec(
        name="recsys-synth-tiny",
        loader="rankbench.suites.recsys.synth:load",
        generated=True,
        params={"n_users": 150, "n_items": 120, "mean_items": 20, "seed": 1},
        description="tiny generated implicit feedback for contract tests",
    ),
)
