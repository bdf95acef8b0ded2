"""The HTML leaderboard in a real headless Chromium: sorting, filtering, drill-down, no console errors.

Results come from actually running a suite; the page is rendered by the `report` command.
Screenshots go to the test's tmp dir and to `artifacts/` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from rankbench.harness.runner import plan, run_plan
from rankbench.harness.store import ResultStore

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
RANKBENCH = [sys.executable, "-c", "from rankbench.harness.entry import main; main()"]
ADAPTERS = ["bm25", "bm25(k1=1.5,b=0.75)", "bm25(k1=0.3,b=0.1)"]
HOSTILE = "<script>alert(1)</script>"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "results"
    summary = run_plan(plan(["ir-synth"], ADAPTERS), ResultStore(out))
    assert summary.ok and len(summary.ran) == len(ADAPTERS)
    return out


def render(results_dirs: list[Path], out: Path, *extra: str) -> Path:
    proc = subprocess.run(
        [*RANKBENCH, "report", *map(str, results_dirs), "-o", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    page = out / "leaderboard.html"
    assert page.is_file()
    return page


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


def adapters_in_order(driver, table_id: str = "board-1") -> list[str]:
    return [
        cell.get_attribute("data-value")
        for cell in driver.find_elements("css selector", f"#{table_id} tbody tr td.adapter")
        if cell.is_displayed()
    ]


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    """Full-page PNG in the tmp dir, copied to artifacts/ so a person can look at it."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 40, 6000))
    path = tmp_path / name
    assert driver.save_screenshot(str(path))
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(path, artifacts / name)
    assert path.stat().st_size > 10_000
    return path


def severe_console_entries(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_leaderboard_sorts_filters_and_drills_down(results: Path, driver, tmp_path: Path) -> None:
    page = render([results], tmp_path / "site", "--baseline", "bm25")
    driver.get(page.as_uri())
    screenshot(driver, tmp_path, "leaderboard.png")
    initial = adapters_in_order(driver)
    assert sorted(initial) == sorted(["bm25", "bm25(b=0.75,k1=1.5)", "bm25(b=0.1,k1=0.3)"])
    assert driver.find_elements("css selector", "#board-1 td.best"), "best value per column is marked"
    assert driver.find_elements("css selector", "figure.plot svg"), "Pareto plot is inline SVG"

    header = driver.find_element("xpath", "//table[@id='board-1']//th[starts-with(normalize-space(), 'nDCG@10')]")
    header.click()  # first click: best first, i.e. the board's own order
    assert adapters_in_order(driver) == initial
    header.click()  # second click: worst first
    assert adapters_in_order(driver) == initial[::-1]
    assert header.get_attribute("aria-sort") == "ascending"
    driver.find_element("xpath", "//table[@id='board-1']//th[normalize-space()='adapter']").click()
    assert adapters_in_order(driver) == sorted(initial)

    search = driver.find_element("css selector", "input.filter")
    search.send_keys("k1=0.3")
    assert adapters_in_order(driver) == ["bm25(b=0.1,k1=0.3)"]
    search.clear()
    search.send_keys(" ")  # clear() fires no input event; a blank query shows every row again
    assert len(adapters_in_order(driver)) == 3

    row = driver.find_element("xpath", "//table[@id='board-1']//tr[td[@data-value='bm25(b=0.1,k1=0.3)']]")
    row.find_element("css selector", "button.drill").click()
    dialog = driver.find_element("css selector", "dialog[open]")
    text = dialog.text.lower()  # headings are upper-cased by CSS
    assert "win / tie / loss per query against bm25" in text and "worst queries on ndcg@10" in text
    wtl = dialog.find_elements("css selector", "table.wtl tbody tr")
    assert len(wtl) == 5
    counts = [int(td.text) for td in wtl[0].find_elements("css selector", "td.num")]
    assert sum(counts) == 60  # every query of ir-synth is a win, tie or loss
    driver.set_window_size(1400, 1000)
    path = tmp_path / "leaderboard-drilldown.png"
    driver.save_screenshot(str(path))
    shutil.copy(path, REPO / "artifacts" / path.name)
    dialog.find_element("css selector", "button.close").click()
    assert not driver.find_elements("css selector", "dialog[open]")

    assert severe_console_entries(driver) == []


def test_hostile_adapter_name_is_text_and_never_runs(results: Path, driver, tmp_path: Path) -> None:
    """A stored cell whose adapter is named like a script: shown as text, no script runs."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    hostile = tmp_path / "results"
    shutil.copytree(results, hostile)
    store = ResultStore(hostile)
    source = next(r for r in store.results() if r.adapter == "bm25")
    store.write(replace(source, adapter=HOSTILE), store.units(source))
    page = render([hostile], tmp_path / "site")
    html = page.read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    driver.get(page.as_uri())
    with pytest.raises(TimeoutException):
        WebDriverWait(driver, 2).until(expected_conditions.alert_is_present())
    assert HOSTILE in adapters_in_order(driver)
    assert driver.execute_script("return document.scripts.length") == 1  # only the page's own script
    cell = driver.find_element("xpath", f"//td[@data-value='{HOSTILE}']")
    assert cell.text.startswith(HOSTILE)
    assert severe_console_entries(driver) == []
