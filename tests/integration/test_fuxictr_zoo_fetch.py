"""FuxiCTR's model zoo from the download manifest: `rankbench data fetch fuxictr-model-zoo`, and `run` on first use.

A loopback HTTP server started here serves, through `RANKBENCH_MIRROR`, a tar.gz laid out like
GitHub's source archive of the pinned commit (`FuxiCTR-<commit>/model_zoo/...`) and built here from
FuxiCTR's real LR and DCN sources (tests/fixtures/fuxictr, copied verbatim from that commit,
Apache-2.0, see NOTICE there). The manifest lists the sha256 of every model source of the commit;
the fixture holds six of them, so the commands run with the entry narrowed to those six (same URL,
same place in the data home, the manifest's own checksums): `fixture_entry()`, installed in the
command's process by `BOOT`. No external host is contacted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rankbench.harness.registry import DATASETS
from tests.integration._cli import REPO, plugin_env
from tests.integration.test_download import Server

FIXTURE = REPO / "tests" / "fixtures" / "fuxictr"
ZOO = "fuxictr-model-zoo"
BOOT = (
    "from tests.integration.test_fuxictr_zoo_fetch import install_fixture_entry; install_fixture_entry(); "
    "from rankbench.harness.entry import main; main()"
)
LR = "fuxictr(batch_size=256,learning_rate=0.01,max_epochs=2,model='LR')"


def fixture_sources() -> dict[str, bytes]:
    """The fixture's model sources by their path inside the repository (`model_zoo/...`)."""
    return {str(p.relative_to(FIXTURE)): p.read_bytes() for p in sorted((FIXTURE / "model_zoo").rglob("*.py"))}


def fixture_entry() -> object:
    """The manifest's `fuxictr-model-zoo` record narrowed to the model sources the fixture holds."""
    spec = DATASETS.get(ZOO)
    unpack = spec.downloads[0].unpack
    files = {rel: c for rel, c in spec.files.items() if rel.removeprefix(f"{unpack}/") in fixture_sources()}
    members = {rel.removeprefix(f"{unpack}/"): c for rel, c in files.items()}
    return dataclasses.replace(spec, files=files, downloads=(dataclasses.replace(spec.downloads[0], members=members),))


def install_fixture_entry() -> None:
    DATASETS.add(fixture_entry())


def github_archive(commit: str, files: dict[str, bytes]) -> bytes:
    """A tar.gz as `git archive` writes GitHub's: a pax header naming the commit, one top folder `FuxiCTR-<commit>`."""
    buf = io.BytesIO()
    top = f"FuxiCTR-{commit}"
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": commit}) as tf:
        folders = sorted({str(Path(top, rel).parents[i]) for rel in files for i in range(len(Path(rel).parts))})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o775
            tf.addfile(info)
        for rel, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size, info.mode = len(data), 0o664
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BOOT, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=plugin_env(**env),
        timeout=600,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, str, dict[str, str]]]:
    """The loopback mirror serving the fixture archive at the manifest's URL; the environment that uses it."""
    pytest.importorskip("fuxictr")
    spec = DATASETS.get(ZOO)
    server = Server()
    server.thread.start()
    path = server.put(spec.downloads[0].url, github_archive(spec.params["commit"], fixture_sources()))
    home = tmp_path / "home"
    home.mkdir()
    env = {"RANKBENCH_DATA": str(home), "RANKBENCH_MIRROR": server.url, "FUXICTR_MODEL_ZOO": ""}
    yield server, path, env
    server.httpd.shutdown()
    server.httpd.server_close()


def test_the_manifest_entry_pins_the_commit_and_lists_the_real_sources() -> None:
    """URL, place and licence of the entry; the fixture's verbatim sources have exactly the manifest's sha256s."""
    spec = DATASETS.get(ZOO)
    commit = spec.params["commit"]
    assert len(commit) == 40 and commit.startswith("7b98a49")
    (download,) = spec.downloads
    assert download.url == f"https://github.com/reczoo/FuxiCTR/archive/{commit}.tar.gz"
    assert download.unpack == f"fuxictr/FuxiCTR-{commit}" and download.checksum == ""  # see the entry's note
    assert spec.licence == "Apache-2.0" and "CIKM 2021" in spec.citation and "SIGIR 2022" in spec.citation
    listed = {rel.removeprefix(f"{download.unpack}/"): c for rel, c in spec.files.items()}
    for name in ("DCNv2", "DCNv3"):  # the agreement card's models
        assert f"model_zoo/{name}/src/{name}.py" in listed
    sources = fixture_sources()
    assert len(sources) == 6
    for rel, data in sources.items():
        assert listed[rel] == "sha256:" + hashlib.sha256(data).hexdigest(), rel


def test_data_fetch_places_the_zoo_and_the_adapter_finds_it(
    served: tuple[Server, str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rankbench.adapters.ctr.fuxictr_models import model_class, zoo_folder

    server, path, env = served
    fetched = command("data", "fetch", ZOO, **env)
    assert fetched.returncode == 0, fetched.stderr
    assert f"{ZOO}: present" in fetched.stdout and server.gets(path) == [None]
    home = Path(env["RANKBENCH_DATA"])
    commit = DATASETS.get(ZOO).params["commit"]
    zoo = home / "fuxictr" / f"FuxiCTR-{commit}" / "model_zoo"
    assert (zoo / "LR" / "src" / "LR.py").read_bytes() == (FIXTURE / "model_zoo" / "LR" / "src" / "LR.py").read_bytes()
    assert not (home / ".partial").exists()
    verified = command("data", "verify", ZOO, **env)
    assert verified.returncode == 0 and "ok (6 files)" in verified.stdout, verified.stdout

    monkeypatch.setenv("RANKBENCH_DATA", str(home))
    monkeypatch.delenv("FUXICTR_MODEL_ZOO", raising=False)
    monkeypatch.setattr(DATASETS, "_items", {**DATASETS._load(), ZOO: fixture_entry()})
    assert zoo_folder() == zoo  # neither zoo= nor the variable: the data home's copy
    assert Path(sys.modules[model_class("LR").__module__].__file__).is_relative_to(zoo)
    dcn = Path(sys.modules[model_class("DCN").__module__].__file__)
    assert dcn.is_relative_to(zoo / "DCN" / "DCN_torch")  # the PyTorch model, not DCN_tf beside it

    tampered = zoo / "LR" / "src" / "LR.py"
    tampered.write_bytes(tampered.read_bytes() + b"\nimport os\n")
    broken = command("data", "verify", ZOO, **env)
    assert broken.returncode == 1 and "mismatch" in broken.stdout


def test_run_fetches_the_zoo_on_first_use_and_no_fetch_names_both_ways(
    served: tuple[Server, str, dict[str, str]], tmp_path: Path
) -> None:
    server, path, env = served
    home = Path(env["RANKBENCH_DATA"])
    out = tmp_path / "results"
    refused = command("run", "ctr-synth-tiny", "-a", LR, "-o", str(out), "--no-fetch", **env)
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert refused.returncode != 0 and len(errors) == 1, refused.stderr
    assert "rankbench data fetch fuxictr-model-zoo" in errors[0] and "FUXICTR_MODEL_ZOO" in errors[0]
    assert "zoo=" in errors[0] and server.gets(path) == [] and list(home.iterdir()) == []

    ran = command("run", "ctr-synth-tiny", "-a", LR, "-o", str(out), "--executor", "local", **env)
    assert ran.returncode == 0, ran.stderr
    assert server.gets(path) == [None]
    (cell,) = [json.loads(p.read_text()) for p in out.rglob("seed-*.json")]
    assert cell["status"] == "ok", cell.get("error")
    assert 0.5 < cell["measures"]["AUC"]["value"] <= 1.0
    commit = DATASETS.get(ZOO).params["commit"]
    model = cell["provenance"]["model"]
    assert model["fuxictr_zoo_commit"] == commit
    assert Path(model["fuxictr_zoo"]) == home / "fuxictr" / f"FuxiCTR-{commit}" / "model_zoo"


def test_a_zoo_download_that_fails_names_the_mirror_and_the_other_way(tmp_path: Path) -> None:
    """Nothing answers at the mirror: one line naming it and FUXICTR_MODEL_ZOO; the data home stays empty."""
    pytest.importorskip("fuxictr")
    from rankbench.adapters.ctr.fuxictr_models import zoo_folder
    from rankbench.harness.download import DownloadError

    home = tmp_path / "home"
    home.mkdir()
    env = {"RANKBENCH_DATA": str(home), "RANKBENCH_MIRROR": "http://127.0.0.1:9"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("FUXICTR_MODEL_ZOO", raising=False)
        with pytest.raises(DownloadError) as info:
            zoo_folder(fetch=True)
    message = str(info.value)
    assert "\n" not in message and "127.0.0.1:9" in message and "FUXICTR_MODEL_ZOO" in message
    assert os.listdir(home) == []
