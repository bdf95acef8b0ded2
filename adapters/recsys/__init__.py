"""Collaborative-filtering recommenders: popularity, ItemKNN, EASE, BPR, NCF, Mult-VAE (shared base in `base`)."""
