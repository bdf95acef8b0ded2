"""The Ray executor on a local two-CPU cluster gives the local executor's metrics.

One cluster serves the module (starting Ray costs seconds); it listens on loopback only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rankbench.harness.ray_executor import resources
from rankbench.harness.runner import LocalExecutor, plan, run_plan
from rankbench.harness.store import ResultStore
from rankbench.harness.suite import Budget, Suite
from tests.integration._cli import PLUGINS, REPO, measures_by_cell, rankbench, stored

# keep the test cluster on loopback: Ray otherwise binds the machine's outward-facing address
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local cluster whose workers also see the test plugins; yields its address."""
    env = {"RANKBENCH_PLUGINS": PLUGINS, "PYTHONPATH": str(REPO)}
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": env},
    )
    try:
        address = ray.get_runtime_context().gcs_address
        assert address.startswith("127.0.0.1:"), address
        yield address
    finally:
        ray.shutdown()


def values(store: ResultStore) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(r.suite, r.adapter, r.seed): {k: vars(v) for k, v in r.measures.items()} for r in store.results()}


def test_same_cells_same_metrics_in_process(cluster: str, tmp_path: Path) -> None:
    from rankbench.harness.ray_executor import RayExecutor

    cells = plan(["ir-synth-tiny"], ["bm25"], [0, 1])
    local, remote = ResultStore(tmp_path / "local"), ResultStore(tmp_path / "ray")
    assert run_plan(cells, local, LocalExecutor()).ok
    summary = run_plan(cells, remote, RayExecutor())
    assert summary.ok and len(summary.ran) == 2
    assert values(remote) == values(local)
    [doc] = [json.loads(p.read_text()) for p in (tmp_path / "ray").rglob("seed-1.json")]
    assert doc["provenance"]["seed"] == 1
    assert len({json.dumps(v, sort_keys=True) for v in values(local).values()}) > 1


def test_cli_on_the_cluster_isolates_failures(cluster: str, tmp_path: Path) -> None:
    args = ["ir-synth-tiny", "-a", "sleepy(delay=0.0)", "-a", "raises", "--seed", "3"]
    on_ray = rankbench("run", *args, "--executor", "ray", "--address", cluster, "-o", str(tmp_path / "ray"))
    assert on_ray.returncode == 1, on_ray.stderr
    assert "1 ran, 0 cached, 1 failed" in on_ray.stderr
    local = rankbench("run", *args, "--executor", "local", "-o", str(tmp_path / "local"))
    assert local.returncode == 1
    assert measures_by_cell(tmp_path / "ray") == measures_by_cell(tmp_path / "local")
    [failed] = [d for d in stored(tmp_path / "ray") if d["status"] == "failed"]
    assert failed["error"]["type"] == "RuntimeError" and "index() blew up" in failed["error"]["traceback"]


def test_resource_request_follows_the_suite() -> None:
    suite = Suite(
        name="s",
        dataset="ir-synth-tiny",
        task="retrieval",
        measures=("nDCG@10",),
        families=("retriever",),
        settings={"num_cpus": 2, "num_gpus": 1},
        budget=Budget(max_memory_mb=512),
    )
    assert resources(suite) == {"num_cpus": 2.0, "num_gpus": 1.0, "max_retries": 0, "memory": 512 * 2**20}


@pytest.mark.parametrize(
    ("suite", "why"),
    [
        ("wants-64-cpus", "asks 64 CPUs but the largest node has 2 CPUs"),
        ("wants-a-gpu", "asks 1 GPUs but the largest node has 0 GPUs"),
        ("wants-1-tib", "asks 1.04858e[+]06 MiB memory but the largest node has .* MiB memory"),
    ],
)
def test_infeasible_requests_fail_at_planning_in_one_line(cluster: str, tmp_path: Path, suite: str, why: str) -> None:
    out = tmp_path / "results"
    proc = rankbench(
        "run", suite, "-a", "sleepy(delay=0.0)", "--executor", "ray", "--address", cluster, "-o", str(out), timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    [line] = [line for line in proc.stderr.splitlines() if line.strip()]
    assert line.startswith(f"error: suite {suite!r} asks") and "Ray would wait forever" in line
    assert re.search(why, line), line
    assert not list(out.rglob("*.json")), "nothing may run or be stored"


def test_infeasible_request_is_refused_before_any_cell_is_drawn(cluster: str, tmp_path: Path) -> None:
    from rankbench.harness.errors import BadInput
    from rankbench.harness.ray_executor import RayExecutor

    cells = plan(["ir-synth-tiny", "ir-synth-tiny(num_cpus=64)"], ["bm25"])
    with pytest.raises(BadInput, match=r"suite 'ir-synth-tiny\(num_cpus=64\)' asks 64 CPUs but the largest node"):
        run_plan(cells, ResultStore(tmp_path), RayExecutor())
    assert not list(tmp_path.rglob("*.json")), "the feasible cell must not run either: the plan is refused whole"


def test_a_cell_whose_device_needs_a_gpu_is_refused_on_a_cpu_cluster(cluster: str, tmp_path: Path) -> None:
    from rankbench.harness.errors import BadInput
    from rankbench.harness.ray_executor import RayExecutor

    cells = plan(["ir-synth-tiny"], ["bm25", "minilm(device=cuda)"])
    with pytest.raises(
        BadInput, match=r"adapter .minilm\(device=.cuda.\). asks 1 GPUs but the largest node has 0 GPUs for its device="
    ):
        run_plan(cells, ResultStore(tmp_path), RayExecutor())
    assert not list(tmp_path.rglob("*.json")), "the plan is refused whole"


def test_waiting_cells_report_what_they_wait_for_and_timeout_bounds_the_wait(
    cluster: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import time

    from rankbench.harness.ray_executor import RayExecutor

    @ray.remote(num_cpus=2)
    class Blocker:  # holds both CPUs of the cluster for its lifetime
        def ping(self) -> bool:
            return True

    cells = plan(["ir-synth-tiny(num_cpus=2)"], ["bm25"])
    blocker = Blocker.remote()
    assert ray.get(blocker.ping.remote(), timeout=120)
    try:
        t0 = time.monotonic()
        with caplog.at_level("WARNING", logger="rankbench.harness.ray_executor"):
            summary = run_plan(cells, ResultStore(tmp_path / "results"), RayExecutor(timeout=6, progress_s=2))
        elapsed = time.monotonic() - t0
    finally:
        ray.kill(blocker)
    assert elapsed < 60
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("waiting ")]
    assert progress and "each asking 2 CPUs; free now: 0/2 CPU" in progress[0]
    [(_cell, error)] = summary.failed
    assert error.startswith("TimedOut: not finished within --timeout 6 s")
    # a timed-out cell is not stored as done: the next run retries it and, with the CPUs free, finishes
    retry = run_plan(cells, ResultStore(tmp_path / "results"), RayExecutor())
    assert retry.ok and len(retry.ran) == 1
