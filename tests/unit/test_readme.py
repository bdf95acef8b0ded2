"""The README's Python examples run as written: a user's module, the three-line benchmark, the store."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
MODULE_MARK = "# my_models.py\n"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_the_readme_python_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = python_blocks()
    (module,) = [b for b in blocks if b.startswith(MODULE_MARK)]
    examples = [b for b in blocks if b is not module]
    (three_lines,) = [b for b in examples if "WordOverlap()" in b]
    assert len([line for line in three_lines.splitlines() if line.strip()]) == 3
    (tmp_path / "my_models.py").write_text(module)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict[str, object] = {}
    try:
        for block in examples:  # in README order: the benchmark writes results/, then the store reads it
            exec(compile(block, str(README), "exec"), namespace)
    finally:
        sys.modules.pop("my_models", None)
    printed = capsys.readouterr().out
    assert printed.startswith("1 ran, 0 cached, 0 failed -> results")
    frame = namespace["frame"]
    (adapter,) = set(frame["adapter"])
    assert adapter.startswith("WordOverlap-") and set(frame["suite"]) == {"ir-synth"}
    ndcg = frame.set_index("measure").loc["nDCG@10", "value"]
    assert f"{ndcg:.4f}" in printed and 0.5 < ndcg <= 1.0  # word overlap ranks the generated topics well


def test_the_readme_states_the_gate_tolerances_defaults() -> None:
    """The README's words on `--max-slowdown`/`--max-growth` name the defaults the code has."""
    from rankbench.harness.comparison import Settings

    text = " ".join(README.read_text(encoding="utf-8").split())
    for option, default in (("--max-slowdown", Settings().max_slowdown), ("--max-growth", Settings().max_growth)):
        stated = re.search(rf"`{option}` \([^)]*default ([0-9.]+)", text)
        assert stated is not None, f"README: {option} without its default"
        assert float(stated.group(1)) == default


def test_report_help_names_every_format() -> None:
    from typer.testing import CliRunner

    from rankbench.harness import cli
    from rankbench.reports.cli import FORMATS

    cli._install_plugin_commands()
    shown = " ".join(CliRunner().invoke(cli.app, ["report", "--help"]).output.lower().split())
    assert set(FORMATS) == {"html", "md", "json", "latex"}
    assert all(name in shown for name in ("html", "markdown", "json", "latex"))
