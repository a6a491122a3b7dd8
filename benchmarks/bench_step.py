"""P2: one training step of the same MLP in regcore and in PyTorch eager, side by side.

A step is what a training loop does per mini-batch: ``zero_grad``, forward,
cross-entropy loss, backward and an SGD (momentum 0.9) update, on a fixed
mini-batch.  Both libraries run in the same process, in the same dtype
(float64 and float32), with one BLAS / intra-op thread each
(``threadpool_limits(1)`` and ``torch.set_num_threads(1)``).  regcore's
backward is called with ``needs_input_grad=False``, as :func:`regcore.fit`
does; PyTorch skips that gradient by itself because the data does not require
grad.

Timing uses :mod:`timeit`.  The machine is shared and noisy, so the two
libraries are measured *interleaved*: each round times ``number`` steps of
regcore, then ``number`` steps of torch, and the table reports the median,
minimum and maximum over the rounds.  The ratio is of the medians.

Run ``python benchmarks/run.py`` (``make bench``) for the full table, the
machine description and the JSON file; this module can also run alone.
"""
from __future__ import annotations

import statistics
import timeit
from dataclasses import dataclass
from typing import Callable

import numpy as np

import regcore as rc
from regcore import functional as F

SMALL, LARGE = [64, 256, 256, 10], [784, 1024, 1024, 10]

#: (name, sizes, batch, norm, dropout, target ratio regcore / torch)
CASES = [
    ("digits 64-256-256-10 b64", SMALL, 64, None, 0.0, 1.0),
    ("digits + batch norm", SMALL, 64, "batch", 0.0, 1.0),
    ("digits + layer norm", SMALL, 64, "layer", 0.0, 1.0),
    ("digits + dropout 0.5", SMALL, 64, None, 0.5, 1.0),
    ("large 784-1024-1024-10 b256", LARGE, 256, None, 0.0, 1.2),
    ("large + batch norm", LARGE, 256, "batch", 0.0, 1.2),
    ("large + layer norm", LARGE, 256, "layer", 0.0, 1.2),
    ("large + dropout 0.5", LARGE, 256, None, 0.5, 1.2),
]
DTYPES = ("float64", "float32")


@dataclass
class Timing:
    """Milliseconds per step over the rounds."""

    median: float
    best: float
    worst: float

    @classmethod
    def of(cls, ms: list[float]) -> "Timing":
        return cls(statistics.median(ms), min(ms), max(ms))


def regcore_step(sizes: list[int], batch: int, norm: str | None, dropout: float,
                 dtype: str = "float64", seed: int = 0
                 ) -> tuple[rc.MLP, Callable[[], None], np.ndarray, np.ndarray]:
    """A regcore MLP in ``dtype``, its SGD optimizer and a ``step()`` closure."""
    rng = np.random.default_rng(seed)
    model = rc.MLP(sizes, norm=norm, dropout=dropout, rng=rng).to(dtype)
    opt = rc.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = rng.normal(size=(batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], size=batch)

    def step() -> None:
        opt.zero_grad()
        _, dlogits = F.cross_entropy(model(x), y)
        model.backward(dlogits, needs_input_grad=False)
        opt.step()
    return model, step, x, y


def torch_step(model_rc: rc.Module, x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    """The same network, data and update in PyTorch eager (dtype of ``x``)."""
    import torch
    model = rc.to_torch(model_rc)          # the regcore model's weights and dtype
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()
    return step


def compare(steps: dict[str, Callable[[], None]], number: int, rounds: int
            ) -> dict[str, Timing]:
    """Time each step ``number`` times per round, interleaving the steps round by round."""
    timers = {name: timeit.Timer(step) for name, step in steps.items()}
    for step in steps.values():
        step()                              # warm-up: first allocations, lazy imports
    ms: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, timer in timers.items():
            ms[name].append(1e3 * timer.timeit(number) / number)
    return {name: Timing.of(v) for name, v in ms.items()}


def run(rounds: int = 15, quick: bool = False, cases: list = CASES) -> list[dict]:
    """One row per (case, dtype): regcore and torch timings and their ratio."""
    import torch
    from threadpoolctl import threadpool_limits
    rows = []
    with threadpool_limits(limits=1):
        torch.set_num_threads(1)
        for name, sizes, batch, norm, dropout, target in cases:
            number = 2 if sizes is LARGE else 20
            if quick:
                number, rounds = 1, 3
            for dtype in DTYPES:
                model, rc_step, x, y = regcore_step(sizes, batch, norm, dropout, dtype)
                t = compare({"regcore": rc_step, "torch": torch_step(model, x, y)},
                            number, rounds)
                rows.append({
                    "case": name, "dtype": dtype, "sizes": sizes, "batch": batch,
                    "norm": norm, "dropout": dropout, "threads": 1,
                    "rounds": rounds, "steps_per_round": number,
                    **{f"{lib}_{stat}_ms": round(getattr(t[lib], stat), 3)
                       for lib in ("regcore", "torch") for stat in ("median", "best", "worst")},
                    "ratio": round(t["regcore"].median / t["torch"].median, 3),
                    "target": target,
                })
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a fixed-width text table."""
    head = (f"{'case':28s} {'dtype':7s} {'regcore ms: median (min-max)':>30s} "
            f"{'torch ms: median (min-max)':>28s} {'ratio':>6s} {'target':>7s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        rc_ = f"{r['regcore_median_ms']:.2f} ({r['regcore_best_ms']:.2f}-{r['regcore_worst_ms']:.2f})"
        th = f"{r['torch_median_ms']:.2f} ({r['torch_best_ms']:.2f}-{r['torch_worst_ms']:.2f})"
        ok = "met" if r["ratio"] <= r["target"] else "missed"
        lines.append(f"{r['case']:28s} {r['dtype']:7s} {rc_:>30s} {th:>28s} "
                     f"{r['ratio']:6.2f} {'<= ' + str(r['target']):>7s} {ok}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
