"""The engine of rankbench: records, registry, data home, measures, runner, store and CLI.

Nothing in here imports a concrete adapter or suite; those are found through the registry.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rankbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
