"""Suites: datasets + task settings + measures, and paper reproduction cards.

Each module declares `DATASETS`, `SUITES` and optionally `QUICKSTART` tuples.
"""
