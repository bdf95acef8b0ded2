"""Tasks: how one cell of a suite is executed for a family (retrieval, recommendation, CTR, latency)."""
