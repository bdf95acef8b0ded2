"""Model-specific checks beyond the contract: closed forms, neighbourhoods, annealing, pre-training."""

from __future__ import annotations

import numpy as np
import pytest

from rankbench.harness.datahome import load_dataset
from rankbench.harness.records import Interactions
from rankbench.harness.registry import ADAPTERS


def _tiny() -> Interactions:
    return load_dataset("recsys-synth-tiny").data


def test_ease_solves_its_constrained_least_squares() -> None:
    data = _tiny()
    model = ADAPTERS.get("ease").build(l2=50.0)
    model.fit(data, None)
    b = model._b.astype(np.float64)
    x = data.to_csr().toarray()
    gram = x.T @ x
    assert np.allclose(np.diag(b), 0)
    # stationarity of ||X - XB||^2 + l2 ||B||^2 with diag(B) = 0: off-diagonal gradient vanishes
    grad = (gram + 50.0 * np.eye(len(gram))) @ b - gram
    off = grad - np.diag(np.diag(grad))
    assert np.abs(off).max() < 1e-3 * np.abs(gram).max()


def test_itemknn_matches_dense_computation() -> None:
    data = _tiny()
    x = data.to_csr().toarray().astype(np.float64)
    norms = np.sqrt(np.diag(x.T @ x))
    sim = (x.T @ x) / np.maximum(np.outer(norms, norms), 1e-12)
    np.fill_diagonal(sim, 0)
    full = ADAPTERS.get("itemknn").build(k=10_000)
    full.fit(data, None)
    users = np.arange(20)
    np.testing.assert_allclose(full.score(users), x[users].astype(np.float64) @ sim, rtol=1e-5)
    k = 10
    pruned = ADAPTERS.get("itemknn").build(k=k)
    pruned.fit(data, None)
    kept = pruned._sim.toarray()
    for i in range(sim.shape[1]):  # column i holds item i's k nearest neighbours (any of tied ones)
        col = kept[:, i]
        assert np.count_nonzero(col) <= k
        np.testing.assert_allclose(np.sort(col[col != 0])[::-1], np.sort(sim[:, i])[::-1][: np.count_nonzero(col)])
        np.testing.assert_allclose(col[col != 0], sim[col != 0, i])


def test_multvae_anneals_beta_to_its_cap() -> None:
    model = ADAPTERS.get("multvae").build(epochs=3, hidden=16, latent=4, batch_size=50, total_anneal_steps=4)
    model.fit(_tiny(), None)
    assert model.beta == 0.2
    slow = ADAPTERS.get("multvae").build(epochs=1, hidden=16, latent=4, batch_size=50, total_anneal_steps=10_000)
    slow.fit(_tiny(), None)
    assert 0 <= slow.beta < 0.01


def test_multvae_noise_std_scales_the_reparameterisation_noise() -> None:
    import torch

    def spread(noise_std: float) -> float:
        model = ADAPTERS.get("multvae").build(epochs=1, hidden=16, latent=4, dropout=0.0, noise_std=noise_std)
        model.fit(_tiny(), None)
        x = torch.from_numpy(model._train[:5].toarray())
        model._net.train()  # sampling mode: the code is mu + noise_std * eps * sigma
        with torch.no_grad():
            return float((model._net(x)[0] - model._net(x)[0]).abs().max())

    assert spread(0.0) == 0.0
    assert spread(1.0) > 10 * spread(0.01) > 0


def test_bpr_init_draws_the_embeddings_from_the_named_distribution() -> None:
    from rankbench.adapters.recsys.bpr import NORMAL_STD
    from rankbench.harness.errors import BadInput

    data = _tiny()

    def item_std(init: str) -> float:
        model = ADAPTERS.get("bpr").build(epochs=1, dim=32, lr=0.0, init=init)  # lr 0: the embeddings stay at init
        model.fit(data, None)
        return float(model._item.std())

    xavier = np.sqrt(2.0 / (data.n_items + 32))  # torch's xavier_normal_ on an (n_items, dim) table, as RecBole's BPR
    assert item_std("xavier_normal") == pytest.approx(xavier, rel=0.05)
    assert item_std("normal") == pytest.approx(NORMAL_STD, rel=0.05)
    with pytest.raises(BadInput, match="init must be one of normal, xavier_normal"):
        ADAPTERS.get("bpr").build(init="glorot")


def test_neumf_pretraining_starts_from_the_alpha_blend() -> None:
    data = _tiny()
    params = {"epochs": 2, "factors": 4, "layers": (8, 4), "batch_size": 512}
    model = ADAPTERS.get("neumf-pretrain").build(**params, finetune_lr=0.0)  # lr 0: NeuMF keeps its init
    model.fit(data, None)
    gmf = ADAPTERS.get("gmf").build(**params)
    gmf.fit(data, None)
    mlp = ADAPTERS.get("mlp").build(**params)
    mlp.fit(data, None)
    users = np.arange(10)
    # logits of NeuMF at init = alpha * GMF logit + (1 - alpha) * MLP logit (same seeds, same data)
    np.testing.assert_allclose(model.score(users), 0.5 * gmf.score(users) + 0.5 * mlp.score(users), atol=1e-5)


def test_every_recommender_shares_the_base_and_ranks_unseen_items() -> None:
    from rankbench.adapters.recsys.base import Recommender, user_csr

    data = _tiny()
    seen = user_csr(data)
    users = np.arange(8)
    smoke = {"epochs": 1, "dim": 8, "factors": 4, "layers": (8, 4), "hidden": 16, "latent": 4}
    for name in ("popularity", "itemknn", "ease", "bpr", "gmf", "multvae"):
        spec = ADAPTERS.get(name)
        model = spec.build(**{k: v for k, v in smoke.items() if k in spec.params})
        assert isinstance(model, Recommender)
        model.fit(data, None)
        full = np.asarray(model.score(users), dtype=np.float64)
        items = np.random.default_rng(0).integers(0, data.n_items, (len(users), 5))
        # the candidate path (NCF's own, through the network) equals the full rows' columns
        np.testing.assert_allclose(model.score(users, items), np.take_along_axis(full, items, 1), rtol=1e-5)
        top = model.recommend(users, 10, seen)
        masked = np.where(seen[users].toarray() > 0, -np.inf, full)
        np.testing.assert_array_equal(top, np.argsort(-masked, axis=1, kind="stable")[:, :10])
        assert not np.take_along_axis(seen[users].toarray(), top, 1).any()


_TORCH_SMOKE = {"epochs": 2, "dim": 8, "factors": 4, "layers": (8, 4), "hidden": 16, "latent": 4, "batch_size": 256}
TORCH_RECOMMENDERS = ("bpr", "multvae", "neumf-pretrain")


def _fit(name: str, **params: object) -> object:
    spec = ADAPTERS.get(name)
    model = spec.build(**{k: v for k, v in _TORCH_SMOKE.items() if k in spec.params}, **params)
    model.fit(_tiny(), None)
    return model


def test_torch_recommenders_resolve_their_device_into_provenance() -> None:
    from rankbench.harness.devices import resolve_device

    users = np.arange(12)
    for name in TORCH_RECOMMENDERS:
        auto, cpu = _fit(name), _fit(name, device="cpu")
        assert auto.device == resolve_device("auto") and cpu.device == "cpu"
        assert cpu.model_provenance == {"device": "cpu", "dtype": "float32"}
        if auto.device == "cpu":  # same seed, same device: the same model
            np.testing.assert_array_equal(auto.score(users), cpu.score(users))
    assert ADAPTERS.get("popularity").build().model_provenance is None  # no torch, no device to report


def test_torch_recommenders_refuse_a_device_this_machine_lacks_in_one_line() -> None:
    import torch

    from rankbench.harness.errors import BadInput

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    for name in ("bpr", "multdae", "gmf"):
        with pytest.raises(BadInput) as err:
            ADAPTERS.get(name).build(device="cuda:0")
        assert "\n" not in str(err.value) and "sees no CUDA GPU" in str(err.value)
    with pytest.raises(BadInput, match="is not one of auto, cpu, cuda, cuda:N, mps"):
        ADAPTERS.get("mlp").build(device="gpu")


@pytest.mark.gpu
def test_torch_recommenders_on_cuda_train_there_and_match_the_cpu() -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    users = np.arange(12)
    for name in TORCH_RECOMMENDERS:
        gpu, cpu = _fit(name, device="cuda"), _fit(name, device="cpu")
        assert gpu.device == "cuda:0" and gpu.model_provenance["gpu"]
        if name != "multvae":  # no dropout or sampling noise: same initial weights, same batches
            np.testing.assert_allclose(gpu.score(users), cpu.score(users), atol=1e-3)
        assert np.isfinite(gpu.score(users)).all()
