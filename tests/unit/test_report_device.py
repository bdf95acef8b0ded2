"""The leaderboards (terminal and HTML) show where each adapter ran, from `provenance.device`."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

from rich.console import Console

from rankbench.harness.devices import device_label
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey, ResultStore
from rankbench.reports import html, terminal

GPU = {
    "device": "cuda:0",
    "gpu": "NVIDIA H200",
    "model": {"device": "cuda:0", "gpu": "NVIDIA H200", "dtype": "float16"},
}


def test_device_label_reads_the_provenance() -> None:
    assert device_label({}) == "cpu"  # no record: a CPU-only adapter (bm25, EASE, ...)
    assert device_label({"device": "cpu", "model": {"device": "cpu", "dtype": "float32"}}) == "cpu"
    assert device_label({"device": "cpu", "model": {"dtype": "int8-onnx"}}) == "cpu int8-onnx"
    assert device_label(GPU) == "cuda:0 NVIDIA H200 float16"


def test_terminal_and_html_leaderboards_show_the_device(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results")
    result, units = execute_cell(CellKey("recsys-synth-tiny", "bpr(dim=8,epochs=2)", 0))
    assert result.ok and result.provenance["device"] == "cpu"
    store.write(result, units)
    # the same measurements as if stored by a run on a GPU (this machine has none to make one)
    on_gpu = dataclasses.replace(
        result, adapter="bpr(device=cuda,dim=8,epochs=2)", provenance={**result.provenance, **GPU}
    )
    store.write(on_gpu, units)

    out = io.StringIO()
    terminal.render(store, console=Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "device" in text
    row = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in text.splitlines()
        if line.startswith("│") and "bpr(" in line
    }
    assert row == {"bpr(dim=8,epochs=2)": "cpu", "bpr(device=cuda,dim=8,epochs=2)": "cuda:0 NVIDIA H200 float16"}

    page = html.render(store.root, tmp_path / "report").read_text(encoding="utf-8")
    assert re.search(r"<th[^>]*>device</th>", page)
    assert '<td data-value="cuda:0 NVIDIA H200 float16">cuda:0 NVIDIA H200 float16</td>' in page
    assert '<td data-value="cpu">cpu</td>' in page
