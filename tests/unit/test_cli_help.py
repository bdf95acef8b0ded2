"""Every command's --help renders (help texts hold grammar like `beir/<name>[/<split>]`, never markup)."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from rankbench.harness import cli


def _commands() -> list[tuple[str, ...]]:
    cli._install_plugin_commands()
    root = typer.main.get_command(cli.app)
    out: list[tuple[str, ...]] = [()]

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            out.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(root, ())
    return out


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "rankbench")
def test_help_renders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli.app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
