"""Write the coursework editions of the chapters (``make assignments``).

One pipeline, through nbgrader 0.9.6:

1. ``OUT/course/``: an nbgrader course, with ``nbgrader_config.py`` (from
   ``tools/nbgrader_config_template.py``, with this course's secret grader seed)
   and ``source/chNN/NN_name.ipynb``, the instructor's copy of each chapter
   (``tools/nbgrader_course.py``: nbgrader cells, model answers in the answer
   cells, no ``{solution}`` block in the prose, no outputs);
2. ``nbgrader generate_assignment chNN`` writes ``OUT/course/release/chNN/``,
   the student edition: solution code replaced by a stub that raises
   ``NotImplementedError``, hidden tests removed, written answers "YOUR
   ANSWER HERE", graded cells locked;
3. ``OUT/student/NN_name.ipynb``: the same release notebooks, for instructors
   who hand out plain notebooks; they keep the nbgrader metadata, so a filled
   one can be collected into ``OUT/course/submitted/<student>/chNN/`` and graded.

Usage: ``python tools/assignments.py [NOTEBOOK ...] [--out DIR]`` (default: every
``book/NN_*.ipynb`` into ``_build/assignments/``).
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbgrader_course as COURSE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# A MyST {solution} directive in backtick or colon fences, with its body.
SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)


def build(notebooks: list[Path], out: Path) -> dict[str, Path]:
    """Write the course and the plain student notebooks; return assignment -> release notebook."""
    course = out / "course"
    course.mkdir(parents=True, exist_ok=True)
    COURSE.write_config(course)
    sources = {COURSE.assignment_name(path): COURSE.write_source(course, path) for path in notebooks}
    steps = COURSE.generate(course, list(sources))
    releases = {}
    for assignment, source in sources.items():
        release = course / "release" / assignment / source.name
        student = out / "student" / source.name
        student.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(release, student)
        releases[assignment] = release
        print(f"{assignment}: {source.relative_to(out)} -> {release.relative_to(out)}, "
              f"{student.relative_to(out)} ({steps[f'generate:{assignment}']['seconds']:.1f} s)",
              flush=True)
    COURSE._link_benchmarks(out / "student")
    return releases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "assignments")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted(
        (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    build(notebooks, args.out.resolve())
    print(f"course: {args.out / 'course'} (run nbgrader there); "
          f"plain student notebooks: {args.out / 'student'}")


if __name__ == "__main__":
    main()
