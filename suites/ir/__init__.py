"""IR suites: BEIR collections, the generated IR collection, and the IR reproduction cards."""
