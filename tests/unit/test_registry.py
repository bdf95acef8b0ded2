from __future__ import annotations

import pytest

from rankbench.harness.adapter_ref import parse_adapter_ref
from rankbench.harness.errors import BadInput, MissingDependency, UnknownName
from rankbench.harness.registry import ADAPTERS, SUITES, AdapterSpec


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


def test_missing_dependency_names_the_extra() -> None:
    spec = AdapterSpec(name="needs-missing", family="retriever", factory="no_such_module_xyz:Thing", extra="ir")
    ADAPTERS.add(spec)
    try:
        with pytest.raises(MissingDependency) as info:
            spec.build()
        assert "pip install 'rankbench[ir]'" in str(info.value)
    finally:
        ADAPTERS.remove("needs-missing")


def test_list_is_lazy() -> None:
    """Listing adapters must not import any model library."""
    import subprocess
    import sys

    code = (
        "import sys; from rankbench.harness.registry import ADAPTERS; ADAPTERS.names(); "
        "heavy = [m for m in ('torch', 'bm25s', 'sentence_transformers', 'faiss', 'pandas') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
