#!/usr/bin/env bash
# `make test-latest`: every chapter runs top to bottom, and every assert in it
# holds, with the NEWEST releases of the book's libraries: a fresh environment
# in _build/latest-env, nothing pinned (requirements.txt is not read), on the
# newest Python found (python3.13, python3.12, under ~/.pyenv too, else
# python3; LATEST_PYTHON=/path/to/python overrides it: older Pythons get
# older releases, e.g. numpy 2.5 needs 3.12). Outputs are NOT compared with the
# committed ones: new releases print and round differently. It warns early
# about tomorrow's breakage; it is not part of `make test`.
#
# torch: never from PyPI here, whose Linux wheel is the CUDA build (several GB
# with its nvidia-* wheels). It is installed only
#   - from PyTorch's CPU wheel index when TORCH_INDEX_URL is set (make passes
#     it for TORCH_INDEX=cpu), as torch==TORCH_VERSION, or
#   - from a local CPU wheel that pip's configured find-links offer
#     (--no-index: no index is asked), as on this project's machines, where
#     the only one is for Python 3.11;
# otherwise the chapters skip their torch comparisons with a printed note.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
env=${LATEST_ENV:-$root/_build/latest-env}
torch_version=${TORCH_VERSION:-2.13.0}
packages=(numpy scipy matplotlib scikit-learn myst-nb nbval nbclient nbformat ipykernel)

py=${LATEST_PYTHON:-}
if [ -z "$py" ]; then
  for cand in "$(command -v python3.13 || true)" "$HOME"/.pyenv/versions/3.13*/bin/python3.13 \
              "$(command -v python3.12 || true)" "$HOME"/.pyenv/versions/3.12*/bin/python3.12; do
    if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c '' >/dev/null 2>&1; then py=$cand; break; fi
  done
fi
py=${py:-python3}
echo "test-latest: $("$py" -V 2>&1) from $(command -v "$py")"
rm -rf "$env"
"$py" -m venv "$env"
pip=("$env/bin/python" -m pip)
"${pip[@]}" install --quiet --upgrade pip
"${pip[@]}" install --quiet --upgrade "${packages[@]}"
"${pip[@]}" install --quiet --no-deps "$root"

# torch itself with --no-deps from the one place allowed; then, with torch
# already satisfied, its small dependencies (sympy, networkx, ...) from PyPI.
if [ -n "${TORCH_INDEX_URL:-}" ]; then
  echo "test-latest: torch==$torch_version from $TORCH_INDEX_URL"
  "${pip[@]}" install --quiet --no-deps --index-url "$TORCH_INDEX_URL" "torch==$torch_version"
  "${pip[@]}" install --quiet "torch==$torch_version"
elif "${pip[@]}" install --quiet --no-deps --no-index "torch==$torch_version" >/dev/null 2>&1; then
  echo "test-latest: torch==$torch_version from a local wheel (pip's find-links)"
  "${pip[@]}" install --quiet "torch==$torch_version"
else
  echo "test-latest: no local CPU build of torch==$torch_version for this Python, and TORCH_INDEX unset:"
  echo "             the chapters skip their torch comparisons (TORCH_INDEX=cpu fetches the CPU build)"
fi
if "$env/bin/python" -c 'import torch, sys; sys.exit(torch.version.cuda is not None)' 2>/dev/null; then
  :
elif "$env/bin/python" -c 'import torch' 2>/dev/null; then
  echo "test-latest: the torch installed is a CUDA build; refusing to go on"; exit 1
fi

echo "test-latest: versions"
"$env/bin/python" - <<'PY' | tee "$root/_build/latest-versions.txt"
import importlib.metadata as md, platform
names = ["numpy", "scipy", "matplotlib", "scikit-learn", "myst-nb", "nbval", "nbclient",
         "nbformat", "ipykernel", "ipython", "jupyter_client", "torch"]
print(f"  python       {platform.python_version()}")
for n in names:
    try:
        print(f"  {n:12s} {md.version(n)}")
    except md.PackageNotFoundError:
        print(f"  {n:12s} (not installed)")
PY

PATH="$env/bin:$PATH" "$env/bin/python" tools/run_chapters.py --copy-to "$root/_build/latest-run"
