"""CTR suites: BARS/libFM loaders and encoding, the generated table, cards, FuxiCTR runner."""
