"""Running the `rankbench` command line in the test's own process (output through pytest's capsys)."""

from __future__ import annotations

import sys

import pytest


def invoke(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from rankbench.harness.cli import main

    old = sys.argv
    sys.argv = ["rankbench", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err
