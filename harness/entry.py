"""The `rankbench` executable. `rankbench evaluate` runs in a lean process (no typer, rich or
plugin discovery: a cold start several times shorter); every other command, and anything the
lean path does not take, goes to the full command line (`cli.main`).

Once pyarrow has been used, the process leaves without the interpreter's final teardown (`leave`):
there, Arrow's thread pool can abort a process whose work is done and printed ("terminate called
without an active exception", apache/arrow#34314; measured: `cat run | rankbench evaluate qrels -`
through the full command line exited 134 in 7 of 60 runs on a busy machine).
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_status(code: object) -> int:
    """The process status `sys.exit(code)` gives: None is 0, an int itself, anything else is printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: int) -> NoReturn:
    """Exit with `code`. After pyarrow was loaded: flush, run the exit handlers (`atexit`: logging,
    temporary folders, worker pools), then `os._exit`, skipping only the interpreter's teardown."""
    sys.stdout.flush()
    sys.stderr.flush()
    if "pyarrow" not in sys.modules:
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(*, lean: bool = True) -> None:
    """Run the command line on `sys.argv`; `lean=False` sends `evaluate` to the full command line too."""
    try:
        if lean and sys.argv[1:2] == ["evaluate"]:
            from rankbench.harness.measures.evaluate_files import command

            code = command(sys.argv[2:])
            if code is not None:
                leave(code)
        from rankbench.harness.cli import main as full

        try:
            full()  # the lean path, where it applies, was taken above
            code = 0
        except SystemExit as exc:
            code = exit_status(exc.code)
        leave(code)
    except KeyboardInterrupt:  # Ctrl-C (while reading a pipe, say): one line, the shell's status for SIGINT
        print("error: interrupted", file=sys.stderr)
        leave(130)
    except BrokenPipeError:  # `rankbench evaluate ... | head`: the reader left; no traceback (Python's own advice)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        leave(1)
