"""The `rankbench` executable. `rankbench evaluate` runs in a lean process (no typer, rich or
plugin discovery: a cold start several times shorter); every other command, and anything the
lean path does not take, goes to the full command line (`cli.main`)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    try:
        if sys.argv[1:2] == ["evaluate"]:
            from rankbench.harness.measures.evaluate_files import command

            code = command(sys.argv[2:])
            if code is not None:
                # Leave without the interpreter's teardown: Arrow's CSV worker threads, still parked after
                # a parse that failed and was retried, can abort the process there ("terminate called
                # without an active exception", apache/arrow#34314) after the output is printed.
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        from rankbench.harness.cli import main as full

        full()
    except BrokenPipeError:  # `rankbench evaluate ... | head`: the reader left; no traceback (Python's own advice)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
