#!/usr/bin/env bash
# `make test-fresh`: every chapter runs top to bottom in a minimal environment,
# as a learner's laptop or Colab would have it: numpy, matplotlib, scikit-learn,
# myst-nb and ipykernel, NO torch, and regcore installed (not editable) from
# this checkout the way each chapter's Colab set-up cell installs it.
# The chapters must skip their torch comparisons with a printed note.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
env=${FRESH_ENV:-$root/_build/fresh-env}
rm -rf "$env"
python3 -m venv "$env"
pins=$(grep -E '^(numpy|matplotlib|scikit-learn|scipy|ipykernel|myst-nb|nbclient|nbformat)==' requirements.txt)
"$env/bin/python" -m pip install --quiet $pins
"$env/bin/python" -m pip install --quiet --no-deps "$root"
if "$env/bin/python" -c "import torch" 2>/dev/null; then
  echo "fresh environment unexpectedly has torch"; exit 1
fi
work=$root/_build/fresh-run
rm -rf "$work" && mkdir -p "$work/book" "$work/benchmarks/results"
cp book/[0-9][0-9]_*.ipynb "$work/book/"
cp benchmarks/conclusion_table.py "$work/benchmarks/"
cp benchmarks/results/conclusion_table.json "$work/benchmarks/results/"
PATH="$env/bin:$PATH" "$env/bin/python" - "$work"/book/*.ipynb <<'PY'
import sys, time, pathlib
import nbformat
from nbclient import NotebookClient
failed = 0
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", shutdown_kernel="immediate",
                       resources={"metadata": {"path": str(pathlib.Path(path).parent)}}).execute()
        skipped = sum("skipping the comparison with torch" in o.get("text", "")
                      for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        print(f"{pathlib.Path(path).name:36s} ok   {time.perf_counter() - start:5.1f} s  "
              f"({skipped} torch comparison(s) skipped with a note)")
    except Exception as exc:  # report every chapter, then fail
        failed += 1
        print(f"{pathlib.Path(path).name:36s} FAILED: {str(exc).strip().splitlines()[-1][:300]}")
sys.exit(1 if failed else 0)
PY
