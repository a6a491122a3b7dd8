"""The chapters as nbgrader 0.9.6 coursework, run for real.

For each chapter in ``GRADED`` (the chapters whose notebooks carry the nbgrader
metadata on main, ``tools/add_nbgrader_metadata.py``) this builds the course
with ``tools/assignments.py``, runs ``nbgrader generate_assignment``, submits
four simulated students and runs ``nbgrader autograde`` and ``nbgrader
export``, then asserts the scores in ``grades.csv``:

* the unchanged release scores 0;
* full solutions score the maximum of the autograded cells;
* one exercise wrong (a typical mistake) loses exactly the points of its own
  checks, also where a later exercise builds on it (the later check uses the
  reference for its inputs);
* a student who delegates every function to regcore's reference scores 0.

nbgrader lives in its own venv under ``_build/nbgrader-env``
(``requirements-nbgrader.txt``), built once; the notebooks run in the book's
kernel.  ``make test`` runs the three chapters in ``GRADED``, concurrently;
``REGCORE_NBGRADER_CHAPTERS=all`` (or a list such as ``04,06``) runs the others
too, once they carry the metadata -- a chapter without it fails here.
"""
from __future__ import annotations

import concurrent.futures
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest

from book_utils import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import add_nbgrader_metadata as META  # noqa: E402
import assignments  # noqa: E402
import nbgrader_course as COURSE  # noqa: E402

CHAPTERS = {p.name[:2]: p for p in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))}
# the chapters with the fewest executed cells among those with two or more
# coding checks (so that one right and one wrong exercise can be told apart)
GRADED = ("02", "07", "09")


def _selected() -> tuple[str, ...]:
    wanted = os.environ.get("REGCORE_NBGRADER_CHAPTERS", "")
    if wanted == "all":
        return tuple(CHAPTERS)
    if wanted:
        return tuple(sorted({c.strip().zfill(2) for c in wanted.split(",")}))
    return GRADED


SELECTED = _selected()


@pytest.mark.parametrize("number", SELECTED)
def test_chapter_carries_the_nbgrader_metadata(number):
    """The notebook on main is exactly what add_nbgrader_metadata.py makes of it."""
    path = CHAPTERS[number]
    nb = nbformat.read(path, as_version=4)
    assert any("nbgrader" in c.metadata for c in nb.cells), (
        f"{path.name} has no nbgrader metadata: run python tools/add_nbgrader_metadata.py "
        f"{path.relative_to(ROOT)} and re-execute it")
    before = nbformat.writes(nb)
    after = nbformat.writes(META.transform(nbformat.read(path, as_version=4), int(number)))
    assert before == after, f"{path.name}: its nbgrader cells are stale; re-run the script"
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
              and c.cell_type == "code"]
    assert graded, "no graded test cell"
    for cell in graded:
        assert cell.metadata["nbgrader"]["locked"] and cell.metadata["nbgrader"]["points"] > 0
        assert META.HIDDEN_BEGIN in cell.source and "grader_seed(" in cell.source, cell.source
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "[FAILED]" not in printed


def test_grade_ids_are_unique_across_the_book():
    seen: dict[str, str] = {}
    for path in CHAPTERS.values():
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id is None:
                continue
            assert re.fullmatch(r"ch\d\d-[a-z0-9-]+", grade_id), grade_id
            assert grade_id[2:4] == path.name[:2], (grade_id, path.name)
            assert grade_id not in seen, f"{grade_id} in {path.name} and {seen[grade_id]}"
            seen[grade_id] = path.name


def test_the_metadata_script_is_idempotent_and_keeps_outputs(tmp_path):
    """On a chapter without metadata: one run adds it, a second changes nothing."""
    for number, path in CHAPTERS.items():
        nb = nbformat.read(path, as_version=4)
        once = META.transform(nb, int(number))
        text = nbformat.writes(once)
        twice = nbformat.writes(META.transform(nbformat.reads(text, as_version=4), int(number)))
        assert text == twice, path.name
        kept = {c.source: c.outputs for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "code"}
        for cell in once.cells:
            if cell.cell_type == "code" and cell.source in kept:
                assert cell.outputs == kept[cell.source]


@pytest.fixture(scope="module")
def nbgrader_ready():
    try:
        return COURSE.nbgrader_env()
    except subprocess.CalledProcessError as exc:   # no PyPI: say so, and fail in CI
        message = f"could not build nbgrader's environment from requirements-nbgrader.txt: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _run_chapter(number: str, out) -> dict:
    path = CHAPTERS[number]
    start = time.perf_counter()
    releases = assignments.build([path], out)
    assignment = COURSE.assignment_name(path)
    generated = time.perf_counter() - start
    steps = COURSE.demo(out / "course", [assignment])
    grades = COURSE.read_grades(out / "course")
    return {"release": nbformat.read(releases[assignment], as_version=4),
            "source": nbformat.read(out / "course" / "source" / assignment / path.name,
                                    as_version=4),
            "expected": steps[f"demo:{assignment}"]["expected"],
            "autograde_s": steps[f"demo:{assignment}"]["seconds"],
            "generate_s": generated,
            "scores": {r["student_id"].split("-", 1)[1]: float(r["score"]) for r in grades},
            "max_score": {float(r["max_score"]) for r in grades}}


@pytest.fixture(scope="module")
def graded(nbgrader_ready, tmp_path_factory):
    """Every selected chapter through nbgrader, three at a time (each its own course)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        futures = {n: pool.submit(_run_chapter, n, tmp_path_factory.mktemp(f"course{n}"))
                   for n in SELECTED}
        results = {}
        for number, future in futures.items():
            try:
                results[number] = future.result()
            except Exception as exc:  # noqa: BLE001 - reported by the chapter's own test
                results[number] = exc
    return results


def _result(graded, number):
    result = graded[number]
    if isinstance(result, Exception):
        raise result
    return result


@pytest.mark.parametrize("number", SELECTED)
def test_release_has_no_solution_hidden_test_or_model_answer(graded, number):
    r = _result(graded, number)
    text = nbformat.writes(r["release"])
    for marker in ("{solution}", META.BEGIN, META.HIDDEN_BEGIN, "grader_seed(", "*Rubric",
                   "*Model answer"):
        assert marker not in text, marker
    solution_lines = {line.strip() for c in r["source"].cells
                      if c.metadata.get("nbgrader", {}).get("solution")
                      for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION",
                                               c.source, re.S)
                      for line in region.splitlines()}
    leaked = [line for line in solution_lines if len(line) > 25 and not line.startswith("#")
              and line in text]
    assert not leaked, leaked[:3]
    answers = [c for c in r["release"].cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all("YOUR ANSWER HERE" in c.source for c in answers)


@pytest.mark.parametrize("number", SELECTED)
def test_four_simulated_students_get_the_scores_they_deserve(graded, number):
    r = _result(graded, number)
    expected = r["expected"]
    print(f"ch{number}: generate {r['generate_s']:.1f} s, autograde 4 students "
          f"{r['autograde_s']:.1f} s ({r['autograde_s'] / 4:.1f} s per notebook); "
          f"scores {r['scores']}, expected {expected}, max {r['max_score']}")
    assert expected["unchanged"] == 0 and expected["delegating"] == 0
    assert 0 < expected["partial"] < expected["full"]
    assert r["scores"] == {k: float(v) for k, v in expected.items()}
    written = sum(c.metadata["nbgrader"]["points"] for c in r["source"].cells
                  if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade"))
    assert r["max_score"] == {float(expected["full"] + written)}
