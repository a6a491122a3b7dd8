"""Student editions: solutions replaced by stubs, nothing leaks, stubs fail where they should."""
from __future__ import annotations

import re
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from book_utils import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import assignments  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def _solution_lines(nb) -> set[str]:
    """Substantial lines of every solution: code between the markers, {solution} bodies."""
    lines = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and assignments.BEGIN in cell.source:
            region = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            lines |= {line.strip() for r in region for line in r.splitlines()}
        elif cell.cell_type == "markdown":
            for block in assignments.SOLUTION_BLOCK.finditer(cell.source):
                lines |= {line.strip() for line in block.group(0).splitlines()[2:-1]}
    return {line for line in lines if len(line) > 25 and not line.startswith(("#", ":", "```"))}


def test_strip_solution_code_keeps_indentation_and_rejects_bad_markers():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    assert assignments.strip_solution_code(src) == f"def f(x):\n    {assignments.STUB}"
    with pytest.raises(ValueError, match="without"):
        assignments.strip_solution_code("### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(ValueError, match="without"):
        assignments.strip_solution_code("x = 1\n### END SOLUTION\n")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_has_no_solutions_and_fails_at_the_stubs(path, tmp_path):
    original = nbformat.read(path, as_version=4)
    student = assignments.student_edition(path)
    text = nbformat.writes(student)
    assert "### BEGIN SOLUTION" not in text and "{solution}" not in text
    leaked = [line for line in _solution_lines(original) if line in text]
    assert not leaked, f"solution text leaked into the student edition: {leaked[:3]}"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    checks_before = sum("checks.check_" in c.source for c in original.cells if c.cell_type == "code")
    checks_after = sum("checks.check_" in c.source for c in student.cells if c.cell_type == "code")
    assert checks_after == checks_before > 0

    client = NotebookClient(student, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(ROOT / "book")}})
    client.execute()
    errors = [(i, o) for i, c in enumerate(student.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors, "the student edition ran without hitting a stub"
    for i, out in errors:
        assert out.ename == "NotImplementedError", (i, out.ename, out.evalue)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_instructor_edition_passes_every_self_check(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"checks\.check_\w+\(", cell.source):
            printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert "[PASSED]" in printed and "[FAILED]" not in printed, cell.source
