"""History keyed by commit: result sets ordered by their stored commit time, labelled by short sha,
and the commit where a measure dropped significantly marked. Commits come from real git repositories
made here; results carry the provenance the runner stores at such a commit."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from rankbench.harness import provenance
from rankbench.harness.provenance import GitState, collect, commit_time, now_iso, read_git_state
from rankbench.harness.result import Result
from rankbench.harness.stats import bootstrap_ci
from rankbench.harness.store import ResultStore
from rankbench.reports.cells import load_cells
from rankbench.reports.html import render_html
from rankbench.reports.markdown import report_markdown
from rankbench.reports.model import build_report
from tests.unit.test_compare import FAST, lowered, units_frame

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git")

DATES = ("2024-01-05T10:00:00+01:00", "2024-02-10T09:30:00+00:00", "2024-03-15T18:45:00-05:00")


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def make_repo(root: Path, dates: tuple[str, ...] = DATES) -> tuple[Path, list[GitState]]:
    """A repository with one commit per date; the state read at each commit, in commit order."""
    repo = root / "model-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.org")
    git(repo, "config", "user.name", "dev")
    states = []
    for i, date in enumerate(dates):
        (repo / "model.py").write_text(f"VERSION = {i}\n", encoding="utf-8")
        git(repo, "add", "model.py")
        git(repo, "commit", "-q", "-m", f"version {i}", date=date)
        states.append(read_git_state(repo))
    return repo, states


def write_set(folder: Path, state: GitState, cells: dict[str, pd.DataFrame], *, keep_time: bool = True) -> None:
    """What `rankbench run` stores at that commit: the commit's sha, dirty flag and time in provenance."""
    for adapter, units in cells.items():
        prov = dataclasses.replace(
            collect("unit-data", "0" * 64, 0, now_iso()),
            git_sha=state.sha,
            git_dirty=state.dirty,
            git_committed_at=state.committed_at if keep_time else None,
        )
        result = Result(
            suite="unit-suite",
            adapter=adapter,
            seed=0,
            status="ok",
            measures={m: bootstrap_ci(units[m].to_numpy()) for m in ("nDCG@10", "R@100", "logloss")},
            timings={"search_ms_per_query": 1.0},
            provenance=prov.to_json(),
            family="retriever",
        )
        ResultStore(folder).write(result, units)


def test_read_git_state_is_the_commit_and_its_committer_date(tmp_path: Path) -> None:
    repo, states = make_repo(tmp_path)
    head = states[-1]
    assert head.sha == git(repo, "rev-parse", "HEAD") and len(head.sha) == 40
    assert head.committed_at == DATES[-1] and head.dirty is False
    (repo / "model.py").write_text("VERSION = 99\n", encoding="utf-8")
    assert read_git_state(repo).dirty is True
    assert commit_time(states[0].sha, repo) == DATES[0]
    assert commit_time("--output=/tmp/x", repo) is None  # stored text never reaches git as an option
    outside = tmp_path / "plain"
    outside.mkdir()
    assert read_git_state(outside) == GitState()


@pytest.fixture
def history(tmp_path: Path) -> tuple[list[Path], list[GitState]]:
    """Three commits; the middle one lowers nDCG@10 of `m`, the last one restores it.

    Folder names and the typed order both disagree with the commit order.
    """
    _, states = make_repo(tmp_path)
    base = units_frame(n=200)
    steady = units_frame(n=200, seed=1)
    folders = {0: tmp_path / "zeta", 1: tmp_path / "alpha", 2: tmp_path / "mid"}
    write_set(folders[0], states[0], {"m": base, "steady": steady})
    write_set(folders[1], states[1], {"m": lowered(base, "nDCG@10", fraction=0.5), "steady": steady})
    write_set(folders[2], states[2], {"m": base, "steady": steady})
    return [folders[2], folders[0], folders[1]], states


def test_report_orders_by_commit_time_labels_by_short_sha_and_marks_the_drop(
    history: tuple[list[Path], list[GitState]],
) -> None:
    typed, states = history
    report = build_report(typed, settings=FAST)
    shorts = [s.sha[:7] for s in states]
    assert [s.label for s in report.sources] == shorts
    assert [s.committed_at for s in report.sources] == list(DATES)
    assert report.sources[-1].path == str(typed[0])  # the newest commit is the one reported
    assert [(d.source, d.previous, d.adapter, d.measure) for d in report.drops] == [
        (shorts[1], shorts[0], "m", "nDCG@10")
    ]
    drop = report.drops[0]
    assert drop.after < drop.before and drop.p_holm <= FAST.alpha
    trend = [p for p in report.trend if p.adapter == "m" and p.measure == "nDCG@10"]
    assert [p.source for p in trend] == shorts and trend[1].value < trend[0].value


def test_html_and_markdown_show_the_commit_order_and_the_drop(history: tuple[list[Path], list[GitState]]) -> None:
    typed, states = history
    report = build_report(typed, settings=FAST)
    shorts = [s.sha[:7] for s in states]
    page = render_html(report)
    history_html = page[page.index('<section id="history">') :]
    assert history_html.index(shorts[0]) < history_html.index(shorts[1]) < history_html.index(shorts[2])
    assert '<table class="drops">' in history_html and f"<td><code>{shorts[1]}</code></td>" in history_html
    assert "significant drop" in history_html  # the marker's legend entry in the trend plot
    md = report_markdown(report)
    assert f"`{shorts[0]}` ({DATES[0]}) → `{shorts[1]}` ({DATES[1]}) → `{shorts[2]}` ({DATES[2]})" in md
    assert f"| `{shorts[1]}` | `{shorts[0]}` | unit-suite | m | nDCG@10 |" in md


def test_report_command_given_sets_in_any_order(history: tuple[list[Path], list[GitState]], tmp_path: Path) -> None:
    typed, states = history
    run = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
    out = tmp_path / "site"
    proc = subprocess.run(
        [*run, "report", *map(str, typed), "-o", str(out), "--format", "md"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    md = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert f" from `{typed[0]}`." in md  # the newest commit's set is reported, though typed first
    assert f"| `{states[1].sha[:7]}` | `{states[0].sha[:7]}` | unit-suite | m | nDCG@10 |" in md


def test_results_without_a_stored_commit_time_ask_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, states = make_repo(tmp_path)
    units = units_frame()
    write_set(tmp_path / "b", states[2], {"m": units}, keep_time=False)
    write_set(tmp_path / "a", states[0], {"m": units}, keep_time=False)
    monkeypatch.setattr(provenance, "SOURCE_ROOT", repo)
    report = build_report([tmp_path / "b", tmp_path / "a"], settings=FAST)
    assert [s.label for s in report.sources] == [states[0].sha[:7], states[2].sha[:7]]
    assert report.drops == ()


def test_without_commit_times_the_typed_order_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    units = units_frame()
    nowhere = GitState()
    write_set(tmp_path / "second", nowhere, {"m": units})
    write_set(tmp_path / "first", nowhere, {"m": units})
    with caplog.at_level(logging.WARNING):
        report = build_report([tmp_path / "second", tmp_path / "first"], settings=FAST)
    assert [s.label for s in report.sources] == ["second", "first"]
    assert "no commit time stored" in caplog.text


def test_result_sets_of_one_commit_are_merged_into_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two folders at one commit: one result set holding the union of their cells; a cell stored in
    both is taken from the folder where it finished last, and a warning names it."""
    _, states = make_repo(tmp_path, DATES[:1])
    newer_run, older_run = tmp_path / "rerun", tmp_path / "first"
    base, shared_old, shared_new = units_frame(n=120), units_frame(n=120, seed=2), units_frame(n=120, seed=3)
    write_set(older_run, states[0], {"only-first": base, "shared": shared_old})
    time.sleep(1.1)  # finished_at has one-second resolution
    write_set(newer_run, states[0], {"only-rerun": base, "shared": shared_new})
    with caplog.at_level(logging.WARNING):
        report = build_report([newer_run, older_run], settings=FAST)  # typed order is not the run order
    assert len(report.sources) == 1 and report.sources[0].merged == (str(newer_run), str(older_run))
    assert not report.trend and not report.drops
    rows = {r.adapter: r for r in report.suites[0].rows}
    assert set(rows) == {"only-first", "only-rerun", "shared"}
    assert rows["shared"].values["nDCG@10"].value == pytest.approx(shared_new["nDCG@10"].mean())
    assert rows["shared"].values["nDCG@10"].value != pytest.approx(shared_old["nDCG@10"].mean())
    merged = load_cells(report.sources[0].store())  # per-unit values read from each cell's own folder
    assert merged["unit-suite", "only-first"].raw_units(0)["nDCG@10"].tolist() == base["nDCG@10"].tolist()
    assert merged["unit-suite", "shared"].raw_units(0)["nDCG@10"].tolist() == shared_new["nDCG@10"].tolist()
    assert "unit-suite / shared is stored in both" in caplog.text and f"from {newer_run}," in caplog.text
    assert "one commit" in caplog.text
    page = render_html(report)
    assert "only-first" in page and "only-rerun" in page


def test_a_report_with_history_reads_each_result_file_once(
    history: tuple[list[Path], list[GitState]], monkeypatch: pytest.MonkeyPatch
) -> None:
    typed, _ = history
    loads: list[Path] = []
    original = ResultStore.load

    def counted(self: ResultStore, path: Path) -> object:
        loads.append(path)
        return original(self, path)

    monkeypatch.setattr(ResultStore, "load", counted)
    report = build_report(typed, settings=FAST)
    assert report.drops and len(report.trend) > 0
    cells = sorted(p for folder in typed for p in folder.rglob("seed-*.json"))
    assert sorted(loads) == cells  # 3 sets x 2 cells, each once (it was read up to four times per set)
