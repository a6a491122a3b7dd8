"""The instructor's copy of every chapter for the nbgrader course (no nbgrader needed).

``tools/assignments.py`` (``make assignments``) writes ``course/source/chNN/``
from each chapter through ``tools/nbgrader_course.source_notebook``; nbgrader
then makes the student edition from it (tests/test_nbgrader.py runs that for
real).  Here, for every chapter: the copy has the nbgrader cells, no
``{solution}`` block is left in the prose (nbgrader could not remove one), each
written exercise's model answer sits in its answer cell between the solution
markers, no output is kept, and the book's own edition passes its self-checks.
"""
from __future__ import annotations

import re
import sys

import nbformat
import pytest

from book_utils import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import add_nbgrader_metadata as META  # noqa: E402
import nbgrader_course as COURSE  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_source_copy_moves_every_solution_out_of_the_prose(path):
    original = nbformat.read(path, as_version=4)
    source = COURSE.source_notebook(path)
    prose = "\n".join(c.source for c in source.cells if c.cell_type == "markdown"
                      and not c.metadata.get("nbgrader", {}).get("solution"))
    assert "{solution}" not in prose
    labels = [b["arg"] for c in original.cells if c.cell_type == "markdown"
              for b in META.directives(c.source) if b["kind"] == "solution"]
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")}
    assert answers, "no manually graded answer cell"
    for grade_id, text in answers.items():
        region = re.search(rf"{META.BEGIN}\n(.*?){META.END}", text, re.S)
        assert region and "*Rubric" in region.group(1), grade_id
        label = next(lab for lab in labels if META.written_grade_id(lab, META.chapter_of(path))
                     == grade_id)
        assert "*Model answer.*" in region.group(1), f"{grade_id}: model answer of {label} missing"
        assert "remove-cell" not in source.cells[[c.source for c in source.cells].index(text)] \
            .metadata.get("tags", []), "the student edition must show the answer cell"
    code = [c for c in source.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    graded = [c for c in code if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded and all(META.HIDDEN_BEGIN in c.source for c in graded)
    assert all("hide-input" not in c.metadata.get("tags", []) for c in code
               if c.metadata.get("nbgrader", {}).get("solution"))


def test_every_written_exercise_has_points_and_a_rubric_in_the_table():
    """A new written exercise is noticed: it would get the default rubric."""
    import nbgrader_exercises as EX
    missing = []
    for path in CHAPTERS:
        nb = META.transform(nbformat.read(path, as_version=4), META.chapter_of(path))
        for c in nb.cells:
            grading = c.metadata.get("nbgrader", {})
            if c.cell_type == "markdown" and grading.get("solution"):
                if grading["grade_id"] not in EX.WRITTEN:
                    missing.append(grading["grade_id"])
    assert not missing, f"add these written exercises to tools/nbgrader_exercises.py WRITTEN: {missing}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_instructor_edition_passes_every_self_check(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"checks\.check_\w+\(", cell.source):
            printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert "[PASSED]" in printed and "[FAILED]" not in printed, cell.source
