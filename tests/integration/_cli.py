"""Helpers for tests that drive the real `rankbench` command in subprocesses with test plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RANKBENCH = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
PLUGINS = "tests.plugins.misbehaving"


def plugin_env(**extra: str) -> dict[str, str]:
    """The environment that makes the misbehaving test adapters visible to every process."""
    env = dict(os.environ)
    env["RANKBENCH_PLUGINS"] = PLUGINS
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def rankbench(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RANKBENCH, *args], capture_output=True, text=True, cwd=REPO, env=plugin_env(**env), timeout=timeout
    )


def start(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*RANKBENCH, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=plugin_env(**env),
    )


def stored(out: Path) -> list[dict]:
    """Every committed result document under a results directory."""
    return [json.loads(p.read_text()) for p in sorted(out.rglob("*.json")) if not p.name.startswith(".")]


def measures_by_cell(out: Path) -> dict[tuple[str, str, int], dict[str, float]]:
    return {
        (d["suite"], d["adapter"], d["seed"]): {k: v["value"] for k, v in d["measures"].items()} for d in stored(out)
    }
