"""Write student editions of the chapter notebooks (``make assignments``).

A student edition is the chapter with

* every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a
  code cell replaced by ``raise NotImplementedError(...)`` (the markers are
  nbgrader's, so the notebooks also work with nbgrader's ``ClearSolutions``),
* every ``{solution}`` directive removed from the markdown cells,
* all outputs and execution counts cleared (nbconvert's ``ClearOutputPreprocessor``),
* the self-check cells kept, so a learner runs them after filling a stub.

Usage: ``python tools/assignments.py [NOTEBOOK ...] [--out DIR]``
(default: every ``book/NN_*.ipynb`` into ``_build/assignments/``).
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your solution.")'
# A MyST {solution} directive in backtick or colon fences, with its body.
SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)


def strip_solution_code(source: str) -> str:
    """Replace each BEGIN/END SOLUTION region by a stub, keeping its indentation."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in cell:\n{source}")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif stripped == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in cell:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in cell:\n{source}")
    return "\n".join(out)


class ClearSolutions(Preprocessor):
    """Remove solutions from code (stubs) and markdown ({solution} blocks)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source = strip_solution_code(cell.source)
            tags = [t for t in cell.metadata.get("tags", []) if t not in ("hide-input", "remove-input")]
            cell.metadata["tags"] = tags
        elif cell.cell_type == "markdown" and "{solution}" in cell.source:
            cell.source = SOLUTION_BLOCK.sub("", cell.source).rstrip() + "\n"
        return cell, resources


def student_edition(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    resources: dict = {}
    for pre in (ClearSolutions(), ClearOutputPreprocessor()):
        nb, resources = pre.preprocess(nb, resources)
    nb.metadata.setdefault("regcore", {})["edition"] = "student"
    return nb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "assignments")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        target = args.out / path.name
        nbformat.write(student_edition(path), target)
        print(f"wrote {target.relative_to(args.out.parent) if target.is_relative_to(args.out.parent) else target}")


if __name__ == "__main__":
    main()
