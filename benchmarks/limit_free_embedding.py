"""Free-embedding step: our written-out InfoNCE gradient + Adam vs torch autograd + torch.optim.Adam.

Both run the same padded batch of (d, n) problems for the same number of steps from the same
start; the script prints seconds per step and the speed-up, for one and two threads.

    python benchmarks/limit_free_embedding.py [--steps 300]
"""

from __future__ import annotations

import argparse
import time

import torch

from rankbench.suites.limit.critical_n import adam_update, infonce, make_problems

SHAPES = ((4, range(5, 13)), (8, range(26, 34)), (12, range(45, 53)))


def ours(params: torch.Tensor, problems, steps: int) -> float:
    params = params.clone()
    m1, m2 = torch.zeros_like(params), torch.zeros_like(params)
    t0 = time.perf_counter()
    for step in range(steps):
        _, _, grad = infonce(params, problems, 0.1)
        adam_update(params, grad, m1, m2, step + 1, 0.01)
        params.div_(params.norm(dim=-1, keepdim=True))
    return (time.perf_counter() - t0) / steps


def autograd(params: torch.Tensor, problems, steps: int) -> float:
    params = params.clone().requires_grad_(True)
    opt = torch.optim.Adam([params], lr=0.01)
    n_sub = problems.n_sub
    t0 = time.perf_counter()
    for _ in range(steps):
        scores = torch.bmm(params[:, :n_sub], params[:, n_sub:].transpose(1, 2)) / 0.1 + problems.bias
        logp = torch.log_softmax(scores, dim=-1).gather(2, problems.pos).sum(-1)
        loss = -torch.where(problems.weight > 0, problems.weight * logp, 0.0).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            params.div_(params.norm(dim=-1, keepdim=True))
    return (time.perf_counter() - t0) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for d, ns in SHAPES:
            problems = make_problems(torch, list(ns), 2, torch.device("cpu"))
            gen = torch.Generator().manual_seed(0)
            start = torch.nn.functional.normalize(
                torch.randn(len(ns), problems.n_sub + max(ns), d, generator=gen), dim=-1
            )
            a, b = ours(start, problems, args.steps), autograd(start, problems, args.steps)
            print(
                f"threads={threads} d={d:2d} n={min(ns)}..{max(ns)}: ours {1e3 * a:7.2f} ms/step, "
                f"autograd+torch.optim.Adam {1e3 * b:7.2f} ms/step, speed-up x{b / a:.2f}"
            )


if __name__ == "__main__":
    main()
