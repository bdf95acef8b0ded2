from __future__ import annotations

import inspect

import pytest

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.errors import BadInput, MissingDependency, UnknownName
from rankbench.harness.registry import ADAPTERS, SUITES, AdapterSpec, constructor_defaults


def test_unknown_suite_did_you_mean() -> None:
    with pytest.raises(UnknownName) as info:
        SUITES.get("ir-synht")
    message = str(info.value)  # other suites (ctr-synth) may be suggested too; the closest comes first
    assert message.startswith("unknown suite 'ir-synht' (did you mean 'ir-synth',") and "'ir-synth-tiny'" in message


def test_adapter_ref_roundtrip_is_canonical() -> None:
    ref = parse_adapter_ref("bm25( b=0.5, k1=1.2 )")
    assert str(ref) == "bm25(b=0.5,k1=1.2)"
    assert parse_adapter_ref(str(ref)) == ref


@pytest.mark.parametrize("text", ["bm25(k1)", "bm25@0", "bm25@x", "bm25(k1=)"])
def test_bad_adapter_refs(text: str) -> None:
    with pytest.raises(BadInput):
        parse_adapter_ref(text)


def test_unknown_adapter_param() -> None:
    with pytest.raises(UnknownName, match="k2"):
        parse_adapter_ref("bm25(k2=1.0)").build()


def test_missing_unknown_dependency_names_its_module_and_the_extra() -> None:
    spec = AdapterSpec(name="needs-missing", family="retriever", factory="no_such_module_xyz:Thing", extra="ir")
    ADAPTERS.add(spec)
    try:
        with pytest.raises(MissingDependency) as info:
            spec.build()
        assert "pip install no_such_module_xyz (needed by rankbench's ir extra)" in str(info.value)
    finally:
        ADAPTERS.remove("needs-missing")


def test_list_is_lazy() -> None:
    """Listing adapters, or naming one without parameters, must not import any model library."""
    import subprocess
    import sys

    code = (
        "import sys; from rankbench.harness.registry import ADAPTERS; ADAPTERS.names(); "
        "from rankbench.harness.adapter_ref import parse_adapter_ref; parse_adapter_ref('dcnv2>>cross-encoder@10'); "
        "heavy = [m for m in ('torch', 'bm25s', 'sentence_transformers', 'faiss', 'pandas') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


@pytest.mark.parametrize("spec", list(ADAPTERS), ids=lambda spec: spec.name)
def test_every_default_is_stated_once(spec: AdapterSpec) -> None:
    """A record holds only overrides of its constructor's defaults, never a copy of one."""
    try:
        ctor = constructor_defaults(spec.factory, spec.extra)
    except MissingDependency as exc:
        pytest.skip(str(exc))
    assert set(spec.params) <= set(ctor), f"{spec.name} sets parameters its constructor lacks"
    copies = sorted(k for k, v in spec.params.items() if ctor[k] == v)
    assert not copies, f"{spec.name} repeats the constructor's defaults for {copies}"
    if not spec.open_params:  # an open record's smoke values may be the wrapped library's own parameters
        assert set(spec.smoke_params) <= set(ctor), f"{spec.name} smoke_params name unknown parameters"
    assert inspect.Parameter.empty not in spec.defaults().values(), f"{spec.name} leaves a required parameter unset"


class _Base:
    def __init__(self, shared: int = 1, overridden: int = 2) -> None:
        self.shared, self.overridden = shared, overridden


class _Child(_Base):
    def __init__(self, own: str = "x", overridden: int = 5, **base: int) -> None:
        super().__init__(overridden=overridden, **base)
        self.own = own


def test_defaults_follow_kwargs_to_the_base_class() -> None:
    spec = AdapterSpec(name="child", family="retriever", factory=f"{__name__}:_Child", params={"own": "y"})
    assert spec.defaults() == {"own": "y", "overridden": 5, "shared": 1}
    built = spec.build(shared=7)
    assert (built.own, built.overridden, built.shared) == ("y", 5, 7)
    with pytest.raises(UnknownName) as info:
        spec.build(sharde=3)
    assert str(info.value) == "unknown parameter of adapter 'child' 'sharde' (did you mean 'shared'?)"
