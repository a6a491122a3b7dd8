"""Helpers shared by the book-level tests: reading _config.yml and _toc.yml, building the book."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_files() -> list[str]:
    """Every `file:` entry of _toc.yml (root first), without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def source_of(entry: str) -> Path:
    """The .md or .ipynb file behind a _toc.yml entry (exactly one must exist)."""
    found = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb") if (ROOT / f"{entry}{ext}").exists()]
    if len(found) != 1:
        raise AssertionError(f"_toc.yml entry {entry!r} must have exactly one source file; found {found}")
    return found[0]


def build_book(out: Path) -> dict:
    """Build the book with -W (warnings are errors) into `out`; returns the outcome.

    `out/_build/html` is the HTML site.  The result (return code and the tails
    of the build's output) is returned, not asserted, so that callers sharing
    one build can each report a failure.
    """
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT),
         "--path-output", str(out), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=900,
    )
    return {"returncode": proc.returncode, "stdout": proc.stdout[-5000:], "stderr": proc.stderr[-5000:]}


def shared_book_build(tmp_path_factory) -> Path:
    """One build of the book per test session, shared by every pytest-xdist worker.

    The first worker to ask builds into the session's shared temporary folder
    while holding a file lock; the others wait for it and reuse the result
    (including a failed one, which each of them reports).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "built-book"
    outcome = shared / "built-book.json"
    with FileLock(str(shared / "built-book.lock")):
        if not outcome.exists():
            out.mkdir(exist_ok=True)
            outcome.write_text(json.dumps(build_book(out)))
        result = json.loads(outcome.read_text())
    assert result["returncode"] == 0, result["stdout"] + result["stderr"]
    assert "warning" not in result["stderr"].lower(), result["stderr"]
    return out / "_build" / "html"
