"""The book as an nbgrader course: build it, grade it, and simulate students.

Used by ``tools/assignments.py`` (``make assignments``), ``make grade`` /
``make grade-demo`` and ``tests/test_nbgrader.py``.

* :func:`nbgrader_env` builds nbgrader 0.9.6 once in ``_build/nbgrader-env``
  (pins in ``requirements-nbgrader.txt``) with a kernel spec that runs the
  notebooks in the book's own interpreter (``sys.executable``).
* :func:`write_source` turns a chapter into the instructor's copy in
  ``course/source/chNN/``: the nbgrader cells of
  ``tools/add_nbgrader_metadata.py`` (applied again, idempotently, in case
  the chapter lacks them), every ``{solution}`` block moved out of the prose
  (a written exercise's model answer goes into its answer cell, where
  nbgrader's release replaces it by "YOUR ANSWER HERE"), outputs cleared.
* :func:`nbgrader` runs an nbgrader command in the course directory.
* :func:`simulated_students` makes the four students of the test from a
  release: unchanged, full solutions, one exercise wrong, delegating to regcore.

Command line::

    python tools/nbgrader_course.py grade COURSE [chNN ...]   # autograde + grades.csv
    python tools/nbgrader_course.py demo COURSE [chNN ...]    # 4 simulated students, then grade
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import add_nbgrader_metadata as META  # noqa: E402
import nbgrader_exercises as EX  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENV = ROOT / "_build" / "nbgrader-env"
REQUIREMENTS = ROOT / "requirements-nbgrader.txt"
TEMPLATE = Path(__file__).resolve().parent / "nbgrader_config_template.py"
STUDENTS = ("unchanged", "full", "partial", "delegating")


# ----------------------------------------------------------------- environment
def nbgrader_env() -> Path:
    """The ``nbgrader`` executable of a venv built once from ``requirements-nbgrader.txt``."""
    exe = ENV / "bin" / "nbgrader"
    stamp = ENV / ".installed"
    wanted = REQUIREMENTS.read_text()
    if not exe.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print(f"building nbgrader's environment in {ENV.relative_to(ROOT)} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(ENV)], check=True)
        pip = [str(ENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run(pip + ["-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(wanted)
    kernel = ENV / "book-kernel" / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (the book's environment)", "language": "python"}
    (kernel / "kernel.json").write_text(json.dumps(spec, indent=1))
    return exe


def _environment(course: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join([str(ENV / "book-kernel"), env.get("JUPYTER_PATH", "")])
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PATH"] = os.pathsep.join([str(ENV / "bin"), env.get("PATH", "")])   # nbgrader runs alembic
    env["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter")     # no user config leaks in
    return env


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the command ``nbgrader ARGS`` in ``course``; its kernels are the book's Python."""
    out = subprocess.run([str(nbgrader_env()), *args], cwd=course, env=_environment(course),
                         capture_output=True, text=True)
    if check and out.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({out.returncode}):\n"
                           f"{out.stdout[-3000:]}\n{out.stderr[-6000:]}")
    return out


def run_steps(course: Path, steps: list[str]) -> dict:
    """Several nbgrader steps in one process (``tools/nbgrader_run.py``); what they returned."""
    nbgrader_env()
    out = subprocess.run([str(ENV / "bin" / "python"), str(Path(__file__).parent / "nbgrader_run.py"),
                          str(course), *steps], cwd=course, env=_environment(course),
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"nbgrader steps {steps} failed ({out.returncode}):\n"
                           f"{out.stdout[-3000:]}\n{out.stderr[-6000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- source
def assignment_name(path: Path) -> str:
    return f"ch{META.chapter_of(path):02d}"


def _solution_bodies(nb) -> dict[str, str]:
    """label -> body (options dropped) of every {solution} block, removed from the prose."""
    bodies: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in reversed(META.directives(cell.source)):
            if block["kind"] != "solution":
                continue
            text = cell.source[block["start"]:block["end"]]
            body = "\n".join(text.splitlines()[1:-1])
            body = re.sub(r"^:\w+:.*\n", "", body, flags=re.M).strip("\n")
            bodies[block["arg"]] = body
            cell.source = (cell.source[:block["start"]] + cell.source[block["end"]:])
        cell.source = re.sub(r"\n{3,}", "\n\n", cell.source).strip("\n")
    nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or c.source.strip()
                or "nbgrader" in c.metadata]
    return bodies


def source_notebook(path: Path) -> nbformat.NotebookNode:
    """The instructor's copy of a chapter for nbgrader's ``source/`` folder."""
    chapter = META.chapter_of(path)
    nb = META.transform(nbformat.read(path, as_version=4), chapter)
    bodies = _solution_bodies(nb)
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        tags = [t for t in cell.metadata.get("tags", [])
                if t not in ("hide-input", "remove-input", "remove-cell") or not grading]
        if "tags" in cell.metadata:
            cell.metadata["tags"] = tags
        if cell.cell_type == "markdown" and grading.get("solution"):
            label = next((lab for lab in bodies if META.written_grade_id(lab, chapter)
                          == grading["grade_id"]), None)
            if label is not None:
                cell.source = cell.source.replace(
                    "*Model answer:* the exercise's folded solution in the book.",
                    "*Model answer.*\n\n" + bodies[label])
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_config(course: Path) -> None:
    config = course / "nbgrader_config.py"
    seed = None
    if config.exists():   # keep the course's secret across rebuilds
        m = re.search(r'REGCORE_GRADER_SEED", "([^"]+)"', config.read_text())
        seed = m.group(1) if m else None
    config.write_text(TEMPLATE.read_text().replace("{grader_seed}", seed or secrets.token_hex(8)))


def write_source(course: Path, path: Path) -> Path:
    target = course / "source" / assignment_name(path) / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(path), target)
    return target


def _link_benchmarks(folder: Path) -> None:
    """Chapter 11 reads ``../benchmarks`` next to its folder: give every student folder one."""
    link = folder / "benchmarks"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT / "benchmarks", target_is_directory=True)


def generate(course: Path, assignments: list[str]) -> dict:
    """``nbgrader generate_assignment`` for each of ``assignments`` (one process)."""
    return run_steps(course, [f"generate:{a}" for a in assignments])


# -------------------------------------------------------------------- students
def _replace_function(source: str, name: str, new_def: str) -> str:
    """Replace the top-level ``def name`` block of ``source`` by ``new_def``."""
    lines = source.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(f"def {name}("))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i] and not lines[i][0].isspace() and not lines[i].startswith(")")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:start] + new_def.rstrip("\n").splitlines() + lines[end:])


def _without_markers(source: str) -> str:
    return "\n".join(l for l in source.splitlines() if l.strip() not in (META.BEGIN, META.END))


def simulated_students(source: nbformat.NotebookNode, release: nbformat.NotebookNode,
                       chapter: int) -> tuple[dict[str, nbformat.NotebookNode], dict[str, int]]:
    """The four simulated submissions and the autograded score each must get."""
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    functions = [f for src in solutions.values() for f in META.defined_functions(src)]
    wrong = EX.PARTIAL_WRONG.get(chapter, functions[0])
    tests = [(c.metadata["nbgrader"]["points"], "\n".join(META.visible_lines(c.source)))
             for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")
             and c.cell_type == "code"]

    def tested(text: str) -> set[str]:
        text = re.sub(r"with checks\.reference_inputs\(.*\):", "", text)
        return {f for f in functions if re.search(rf"\b{f}\b", text)}

    maximum = sum(p for p, _ in tests)
    expected = {
        "unchanged": 0,
        "full": maximum,
        "partial": maximum - sum(p for p, t in tests if wrong in tested(t)),
        "delegating": sum(p for p, t in tests if not tested(t) & set(EX.DELEGATIONS)),
    }
    out = {}
    for student in STUDENTS:
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in nb.cells:
            grading = cell.metadata.get("nbgrader", {})
            if not grading.get("solution") or student == "unchanged":
                continue
            if cell.cell_type == "markdown":
                cell.source = "The answer of a simulated student (graded by hand)."
                continue
            src = _without_markers(solutions[grading["grade_id"]])
            for f in META.defined_functions(src):
                if student == "partial" and f == wrong:
                    src = _replace_function(src, f, EX.WRONG_ANSWERS[f])
                elif student == "delegating" and f in EX.DELEGATIONS:
                    src = _replace_function(src, f, EX.DELEGATIONS[f])
            cell.source = src
        out[student] = nb
    return out, expected


def submit(course: Path, student: str, assignment: str, nb: nbformat.NotebookNode,
           name: str) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    _link_benchmarks(course / "autograded" / student)


def read_grades(course: Path) -> list[dict[str, str]]:
    with open(course / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


def grade(course: Path, assignments: list[str]) -> dict:
    """Autograde every submission of ``assignments`` and write ``grades.csv`` (one process)."""
    return run_steps(course, [f"autograde:{a}" for a in assignments] + ["export:grades.csv"])


def demo(course: Path, assignments: list[str]) -> dict:
    """Submit the four simulated students per assignment, autograde them, write ``grades.csv``."""
    return run_steps(course, [f"demo:{a}" for a in assignments] + ["export:grades.csv"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("grade", "demo"))
    parser.add_argument("course", type=Path)
    parser.add_argument("assignments", nargs="*")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    assignments = args.assignments or sorted(p.name for p in (course / "source").glob("ch[0-9][0-9]"))
    if args.command == "demo":
        steps = demo(course, assignments)
    else:
        submitted = {p.name for p in (course / "submitted").glob("*/ch[0-9][0-9]")}
        steps = grade(course, [a for a in assignments if a in submitted])
    for step, result in steps.items():
        detail = f", expected scores {result['expected']}" if "expected" in result else ""
        count = f" ({result['students']} students)" if "students" in result else ""
        print(f"{step}: {result['seconds']:.1f} s{count}{detail}")
    grades = read_grades(course)
    submitted = {(p.name, p.parent.name) for p in (course / "submitted").glob("*/ch[0-9][0-9]")}
    print(f"wrote {course / 'grades.csv'} ({len(grades)} rows); the submitted ones:")
    for row in grades:
        if (row["assignment"], row["student_id"]) not in submitted:
            continue
        print(f"  {row['assignment']:6} {row['student_id']:24} score {float(row['score']):5.1f} "
              f"of {float(row['max_score']):5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
