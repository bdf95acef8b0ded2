"""CTR suites: the shipped synthetic table, Frappe from the NFM files, and BARS's full x1 splits."""

from __future__ import annotations

from rankbench.harness.registry import DatasetSpec, QuickstartEntry
from rankbench.harness.suite import Suite
from rankbench.suites.catalog import dataset_spec, entry

CTR_MEASURES = ("AUC", "logloss", "gAUC")
FRAPPE_FIELDS = (  # the same ten fields, in this order, in the NFM libFM files and BARS frappe_x1
    "user",
    "item",
    "daytime",
    "weekday",
    "isweekend",
    "homework",
    "cost",
    "weather",
    "country",
    "city",
)
BARS_ML_FIELDS = ("user_id", "item_id", "tag_id")

CRITEO_NUM = tuple(f"I{i}" for i in range(1, 14))
CRITEO_CAT = tuple(f"C{i}" for i in range(1, 27))

DATASETS = (
    DatasetSpec(
        name="ctr-synth",
        loader="rankbench.suites.ctr.synth:load",
        generated=True,
        params={"n_train": 120000, "n_valid": 20000, "n_test": 30000, "seed": 0},
        description="generated CTR table with pairwise, third-order and user x item crosses",
    ),
    DatasetSpec(
        name="ctr-synth-small",
        loader="rankbench.suites.ctr.synth:load",
        generated=True,
        params={"n_train": 20000, "n_valid": 5000, "n_test": 10000, "seed": 0},
        description="the ctr-synth generator at quickstart size",
    ),
    DatasetSpec(
        name="ctr-synth-tiny",
        loader="rankbench.suites.ctr.synth:load",
        generated=True,
        params={"n_train": 3000, "n_valid": 1000, "n_test": 1500, "seed": 1, "n_users": 40, "n_items": 30},
        description="small generated CTR table for contract tests",
    ),
    dataset_spec("frappe-nfm", "rankbench.suites.ctr.data:load_frappe_nfm"),
    dataset_spec(  # model code, not data: the fuxictr adapter imports it (see the manifest entry's "verification")
        "fuxictr-model-zoo",
        "rankbench.suites.ctr.data:load_model_zoo",
        params={"commit": entry("fuxictr-model-zoo")["commit"]},
    ),
    dataset_spec(
        "frappe-x1",
        "rankbench.suites.ctr.data:load_bars_csv",
        params={"folder": "ctr/Frappe_x1", "cat_fields": FRAPPE_FIELDS, "user_field": "user"},
    ),
    dataset_spec(
        "movielenslatest-x1",
        "rankbench.suites.ctr.data:load_bars_csv",
        params={"folder": "ctr/MovielensLatest_x1", "cat_fields": BARS_ML_FIELDS, "user_field": "user_id"},
    ),
    dataset_spec(
        "criteo-x1",
        "rankbench.suites.ctr.data:load_bars_csv",
        params={"folder": "ctr/Criteo_x1", "cat_fields": CRITEO_CAT, "num_fields": CRITEO_NUM},
    ),
    dataset_spec(
        "avazu-x1",
        "rankbench.suites.ctr.data:load_bars_csv",
        params={"folder": "ctr/Avazu_x1", "cat_fields": None},
    ),
)


def ctr_suite(name: str, dataset: str, description: str, tags: tuple[str, ...]) -> Suite:
    return Suite(
        name=name,
        dataset=dataset,
        task="ctr",
        measures=CTR_MEASURES,
        families=("ctr",),
        unit="impression",
        description=description,
        tags=tags,
    )


SUITES = (
    ctr_suite("ctr-synth", "ctr-synth", "generated CTR table with feature crosses; ships with rankbench", ("ctr",)),
    ctr_suite("ctr-synth-small", "ctr-synth-small", "ctr-synth at quickstart size", ("ctr", "small")),
    ctr_suite("ctr-synth-tiny", "ctr-synth-tiny", "tiny generated CTR table for contract tests", ("ctr", "tiny")),
    ctr_suite(
        "frappe-nfm",
        "frappe-nfm",
        "Frappe: train on the NFM validation file (80/20 holdout for early stopping), test on BARS frappe_x1 test",
        ("ctr", "real"),
    ),
    ctr_suite("frappe-x1", "frappe-x1", "BARS frappe_x1 benchmark split", ("ctr", "real", "bars")),
    ctr_suite(
        "movielenslatest-x1", "movielenslatest-x1", "BARS movielenslatest_x1 benchmark split", ("ctr", "real", "bars")
    ),
    ctr_suite("criteo-x1", "criteo-x1", "BARS criteo_x1 benchmark split", ("ctr", "real", "bars")),
    ctr_suite("avazu-x1", "avazu-x1", "BARS avazu_x1 benchmark split", ("ctr", "real", "bars")),
)

# 20k rows at BARS's batch of 4096 would be 5 steps an epoch: the quickstart uses batches of 512
QUICKSTART = (
    QuickstartEntry(
        name="ctr", suite="ctr-synth-small", adapters=("lr(batch_size=512)", "dcnv2(batch_size=512)"), order=40
    ),
)
