"""The family contract kit, shipped so plugin authors can check their own adapters.

`check_adapter(spec)` runs the contract of the adapter's family on tiny shipped or generated data
and raises `AssertionError` naming what the adapter got wrong.
"""

from rankbench.harness.testing.contract import check_adapter

__all__ = ["check_adapter"]
