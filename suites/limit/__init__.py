"""LIMIT (Weller et al., 2025): the official files, LIMIT-style generated data, the free-embedding experiment."""
