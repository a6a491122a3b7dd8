"""Execute chapter notebooks top to bottom with nbclient; report each; fail if any fails.

Used by ``make test-fresh`` and ``make test-latest`` (``tools/fresh_env.sh``,
``tools/latest_env.sh``), run by *their* environment's Python, so it needs
only nbformat and nbclient.  Outputs are not compared with the committed ones
(``make test`` and ``make test-portable`` do that with nbval): a chapter passes
when every cell runs, i.e. when every ``assert`` in it holds.

Usage: ``python tools/run_chapters.py --copy-to WORKDIR`` copies every chapter
(and the files chapter 11 reads from ``benchmarks/``) into a fresh ``WORKDIR``
and runs the copies; ``python tools/run_chapters.py NOTEBOOK ...`` runs the
given notebooks.  Each is executed in its own folder, in a fresh kernel, and
never written back.
"""
from __future__ import annotations

import pathlib
import shutil
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

TORCH_SKIP_NOTE = "skipping the comparison with torch"
ROOT = pathlib.Path(__file__).resolve().parents[1]
# What chapter 11 reads next to the chapters, relative to the repository's root.
BENCHMARK_FILES = ("benchmarks/conclusion_table.py", "benchmarks/results/conclusion_table.json")


def copy_chapters(work: pathlib.Path) -> list[str]:
    """A fresh copy of the chapters and the benchmark files they read, laid out as in the repository."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "book").mkdir(parents=True)
    for rel in BENCHMARK_FILES:
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, work / rel)
    chapters = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    for path in chapters:
        shutil.copy2(path, work / "book" / path.name)
    return [str(work / "book" / p.name) for p in chapters]


def first_error(nb) -> str:
    """The failing cell's number (counting code cells from 0, as nbval does) and its error."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code_cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"code cell {i}: {out.get('ename')}: {str(out.get('evalue'))[:300]}"
    return ""


def main(paths: list[str]) -> int:
    failed = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        name = pathlib.Path(path).name
        start = time.perf_counter()
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3", shutdown_kernel="immediate",
                           resources={"metadata": {"path": str(pathlib.Path(path).parent)}}).execute()
            skipped = sum(TORCH_SKIP_NOTE in o.get("text", "")
                          for c in nb.cells if c.cell_type == "code" for o in c.outputs)
            print(f"{name:36s} ok   {time.perf_counter() - start:5.1f} s  "
                  f"({skipped} torch comparison(s) skipped with a note)", flush=True)
        except Exception as exc:  # report every chapter, then fail
            failed += 1
            where = first_error(nb) if isinstance(exc, CellExecutionError) else ""
            last = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__
            print(f"{name:36s} FAILED: {where or last}", flush=True)
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--copy-to"] and len(args) == 2:
        args = copy_chapters(pathlib.Path(args[1]))
    sys.exit(main(args))
