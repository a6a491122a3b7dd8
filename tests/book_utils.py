"""Helpers shared by the book-level tests: reading _config.yml and _toc.yml."""
from __future__ import annotations

from pathlib import Path

import yaml

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
