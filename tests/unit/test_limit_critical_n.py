"""The free-embedding optimiser: its gradient and Adam equal torch's, and it finds what geometry allows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rankbench.harness.errors import BadInput
from rankbench.suites.limit.critical_n import (
    OptimConfig,
    adam_update,
    colex_subsets,
    cubic_fit,
    infonce,
    make_problems,
    optimise,
    parse_int_list,
)

torch = pytest.importorskip("torch")


def test_colex_prefix_holds_the_subsets_of_smaller_corpora() -> None:
    rows = colex_subsets(7, 3)
    assert len(rows) == math.comb(7, 3) == len({tuple(r) for r in rows})
    for m in range(3, 8):
        assert rows[: math.comb(m, 3)].max() == m - 1


def test_infonce_gradient_and_loss_match_autograd() -> None:
    gen = torch.Generator().manual_seed(0)
    problems = make_problems(torch, [4, 6], 2, torch.device("cpu"))
    params = torch.nn.functional.normalize(torch.randn(2, problems.n_sub + 6, 3, generator=gen), dim=-1)
    _, losses, grad = infonce(params, problems, 0.1)
    ref = params.clone().requires_grad_(True)
    want = []
    for b, n in enumerate([4, 6]):  # each problem on its own, unpadded, through autograd
        queries, docs = ref[b, : math.comb(n, 2)], ref[b, problems.n_sub : problems.n_sub + n]
        logp = torch.log_softmax(queries @ docs.T / 0.1, dim=-1)
        want.append(-logp.gather(1, torch.from_numpy(colex_subsets(n, 2))).mean())
    want = torch.stack(want)
    want.sum().backward()
    assert torch.allclose(losses, want.detach(), atol=1e-5)
    assert torch.allclose(grad, ref.grad, atol=1e-5)
    # the padded problem (n=4 of 6) gets no gradient on its padding documents or queries
    assert grad[0, problems.n_sub + 4 :].abs().max() == 0
    assert grad[0, math.comb(4, 2) : problems.n_sub].abs().max() == 0


def test_adam_update_matches_torch_adam() -> None:
    gen = torch.Generator().manual_seed(1)
    start = torch.randn(2, 5, 3, generator=gen)
    grads = [torch.randn(2, 5, 3, generator=gen) for _ in range(3)]
    ours, m1, m2 = start.clone(), torch.zeros_like(start), torch.zeros_like(start)
    ref = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([ref], lr=0.01)
    for step, g in enumerate(grads, start=1):
        adam_update(ours, g, m1, m2, step, 0.01)
        ref.grad = g.clone()
        opt.step()
    assert torch.allclose(ours, ref.detach(), atol=1e-6)


def test_reaches_full_accuracy_on_a_representable_case() -> None:
    # 4 documents on the 3-sphere (a tetrahedron): every pair is the top 2 of the query at its edge midpoint
    (attempt,) = optimise(3, [4], 2, OptimConfig(seed=0))
    assert attempt.solved and attempt.accuracy == 1.0


@pytest.mark.parametrize(("d", "n"), [(1, 3), (2, 4)])
def test_fails_where_no_configuration_exists(d: int, n: int) -> None:
    # d=1: unit vectors are +-1, so two of three documents tie and some pair cannot beat the third;
    # d=2: documents lie on a circle and a linear query's top 2 are neighbours: 4 of C(4,2)=6 pairs
    (attempt,) = optimise(d, [n], 2, OptimConfig(seed=0, patience=300))
    assert not attempt.solved and attempt.accuracy < 1.0


def test_parse_int_list_and_errors() -> None:
    assert parse_int_list("2..5,8", "dims") == [2, 3, 4, 5, 8]
    assert parse_int_list(4, "dims") == [4]
    with pytest.raises(BadInput, match="dims"):
        parse_int_list("5..2", "dims")
    with pytest.raises(BadInput, match="dims"):
        parse_int_list("two", "dims")


def test_cubic_fit_recovers_a_cubic() -> None:
    d = np.arange(2, 12)
    coef, r2 = cubic_fit(d, 1.0 + 2.0 * d + 0.5 * d**2 + 0.01 * d**3)
    assert np.allclose(coef, [1.0, 2.0, 0.5, 0.01], atol=1e-6) and r2 == pytest.approx(1.0)


def test_the_cell_runs_on_the_resolved_device_and_records_it() -> None:
    from rankbench.harness.devices import resolve_device
    from rankbench.harness.runner import execute_cell
    from rankbench.harness.store import CellKey

    result, units = execute_cell(CellKey("limit-critical-n(dims='2',max_iters=200,patience=50,window=2)", "-", 0))
    assert result.ok, result.error
    assert result.provenance["device"] == result.info["device"] == resolve_device("auto")
    assert units is not None and list(units["critical_n"]) == [result.measures["critical_n_d2_k2"].value]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_device_this_machine_lacks_fails_the_cell_in_one_line() -> None:
    from rankbench.harness.runner import execute_cell
    from rankbench.harness.store import CellKey

    result, _ = execute_cell(CellKey("limit-critical-n(device='cuda',dims='2')", "-", 0))
    assert not result.ok and result.error is not None and result.error.type == "BadInput"
    assert "sees no CUDA GPU" in result.error.message and "\n" not in result.error.message
    with pytest.raises(BadInput, match="not one of auto, cpu, cuda"):
        optimise(2, [3], 2, OptimConfig(device="gpu"))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_solves_what_the_cpu_solves() -> None:
    config = {"seed": 0, "patience": 300}
    for d, n in ((3, 4), (2, 5)):
        (gpu,) = optimise(d, [n], 2, OptimConfig(**config, device="cuda"))
        (cpu,) = optimise(d, [n], 2, OptimConfig(**config, device="cpu"))
        assert gpu.solved == cpu.solved
