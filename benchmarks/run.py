"""Entry point of ``make bench``: run every benchmark, print one table, save JSON.

Measures (see the performance issue's targets):

* P2 — one training step, regcore vs PyTorch eager, same process, same dtype
  (float64 and float32), one thread each (``bench_step.py``);
* memory — peak resident set size (RSS) of the large P2 case, each library
  and dtype in a child process of its own, so that the number is that case's
  alone (the regcore child never imports torch).

The book's own execution times (P1) come from ``make execute``, which writes
``book/execution_statistics.md``.  Results go to ``benchmarks/results/step.json``.
Pass ``--quick`` for a smoke run (few repeats; numbers not meaningful).
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def machine() -> dict:
    """Cores, versions and the BLAS libraries each side uses."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info
    config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version ([\w.\-]+)", config)
    return {
        "machine": platform.machine(), "cpus": os.cpu_count(), "cpu": _cpu_model(),
        "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
        # numpy's BLAS as threadpoolctl reports it (library, version, kernel architecture)
        "numpy_blas": [{k: i.get(k) for k in ("internal_api", "version", "architecture",
                                                "num_threads")}
                       for i in threadpool_info() if i.get("user_api") == "blas"],
        # torch links MKL statically, which threadpoolctl cannot see: take it from torch
        "torch_blas": f"MKL {mkl.group(1)}" if mkl else torch.backends.mkl.is_available(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": 1,
    }


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:  # pragma: no cover - not Linux
        return None
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else None


# VmHWM ("high water mark") of /proc/self/status belongs to the child's own
# address space.  ru_maxrss would not do: Linux carries it over from the parent
# through fork and exec, so every child would report this (larger) process's peak.
PEAK_RSS_CHILD = """
import re, sys
sys.path.insert(0, {here!r})
import bench_step
model, step, x, y = bench_step.regcore_step(bench_step.LARGE, 256, None, 0.0, {dtype!r})
if {lib!r} == "torch":
    step = bench_step.torch_step(model, x, y)
    del model
for _ in range(3):
    step()
print(re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read()).group(1))
"""


def peak_rss_mib(lib: str, dtype: str) -> float:
    """Peak RSS (MiB) of a fresh process running three large-case steps of ``lib``."""
    code = PEAK_RSS_CHILD.format(here=str(HERE), lib=lib, dtype=dtype)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return round(int(out.stdout.strip()) / 1024, 1)  # kB (KiB) to MiB


def main() -> None:
    import bench_step
    quick = "--quick" in sys.argv
    start = time.perf_counter()
    info = machine()
    print(f"machine: {info['machine']}, {info['cpus']} cpus ({info['cpu']}), "
          f"numpy {info['numpy']} with {info['numpy_blas']}, torch {info['torch']} with "
          f"{info['torch_blas']}; 1 thread each\n")
    rows = bench_step.run(quick=quick)
    print(bench_step.table(rows))
    rss = {f"{lib}_{dtype}": peak_rss_mib(lib, dtype)
           for lib in ("regcore", "torch") for dtype in bench_step.DTYPES}
    print("\npeak RSS of the large case (784-1024-1024-10, batch 256), MiB: "
          + ", ".join(f"{k.replace('_', ' ')} {v:.0f}" for k, v in rss.items()))
    seconds = round(time.perf_counter() - start, 1)
    print(f"total time {seconds} s")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    path = results / ("step_quick.json" if quick else "step.json")
    path.write_text(json.dumps({"machine": info, "step": rows, "peak_rss_large_mib": rss,
                                "seconds": seconds}, indent=1) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
