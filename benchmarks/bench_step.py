"""P2: one training step of the same MLP in regcore and in PyTorch eager, side by side.

A step is forward, cross-entropy loss, backward and an SGD (momentum 0.9)
update, on a fixed mini-batch.  Both libraries run in the same process with
the same number of BLAS / intra-op threads; timings use ``timeit`` (best
practice: many repeats, report the median; the minimum is the least noisy
estimate of the cost, the maximum shows the noise).

Run ``python benchmarks/bench_step.py`` (or ``make bench``).
"""
from __future__ import annotations

import statistics
import timeit
from dataclasses import dataclass

import numpy as np

import regcore as rc
from regcore import functional as F

CASES = [  # (name, sizes, batch, norm, dropout)
    ("digits 64-256-256-10 b64", [64, 256, 256, 10], 64, None, 0.0),
    ("digits + batch norm", [64, 256, 256, 10], 64, "batch", 0.0),
    ("digits + layer norm", [64, 256, 256, 10], 64, "layer", 0.0),
    ("digits + dropout 0.5", [64, 256, 256, 10], 64, None, 0.5),
    ("large 784-1024-1024-10 b256", [784, 1024, 1024, 10], 256, None, 0.0),
]


@dataclass
class Timing:
    median: float
    best: float
    worst: float


def _time(step, number: int, repeat: int) -> Timing:
    step()  # warm-up (allocations, lazy imports)
    runs = [t / number for t in timeit.repeat(step, number=number, repeat=repeat)]
    return Timing(statistics.median(runs), min(runs), max(runs))


def regcore_step(sizes, batch, norm, dropout, seed=0):
    rng = np.random.default_rng(seed)
    model = rc.MLP(sizes, norm=norm, dropout=dropout, rng=rng)
    opt = rc.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)

    def step():
        opt.zero_grad()
        _, dlogits = F.cross_entropy(model(x), y)
        model.backward(dlogits)
        opt.step()
    return model, step, x, y


def torch_step(model_rc, x, y, dtype):
    import torch
    model = rc.to_torch(model_rc).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt = torch.as_tensor(x, dtype=dtype)
    yt = torch.as_tensor(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()
    return step


def run(repeat: int = 15, quick: bool = False) -> list[dict]:
    import torch
    from threadpoolctl import threadpool_limits
    rows = []
    for name, sizes, batch, norm, dropout in CASES:
        number = 2 if sizes[0] == 784 else 20
        if quick:
            number, repeat = 1, 3
        with threadpool_limits(limits=1):
            torch.set_num_threads(1)
            model, rc_step, x, y = regcore_step(sizes, batch, norm, dropout)
            t_rc = _time(rc_step, number, repeat)
            t64 = _time(torch_step(model, x, y, torch.float64), number, repeat)
            t32 = _time(torch_step(model, x, y, torch.float32), number, repeat)
        rows.append({
            "case": name, "threads": 1,
            "regcore_f64_ms": 1e3 * t_rc.median, "regcore_f64_min_ms": 1e3 * t_rc.best,
            "regcore_f64_max_ms": 1e3 * t_rc.worst,
            "torch_f64_ms": 1e3 * t64.median, "torch_f64_min_ms": 1e3 * t64.best,
            "torch_f64_max_ms": 1e3 * t64.worst,
            "torch_f32_ms": 1e3 * t32.median,
            "ratio_f64": t_rc.median / t64.median,
            "ratio_vs_torch_f32": t_rc.median / t32.median,
        })
    return rows


def table(rows: list[dict]) -> str:
    head = (f"{'case':30s} {'regcore f64 ms (min-max)':>26s} {'torch f64 ms (min-max)':>24s} "
            f"{'ratio':>6s} {'torch f32 ms':>12s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['case']:30s} {r['regcore_f64_ms']:8.3f} ({r['regcore_f64_min_ms']:.3f}-{r['regcore_f64_max_ms']:.3f})"
            f" {r['torch_f64_ms']:8.3f} ({r['torch_f64_min_ms']:.3f}-{r['torch_f64_max_ms']:.3f})"
            f" {r['ratio_f64']:6.2f} {r['torch_f32_ms']:12.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
