"""CTR suites: the shipped synthetic table, Frappe from the NFM files, and BARS's full x1 splits."""

from __future__ import annotations

from rankbench.harness.registry import DatasetSpec, QuickstartEntry
from rankbench.harness.suite import Suite

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

_BARS_HINT = (
    "BARS {name}: put train.csv, valid.csv and test.csv from github.com/reczoo/Datasets ({folder}) there; "
    "CSV with a header, categorical columns {fields} and a 0/1 `label` column"
)

DATASETS = (
    DatasetSpec(
        "ctr-synth",
        "rankbench.suites.ctr.synth:load",
        generated=True,
        params={"n_train": 120000, "n_valid": 20000, "n_test": 30000, "seed": 0},
        description="generated CTR table with pairwise, third-order and user x item crosses",
    ),
    DatasetSpec(
        "ctr-synth-small",
        "rankbench.suites.ctr.synth:load",
        generated=True,
        params={"n_train": 20000, "n_valid": 5000, "n_test": 10000, "seed": 0},
        description="the ctr-synth generator at quickstart size",
    ),
    DatasetSpec(
        "ctr-synth-tiny",
        "rankbench.suites.ctr.synth:load",
        generated=True,
        params={"n_train": 3000, "n_valid": 1000, "n_test": 1500, "seed": 1, "n_users": 40, "n_items": 30},
        description="small generated CTR table for contract tests",
    ),
    DatasetSpec(
        "frappe-nfm",
        "rankbench.suites.ctr.data:load_frappe_nfm",
        files={
            "ctr/frappe-nfm/frappe.validation.libfm.gz": (
                "f5d3ba2c099144aca521f6eb019e536a82a47eb7485f08ea2f16ec96df565d0c"
            ),
            "ctr/frappe-nfm/frappe.test.libfm.gz": "5cd687ff4c5ab8019d388d80a41957026986987ffb7f2a7c46425157926eac45",
        },
        description="Frappe, NFM split: train/valid from the 57,722-line validation file, BARS frappe_x1 test file",
        source="github.com/hexiangnan/neural_factorization_machine data/frappe (libFM format, gzipped)",
    ),
    DatasetSpec(
        "frappe-x1",
        "rankbench.suites.ctr.data:load_bars_csv",
        files={f"ctr/Frappe_x1/{s}.csv": "" for s in ("train", "valid", "test")},
        params={"folder": "ctr/Frappe_x1", "cat_fields": FRAPPE_FIELDS, "user_field": "user"},
        description="BARS frappe_x1 (202,027 / 57,722 / 28,860 rows)",
        source=_BARS_HINT.format(name="frappe_x1", folder="Frappe/Frappe_x1", fields=", ".join(FRAPPE_FIELDS)),
    ),
    DatasetSpec(
        "movielenslatest-x1",
        "rankbench.suites.ctr.data:load_bars_csv",
        files={f"ctr/MovielensLatest_x1/{s}.csv": "" for s in ("train", "valid", "test")},
        params={"folder": "ctr/MovielensLatest_x1", "cat_fields": BARS_ML_FIELDS, "user_field": "user_id"},
        description="BARS movielenslatest_x1 (1,404,801 / 401,372 / 200,686 rows)",
        source=_BARS_HINT.format(
            name="movielenslatest_x1", folder="MovielensLatest/MovielensLatest_x1", fields=", ".join(BARS_ML_FIELDS)
        ),
    ),
)


def _suite(name: str, dataset: str, description: str, tags: tuple[str, ...]) -> Suite:
    return Suite(name, dataset, "ctr", CTR_MEASURES, ("ctr",), unit="impression", description=description, tags=tags)


SUITES = (
    _suite("ctr-synth", "ctr-synth", "generated CTR table with feature crosses; ships with rankbench", ("ctr",)),
    _suite("ctr-synth-small", "ctr-synth-small", "ctr-synth at quickstart size", ("ctr", "small")),
    _suite("ctr-synth-tiny", "ctr-synth-tiny", "tiny generated CTR table for contract tests", ("ctr", "tiny")),
    _suite(
        "frappe-nfm",
        "frappe-nfm",
        "Frappe: train on the NFM validation file (80/20 holdout for early stopping), test on BARS frappe_x1 test",
        ("ctr", "real"),
    ),
    _suite("frappe-x1", "frappe-x1", "BARS frappe_x1 benchmark split", ("ctr", "real", "bars")),
    _suite(
        "movielenslatest-x1", "movielenslatest-x1", "BARS movielenslatest_x1 benchmark split", ("ctr", "real", "bars")
    ),
)

# 20k rows at BARS's batch of 4096 would be 5 steps an epoch: the quickstart uses batches of 512
QUICKSTART = (QuickstartEntry("ctr", "ctr-synth-small", ("lr(batch_size=512)", "dcnv2(batch_size=512)"), order=40),)
