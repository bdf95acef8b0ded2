"""Recommender suites: interaction loaders, split settings per suite, generated data, cards, RecBole runner."""
