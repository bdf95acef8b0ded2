"""Recommender suites: each names its split (`settings["split"]`) and all of the split's parameters.

The split parameters live in `Suite.settings`, so every stored result carries them in
its provenance, and `NAME(key=value)` derives a variant (e.g. `ml-100k-holdout(split_seed=1)`).
"""

from __future__ import annotations

from rankbench.harness.registry import QuickstartEntry, SuiteSource
from rankbench.harness.suite import Suite

FAMILY = ("recommender",)
FULL = ("nDCG@10", "nDCG@20", "nRecall@20", "R@20", "HR@10")
SAMPLED = ("HR@10", "nDCG@10")
STRONG = ("nRecall@20", "nRecall@50", "nDCG@100")
HOLDOUT = {"split": "random-holdout", "test_frac": 0.2, "valid_frac": 0.1, "split_seed": 0, "binarize": None}
LOO = {"split": "leave-one-out", "negatives": 99, "split_seed": 0, "binarize": None}
TEMPORAL = {"split": "temporal", "test_frac": 0.2, "valid_frac": 0.1, "binarize": None}


NCF_SETTINGS = {"split": "leave-one-out", "negatives": 99, "negatives_source": "ncf/ml-1m.test.negative"}
ML20M_USERS = 136_677
"""Users with >= 5 ratings > 3.5 in ML-20M (Liang et al. 2018, Table 1)."""
ML20M_HELDOUT = 10_000
"""Held-out users in each of Liang et al.'s ML-20M test and validation sets."""


def strong(heldout_users: int | float, binarize: float | None) -> dict[str, object]:
    """Liang et al.'s split parameters (their ML-20M run: 10,000 held-out users, ratings > 3.5)."""
    return {
        "split": "strong-generalization",
        "heldout_users": heldout_users,
        "fold_in": 0.8,
        "min_user_items": 5,
        "binarize": binarize,
        "split_seed": 98765,
    }


SUITES = (
    Suite(
        name="recsys-synth",
        dataset="recsys-synth",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=HOLDOUT,
        description="generated implicit feedback, random 70/10/20 holdout per user, full ranking",
    ),
    Suite(
        name="recsys-synth-loo",
        dataset="recsys-synth",
        task="recommendation",
        measures=SAMPLED,
        families=FAMILY,
        unit="user",
        settings=LOO,
        description="generated data, NCF leave-one-out with 99 sampled negatives",
    ),
    Suite(
        name="recsys-synth-temporal",
        dataset="recsys-synth",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=TEMPORAL,
        description="generated data, global temporal split, full ranking",
    ),
    Suite(
        name="recsys-synth-strong",
        dataset="recsys-synth",
        task="recommendation",
        measures=STRONG,
        families=FAMILY,
        unit="user",
        settings=strong(100, None),
        description="generated data, Mult-VAE strong generalization (100 held-out users)",
    ),
    Suite(
        name="recsys-synth-tiny",
        dataset="recsys-synth-tiny",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=HOLDOUT,
        description="tiny generated data for contract tests",
    ),
    Suite(
        name="ml-100k-holdout",
        dataset="ml-100k",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=HOLDOUT,
        description="MovieLens 100K, all ratings as implicit feedback, random 70/10/20 holdout, full ranking",
    ),
    Suite(
        name="ml-1m-holdout",
        dataset="ml-1m",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=HOLDOUT,
        description="MovieLens 1M, all ratings as implicit feedback, random 70/10/20 holdout, full ranking",
    ),
    Suite(
        name="ml-20m-holdout",
        dataset="ml-20m",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=HOLDOUT,
        description="MovieLens 20M, all ratings as implicit feedback, random 70/10/20 holdout, full ranking",
    ),
    Suite(
        name="ml-100k-loo",
        dataset="ml-100k",
        task="recommendation",
        measures=SAMPLED,
        families=FAMILY,
        unit="user",
        settings=LOO,
        description="MovieLens 100K, NCF leave-one-out (latest item) with 99 sampled negatives",
    ),
    Suite(
        name="ml-100k-temporal",
        dataset="ml-100k",
        task="recommendation",
        measures=FULL,
        families=FAMILY,
        unit="user",
        settings=TEMPORAL,
        description="MovieLens 100K, global temporal 70/10/20 split, full ranking",
    ),
    Suite(
        name="ml-100k-strong",
        dataset="ml-100k",
        task="recommendation",
        measures=STRONG,
        families=FAMILY,
        unit="user",
        settings=strong(100, 3.5),
        description="MovieLens 100K, Mult-VAE strong generalization (ratings > 3.5, 100 held-out users)",
    ),
    Suite(
        name="ncf-ml1m",
        dataset="ncf-ml1m",
        task="recommendation",
        measures=SAMPLED,
        families=FAMILY,
        unit="user",
        settings=NCF_SETTINGS,
        description="NCF's own ML-1M leave-one-out files (train / test item / 99 negatives), HR@10 and NDCG@10",
    ),
    Suite(
        name="ncf-ml1m-reconstructed",
        dataset="ncf-ml1m-reconstructed",
        task="recommendation",
        measures=SAMPLED,
        families=FAMILY,
        unit="user",
        settings={**NCF_SETTINGS, "train_file": "reconstructed"},
        description="as ncf-ml1m, with the train file rebuilt from ML-1M (97% of rows exact) when NCF's is absent",
    ),
    Suite(
        name="multvae-ml1m",
        dataset="ml-1m-ordered",
        task="recommendation",
        measures=STRONG,
        families=FAMILY,
        unit="user",
        settings=strong(ML20M_HELDOUT / ML20M_USERS, 3.5),
        description="Mult-VAE's setup on ML-1M: ratings > 3.5, users >= 5, ML-20M's held-out share "
        "(10,000 of 136,677 users) for test and validation, 80% fold-in",
    ),
    Suite(
        name="multvae-ml20m",
        dataset="ml-20m",
        task="recommendation",
        measures=STRONG,
        families=FAMILY,
        unit="user",
        settings=strong(10_000, 3.5),
        description="Mult-VAE's ML-20M setup: ratings > 3.5, users >= 5, 10k held-out users, 80% fold-in",
    ),
)
QUICKSTART = (
    QuickstartEntry(
        name="recsys",
        suite="recsys-synth",
        adapters=("popularity", "itemknn", "ease", "multvae(batch_size=100,epochs=30)"),
        order=30,
    ),
)


MOVIELENS = ("ml-100k", "ml-1m", "ml-20m")


def movielens_suite(text: str) -> tuple[Suite, None] | None:
    """A MovieLens dataset by name (`ml-100k`, `ml-1m`, `ml-20m`): its random-holdout suite
    (`<name>-holdout`, stored under that name); `ml-1m(split=temporal)` overrides its settings."""
    if text not in MOVIELENS:
        return None
    from rankbench.harness.registry import SUITES

    return SUITES.get(f"{text}-holdout"), None


SUITE_SOURCES = (
    SuiteSource(
        name="movielens",
        resolver="rankbench.suites.recsys.suites:movielens_suite",
        description="a MovieLens dataset by name: its random 70/10/20 holdout suite",
        examples=MOVIELENS,
    ),
)
