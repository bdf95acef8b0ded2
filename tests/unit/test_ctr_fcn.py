"""FCN's parts: LCN and ECN (shape, order of crosses), Self-Mask, Tri-BCE."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rankbench.adapters.ctr.fcn import CrossNetwork, SelfMask, multi_head, tri_bce  # noqa: E402


def _network(exponential: bool, layers: int, dim: int = 16) -> CrossNetwork:
    torch.manual_seed(0)
    net = CrossNetwork(dim, layers, exponential=exponential, dropout=0.0)
    for b in net.b:
        torch.nn.init.zeros_(b)  # without the bias every cross term is a pure product of inputs
    return net.eval()


def _growth_order(net: CrossNetwork, dim: int = 16) -> float:
    """d log|x_L(c x)| / d log c at large c: the highest cross order the network builds."""
    x = torch.randn(64, 1, dim, dtype=torch.float64)
    net = net.double()
    with torch.no_grad():
        lo = net.cross(1e3 * x).norm()
        hi = net.cross(2e3 * x).norm()
    return float(np.log2((hi / lo).item()))


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_lcn_order_grows_linearly(layers: int) -> None:
    net = _network(False, layers)
    out = net(torch.randn(5, 1, 16))
    assert out.shape == (5,)
    assert _growth_order(net) == pytest.approx(layers + 1, abs=0.05)


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_ecn_order_grows_exponentially(layers: int) -> None:
    net = _network(True, layers)
    out = net(torch.randn(5, 1, 16))
    assert out.shape == (5,)
    assert _growth_order(net) == pytest.approx(2**layers, abs=0.05)


def test_one_lcn_layer_is_its_formula() -> None:
    net = _network(False, 1)
    x0 = torch.randn(4, 1, 16)
    c = net.w[0](x0)
    h = torch.cat([c, c * torch.relu(torch.nn.functional.layer_norm(c, (8,)))], dim=-1)
    torch.testing.assert_close(net.cross(x0), x0 * h + x0)


def test_self_mask_keeps_projection_and_zeroes_below_mean_half() -> None:
    torch.manual_seed(1)
    mask = SelfMask(32)
    c = torch.randn(200, 32)
    out = mask(c)
    assert out.shape == (200, 64)
    torch.testing.assert_close(out[:, :32], c)
    masked = out[:, 32:]
    below_mean = c < c.mean(dim=-1, keepdim=True)
    assert torch.all(masked[below_mean] == 0)
    assert torch.all(masked[~below_mean] != 0)
    assert 0.35 < below_mean.float().mean().item() < 0.65  # about half is filtered


def test_tri_bce_adds_only_lagging_subnetworks() -> None:
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    y = torch.tensor([1.0, 0.0, 1.0, 0.0])
    good = torch.tensor([3.0, -3.0, 2.0, -2.0])
    bad = torch.tensor([-1.0, 1.0, 0.0, 0.5])
    # both sub-networks at least as good as the fusion: the loss is the fused BCE alone
    assert tri_bce(good, good, good, y).item() == pytest.approx(bce(good, y).item())
    fused = 0.5 * (good + bad)
    loss, loss_bad = bce(fused, y), bce(bad, y)
    expected = loss + loss_bad * (loss_bad - loss)  # the good branch beats the fusion and adds nothing
    assert tri_bce(fused, good, bad, y).item() == pytest.approx(expected.item())


def test_multi_head_split_shapes() -> None:
    emb = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)  # B=2, F=3, D*H=8
    out = multi_head(emb, 2)
    assert out.shape == (2, 2, 12)
    one = multi_head(emb, 1)
    assert one.shape == (2, 1, 24)
    assert set(one.flatten().tolist()) == set(emb.flatten().tolist())  # a permutation of the inputs
