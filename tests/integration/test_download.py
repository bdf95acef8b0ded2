"""Checked downloads against a real HTTP server on loopback, started here, serving archives built here.

Every test goes through `RANKBENCH_MIRROR`, so the publisher URLs of the manifest are rewritten to
the loopback server and no external host is contacted. After every failure the data home is
compared byte for byte with its state before: only a quarantined file (or a resumable partial
file, where the test says so) may differ.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rankbench.harness.download import (
    MARKER,
    PARTIAL_DIR,
    QUARANTINE_DIR,
    Download,
    DownloadChecksumMismatch,
    DownloadError,
    fetch,
)
from tests.integration._cli import rankbench

URL = "https://data.example.org/sets"


class Server:
    """A loopback HTTP server with Range support and per-path misbehaviour."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncate_once: set[str] = set()
        self.slow: dict[str, float] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                with server.lock:
                    server.requests.append((self.path, rng))
                if self.path in server.slow:
                    time.sleep(server.slow[self.path])
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                if start >= len(body) and rng:
                    self.send_error(416, "Range Not Satisfiable")
                    return
                self.send_response(206 if rng else 200)
                self.send_header("Content-Length", str(len(body) - start))
                if rng:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                chunk = body[start:]
                if self.path in server.truncate_once:
                    server.truncate_once.discard(self.path)
                    self.wfile.write(chunk[: len(chunk) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def put(self, url: str, body: bytes) -> str:
        """Serve `body` where the mirror maps `url`; returns the path on the server."""
        path = "/" + url.split("://", 1)[1]
        self.files[path] = body
        return path

    def gets(self, path: str) -> list[str | None]:
        return [rng for p, rng in self.requests if p == path]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    monkeypatch.setenv("RANKBENCH_MIRROR", srv.url)
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    (path / "existing").mkdir(parents=True)
    (path / "existing" / "keep.txt").write_text("a file the user had before\n")
    monkeypatch.setenv("RANKBENCH_DATA", str(path))
    return path


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def beir_zip(name: str = "tiny", extra: dict[str, bytes] | None = None) -> bytes:
    """A small BEIR zip (one top-level folder, as BEIR's own zips)."""
    corpus = "".join(
        json.dumps({"_id": f"d{i}", "title": "", "text": f"doc {i} about topic {i % 3}"}) + "\n" for i in range(9)
    )
    queries = "".join(json.dumps({"_id": f"q{i}", "text": f"topic {i}"}) + "\n" for i in range(3))
    qrels = "query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(3))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{name}/corpus.jsonl", corpus)
        zf.writestr(f"{name}/queries.jsonl", queries)
        zf.writestr(f"{name}/qrels/test.tsv", qrels)
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return buf.getvalue()


def test_good_archive_is_verified_unpacked_and_placed(server: Server, home: Path) -> None:
    body = beir_zip()
    path = server.put(f"{URL}/tiny.zip", body)
    dl = Download(url=f"{URL}/tiny.zip", path="beir/tiny.zip", checksum=md5(body), size=len(body), unpack="beir/tiny")
    seen: list[tuple[int, int | None]] = []
    target = fetch(dl, home, progress=lambda done, total: seen.append((done, total)))
    assert target == home / "beir" / "tiny"
    assert (target / "corpus.jsonl").read_text().count("\n") == 9 and (target / "qrels" / "test.tsv").is_file()
    assert (target / MARKER).is_file() and not (home / PARTIAL_DIR).exists()
    assert seen[-1] == (len(body), len(body))
    assert server.gets(path) == [None]
    fetch(dl, home)  # already present: no second request
    assert server.gets(path) == [None]


def test_wrong_checksum_quarantines_the_file_and_changes_nothing_else(server: Server, home: Path) -> None:
    body = beir_zip()
    server.put(f"{URL}/tiny.zip", body)
    before = snapshot(home)
    dl = Download(url=f"{URL}/tiny.zip", path="beir/tiny.zip", checksum=md5(b"other bytes"), unpack="beir/tiny")
    with pytest.raises(DownloadChecksumMismatch) as err:
        fetch(dl, home)
    message = str(err.value)
    assert "\n" not in message and "checksum mismatch" in message and "kept aside at" in message
    kept = err.value.kept
    assert kept.read_bytes() == body and kept.is_relative_to(home / QUARANTINE_DIR)
    after = snapshot(home)
    added = {k for k in after if k not in before}
    assert {k for k in added if after[k] is not None} == {str(kept.relative_to(home))}
    assert all(after[k] == v for k, v in before.items())


def test_truncated_transfer_is_resumed_with_a_range_request(server: Server, home: Path) -> None:
    body = os.urandom(300_000)
    path = server.put(f"{URL}/blob.bin", body)
    server.truncate_once.add(path)
    dl = Download(url=f"{URL}/blob.bin", path="raw/blob.bin", checksum=sha(body))
    fetch(dl, home)
    assert (home / "raw" / "blob.bin").read_bytes() == body
    ranges = server.gets(path)
    assert ranges[0] is None and ranges[1] == f"bytes={len(body) // 2}-"


def test_partial_file_from_an_earlier_run_is_resumed(server: Server, home: Path) -> None:
    body = os.urandom(100_000)
    path = server.put(f"{URL}/blob.bin", body)
    dl = Download(url=f"{URL}/blob.bin", path="raw/blob.bin", checksum=sha(body))
    dl.partial(home).parent.mkdir(parents=True)
    dl.partial(home).write_bytes(body[:40_000])
    fetch(dl, home)
    assert (home / "raw" / "blob.bin").read_bytes() == body
    assert server.gets(path) == ["bytes=40000-"]


def test_404_leaves_the_data_home_as_it_was(server: Server, home: Path) -> None:
    before = snapshot(home)
    dl = Download(url=f"{URL}/absent.zip", path="beir/absent.zip", checksum=md5(b"x"), unpack="beir/absent")
    with pytest.raises(DownloadError, match=r"HTTP 404.*") as err:
        fetch(dl, home)
    assert "absent.zip -> " in str(err.value) and str(home / "beir" / "absent") in str(err.value)
    assert snapshot(home) == before


def test_slow_server_times_out_in_one_line(server: Server, home: Path) -> None:
    body = b"late bytes"
    path = server.put(f"{URL}/slow.bin", body)
    server.slow[path] = 3.0
    before = snapshot(home)
    dl = Download(url=f"{URL}/slow.bin", path="raw/slow.bin", checksum=sha(body))
    t0 = time.perf_counter()
    with pytest.raises(DownloadError, match=r"no data for 0.5 s") as err:
        fetch(dl, home, timeout=0.5)
    assert time.perf_counter() - t0 < 2.5 and "\n" not in str(err.value)
    assert snapshot(home) == before


def test_two_concurrent_fetches_download_once_and_both_succeed(server: Server, home: Path) -> None:
    body = beir_zip()
    path = server.put(f"{URL}/tiny.zip", body)
    server.slow[path] = 0.5  # the second fetcher arrives while the first is still downloading
    dl = Download(url=f"{URL}/tiny.zip", path="beir/tiny.zip", checksum=md5(body), unpack="beir/tiny")
    results: list[object] = []

    def run() -> None:
        try:
            results.append(fetch(dl, home))
        except Exception as exc:  # recorded and asserted below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [home / "beir" / "tiny"] * 2
    assert server.gets(path) == [None]


def _tar(members: list[tarfile.TarInfo], data: bytes = b"x") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for info in members:
            if info.isreg():
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _unsafe_archives() -> dict[str, bytes]:
    ok = tarfile.TarInfo("pkg/ok.txt")
    zip_abs = io.BytesIO()
    with zipfile.ZipFile(zip_abs, "w") as zf:
        zf.writestr("pkg/ok.txt", "fine")
        zf.writestr("/etc/evil.txt", "absolute")
    return {
        "absolute-zip": zip_abs.getvalue(),
        "dotdot-tar": _tar([ok, tarfile.TarInfo("pkg/../../evil.txt")]),
        "absolute-tar": _tar([ok, tarfile.TarInfo("/tmp/evil.txt")]),
        "symlink-out": _tar([ok, _link("pkg/escape", "../../outside")]),
        "symlink-abs": _tar([ok, _link("pkg/passwd", "/etc/passwd")]),
        "hardlink-out": _tar([ok, _link("pkg/hard", "../../../etc/passwd", tarfile.LNKTYPE)]),
    }


@pytest.mark.parametrize("kind", sorted(_unsafe_archives()))
def test_unsafe_archive_is_refused_before_anything_is_written(server: Server, home: Path, kind: str) -> None:
    body = _unsafe_archives()[kind]
    server.put(f"{URL}/{kind}.bin", body)
    before = snapshot(home)
    dl = Download(url=f"{URL}/{kind}.bin", path=f"pkg/{kind}.bin", checksum=sha(body), unpack="pkg/out")
    with pytest.raises(DownloadError, match=r"refused .*(outside the target)"):
        fetch(dl, home)
    after = snapshot(home)
    added = [k for k in after if k not in before and after[k] is not None]
    assert added == [f"{QUARANTINE_DIR}/pkg/{kind}.bin.unsafe-archive"]
    assert all(after[k] == v for k, v in before.items())
    assert not (home / "pkg").exists() and not (home.parent / "outside").exists()


def test_member_checksums_are_checked_before_placing(server: Server, home: Path) -> None:
    body = beir_zip()
    server.put(f"{URL}/tiny.zip", body)
    dl = Download(
        url=f"{URL}/tiny.zip",
        path="beir/tiny.zip",
        checksum=md5(body),
        unpack="beir/tiny",
        members={"qrels/test.tsv": md5(b"not the qrels")},
    )
    with pytest.raises(DownloadChecksumMismatch, match=r"member qrels/test\.tsv"):
        fetch(dl, home)
    assert not (home / "beir").exists()


def test_unpacking_into_a_folder_with_user_files_keeps_them(server: Server, home: Path) -> None:
    body = beir_zip()
    server.put(f"{URL}/tiny.zip", body)
    (home / "beir" / "tiny").mkdir(parents=True)
    (home / "beir" / "tiny" / "SOURCE.md").write_text("mine")
    fetch(Download(url=f"{URL}/tiny.zip", path="beir/tiny.zip", checksum=md5(body), unpack="beir/tiny"), home)
    assert (home / "beir" / "tiny" / "SOURCE.md").read_text() == "mine"
    assert (home / "beir" / "tiny" / "corpus.jsonl").is_file()


# --- through the command line, on the manifest's own datasets -------------------------------------------


def _beir_url(name: str) -> str:
    return f"https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/{name}.zip"


def test_offline_fetch_names_url_and_destination_and_leaves_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    proc = rankbench("data", "fetch", "beir/nfcorpus", RANKBENCH_DATA=str(home), RANKBENCH_MIRROR="http://127.0.0.1:9")
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "nfcorpus.zip" in errors[0] and str(home / "beir" / "nfcorpus") in errors[0]
    assert "the mirror http://127.0.0.1:9 (RANKBENCH_MIRROR) did not answer" in errors[0]
    assert "offline? set" not in errors[0]  # the mirror is set already: the hint names the one that failed
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    "mirror",
    [
        "notaurl",
        "http://[::1",
        "http://host:port/",
        "ftp://host/data",
        "http://u:pw@host",
        "http://h/?x=1",
        "http://h/#f",
    ],
)
def test_a_mirror_that_is_not_an_http_url_is_one_line_and_leaves_nothing(tmp_path: Path, mirror: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    proc = rankbench("data", "fetch", "beir/nfcorpus", RANKBENCH_DATA=str(home), RANKBENCH_MIRROR=mirror)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr
        == f"error: RANKBENCH_MIRROR={mirror!r} is not a mirror URL: give http://host[:port][/path] or https://… "
        "(no user, query or fragment)\n"
    )
    assert list(home.iterdir()) == []


def test_cli_fetch_ls_and_run_with_mismatching_mirror_file(server: Server, tmp_path: Path) -> None:
    """`beir/scifact` served by the mirror with bytes that are not BEIR's: quarantined, said in one line."""
    home = tmp_path / "home"
    home.mkdir()
    server.put(_beir_url("scifact"), beir_zip("scifact"))
    env = {"RANKBENCH_DATA": str(home), "RANKBENCH_MIRROR": server.url}
    proc = rankbench("data", "fetch", "beir/scifact", **env)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "checksum mismatch" in errors[0] and "5f7d1de60b170fc8027bb7898e2efca1" in errors[0]
    kept = list((home / QUARANTINE_DIR).rglob("*"))
    assert [p.name for p in kept if p.is_file()] == [p.name for p in kept if p.is_file() and "md5-" in p.name]
    assert not (home / "beir").exists()
    ls = rankbench("data", "ls", "beir/scifact", "beir/nfcorpus", **env)
    assert ls.returncode == 0 and "missing" in ls.stdout and "CC BY-NC 2.0" in ls.stdout


def test_run_fetches_on_first_use_and_no_fetch_forbids_it(server: Server, tmp_path: Path) -> None:
    """A plugin dataset with one download (a fixture zip): `--no-fetch` refuses, `run` fetches once."""
    plugin = tmp_path / "plug"
    plugin.mkdir()
    body = beir_zip("tiny")
    path = server.put(f"{URL}/tiny.zip", body)
    (plugin / "tinybeir.py").write_text(
        "from rankbench.harness.download import Download\n"
        "from rankbench.harness.interfaces import IR_FAMILIES\n"
        "from rankbench.harness.registry import DatasetSpec\n"
        "from rankbench.harness.suite import Suite\n"
        "DATASETS = (DatasetSpec(name='beir/tiny', loader='rankbench.suites.ir.beir:load_beir',\n"
        "    params={'root': 'beir/tiny'},\n"
        f"    downloads=(Download(url='{URL}/tiny.zip', path='beir/tiny.zip', checksum='{md5(body)}',\n"
        "    unpack='beir/tiny'),), licence='CC0'),)\n"
        "SUITES = (Suite(name='tiny-beir', dataset='beir/tiny', task='retrieval', measures=('nDCG@10',),\n"
        "    families=IR_FAMILIES),)\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "RANKBENCH_DATA": str(home),
        "RANKBENCH_MIRROR": server.url,
        "RANKBENCH_PLUGINS": "tests.plugins.misbehaving,tinybeir",
        "PYTHONPATH": os.pathsep.join([str(plugin), str(Path(__file__).resolve().parents[2])]),
    }
    out = tmp_path / "results"
    refused = rankbench("run", "tiny-beir", "-a", "bm25", "-o", str(out), "--no-fetch", **env)
    assert refused.returncode == 2 and "rankbench data fetch beir/tiny" in refused.stderr
    assert server.gets(path) == [] and list(home.iterdir()) == []
    assert "missing" in rankbench("data", "ls", "beir/tiny", **env).stdout
    ran = rankbench("run", "tiny-beir", "-a", "bm25", "-o", str(out), **env)
    assert ran.returncode == 0, ran.stderr
    assert (home / "beir" / "tiny" / "corpus.jsonl").is_file() and server.gets(path) == [None]
    cell = json.loads(next(out.rglob("seed-0.json")).read_text())
    assert cell["status"] == "ok" and cell["measures"]["nDCG@10"]["value"] > 0
    listed = rankbench("data", "ls", "beir/tiny", **env).stdout
    assert "present" in listed and "CC0" in listed
    again = rankbench("run", "tiny-beir", "-a", "bm25", "-o", str(tmp_path / "r2"), **env)
    assert again.returncode == 0 and server.gets(path) == [None]  # fetched once, then read from the data home


def test_unreachable_publisher_without_a_mirror_suggests_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rankbench.harness.download import Download, DownloadError, fetch

    monkeypatch.delenv("RANKBENCH_MIRROR", raising=False)
    with pytest.raises(DownloadError, match=r"http://127\.0\.0\.1:9/x\.bin -> .*\(offline\? set RANKBENCH_MIRROR\)"):
        fetch(Download(url="http://127.0.0.1:9/x.bin", path="x.bin"), tmp_path)


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "soon"])
def test_a_download_timeout_that_is_not_a_positive_number_is_one_line(tmp_path: Path, value: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"RANKBENCH_DATA": str(home), "RANKBENCH_MIRROR": "http://127.0.0.1:9", "RANKBENCH_DOWNLOAD_TIMEOUT": value}
    proc = rankbench("data", "fetch", "beir/nfcorpus", **env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: RANKBENCH_DOWNLOAD_TIMEOUT={value!r} is not a positive number of seconds"]
    assert list(home.iterdir()) == []
