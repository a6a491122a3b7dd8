"""Point every chapter at the release the book states: ``python tools/set_release.py``.

Rewrites, in each ``book/NN_*.ipynb``, the Colab set-up cell so that it installs
``regcore`` at the tag ``v`` + ``regcore.__version__`` from ``repository.url``
(``_config.yml``), and any download from ``raw.githubusercontent.com`` of this
repository so that it reads the same tag instead of a branch.  Outputs are not
touched (the set-up cell has none outside Colab); run ``make execute`` after a
release anyway (CONTRIBUTING.md, "Releasing").  Idempotent.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def setup_cell(url: str, version: str) -> str:
    return f'''# Set-up: in Google Colab, install regcore at the release this book was built from; elsewhere do nothing.
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "regcore @ git+{url}@v{version}"],
                   check=True)'''


def main() -> None:
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    version = re.search(r'^__version__ = "([^"]+)"', (ROOT / "regcore" / "__init__.py").read_text(), re.M)[1]
    owner_repo = re.escape(url.removeprefix("https://github.com/"))
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if not code or "google.colab" not in code[0].source:
            raise SystemExit(f"{path.name}: the first code cell is not the Colab set-up cell")
        before = [c.source for c in code]
        code[0].source = setup_cell(url, version)
        for cell in code[1:]:
            cell.source = re.sub(rf"(raw\.githubusercontent\.com/{owner_repo}/)[^/\s\"']+/",
                                 rf"\g<1>v{version}/", cell.source)
        if [c.source for c in code] != before:
            nbformat.write(nb, path)
            print(f"{path.name}: now installs and fetches v{version}")


if __name__ == "__main__":
    main()
