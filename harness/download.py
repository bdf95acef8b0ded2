"""Checked downloads into the data home: resume, verify, quarantine, safe unpacking, atomic placement.

One `Download` is one file a publisher serves (a BEIR zip, a GroupLens archive, a LIMIT jsonl);
the manifest `rankbench/suites/downloads.json` lists them with their published checksums.
`fetch` follows the steps of ir_datasets' and BEIR's downloaders, with what they leave out:

- the partial file lives under `<home>/.partial/` and is resumed with an HTTP `Range` request,
  both within one fetch (a connection that drops is retried from where it stopped) and across runs;
- the checksum (sha256, or the publisher's md5) is computed while streaming and checked before
  anything is placed; a mismatch moves the file aside to `<home>/.quarantine/` under a name that
  says so, and raises one line;
- an archive is checked member by member before anything is written (absolute paths, `..`, links
  that leave the target: refused), unpacked into a staging folder, checked against the member
  checksums it declares, and renamed into place in one step;
- one lock per file (the result store's lock file) makes two concurrent fetches of the same file
  one download that both see succeed;
- `RANKBENCH_MIRROR=URL` fetches `URL/<host>/<path>` instead of every publisher URL (the layout
  `wget -x` writes), for air-gapped clusters and CI caches.

Errors: `DownloadError` (network, HTTP status, timeout, unsafe archive) and `ChecksumMismatch`,
both one line naming the URL and the destination; the data home is left as it was, except for the
quarantined file or a resumable partial file under `.partial/`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from rankbench.harness.errors import HarnessError

log = logging.getLogger(__name__)

MIRROR_ENV = "RANKBENCH_MIRROR"
TIMEOUT_ENV = "RANKBENCH_DOWNLOAD_TIMEOUT"
TIMEOUT_S = 60.0
"""Seconds without a byte from the server before a download fails (`RANKBENCH_DOWNLOAD_TIMEOUT`)."""
RETRIES = 3
"""Resumed attempts after a connection drops mid-file, within one fetch."""
PARTIAL_DIR = ".partial"
QUARANTINE_DIR = ".quarantine"
MARKER = ".rankbench-fetched"
"""Written into an unpacked folder last: its presence means the folder is complete."""
CHUNK = 1 << 16

Progress = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None) while a file streams in."""


class DownloadError(HarnessError):
    """A download that could not complete: network, HTTP status, timeout or an unsafe archive."""


class DownloadChecksumMismatch(DownloadError):
    """Downloaded bytes whose checksum differs from the published one; the file is kept aside."""

    def __init__(self, url: str, expected: str, actual: str, kept: Path) -> None:
        self.url, self.expected, self.actual, self.kept = url, expected, actual, kept
        super().__init__(
            f"checksum mismatch for {url}: expected {expected}, got {actual}; the file is kept aside at {kept}"
        )


@dataclass(frozen=True, kw_only=True)
class Download:
    """One file a publisher serves, where it goes in the data home and how it is checked.

    `checksum` is `"sha256:<hex>"` or `"md5:<hex>"` (publishers such as BEIR and GroupLens publish md5);
    `path` is where the file lands, relative to the data home; with `unpack` set it is an archive
    (zip, tar, tar.gz) unpacked into that folder, a single top-level folder of the archive stripped,
    and `members` maps paths inside that folder to the checksums the publisher gives for them.
    """

    url: str
    path: str
    checksum: str = ""
    size: int | None = None
    unpack: str = ""
    members: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", MappingProxyType(dict(self.members)))
        for value in (self.checksum, *self.members.values()):
            if value:
                parse_checksum(value)
        for rel in (self.path, self.unpack, *self.members):
            if rel and not _safe_relpath(rel):
                raise ValueError(f"download path {rel!r} must be relative and stay inside the data home")

    def target(self, home: Path) -> Path:
        """What is present once this download is done: the file, or the unpacked folder."""
        return home / (self.unpack or self.path)

    def is_done(self, home: Path) -> bool:
        if self.unpack:
            return (home / self.unpack / MARKER).is_file()
        return (home / self.path).is_file() or (home / f"{self.path}.gz").is_file()

    def partial(self, home: Path) -> Path:
        return home / PARTIAL_DIR / f"{self.path}.part"


def parse_checksum(text: str) -> tuple[str, str]:
    """`"md5:abc…"` -> `("md5", "abc…")`; a bare 64-digit hex string is a sha256."""
    algo, sep, digest = text.partition(":")
    if not sep:
        algo, digest = "sha256", text
    algo = algo.lower()
    lengths = {"sha256": 64, "md5": 32}
    if algo not in lengths or len(digest) != lengths[algo] or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"checksum {text!r} is not 'sha256:<64 hex>' or 'md5:<32 hex>'")
    return algo, digest


def file_digest(path: Path, algo: str) -> str:
    digest = hashlib.new(algo)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def mirrored(url: str) -> str:
    """The URL to fetch: `url` itself, or its host and path under `RANKBENCH_MIRROR`."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if not mirror:
        return url
    try:
        base = urllib.parse.urlsplit(mirror)
        # no credentials (they would be echoed in every error), query or fragment (paths are appended)
        valid = base.scheme in ("http", "https") and bool(base.hostname) and "@" not in base.netloc
        valid = valid and not base.query and not base.fragment
        base.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise HarnessError(
            f"{MIRROR_ENV}={mirror!r} is not a mirror URL: give http://host[:port][/path] or https://… "
            "(no user, query or fragment)"
        )
    parts = urllib.parse.urlsplit(url)
    tail = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{mirror.rstrip('/')}/{tail}"


def timeout_s() -> float:
    """Seconds a download waits for the server: `RANKBENCH_DOWNLOAD_TIMEOUT`, else `TIMEOUT_S`.

    Raises `HarnessError` for a value that is not a positive, finite number of seconds."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else TIMEOUT_S
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise HarnessError(f"{TIMEOUT_ENV}={raw!r} is not a positive number of seconds")
    return value


def _safe_relpath(rel: str) -> bool:
    p = PurePosixPath(rel.replace("\\", "/"))
    return not p.is_absolute() and ".." not in p.parts and not (p.parts and ":" in p.parts[0])


def fetch(download: Download, home: Path, *, progress: Progress | None = None, timeout: float | None = None) -> Path:
    """Download, verify and place one file (and unpack it); returns `download.target(home)`.

    Does nothing when the target is already complete. Raises `DownloadError` (one line naming the
    URL and the destination) or `DownloadChecksumMismatch`.
    """
    from rankbench.harness.store import lock_file

    target = download.target(home)
    if download.is_done(home):
        return target
    part = download.partial(home)
    while True:
        try:
            lock = lock_file(part.with_name(part.name + ".lock"), wait=True)
            break
        except FileNotFoundError:  # a finishing fetch removed the empty `.partial/` folders meanwhile
            continue
    try:
        if download.is_done(home):  # another process fetched it while we waited for the lock
            return target
        if download.unpack:
            archive = part.with_suffix(".complete")
            if not archive.is_file():
                _transfer(download, part, home, progress, timeout)
                os.replace(part, archive)
            _unpack(download, archive, home)
            archive.unlink()
        else:
            _transfer(download, part, home, progress, timeout)
            dest = home / download.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, dest)
        return target
    finally:
        if part.is_file() and part.stat().st_size == 0:
            part.unlink()
        lock.release()
        _remove_empty_dirs(part.parent, home / PARTIAL_DIR)


def _remove_empty_dirs(folder: Path, root: Path) -> None:
    """Remove empty folders from `folder` up to and including `root` (the `.partial/` tree)."""
    while folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty, or gone
            return
        if folder == root:
            return
        folder = folder.parent


def _transfer(download: Download, part: Path, home: Path, progress: Progress | None, timeout: float | None) -> None:
    """Stream the file into `part`, resuming what is there, then verify its checksum."""
    url = mirrored(download.url)
    dest = home / (download.unpack or download.path)
    wait = timeout if timeout is not None else timeout_s()
    part.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(RETRIES + 1):
        try:
            complete = _stream(url, part, download.size, progress, wait)
        except urllib.error.HTTPError as exc:
            if exc.code != 416 or not part.is_file():
                raise DownloadError(f"cannot download {url} -> {dest}: HTTP {exc.code} {exc.reason}") from None
            complete = True  # nothing past the bytes we hold: verify them
        except TimeoutError:
            raise DownloadError(
                f"cannot download {url} -> {dest}: no data for {wait:g} s "
                f"(set {TIMEOUT_ENV}; {_held(part)} kept for resuming)"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            mirror = os.environ.get(MIRROR_ENV, "").strip()
            hint = f"the mirror {mirror} ({MIRROR_ENV}) did not answer" if mirror else f"offline? set {MIRROR_ENV}"
            raise DownloadError(f"cannot download {url} -> {dest}: {reason} ({hint})") from None
        if complete:
            break
        log.info("connection to %s dropped at %d bytes; resuming (%d)", url, part.stat().st_size, attempt + 1)
    else:
        raise DownloadError(f"cannot download {url} -> {dest}: the connection kept dropping ({_held(part)} kept)")
    if download.checksum:
        algo, expected = parse_checksum(download.checksum)
        actual = file_digest(part, algo)
        if actual != expected:
            kept = quarantine(part, home, download.path, f"{algo}-{actual[:12]}")
            raise DownloadChecksumMismatch(url, f"{algo} {expected}", actual, kept)


def _held(part: Path) -> str:
    return f"{part.stat().st_size:,} bytes" if part.is_file() else "nothing"


def _stream(url: str, part: Path, size: int | None, progress: Progress | None, wait: float) -> bool:
    """One HTTP request appending to `part`; True when the body arrived whole."""
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "rankbench", "Accept-Encoding": "identity"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=wait) as response:
        if have and response.status != 206:  # the server ignored the range: start over
            have = 0
        length = response.headers.get("Content-Length")
        expected_body = int(length) if length is not None else None
        total = have + expected_body if expected_body is not None else size
        got = 0
        with open(part, "ab" if have else "wb") as fh:
            try:
                while block := response.read(CHUNK):
                    fh.write(block)
                    got += len(block)
                    if progress:
                        progress(have + got, total)
            except (ConnectionError, http_incomplete()):
                return False
    return expected_body is None or got >= expected_body


def http_incomplete() -> type[Exception]:
    import http.client

    return http.client.IncompleteRead


def quarantine(path: Path, home: Path, relpath: str, label: str) -> Path:
    """Move a bad file to `<home>/.quarantine/<relpath>.<label>` and return where it went."""
    kept = home / QUARANTINE_DIR / f"{relpath}.{label}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, kept)
    return kept


# --- archives -------------------------------------------------------------------------------------------


def _members(archive: Path) -> list[tuple[str, str, str]]:
    """(name, kind, link target) of every member; kind is file, dir or link."""
    if zipfile.is_zipfile(archive):
        out = []
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    out.append((info.filename, "link", zf.read(info).decode("utf-8", "replace")))
                else:
                    out.append((info.filename, "dir" if info.is_dir() else "file", ""))
        return out
    try:
        with tarfile.open(archive) as tf:
            return [
                (m.name, "link" if (m.issym() or m.islnk()) else "dir" if m.isdir() else "file", m.linkname)
                for m in tf.getmembers()
            ]
    except tarfile.TarError as exc:
        raise DownloadError(f"{archive.name} is neither a zip nor a tar archive ({exc})") from None


def check_members(members: list[tuple[str, str, str]], source: str) -> None:
    """Refuse an archive whose members escape the target: absolute paths, `..`, outward links."""
    for name, kind, link in members:
        if not _safe_relpath(name) or not name.strip("/"):
            raise DownloadError(f"refused {source}: member {name!r} would be written outside the target folder")
        if kind == "link":
            resolved = PurePosixPath(name).parent / link
            if PurePosixPath(link).is_absolute() or not _safe_relpath(_normalise(resolved)):
                raise DownloadError(f"refused {source}: link {name!r} -> {link!r} points outside the target folder")


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for p in path.parts:
        if p == "..":
            if not parts:
                return "../escape"
            parts.pop()
        elif p != ".":
            parts.append(p)
    return "/".join(parts) or "."


def _single_top(members: list[tuple[str, str, str]]) -> str:
    tops = {PurePosixPath(name).parts[0] for name, _, _ in members}
    if len(tops) == 1:
        (top,) = tops
        if any(len(PurePosixPath(n).parts) > 1 for n, _, _ in members):
            return top
    return ""


def _unpack(download: Download, archive: Path, home: Path) -> None:
    """Check, unpack into a staging folder, verify members, then rename into place."""
    members = _members(archive)
    try:
        check_members(members, mirrored(download.url))
    except DownloadError:
        quarantine(archive, home, download.path, "unsafe-archive")
        raise
    target = home / download.unpack
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=home / PARTIAL_DIR))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(staging)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(staging, filter="data")
        top = _single_top(members)
        root = staging / top if top else staging
        for rel, checksum in download.members.items():
            algo, expected = parse_checksum(checksum)
            member = root / rel
            if not member.is_file():
                raise DownloadError(f"{mirrored(download.url)} has no member {rel} (expected in {target})")
            actual = file_digest(member, algo)
            if actual != expected:
                kept = quarantine(archive, home, download.path, f"{algo}-member-mismatch")
                raise DownloadChecksumMismatch(f"{download.url} member {rel}", f"{algo} {expected}", actual, kept)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.replace(root, target)
        else:  # a folder with other files of the data home (e.g. a gzipped copy): add ours, keep theirs
            for src in sorted(p for p in root.rglob("*") if not p.is_dir()):
                dest = target / src.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
        (target / MARKER).write_text(f"{download.url}\n{download.checksum}\n", encoding="utf-8")  # last: complete
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def status(download: Download, home: Path) -> str:
    """`present`, `partial` (a resumable part or an unfinished unpack) or `missing`."""
    if download.is_done(home):
        return "present"
    if download.partial(home).is_file() or download.partial(home).with_suffix(".complete").is_file():
        return "partial"
    return "missing"


def size_on_disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0
