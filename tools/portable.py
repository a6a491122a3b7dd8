"""``make test-portable``: the committed outputs must not depend on the BLAS kernel.

Re-executes every chapter notebook (``book/NN_*.ipynb``) under other OpenBLAS
kernels, chosen with ``OPENBLAS_CORETYPE`` (numpy's OpenBLAS is built with
DYNAMIC_ARCH, so any x86-64 can run the older kernels), and compares every
cell's output with the committed one using nbval, exactly as ``make test``
does on the machine's own kernel.

Before each kernel's nbval run, one Jupyter kernel is started with the same
environment and asked which OpenBLAS core it really runs (threadpoolctl, the
same report as ``numpy.show_runtime()``); the run stops if the variable did not
take effect, so a "pass" can never mean "ran the default kernel again".
(OpenBLAS names the Prescott kernel "Katmai": in its dynamic builds the two
are the same SSE3 kernel, and ``openblas_get_corename`` reports the first
name.)

Usage: ``python tools/portable.py [--cores Prescott,Sandybridge,Haswell] [--jobs 2]
[NOTEBOOK ...]``.  Prints one summary line per kernel with its time and the
nbval ids of the cells whose output differed, writes the same to
``_build/portable/summary.txt``, and exits non-zero if any kernel differed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "portable"

# What threadpoolctl reports for each requested core (see the docstring).
REPORTED = {"prescott": {"prescott", "katmai"}}

PROBE = (
    "import json, numpy, threadpoolctl\n"
    "print(json.dumps([dict(arch=i.get('architecture'), version=i.get('version'),"
    " threads=i.get('num_threads')) for i in threadpoolctl.threadpool_info()"
    " if i.get('internal_api') == 'openblas']))"
)


def kernel_blas(env: dict) -> list[dict]:
    """The OpenBLAS cores a fresh Jupyter kernel started with ``env`` runs."""
    code = (
        "import json, sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(sys.argv[1])])\n"
        "NotebookClient(nb, timeout=120, kernel_name='python3',"
        " shutdown_kernel='immediate').execute()\n"
        "print(nb.cells[0].outputs[0]['text'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def failures(junit: Path) -> tuple[int, list[str]]:
    """(number of cells run, nbval ids of the cells that failed or errored)."""
    if not junit.exists():
        return 0, ["(no junit report: pytest did not run)"]
    root = ET.parse(junit).getroot()
    ran, failed = 0, []
    for case in root.iter("testcase"):
        ran += 1
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            # nbval's id, book/03_l1.ipynb::Cell 12 (junit's classname is the dotted path)
            cls = case.get("classname", "")
            path = cls[:-len(".ipynb")].replace(".", "/") + ".ipynb" if cls.endswith(".ipynb") else cls
            failed.append(f"{path}::{case.get('name')}{reason(bad.text or bad.get('message', ''))}")
    return ran, failed


def reason(text: str) -> str:
    """The first output nbval found different, and how: a short note for the summary."""
    text = re.sub(r"\x1b\[[0-9;]*m|#x1B\[[0-9;]*m", "", text)
    lines = [l.strip() for l in text.splitlines()]
    # skip the cell's source: nbval's report of what went wrong starts at "Traceback:"
    lines = lines[next((i for i, l in enumerate(lines) if l.startswith("Traceback:")), 0):]
    for i, line in enumerate(lines):
        if line.startswith("mismatch "):
            key = line.split(" ", 1)[1]
            # pytest's diff of `reference_output == test_output`: '+' committed, '-' this run
            rest = lines[i + 1:i + 40]
            new = next((l[2:] for l in rest if l.startswith("- ")), None)
            old = next((l[2:] for l in rest if l.startswith("+ ")), None)
            if new is None or old is None:
                pair = next((l for l in rest if l.startswith("'") and "' == '" in l), "")
                return f"  [{key}: {pair[:200]}]"
            return f"  [{key}: committed {old[:110]!r}, this kernel {new[:110]!r}]"
        if "Error" in line and ":" in line and not line.startswith(("Input", "File")):
            return f"  [{line[:200]}]"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default=os.environ.get("CORETYPES", "Prescott,Sandybridge,Haswell"))
    parser.add_argument("--jobs", default=os.environ.get("JOBS", "2"))
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    cores = [c.strip() for c in args.cores.replace(" ", ",").split(",") if c.strip()]
    OUT.mkdir(parents=True, exist_ok=True)

    lines, bad, total_start = [], 0, time.perf_counter()
    for core in cores:
        env = dict(os.environ, OPENBLAS_CORETYPE=core, OPENBLAS_NUM_THREADS="1")
        blas = kernel_blas(env)
        archs = {b["arch"] for b in blas}
        print(f"portable: OPENBLAS_CORETYPE={core}: the notebook kernel runs OpenBLAS {blas}", flush=True)
        expected = REPORTED.get(core.lower(), {core.lower()})
        if not blas or {a.lower() for a in archs} - expected:
            print(f"portable: OPENBLAS_CORETYPE={core} did not select that kernel (got {sorted(archs)})")
            return 2
        junit = OUT / f"{core}.xml"
        junit.unlink(missing_ok=True)
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "pytest", "--nbval", "-n", str(args.jobs), "--dist", "loadfile",
               "-p", "no:cacheprovider", "-q", "--no-header", "-o", "addopts=", "-rf",
               f"--junitxml={junit}", *notebooks]
        log = OUT / f"{core}.log"
        with log.open("w") as fh:  # nbval's full diffs go to the log, the summary to the screen
            code = subprocess.run(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode
        tail = log.read_text().splitlines()
        print("\n".join(l for l in tail if l.startswith(("FAILED", "ERROR")) or " passed" in l
                        or " failed" in l), flush=True)
        seconds = time.perf_counter() - start
        ran, failed = failures(junit)
        if code != 0 and not failed:
            failed = [f"(pytest exit code {code})"]
        bad += bool(failed)
        head = (f"{core} ({'/'.join(sorted(archs))}): {ran - len(failed)}/{ran} cells match, "
                f"{len(failed)} differ, {seconds:.0f} s")
        lines += [head, *(f"  {f}" for f in failed)]
        if failed:
            lines.append(f"  (nbval's full report: {log.relative_to(ROOT)})")
        print(f"portable: {head}", flush=True)
    lines.append(f"total {time.perf_counter() - total_start:.0f} s")
    summary = "\n".join(lines) + "\n"
    (OUT / "summary.txt").write_text(summary)
    print("\nportable: summary (also in _build/portable/summary.txt)\n" + summary, end="")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
