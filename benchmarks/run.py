"""Entry point of ``make bench``: run every benchmark, print one table, save JSON.

Measures (see the performance issue's targets):

* P2 — one training step, regcore vs PyTorch eager, same process, one thread
  each (``bench_step.py``);
* memory — peak resident set size of the large P2 case, measured in a child
  process so that the number is that case's alone.

The book's own execution times (P1) come from ``make execute``, which writes
``book/execution_statistics.md``.  Results go to ``benchmarks/results/``.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def machine() -> dict:
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info
    return {
        "machine": platform.machine(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
        "blas": [{k: i.get(k) for k in ("internal_api", "version", "num_threads")}
                 for i in threadpool_info()],
    }


PEAK_RSS_CHILD = """
import resource, sys
sys.path.insert(0, {here!r})
import bench_step
model, step, x, y = bench_step.regcore_step([784, 1024, 1024, 10], 256, None, 0.0)
for _ in range(3):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mib() -> float:
    out = subprocess.run([sys.executable, "-c", PEAK_RSS_CHILD.format(here=str(HERE))],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    import bench_step
    quick = "--quick" in sys.argv
    rows = bench_step.run(quick=quick)
    info = machine()
    rss = peak_rss_mib()
    print(f"machine: {info['machine']}, {info['cpus']} cpus, numpy {info['numpy']}, torch {info['torch']}")
    print(bench_step.table(rows))
    print(f"\npeak RSS, regcore 784-1024-1024-10 b256 training steps: {rss:.0f} MiB")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "step.json").write_text(json.dumps(
        {"machine": info, "step": rows, "peak_rss_large_mib": rss}, indent=1) + "\n")
    print(f"wrote {results / 'step.json'}")


if __name__ == "__main__":
    main()
