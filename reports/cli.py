"""Report commands plugged into the `rankbench` CLI through the `rankbench.commands` entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show_cmd(results: Annotated[Path, typer.Argument(help="results directory or file")]) -> None:
        """Print the leaderboard of stored results as terminal tables."""
        from rankbench.reports.terminal import render

        render(results)
