#!/usr/bin/env bash
# `make test-fresh`: every chapter runs top to bottom in a minimal environment,
# as a learner's laptop or Colab would have it: numpy, matplotlib, scikit-learn,
# scipy and ipykernel, NO torch and NO myst-nb (regcore.book.glue does nothing
# without it), and regcore installed (not editable) from this checkout, with no
# extras, the way each chapter's Colab set-up cell installs it.
# The chapters must skip their torch comparisons with a printed note.
# It uses Python 3.12, the version Colab runs, where it is installed
# (python3.12 on PATH, else ~/.pyenv/versions/3.12*/bin/python3.12), or the
# interpreter named by FRESH_PYTHON; otherwise python3, with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
env=${FRESH_ENV:-$root/_build/fresh-env}

# A candidate counts only if it runs and is 3.12 (a pyenv shim on PATH may not).
is_312() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' >/dev/null 2>&1; }
py=${FRESH_PYTHON:-}
if [ -z "$py" ]; then
  for cand in "$(command -v python3.12 || true)" "$HOME"/.pyenv/versions/3.12*/bin/python3.12; do
    if [ -n "$cand" ] && [ -x "$cand" ] && is_312 "$cand"; then py=$cand; break; fi
  done
fi
if [ -z "$py" ]; then
  py=python3
  echo "test-fresh: note: no Python 3.12 found (Colab's version); using $(command -v python3) ($(python3 -V 2>&1))."
  echo "test-fresh:       install 3.12 (e.g. pyenv install 3.12) or set FRESH_PYTHON=/path/to/python3.12."
fi
echo "test-fresh: $("$py" -V 2>&1) from $(command -v "$py")"
rm -rf "$env"
"$py" -m venv "$env"
pins=$(grep -E '^(numpy|matplotlib|scikit-learn|scipy|ipykernel|nbclient|nbformat)==' requirements.txt)
"$env/bin/python" -m pip install --quiet $pins
"$env/bin/python" -m pip install --quiet --no-deps "$root"
for absent in torch myst_nb; do
  if "$env/bin/python" -c "import $absent" 2>/dev/null; then
    echo "fresh environment unexpectedly has $absent"; exit 1
  fi
done
# Each chapter top to bottom in a fresh kernel of this environment (PATH puts its
# python first); every assert must hold; a note counts the skipped torch comparisons.
PATH="$env/bin:$PATH" "$env/bin/python" tools/run_chapters.py --copy-to "$root/_build/fresh-run"
