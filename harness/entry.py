"""The `rankbench` executable. `rankbench evaluate` runs in a lean process (no typer, rich or
plugin discovery: a cold start several times shorter); every other command, and anything the
lean path does not take, goes to the full command line (`cli.main`)."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        if sys.argv[1:2] == ["evaluate"]:
            from rankbench.harness.measures.evaluate_files import command

            code = command(sys.argv[2:])
            if code is not None:
                sys.exit(code)
        from rankbench.harness.cli import main as full

        full()
    except BrokenPipeError:  # `rankbench evaluate ... | head`: the reader left; no traceback (Python's own advice)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
