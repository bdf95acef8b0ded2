"""The free-embedding experiment of LIMIT (Weller et al., 2025): how many documents fit in d dimensions?

For a corpus of n documents and one query per k-subset of it, query and document vectors are
optimised directly (no model), so any failure is the geometry's, not a model's. The *critical n*
of (d, k) is the largest n for which every one of the C(n, k) queries ranks exactly its k documents
on top. The procedure follows the paper's reference: unit-normalised vectors after every Adam step
(lr 0.01), InfoNCE over all documents at temperature 0.1, full batch, at most 100,000 steps, early
stop when the loss has not improved by 1e-5 for 1,000 steps, accuracy checked every 50 steps.

Two facts make the search cheap without changing its answer: representability is monotone in n
(dropping a document keeps every remaining subset on top) and in d (a d-dimensional solution
embeds in d+1), so a solved n is a certificate for all smaller n and for all larger d. Each d
therefore starts at the previous d's critical n, and a window of consecutive n values is optimised
as one padded batch (documents and queries masked per problem), sliding up while its top is solved.
The paper fits a cubic in d to the critical n values and extrapolates it; we fit ours the same way.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rankbench.harness.deps import require
from rankbench.harness.devices import DEVICE_DEFAULT, describe, resolve_device
from rankbench.harness.errors import BadInput
from rankbench.harness.interfaces import Family
from rankbench.harness.records import Loaded
from rankbench.harness.registry import DatasetSpec, TaskSpec
from rankbench.harness.stats import Estimate
from rankbench.harness.suite import Suite, TaskOutput

log = logging.getLogger(__name__)

EXTRAPOLATE_TO = (384, 512, 768, 1024, 4096)
PAPER_FIT = (-10.5322, 4.0309, 0.0520, 0.0037)
"""Published cubic (constant first) for k=2: critical n = -10.5322 + 4.0309 d + 0.0520 d^2 + 0.0037 d^3."""
PAPER_CITATION = "Weller et al. 2025, arXiv:2508.21038, Sec. 5 (free embedding experiment, k=2)"


@dataclass(frozen=True)
class OptimConfig:
    """Optimiser settings; the defaults are those of the paper's reference implementation."""

    lr: float = 0.01
    temperature: float = 0.1
    max_iters: int = 100_000
    patience: int = 1000
    min_delta: float = 1e-5
    eval_every: int = 50
    seed: int = 0
    device: str = DEVICE_DEFAULT
    """auto | cpu | cuda | cuda:N | mps (`rankbench.harness.devices`); vectors start on the CPU, then move."""


@dataclass(frozen=True)
class Attempt:
    """The outcome of optimising one (d, n, k) problem."""

    d: int
    n: int
    k: int
    accuracy: float
    iterations: int
    solved: bool


def parse_int_list(value: Any, what: str) -> list[int]:
    """`"2..12"`, `"2,4,8"`, `"2..8,16"` or an int: the sorted distinct integers it names."""
    if isinstance(value, int):
        return [value]
    out: set[int] = set()
    for part in str(value).split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", part)
        if not m:
            raise BadInput(f"cannot read {what} {value!r}; expected e.g. 2..12 or 2,4,8")
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo:
            raise BadInput(f"{what} range {part.strip()!r} is empty (write low..high)")
        out.update(range(lo, hi + 1))
    return sorted(out)


def colex_subsets(n: int, k: int) -> np.ndarray:
    """All k-subsets of range(n) in colex order, so the subsets of range(m) are the first C(m, k) rows."""
    rows = sorted(itertools.combinations(range(n), k), key=lambda c: c[::-1])
    return np.array(rows, dtype=np.int64).reshape(-1, k)


@dataclass(frozen=True)
class Problems:
    """A batch of (n, k) problems padded to the largest n: positives, per-query weights, document mask."""

    pos: Any  # (batch, C(n_max, k), k) long: each query's relevant documents
    weight: Any  # (batch, C(n_max, k)): 1 / (k * C(n, k)) for a problem's queries, 0 for padding
    bias: Any  # (batch, 1, n_max): 0 for a problem's documents, -inf for padding
    n_queries: Any  # (batch,)
    k: int

    @property
    def n_sub(self) -> int:
        return int(self.pos.shape[1])


def make_problems(torch: Any, ns: Sequence[int], k: int, device: Any) -> Problems:
    batch, n_max = len(ns), max(ns)
    pos = torch.from_numpy(colex_subsets(n_max, k)).to(device)
    n_queries = torch.tensor([math.comb(n, k) for n in ns], device=device, dtype=torch.float32)
    valid = torch.arange(len(pos), device=device)[None, :] < n_queries[:, None]
    sizes = torch.tensor(list(ns), device=device)
    bias = torch.zeros(batch, 1, n_max, device=device).masked_fill(
        torch.arange(n_max, device=device)[None, None, :] >= sizes[:, None, None], -math.inf
    )
    return Problems(pos.expand(batch, len(pos), k), valid / (k * n_queries[:, None]), bias, n_queries, k)


def infonce(params: Any, problems: Problems, temperature: float) -> tuple[Any, Any, Any]:
    """Scores, per-problem InfoNCE losses and their gradient w.r.t. `params` (queries then documents).

    The gradient is written out (dL/dS = w * (k softmax(S) - positives)) so a step is a dozen
    fused tensor ops instead of an autograd graph: at these sizes per-op overhead is the cost.
    """
    torch = require("torch", "ir", "the free-embedding experiment")
    n_sub, k = problems.n_sub, problems.k
    q, x = params[:, :n_sub], params[:, n_sub:]
    scores = torch.baddbmm(problems.bias, q, x.transpose(1, 2), alpha=1.0 / temperature)
    lse = scores.logsumexp(-1)
    per_query = k * lse - scores.gather(2, problems.pos).sum(-1)  # padding queries may hold inf: mask them
    losses = torch.where(problems.weight > 0, problems.weight * per_query, 0.0).sum(-1)
    grad_s = (scores - lse[..., None]).exp_().mul_(k)
    grad_s.scatter_add_(2, problems.pos, torch.full_like(problems.pos, -1, dtype=grad_s.dtype))
    grad_s.mul_(problems.weight[..., None] / temperature)
    grad = torch.cat([torch.bmm(grad_s, x), torch.bmm(grad_s.transpose(1, 2), q)], dim=1)
    return scores, losses, grad


def adam_update(params: Any, grad: Any, m1: Any, m2: Any, step: int, lr: float) -> None:
    """One Adam step in place with torch's defaults (betas 0.9/0.999, eps 1e-8), on one tensor."""
    beta1, beta2 = 0.9, 0.999
    m1.lerp_(grad, 1 - beta1)
    m2.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = (m2 / (1 - beta2**step)).sqrt_().add_(1e-8)
    params.addcdiv_(m1, denom, value=-lr / (1 - beta1**step))


def _shrink(torch: Any, t: Any, old_sub: int, n_sub: int, n_max: int) -> Any:
    """Drop the queries and documents that no remaining problem uses (colex keeps them a prefix)."""
    return torch.cat([t[:, :n_sub], t[:, old_sub : old_sub + n_max]], dim=1)


def optimise(d: int, ns: Sequence[int], k: int, config: OptimConfig) -> list[Attempt]:
    """Optimise free embeddings for ascending corpus sizes `ns` at once; one `Attempt` per n.

    A problem stops when solved, when its loss plateaus, or when a larger n is solved (which
    certifies it); `Attempt.solved` is true only for problems that reached 100% themselves.
    Stopped problems leave the batch at the next accuracy check (the batch shrinks to the
    largest n still running), so the long failing runs do not pay for the finished ones.
    """
    torch = require("torch", "ir", "the free-embedding experiment")
    if list(ns) != sorted(set(ns)):
        raise BadInput(f"corpus sizes must be distinct and ascending, got {list(ns)}")
    if min(ns) < k or d < 1 or k < 1:
        raise BadInput(f"need n >= k >= 1 and d >= 1 (got n={min(ns)}, k={k}, d={d})")
    device = torch.device(resolve_device(config.device))
    gen = torch.Generator().manual_seed(config.seed * 1_000_003 + d * 1009 + min(ns))
    alive = list(ns)
    problems = make_problems(torch, alive, k, device)
    batch = len(alive)
    params = torch.randn(batch, problems.n_sub + max(ns), d, generator=gen).to(device)
    params = torch.nn.functional.normalize(params, dim=-1)
    m1, m2 = torch.zeros_like(params), torch.zeros_like(params)
    best = torch.full((batch,), math.inf, device=device)
    stale = torch.zeros(batch, dtype=torch.long, device=device)
    accuracy = torch.zeros(batch, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    iterations = torch.zeros(batch, dtype=torch.long, device=device)
    finished: dict[int, tuple[float, int]] = {}
    for step in range(config.max_iters):
        scores, losses, grad = infonce(params, problems, config.temperature)
        if step % config.eval_every == 0:
            top = scores.topk(k, dim=-1).indices
            hits = (top[..., :, None] == problems.pos[..., None, :]).any(-1).sum(-1)
            acc = (hits * (problems.weight > 0)).sum(-1) / (k * problems.n_queries)
            accuracy = torch.where(done, accuracy, torch.maximum(accuracy, acc))
            # a solved n certifies every smaller n (drop documents, the rest stay on top): stop those
            done |= (accuracy >= 1.0).int().flip(0).cummax(0).values.flip(0).bool()
        improved = losses < best - config.min_delta
        best = torch.where(improved, losses, best)
        stale = torch.where(improved, 0, stale + 1)
        done |= stale >= config.patience
        if bool(done.all()):
            break
        iterations += (~done).long()
        adam_update(params, grad.mul_((~done)[:, None, None]), m1, m2, step + 1, config.lr)
        params.div_(params.norm(dim=-1, keepdim=True))
        if step % config.eval_every == 0 and bool(done.any()):
            for i in done.nonzero().flatten().tolist():
                finished[alive[i]] = (float(accuracy[i]), int(iterations[i]))
            keep = (~done).nonzero().flatten()
            alive = [alive[i] for i in keep.tolist()]
            old_sub, problems = problems.n_sub, make_problems(torch, alive, k, device)
            params, m1, m2 = (_shrink(torch, t[keep], old_sub, problems.n_sub, max(alive)) for t in (params, m1, m2))
            best, stale, accuracy, iterations = best[keep], stale[keep], accuracy[keep], iterations[keep]
            done = done[keep]
    for i, n in enumerate(alive):
        finished.setdefault(n, (float(accuracy[i]), int(iterations[i])))
    return [Attempt(d, n, k, finished[n][0], finished[n][1], finished[n][0] >= 1.0) for n in ns]


def critical_n(d: int, k: int, known: int, config: OptimConfig, window: int = 8) -> tuple[int, list[Attempt]]:
    """Largest solved n for (d, k), searching windows of n above `known` (an n already solved)."""
    best, attempts, start = known, [], known + 1
    while True:
        batch = optimise(d, range(start, start + window), k, config)
        attempts += batch
        solved = [a.n for a in batch if a.solved]
        best = max([best, *solved])
        log.info("d=%d k=%d: n %d..%d solved %s", d, k, start, start + window - 1, solved)
        if not batch[-1].solved:
            return best, attempts
        start += window


def cubic_fit(dims: Sequence[int], values: Sequence[float]) -> tuple[np.ndarray, float]:
    """Least-squares cubic (constant first, as the paper writes it) and its r^2."""
    x, y = np.asarray(dims, dtype=float), np.asarray(values, dtype=float)
    coef = np.polynomial.polynomial.polyfit(x, y, 3)
    pred = np.polynomial.polynomial.polyval(x, coef)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(((y - pred) ** 2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return coef, r2


def _point(value: float) -> Estimate:
    return Estimate(float(value), float(value), float(value), 1)


def _search(
    dims: Sequence[int], ks: Sequence[int], config: OptimConfig, window: int
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Estimate]]:
    """Critical n for every (d, k), ascending d so each starts from the last; then a cubic fit per k."""
    from rich.progress import Progress

    rows: list[dict[str, Any]] = []
    aggregates: dict[str, Estimate] = {}
    fits: dict[str, Any] = {}
    with Progress(transient=True) as progress:
        bar = progress.add_task("critical n", total=len(dims) * len(ks))
        for k in ks:
            known = k
            for d in dims:
                t0 = time.perf_counter()
                known, attempts = critical_n(d, k, known, config, window)
                rows.append(
                    {
                        "unit": f"d={d},k={k}",
                        "d": d,
                        "k": k,
                        "critical_n": known,
                        "paper_fit_n": float(np.polynomial.polynomial.polyval(d, PAPER_FIT)) if k == 2 else math.nan,
                        "n_tried": len(attempts),
                        "iterations": sum(a.iterations for a in attempts),
                        "seconds": time.perf_counter() - t0,
                        "failed_ns": ",".join(str(a.n) for a in attempts if not a.solved),
                    }
                )
                aggregates[f"critical_n_d{d}_k{k}"] = _point(known)
                progress.advance(bar)
            found = [r for r in rows if r["k"] == k]
            if len(found) >= 4:
                coef, r2 = cubic_fit([r["d"] for r in found], [r["critical_n"] for r in found])
                extrapolated = {str(t): float(np.polynomial.polynomial.polyval(t, coef)) for t in EXTRAPOLATE_TO}
                fits[f"k={k}"] = {"coefficients": coef.tolist(), "r2": r2, "extrapolated": extrapolated}
                aggregates.update({f"fit_n_d{t}_k{k}": _point(v) for t, v in extrapolated.items()})
    return pd.DataFrame(rows).set_index("unit"), fits, aggregates


def run_critical_n(suite: Suite, adapter: Any, family: Family | None, seed: int, data: Loaded) -> TaskOutput:
    """The task: critical n for every (d, k) of the suite's settings, plus the cubic fit per k."""
    torch = require("torch", "ir", "the free-embedding experiment")
    proto = suite.settings
    device = resolve_device(str(proto.get("device", DEVICE_DEFAULT)))  # a device this machine lacks stops here
    config = OptimConfig(
        lr=float(proto.get("lr", 0.01)),
        temperature=float(proto.get("temperature", 0.1)),
        max_iters=int(proto.get("max_iters", 100_000)),
        patience=int(proto.get("patience", 1000)),
        min_delta=float(proto.get("min_delta", 1e-5)),
        seed=seed,
        device=device,
    )
    window = int(proto.get("window", 8))
    threads, torch_threads = int(proto.get("threads", 1)), torch.get_num_threads()
    # the tensors are small: per-op overhead dominates, so one thread beats two contending for them
    torch.set_num_threads(threads)
    try:
        dims, ks = parse_int_list(proto.get("dims", "2..12"), "dims"), parse_int_list(proto.get("k", 2), "k")
        per_unit, fits, aggregates = _search(dims, ks, config, window)
    finally:
        torch.set_num_threads(torch_threads)
    info = {
        "fits": fits,
        "paper_fit": {
            "coefficients": list(PAPER_FIT),
            "extrapolated": {str(t): float(np.polynomial.polynomial.polyval(t, PAPER_FIT)) for t in EXTRAPOLATE_TO},
            "citation": PAPER_CITATION,
        },
        "device": device,
        **{k: v for k, v in describe(device).items() if k == "gpu"},
        "threads": threads,
        "optimiser": {**config.__dict__, "window": window},
    }
    return TaskOutput(
        per_unit=per_unit,
        timings={"optimise_s": float(per_unit["seconds"].sum())},
        aggregates=aggregates,
        info=info,
        device=describe(device),
    )


_DESCRIPTION = "one query per k-subset of n documents (colex order), n searched per d"


def load(spec: DatasetSpec, **params: Any) -> Loaded:
    """The experiment's data is defined by (n, k) alone; its checksum pins that definition."""
    return Loaded(_DESCRIPTION, hashlib.sha256(_DESCRIPTION.encode()).hexdigest(), {"generated": True})


DATASETS = (
    DatasetSpec(
        name="limit-all-k-subsets",
        loader="rankbench.suites.limit.critical_n:load",
        generated=True,
        description="all C(n, k) top-k sets of n documents, for the free-embedding experiment",
    ),
)
TASKS = (
    TaskSpec(
        name="limit-critical-n",
        function="rankbench.suites.limit.critical_n:run_critical_n",
        description="free-embedding optimisation: largest n whose every top-k set is representable in d dimensions",
        settings=(
            "dims",
            "k",
            "lr",
            "temperature",
            "max_iters",
            "patience",
            "min_delta",
            "device",
            "window",
            "threads",
        ),
    ),
)
SUITES = (
    Suite(
        name="limit-critical-n",
        dataset="limit-all-k-subsets",
        task="limit-critical-n",
        measures=(),
        families=(),
        unit="dimension",
        settings={"dims": "2..12", "k": 2},
        description="LIMIT free-embedding experiment: critical n per d, cubic fit, extrapolation (no adapter)",
        needs_adapter=False,
        tags=("limit", "theory"),
    ),
)
