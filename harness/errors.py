"""User-facing errors: each renders as one line that names the fix.

The CLI prints `str(error)` and exits non-zero without a traceback, so every message
must stand on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class HarnessError(Exception):
    """Base of every error a user can cause and fix; the CLI exits with `exit_code`."""

    exit_code = 2


class UnknownName(HarnessError):
    """A name that is not registered, with the closest registered names as suggestions."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        import difflib  # here, not at the top: a cold `rankbench evaluate` does not pay for it

        self.kind, self.name = kind, name
        known = sorted(known)
        self.suggestions = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        if not self.suggestions:
            lowered = name.lower()
            self.suggestions = [k for k in known if lowered in k.lower() or k.lower() in lowered][:3]
        if not self.suggestions:
            ranked = sorted(known, key=lambda k: -difflib.SequenceMatcher(None, name, k).ratio())
            self.suggestions = ranked[:3]
        if self.suggestions:
            hint = f" (did you mean {', '.join(repr(s) for s in self.suggestions)}?)"
        else:
            hint = " (nothing of this kind is registered)"
        super().__init__(f"unknown {kind} {name!r}{hint}")


class BadInput(HarnessError):
    """Malformed input: which file and line, and what was expected there."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.path, self.line = (str(path) if path is not None else None), line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")


class MissingDependency(HarnessError):
    """An optional dependency is not installed; names the command that installs it.

    `module` is what failed to import (or a distribution name), `requested` what the caller
    imported when that happened (its install pulls `module` in), `extra` the rankbench extra
    of the caller; the command comes from `rankbench.harness.deps.DEPENDENCIES`.
    """

    def __init__(self, module: str, extra: str | None, what: str = "", *, requested: str | None = None) -> None:
        from rankbench.harness.deps import install_hint  # deps raises this error: import it late

        self.module, self.extra = module, extra
        self.fix = install_hint(module, extra, requested)
        need = f" for {what}" if what else ""
        super().__init__(f"missing optional dependency {module!r}{need}: {self.fix}")


class DatasetMissing(HarnessError):
    """A data file is absent from the data home; says where to put it."""

    def __init__(self, dataset: str, path: Path, hint: str = "") -> None:
        self.dataset, self.path = dataset, path
        extra = f"; {hint}" if hint else ""
        super().__init__(f"dataset {dataset!r} needs {path} (set RANKBENCH_DATA or place the file there){extra}")


class ChecksumMismatch(HarnessError):
    """A data or cache file whose bytes differ from the recorded sha256."""

    def __init__(self, path: Path, expected: str, actual: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: sha256 {actual[:12]}… does not match the expected {expected[:12]}…; "
            "replace the file with the original"
        )


class DamagedFile(HarnessError):
    """A data file that cannot be read to its end: a truncated gzip stream, or one that is not gzip at all."""

    def __init__(
        self, path: Path, reason: str, fix: str = "delete it and fetch it again, or restore the original"
    ) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: damaged ({reason}); {fix}")


class BudgetExceeded(HarnessError):
    """A cell ran past its time or memory budget."""

    def __init__(self, what: str, limit: float, unit: str) -> None:
        self.what, self.limit = what, limit
        super().__init__(f"{what} exceeded its budget of {limit:g} {unit}")
