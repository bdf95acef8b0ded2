"""Per-cell locks: exclusive across processes, released by death, and never two holders."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from rankbench.harness.store import CellKey, ResultStore

HOLD = """
import sys, time
from rankbench.harness.store import CellKey, ResultStore
lock = ResultStore(sys.argv[1]).lock(CellKey("s", "a", 0))
print("held" if lock else "busy", flush=True)
time.sleep(60)
"""


def test_lock_is_exclusive_and_dies_with_its_holder(tmp_path: Path) -> None:
    store, key = ResultStore(tmp_path), CellKey("s", "a", 0)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert store.lock(key) is None  # another live process holds it
    finally:
        holder.kill()
        holder.wait()
    lock = store.lock(key)  # the kernel released the dead holder's lock; its file is still there
    assert lock is not None
    assert store.lock(key) is None  # flock is per open file: a second claim in this process is refused too
    lock.release()
    assert not list(tmp_path.rglob("*.lock"))


def test_waiter_gets_the_lock_after_release(tmp_path: Path) -> None:
    store, key = ResultStore(tmp_path), CellKey("s", "a", 0)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    t0 = time.monotonic()
    subprocess.Popen(["sh", "-c", f"sleep 0.5; kill {holder.pid}"])
    lock = store.lock(key, wait=True)
    holder.wait()
    assert lock is not None and time.monotonic() - t0 >= 0.4
    lock.release()
