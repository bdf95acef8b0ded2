"""Readers and writers for the community file formats: BEIR jsonl/tsv, TREC qrels and runs.

Every reader reports malformed input as `BadInput` with the file and line number, including
bytes that are not UTF-8. Text conventions, as the formats' reference tools read them:

- a UTF-8 byte-order mark at the start of a file is dropped (BEIR's loader skips the header
  line whatever it holds; a BOM glued to a TREC query id would silently rename the query);
- CRLF and LF line endings are the same; blank lines are skipped;
- TREC files (trec_eval) split fields on any run of spaces and tabs; BEIR TSV on tabs;
- ids are kept as the text in the file: `01` and `1` are different queries or documents; an id
  holding a NUL byte is refused (numpy's strings and the packed 64-bit id words would read `d\\0` as `d`);
- numbers are plain ASCII decimals (`NUMBER`): Python's `float`/`int` would also take `1_0` (as
  10, where trec_eval's `atof` reads 1) and other scripts' digits (`١`), which no reference tool reads.

TREC runs and qrels are parsed with pyarrow's multithreaded CSV reader; any line that reader
cannot take (an odd column count, a score that is not a number, bad UTF-8...) sends the file
through the line-by-line reader, which accepts exactly what `str.split` accepts and names the
first bad `file:line`. The two paths return identical records on every file both accept.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import mmap
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from rankbench.harness.errors import BadInput
from rankbench.harness.records import MAX_ID_LENGTH, MAX_LABEL, Corpus, Qrels, Queries, Run, id_too_long
from rankbench.harness.resources import release_arrow_at_exit

BOM = b"\xef\xbb\xbf"
NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.ASCII | re.IGNORECASE
)
"""A number as the file formats write one: optional sign, ASCII digits with an optional `.` and
exponent, or inf/infinity/nan (any case). Exactly the texts pyarrow's CSV reader parses as a
float; `float` accepts all of them, and also `1_0`, other scripts' digits and surrounding spaces."""


def parse_number(text: str) -> float | None:
    """`text` as a float when it matches `NUMBER` (inf and nan included), else None."""
    return float(text) if NUMBER.fullmatch(text) else None


def _require_file(path: Path) -> None:
    if path.is_dir():
        raise BadInput("is a folder; give the file inside it", path=path)
    if not path.is_file():
        raise BadInput("no such file", path=path)


STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"


@contextlib.contextmanager
def regular_files(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """The paths, with each stream among them read once into a temporary regular file.

    A stream is `-` (standard input), a pipe (bash's `<(zcat run.gz)` gives `/dev/fd/63`) or a
    character device: readers map files, read them twice (a fast path, then the line reader that
    names a bad line) and pick gzip by name, none of which a pipe allows. Its bytes go to a file in
    a temporary folder, removed on exit, named `.gz` when they start with gzip's magic bytes. A
    regular file, a folder or a missing path is passed through for the reader to judge. `BadInput`
    raised inside names the stream, never the temporary file (`<stdin>` for `-`).
    """
    import shutil
    import stat
    import tempfile

    paths = [Path(p) for p in paths]
    if sum(str(p) == STDIN for p in paths) > 1:
        raise BadInput("standard input (-) can be read once: give it for one file and name the others")
    streams = {}
    for i, path in enumerate(paths):
        with contextlib.suppress(OSError):
            if str(path) == STDIN or (not stat.S_ISREG(mode := path.stat().st_mode) and not stat.S_ISDIR(mode)):
                streams[i] = path
    if not streams:
        yield paths
        return
    shown: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="rankbench-stream-") as folder:
        spooled = list(paths)
        for i, path in streams.items():
            with contextlib.ExitStack() as stack:
                source = sys.stdin.buffer if str(path) == STDIN else stack.enter_context(open(path, "rb"))
                head = source.read(2)
                target = Path(folder) / (f"{i}.gz" if head == GZIP_MAGIC else str(i))
                with open(target, "wb") as out:
                    out.write(head)
                    shutil.copyfileobj(source, out, 1 << 20)
            spooled[i], shown[str(target)] = target, "<stdin>" if str(path) == STDIN else str(path)
        try:
            yield spooled
        except BadInput as exc:
            text = str(exc)
            for temporary, name in shown.items():
                text = text.replace(temporary, name)
            if text == str(exc):
                raise
            raise BadInput(text) from None


def open_text(path: Path) -> IO[str]:
    """Open a text file, transparently gunzipping `*.gz`; strict UTF-8, a leading BOM dropped, CRLF read as LF.

    Decoding errors surface while reading; use `lines` (or `utf8_error`) to turn them into `file:line`.
    """
    path = Path(path)
    _require_file(path)
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115 - returned to the caller
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline=None)


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, transparently gunzipping `*.gz`."""
    path = Path(path)
    _require_file(path)
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def utf8_error(path: Path) -> BadInput | None:
    """The `file:line` error for the first bytes of `path` that are not UTF-8, or None if all decode.

    Readers that hand a file to pandas or pyarrow call this after a decoding failure, so the
    user sees the line, not a traceback; it streams the file (constant memory).
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    try:
        with open_binary(path) as fh:
            while chunk := fh.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line += chunk.count(b"\n", 0, max(exc.start, 0))
                    return BadInput(
                        f"not valid UTF-8 ({exc.reason}); re-encode the file as UTF-8", path=path, line=line
                    )
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return BadInput(f"not valid UTF-8 ({exc.reason}); re-encode the file as UTF-8", path=path, line=line)
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        return BadInput(f"truncated or corrupt file ({exc}); re-create it", path=path)
    return None


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line, without its line ending (LF or CRLF).

    Raises `BadInput` naming the line of the first bytes that are not UTF-8, or of a truncated gzip stream.
    """
    with open_text(path) as fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    yield lineno, line.rstrip("\n")
        except UnicodeDecodeError:
            raise utf8_error(path) or BadInput("not valid UTF-8", path=path, line=lineno + 1) from None
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            raise BadInput(f"truncated or corrupt file ({exc}); re-create it", path=path, line=lineno + 1) from None


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in lines(path):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(
                f"invalid JSON ({exc.msg}); each line must be one JSON object", path=path, line=lineno
            ) from None
        if not isinstance(obj, dict):
            raise BadInput("each line must be a JSON object", path=path, line=lineno)
        yield lineno, obj


def check_id(text: str, what: str, path: Path, lineno: int | None) -> str:
    """`text` as a `what` (query, document) id, or `BadInput` naming `file:line`.

    Refused: an id over `MAX_ID_LENGTH` characters, and an id holding a NUL byte (numpy strings
    drop trailing NULs, so `d\\0` would be the same document as `d`).
    """
    if len(text) > MAX_ID_LENGTH:
        raise BadInput(id_too_long(what, len(text)), path=path, line=lineno)
    if "\0" in text:
        raise BadInput(f"{what} id {text!r} holds a NUL byte", path=path, line=lineno)
    return text


def _field(obj: dict[str, Any], key: str, path: Path, lineno: int, *, text: bool = False) -> str:
    """A JSON record's `key` as text: a string, or (ids, `text=False`) an integer; else `BadInput` at `file:line`."""
    if key not in obj:
        raise BadInput(f"missing field {key!r}", path=path, line=lineno)
    value = obj[key]
    if not isinstance(value, str) and (text or not isinstance(value, int) or isinstance(value, bool)):
        raise BadInput(f"field {key!r} must be a string, not {json.dumps(value)[:40]}", path=path, line=lineno)
    return str(value)


def read_beir_corpus(path: Path) -> Corpus:
    """BEIR `corpus.jsonl`: one `{"_id", "text"[, "title"]}` object a line, plain or gzipped.

    `text` must be a string; `title` a string, null or absent (then empty). Raises `BadInput` naming
    `file:line` for a missing or mistyped field, a bad id (`check_id`), invalid JSON or UTF-8, and
    the file for a document id given twice.
    """
    ids, titles, texts = [], [], []
    for lineno, obj in read_jsonl(path):
        ids.append(check_id(_field(obj, "_id", path, lineno), "document", path, lineno))
        title = obj.get("title")
        if title is not None and not isinstance(title, str):
            raise BadInput(
                f"field 'title' must be a string or null, not {json.dumps(title)[:40]}", path=path, line=lineno
            )
        titles.append(title or "")
        texts.append(_field(obj, "text", path, lineno, text=True))
    _reject_duplicates(ids, "document", path)
    return Corpus(np.array(ids, dtype=str), tuple(texts), tuple(titles))


def read_beir_queries(path: Path, keep: set[str] | None = None) -> Queries:
    ids, texts = [], []
    for lineno, obj in read_jsonl(path):
        qid = check_id(_field(obj, "_id", path, lineno), "query", path, lineno)
        if keep is not None and qid not in keep:
            continue
        text = _field(obj, "text", path, lineno, text=True)
        if not text.strip():
            raise BadInput(f"query {qid!r} has empty text", path=path, line=lineno)
        ids.append(qid)
        texts.append(text)
    _reject_duplicates(ids, "query", path)
    return Queries(np.array(ids, dtype=str), tuple(texts))


def _reject_duplicates(ids: list[str], what: str, path: Path) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise BadInput(f"duplicate {what} id {x!r} (record {i + 1})", path=path)
        seen.add(x)


def is_beir_header(parts: list[str]) -> bool:
    """Whether a first TSV line is BEIR's header (`query-id corpus-id score`, or a common variant)."""
    names = [p.strip().lower() for p in parts]
    return len(names) == 3 and (
        names[0] in {"query-id", "query_id", "qid", "query"} or names[2] in {"score", "relevance", "label", "rel"}
    )


def _label(text: str, path: Path, lineno: int) -> int:
    """A relevance grade: a `NUMBER` with an integer value (`1`, `+1`, `1.0`) within ±`MAX_LABEL`."""
    value = parse_number(text)
    if value is None or not math.isfinite(value) or value != int(value):
        raise BadInput(f"relevance label {text!r} is not an integer", path=path, line=lineno)
    if abs(value) > MAX_LABEL:
        raise BadInput(
            f"relevance label {text!r} is out of range (labels are grades within ±{MAX_LABEL:,})",
            path=path,
            line=lineno,
        )
    return int(value)


def _qrels_from_rows(rows: list[tuple[str, str, int, int]], path: Path) -> Qrels:
    """Qrels from (query, doc, label, line number) rows; a pair judged twice names both lines."""
    seen: dict[tuple[str, str], int] = {}
    for q, d, _, lineno in rows:
        if (q, d) in seen:
            raise BadInput(
                f"document {d!r} judged twice for query {q!r} (first on line {seen[(q, d)]})", path=path, line=lineno
            )
        seen[(q, d)] = lineno
    if not rows:
        raise BadInput("qrels file has no judgements", path=path)
    q, d, r, _ = zip(*rows, strict=True)
    try:
        return Qrels(np.array(q, dtype=str), np.array(d, dtype=str), np.array(r, dtype=np.int64))
    except BadInput as exc:  # every check the Qrels make is made above; should one remain, it names the file
        raise BadInput(str(exc), path=path) from None


def read_beir_qrels(path: Path) -> Qrels:
    """BEIR qrels: TSV `query-id corpus-id score` (tab-separated, header line optional and recognised
    by its names, after any BOM), or JSONL with those keys.

    Raises `BadInput` naming `file:line` for a wrong column count, a non-integer score, a pair
    judged twice, or bytes that are not UTF-8.
    """
    rows: list[tuple[str, str, int, int]] = []
    if str(path).endswith((".jsonl", ".jsonl.gz")):
        for lineno, obj in read_jsonl(path):
            rows.append(
                (
                    check_id(_field(obj, "query-id", path, lineno), "query", path, lineno),
                    check_id(_field(obj, "corpus-id", path, lineno), "document", path, lineno),
                    _label(str(obj.get("score", "")), path, lineno),
                    lineno,
                )
            )
        return _qrels_from_rows(rows, path)
    for n, (lineno, line) in enumerate(lines(path)):
        parts = line.split("\t")
        if n == 0 and is_beir_header(parts):
            continue
        if len(parts) != 3:
            raise BadInput(
                f"expected 3 tab-separated columns (query-id, corpus-id, score), found {len(parts)}",
                path=path,
                line=lineno,
            )
        query = check_id(parts[0].strip(), "query", path, lineno)
        doc = check_id(parts[1].strip(), "document", path, lineno)
        rows.append((query, doc, _label(parts[2].strip(), path, lineno), lineno))
    return _qrels_from_rows(rows, path)


class _NotFast(Exception):
    """The columnar reader cannot take this file as it is; the line reader decides."""


_WHITESPACE = bytes.maketrans(b"\t\r\x0b\x0c", b"    ")
_ASCII_SPACES = str.maketrans("\t\r\x0b\x0c", "    ")


def trec_fields(line: str) -> list[str]:
    """A TREC line's fields as trec_eval and the columnar reader split them: on runs of ASCII spaces and tabs
    (and CR, VT, FF) only. Other Unicode spaces (NBSP, U+3000, U+001C..U+001F) are part of their field, where
    `str.split()` would split on them and read a line differently from the columnar path."""
    return [f for f in line.translate(_ASCII_SPACES).split(" ") if f]


def _file_bytes(path: Path) -> bytes | mmap.mmap:
    """The file's bytes with a BOM dropped, CRLF as LF, and tabs (and CR, VT, FF) as spaces.

    An uncompressed file that needs none of this is mapped, not copied (a run file of
    millions of lines is read once, by the parser); each other step is one C-level scan, paid
    only by files that need it.
    """
    with contextlib.suppress(OSError, ValueError):  # ValueError: an empty file cannot be mapped
        if Path(path).suffix != ".gz":
            _require_file(Path(path))
            with open(path, "rb") as fh:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            if mapped[: len(BOM)] != BOM and all(mapped.find(c) < 0 for c in (b"\t", b"\r", b"\x0b", b"\x0c")):
                return mapped
            mapped.close()
    try:
        with open_binary(path) as fh:
            data = fh.read()
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise _NotFast from exc
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if any(c in data for c in (b"\t", b"\r", b"\x0b", b"\x0c")):
        data = data.translate(_WHITESPACE)
    return data


def _single_spaced(data: bytes) -> bytes:
    """Every run of spaces as one space, none at the start or end of a line (as `str.split` sees fields)."""
    import re

    return re.sub(rb"(?m)^ +| +$", b"", re.sub(rb" {2,}", b" ", data))


def _read_columns(path: Path, names: Sequence[str], types: dict[str, Any]) -> tuple[Any, str]:
    """(pyarrow Table of the `types` columns, last line's text) of a whitespace-separated file.

    A file whose fields are separated by more than one space (or tab) is parsed a second
    time after `_single_spaced`. Raises `_NotFast` if pyarrow refuses the file, it holds no line,
    or it holds a NUL byte anywhere (one `memchr` pass; the line reader names the id that holds it).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    release_arrow_at_exit()
    data = _file_bytes(path)
    if data.find(b"\0") >= 0:
        raise _NotFast
    end = len(data)
    while end and data[end - 1] == 0x0A:  # trailing blank lines (no copy of the file, unlike rstrip)
        end -= 1
    last = data[data.rfind(b"\n", 0, end) + 1 : end]
    if not last.strip():
        raise _NotFast

    def parse(data: bytes) -> Any:
        return pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=list(names), block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, double_quote=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=list(types),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        last_text = last.decode("utf-8")
        try:
            table = parse(data)
        except pa.ArrowInvalid:
            spaced = _single_spaced(bytes(data))
            if spaced == data[:]:
                raise
            table = parse(spaced)
            last_text = " ".join(trec_fields(last_text))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        raise _NotFast from exc
    for name in types:
        # an empty field (a space at the start or end of a line) or an id over MAX_ID_LENGTH (in bytes, at
        # least its characters): the line reader judges it, naming the line
        if not _lengths_fit(table[name]):
            raise _NotFast
    return table, last_text


def _lengths_fit(column: Any) -> bool:
    """Whether every string of a pyarrow string (or dictionary of strings) column has 1 to `MAX_ID_LENGTH` bytes.

    Read from the offsets buffers with numpy: `pyarrow.compute` would import pandas (a quarter
    of a second of a cold `rankbench evaluate`).
    """
    import pyarrow as pa

    for chunk in column.chunks:
        values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
        if values.type != pa.string() or len(values) == 0:
            continue
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32, count=len(values) + 1, offset=values.offset * 4)
        lengths = np.diff(offsets)
        if int(lengths.min()) == 0 or int(lengths.max()) > MAX_ID_LENGTH:
            return False
    return True


def _numbers(chunks: Sequence[Any], dtype: type) -> np.ndarray:
    """Pyarrow numeric arrays (the chunks of a column) without nulls as one numpy array, read from their buffers.

    `to_numpy` and `unify_dictionaries` would import pandas (a quarter of a second of a cold
    `rankbench evaluate`); the buffers give the same values.
    """
    size = np.dtype(dtype).itemsize
    parts = [np.frombuffer(c.buffers()[1], dtype=dtype, count=len(c), offset=c.offset * size) for c in chunks if len(c)]
    if any(c.null_count for c in chunks):
        raise _NotFast
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _dictionary_codes(column: Any) -> tuple[np.ndarray, np.ndarray]:
    """(code of every row, sorted unique strings) of a dictionary-encoded pyarrow string column.

    Each chunk has its own dictionary (few distinct values: cheap); their strings are stacked,
    made unique, and every row's index mapped once.
    """
    chunks = [c for c in column.chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int64), np.array([], dtype=str)
    words = [arrow_strings(c.dictionary) for c in chunks]
    uniques, inverse = np.unique(np.concatenate(words), return_inverse=True)
    base = np.cumsum([0] + [len(w) for w in words[:-1]])
    codes = [inverse[_numbers([c.indices], np.int32) + b] for c, b in zip(chunks, base, strict=True)]
    return np.concatenate(codes).astype(np.int64), uniques


def _dictionary_strings(column: Any) -> np.ndarray:
    """A dictionary-encoded pyarrow string column as a numpy `<U..` array, one string per row."""
    codes, uniques = _dictionary_codes(column)
    return uniques[codes]


def _string_bytes(column: Any) -> tuple[np.ndarray | None, np.ndarray]:
    """(offsets, bytes) of a pyarrow string column without nulls: row `i` is `bytes[offsets[i]:offsets[i + 1]]`.

    Read from the chunks' buffers (int64 offsets over the chunks' bytes laid end to end);
    offsets are None when a chunk is not a plain string array.
    """
    import pyarrow as pa

    offsets, data, start = [np.zeros(1, dtype=np.int64)], [], 0
    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        if chunk.type != pa.string() or chunk.null_count:
            return None, np.zeros(0, np.uint8)
        _, off_buf, data_buf = chunk.buffers()
        off = np.frombuffer(off_buf, dtype=np.int32, count=len(chunk) + 1, offset=chunk.offset * 4).astype(np.int64)
        raw = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        data.append(raw[off[0] : off[-1]])
        offsets.append(off[1:] - off[0] + start)
        start += int(off[-1] - off[0])
    return np.concatenate(offsets), np.concatenate([*data, np.zeros(DOC_BYTES_PAD, np.uint8)])


DOC_BYTES_PAD = 4 * MAX_ID_LENGTH + 8
"""Zero bytes after the last id of `RunColumns.doc_bytes`: the longest id in UTF-8 (4 bytes a character) and a word."""


def arrow_strings(column: Any) -> np.ndarray:
    """A pyarrow string column as a numpy `<U..` array (the ids' exact text).

    ASCII columns are laid out straight from pyarrow's offsets and bytes (no Python string per
    value); others go through Python strings.
    """
    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = []
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if chunk.type != pa.string() or chunk.null_count:
            parts.append(np.asarray(chunk.to_numpy(zero_copy_only=False), dtype=str))
            continue
        _, off_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(off_buf, dtype=np.int32, count=len(chunk) + 1, offset=chunk.offset * 4)
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        data = data[offsets[0] : offsets[-1]]
        if data.size and int(data.max()) >= 0x80:
            parts.append(np.asarray(chunk.to_numpy(zero_copy_only=False), dtype=str))
            continue
        n, lengths = len(chunk), np.diff(offsets)
        width = max(int(lengths.max()), 1)
        if int(lengths.min()) == width:  # ids of one length: the bytes are the rows already
            parts.append(data.reshape(n, width).astype(np.uint32).view(f"<U{width}").reshape(n))
            continue
        # every byte scattered to (its row, its place in the id) of a zero-padded (n, width) grid
        shift = np.arange(n, dtype=np.int64) * width - (offsets[:-1] - offsets[0])
        points = np.zeros(n * width, dtype=np.uint32)
        points[np.arange(len(data), dtype=np.int64) + np.repeat(shift, lengths)] = data
        parts.append(points.view(f"<U{width}"))
    if not parts:
        return np.array([], dtype=str)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _trec_qrels_fast(path: Path) -> Qrels:
    import pyarrow as pa

    types = {"q": pa.dictionary(pa.int32(), pa.string()), "d": pa.string(), "rel": pa.float64()}
    table, _ = _read_columns(path, ("q", "iter", "d", "rel"), types)
    rel = _numbers(table["rel"].chunks, np.float64)
    if not np.all(np.isfinite(rel)) or not np.array_equal(rel, np.round(rel)) or np.abs(rel).max(initial=0) > MAX_LABEL:
        raise _NotFast
    try:
        return Qrels(_dictionary_strings(table["q"]), arrow_strings(table["d"]), rel.astype(np.int64))
    except BadInput as exc:  # a pair judged twice: the line reader names its line
        raise _NotFast from exc


def read_trec_qrels(path: Path) -> Qrels:
    """TREC qrels: `qid iter docno rel`, fields separated by spaces or tabs; rel an integer (graded).

    Raises `BadInput` naming `file:line` for a wrong column count, a non-integer label, a
    (query, doc) judged twice, bytes that are not UTF-8, or a file without judgements.
    """
    with contextlib.suppress(_NotFast):  # the line reader below names the offending line
        return _trec_qrels_fast(path)
    rows: list[tuple[str, str, int, int]] = []
    for lineno, line in lines(path):
        parts = trec_fields(line)
        if len(parts) != 4:
            raise BadInput(f"expected 4 columns (qid iter docno rel), found {len(parts)}", path=path, line=lineno)
        query, doc = check_id(parts[0], "query", path, lineno), check_id(parts[2], "document", path, lineno)
        rows.append((query, doc, _label(parts[3], path, lineno), lineno))
    return _qrels_from_rows(rows, path)


def qrels_format(first_line: str) -> str:
    """`"beir"` or `"trec"`: the form of a qrels file, from its first non-blank line.

    BEIR TSV is 3 tab-separated fields whose third is a number (or BEIR's header); TREC is 4 fields
    separated by any whitespace, as trec_eval splits them. A line that is both 3 tab fields and 4
    whitespace fields (`q1<TAB>0<TAB>d1 1`: a TREC line with mixed separators, or a BEIR doc id
    with a space) is BEIR only when its third tab field is a number. A line that is neither goes
    to the reader whose column count it is nearest to, which names the line.
    """
    tab_fields = first_line.split("\t")
    if len(tab_fields) == 3 and (is_beir_header(tab_fields) or parse_number(tab_fields[2].strip()) is not None):
        return "beir"
    if len(trec_fields(first_line)) == 4:
        return "trec"
    return "beir" if len(tab_fields) == 3 else "trec"


def read_qrels(path: Path) -> Qrels:
    """TREC or BEIR qrels, told apart by content (`qrels_format` of the first line), `.jsonl` by name.

    Raises `BadInput` naming the file for an empty file, else as `read_trec_qrels`/`read_beir_qrels`.
    """
    if str(path).endswith((".jsonl", ".jsonl.gz")):
        return read_beir_qrels(path)
    first = next((line for _, line in lines(path)), "")
    if not first:
        raise BadInput("qrels file is empty", path=path)
    return read_beir_qrels(path) if qrels_format(first) == "beir" else read_trec_qrels(path)


def _trec_run_table(path: Path) -> tuple[Any, np.ndarray, str]:
    """(pyarrow table with columns q, d, s; the scores as float64; the run's name) of a TREC run file."""
    import pyarrow as pa

    dictionary = pa.dictionary(pa.int32(), pa.string())
    types = {"q": dictionary, "d": pa.string(), "s": pa.float64()}  # the column count is checked on every line
    table, last = _read_columns(path, ("q", "iter", "d", "rank", "s", "tag"), types)
    scores = _numbers(table["s"].chunks, np.float64)
    if not np.all(np.isfinite(scores)):
        raise _NotFast
    return table, scores, trec_fields(last)[-1]


def _trec_run_fast(path: Path) -> Run:
    table, scores, name = _trec_run_table(path)
    try:
        return Run.from_arrays(_dictionary_strings(table["q"]), arrow_strings(table["d"]), scores, name)
    except BadInput as exc:  # a doc listed twice: the line reader names its line
        raise _NotFast from exc


@dataclass(frozen=True, eq=False)
class RunColumns:
    """A TREC run file's rows in file order, not yet ranked, with the doc ids left as UTF-8 bytes.

    Row `i` is query `query_ids[query_codes[i]]`, document
    `doc_bytes[doc_offsets[i]:doc_offsets[i + 1]]` (never empty, no NUL byte), score
    `scores[i]` (float64, finite). `doc_bytes` ends with `DOC_BYTES_PAD` zero bytes after the last id,
    so that fixed-width reads at any id's start stay inside it. `query_ids` are sorted and unique.
    No check for a document listed twice has been made: `read_trec_run` makes it.
    """

    query_ids: np.ndarray
    query_codes: np.ndarray
    doc_offsets: np.ndarray
    doc_bytes: np.ndarray
    scores: np.ndarray
    name: str


def read_trec_run_columns(path: Path) -> RunColumns | None:
    """The rows of a TREC run file as columns (no string per row), or None for a file only the line
    reader takes (a wrong column count, a bad score, spaces around fields...): `read_trec_run` then
    reads it, or names its first bad `file:line`.
    """
    try:
        table, scores, name = _trec_run_table(path)
    except _NotFast:
        return None
    codes, query_ids = _dictionary_codes(table["q"])
    offsets, data = _string_bytes(table["d"])
    if offsets is None:  # a file holding a NUL byte never gets here (`_read_columns`)
        return None
    return RunColumns(query_ids, codes, offsets, data, scores, name)


def read_trec_run(path: Path) -> Run:
    """TREC run: `qid Q0 docno rank score tag`, fields separated by spaces or tabs.

    Ordering comes from the scores, as in trec_eval (the rank column is ignored; ties at
    float32 precision go to the doc id descending, see `Run`); the run's name is the tag of
    the last line. An empty file gives an empty run. Raises `BadInput` naming `file:line`
    for a wrong column count, a score that is not a finite number, a doc listed twice for a
    query, or bytes that are not UTF-8.
    """
    try:
        return _trec_run_fast(path)
    except _NotFast:
        return _read_trec_run_lines(path)


def _read_trec_run_lines(path: Path) -> Run:
    """`read_trec_run` line by line in Python: the reference the columnar path must equal."""
    qs, ds, ss, linenos = [], [], [], []
    name = "run"
    for lineno, line in lines(path):
        parts = trec_fields(line)
        if len(parts) != 6:
            raise BadInput(
                f"expected 6 columns (qid Q0 docno rank score tag), found {len(parts)}", path=path, line=lineno
            )
        score = parse_number(parts[4])
        if score is None:
            raise BadInput(f"score {parts[4]!r} is not a number", path=path, line=lineno)
        if not math.isfinite(score):
            raise BadInput(f"score {parts[4]!r} is not finite", path=path, line=lineno)
        qs.append(check_id(parts[0], "query", path, lineno))
        ds.append(check_id(parts[2], "document", path, lineno))
        ss.append(score)
        linenos.append(lineno)
        name = parts[5]
        if "\0" in name:
            raise BadInput(f"run tag {name!r} holds a NUL byte", path=path, line=lineno)
    if not qs:
        return Run.empty(name)
    seen: dict[tuple[str, str], int] = {}
    for i, pair in enumerate(zip(qs, ds, strict=True)):
        if pair in seen:
            raise BadInput(
                f"document {pair[1]!r} appears twice for query {pair[0]!r} (first on line {linenos[seen[pair]]})",
                path=path,
                line=linenos[i],
            )
        seen[pair] = i
    try:
        return Run.from_arrays(np.array(qs, dtype=str), np.array(ds, dtype=str), np.array(ss), name)
    except BadInput as exc:  # every check the Run makes is made above; should one remain, it names the file
        raise BadInput(str(exc), path=path) from None


def write_trec_run(run: Run, path: Path) -> None:
    frame = run.to_frame()
    with open(path, "w", encoding="utf-8") as fh:
        for q, d, s, r in zip(frame.query_id, frame.doc_id, frame.score, frame["rank"], strict=True):
            fh.write(f"{q} Q0 {d} {r} {s!r} {run.name}\n")


def write_trec_qrels(qrels: Qrels, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for q, d, r in zip(qrels.query_ids, qrels.doc_ids, qrels.labels, strict=True):
            fh.write(f"{q} 0 {d} {r}\n")
