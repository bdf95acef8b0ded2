"""A TREC run file produced elsewhere, replayed as a retriever: external systems on the same leaderboard.

`-a run:FILE` (or `run(path=FILE)`) reads `qid Q0 docno rank score tag` lines once; `index`
checks that every document the file names is in the suite's corpus, and `search` returns the
file's rows for the queries asked, cut to the suite's depth, ranked as trec_eval ranks them (see
`rankbench.harness.records.Run`). So a suite scores the file exactly as `rankbench evaluate` does
against the suite's qrels, and paired tests and the gate apply to it like to any adapter.

The reference is made canonical when parsed (`canonical_params`): the path becomes absolute and
the first 16 hex digits of the file's sha256 are added (`run(path='/abs/run.txt',sha256='…')`),
so a stored cell belongs to one content: an edited file is a new cell, never a stale cached one,
and a file that changes between planning and running fails its cell with one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rankbench.harness.datahome import sha256_file
from rankbench.harness.errors import BadInput
from rankbench.harness.records import Corpus, Queries, Run
from rankbench.harness.registry import AdapterSpec

DIGEST_CHARS = 16
"""Hex digits of the file's sha256 kept in the reference (64 bits)."""
SHOWN_IDS = 5
"""Ids named in an error about ids absent from the suite."""


def _file(path: str) -> Path:
    if not path:
        raise BadInput("adapter 'run' needs a TREC run file: -a run:FILE or -a 'run(path=FILE)'")
    file = Path(path).expanduser()
    if file.is_dir():
        raise BadInput(
            f"run file {file} is a folder; give the run file inside it (adapter 'run' replays a TREC run file)"
        )
    if not file.is_file():
        raise BadInput(f"run file {file} does not exist (adapter 'run' replays a TREC run file)")
    return file.resolve()


def digest(path: Path) -> str:
    """The first `DIGEST_CHARS` hex digits of the file's sha256."""
    return sha256_file(path)[:DIGEST_CHARS]


def canonical_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """`{"path": absolute path, "sha256": digest of its content}` for a reference's parameters.

    Raises `BadInput` when the file is missing, or when the reference already names a digest
    (a planned or stored cell) that the file no longer has.
    """
    file = _file(str(params.get("path", "")))
    actual = digest(file)
    named = str(params.get("sha256", ""))
    if named and named != actual:
        raise BadInput(
            f"run file {file} changed since this cell was planned (sha256 {actual}…, the cell names {named}…); "
            "run the suite again to score the new content as a new cell"
        )
    return {"path": str(file), "sha256": actual}


def _absent(ids: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.setdiff1d(np.unique(ids), known)


class RunFile:
    """Replays the rows of a TREC run file (`qid Q0 docno rank score tag`).

    Raises `BadInput` (one line, naming the file) for a missing or malformed file (`file:line`),
    a content other than the digest `sha256` names, documents absent from the corpus (`index`),
    or queries absent from the queries searched (`search`).
    """

    def __init__(self, path: str = "", sha256: str = "") -> None:
        params = canonical_params({"path": path, "sha256": sha256})
        self.path = Path(params["path"])
        self.sha256 = params["sha256"]
        from rankbench.harness.formats import read_trec_run

        self.run = read_trec_run(self.path)
        if len(self.run.doc_ids) == 0:
            raise BadInput("the run file has no rows", path=self.path)

    def _error(self, n: int, what: str, where: str, examples: np.ndarray) -> BadInput:
        shown = ", ".join(repr(str(x)) for x in examples[:SHOWN_IDS])
        more = f" (first {SHOWN_IDS} shown)" if n > SHOWN_IDS else ""
        return BadInput(
            f"names {n} {what} absent from {where}: {shown}{more}; was it produced on this suite's collection?",
            path=self.path,
        )

    def index(self, corpus: Corpus) -> None:
        """Check that every document of the file is in `corpus`."""
        absent = _absent(self.run.doc_ids, np.asarray(corpus.ids))
        if len(absent):
            raise self._error(len(absent), "documents", f"the corpus ({len(corpus)} documents)", absent)

    def search(self, queries: Queries, k: int) -> Run:
        """The file's top `k` rows for each of `queries` (queries the file lacks get no rows).

        Every query of the file must be among `queries` (a suite searches all of its queries at once).
        """
        if k <= 0:
            raise BadInput(f"k must be a positive number of documents per query, got {k}")
        asked = np.asarray(queries.ids)
        absent = _absent(self.run.query_ids, asked)
        if len(absent):
            raise self._error(len(absent), "queries", f"the queries searched ({len(asked)})", absent)
        keep = np.isin(self.run.query_ids, asked)
        rows = np.repeat(keep, self.run.lengths)
        offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(self.run.lengths[keep], out=offsets[1:])
        subset = Run(self.run.query_ids[keep], offsets, self.run.doc_ids[rows], self.run.scores[rows], self.run.name)
        return subset.cut(k)


ADAPTERS = (
    AdapterSpec(
        name="run",
        family="retriever",
        factory="rankbench.adapters.ir.run_file:RunFile",
        shorthand="path",
        canonical="rankbench.adapters.ir.run_file:canonical_params",
        description="a TREC run file produced elsewhere, replayed (-a run:FILE); cells keyed by the file's sha256",
    ),
)
