"""Give a chapter notebook the nbgrader cells its exercises need (idempotent, in place).

``python tools/add_nbgrader_metadata.py book/04_l2.ipynb [...]`` (or ``--check`` to
only report whether a notebook is up to date).  Afterwards re-execute the
chapter (``python tools/execute.py book/04_l2.ipynb``): split and extended test
cells have new outputs.

What it does, following DESIGN's coursework conventions:

* every code cell with ``### BEGIN SOLUTION`` becomes an nbgrader *autograded
  answer* cell (``grade_id`` ``chNN-answer-<first function>``);
* every cell of self-checks is split into one cell per check, each an
  *autograded test* cell, locked, with its points and ``grade_id``
  ``chNN-<check>`` (``checks.check_l1_grad`` -> ``ch03-l1-grad``); a test cell
  written out in the chapter (an ``assert`` on the learner's function right
  after its solution cell) becomes one too (``chNN-<function>``);
* each test cell gets a hidden test: the same check on inputs drawn from the
  grader's seed (``checks.grader_seed(grade_id)``, which reads
  ``$REGCORE_GRADER_SEED``), between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` (nbgrader removes it from the release and restores
  it when grading);
* a test of a function that calls another exercise's function (``ista`` calls
  ``soft_threshold``) runs inside ``with checks.reference_inputs(globals(), ...)``,
  so that one mistake costs one check;
* after every written exercise (an ``{exercise}`` not followed by a solution
  cell) comes a *manually graded answer* markdown cell with its points and
  rubric, tagged ``remove-cell`` so the book does not show it; the markdown
  cell is split after the exercise's ``{solution}`` block where needed;
* names listed in ``HIDE_IMPORTS`` are no longer imported by name in the
  set-up cell (they are used through their module), so that the function an
  exercise asks for is not handed to the student.

Nothing else changes: no source outside these cells, no output of an
untouched cell.  myst-nb ignores the ``nbgrader`` metadata.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbgrader_exercises as EX  # noqa: E402

SCHEMA = 3
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_CALL = re.compile(r"^(?P<indent>\s*)assert\s+checks\.(?P<check>check_\w+)\((?P<args>.*)\)\s*$")
DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<kind>exercise|solution)\}[ \t]*(?P<arg>[^\n]*)$",
                       re.M)
ANSWER_TITLE = "**Your answer to the exercise “{title}”**"
# chapter number -> {name imported by name in a set-up cell: module to use it through}
HIDE_IMPORTS: dict[int, dict[str, str]] = {
    2: {"decompose": "regcore.bias_variance"},
    9: {"quadratic_closed_form": "regcore.early_stopping"},
}


def chapter_of(path: Path) -> int:
    match = re.match(r"(\d\d)_", path.name)
    if not match:
        raise ValueError(f"{path.name}: a chapter notebook is named NN_<name>.ipynb")
    return int(match.group(1))


def slug(name: str) -> str:
    return name.replace("_", "-").lower()


def nbgrader_meta(grade_id: str, *, solution: bool, grade: bool, locked: bool,
                  points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def defined_functions(source: str) -> list[str]:
    return re.findall(r"^def (\w+)\(", source, re.M)


def called_names(source: str, function: str) -> set[str]:
    """Names called inside ``def function`` in ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return {n.func.id for n in ast.walk(node)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return set()


def visible_lines(source: str) -> list[str]:
    """The lines of a test cell outside its hidden-test block."""
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            hidden = True
        elif line.strip() == HIDDEN_END:
            hidden = False
        elif not hidden:
            out.append(line)
    return out


# ------------------------------------------------------------------ test cells
def split_checks(source: str) -> list[list[str]]:
    """Visible lines of a self-check cell, one group per ``assert checks.check_*`` line.

    Lines before the first check (``from regcore import checks``) go with the
    first check; any other line goes with the check before it.
    """
    groups: list[list[str]] = []
    preamble: list[str] = []
    for line in visible_lines(source):
        if CHECK_CALL.match(line):
            groups.append(preamble + [line])
            preamble = []
        elif groups:
            groups[-1].append(line)
        else:
            preamble.append(line)
    if preamble and groups:
        groups[-1].extend(preamble)
    while groups and groups[-1] and not groups[-1][-1].strip():
        groups[-1].pop()
    return groups


def hidden_block(lines: list[str], grade_id: str) -> list[str]:
    hidden = []
    for line in lines:
        m = CHECK_CALL.match(line)
        if m:
            args = m.group("args")
            hidden.append(f'{m.group("indent")}assert checks.{m.group("check")}({args}, '
                          f'seed=checks.grader_seed("{grade_id}"))')
    if not hidden and grade_id in EX.HIDDEN_TESTS:
        hidden = EX.HIDDEN_TESTS[grade_id].format(grade_id=grade_id).splitlines()
    if not hidden:
        raise ValueError(f"{grade_id}: no hidden test (add one to tools/nbgrader_exercises.py "
                         "HIDDEN_TESTS)")
    return [HIDDEN_BEGIN, *hidden, HIDDEN_END]


def with_reference_inputs(lines: list[str], names: list[str]) -> list[str]:
    """Run ``lines`` with the reference versions of the exercise functions ``names``."""
    if not names:
        return lines
    quoted = ", ".join(f'"{n}"' for n in names)
    head = [l for l in lines if l.startswith(("from ", "import "))]
    body = [l for l in lines if l not in head]
    note = (f"# this check uses the reference {', '.join(names)}, so that a mistake there costs "
            "only its own check")
    return head + [note, f"with checks.reference_inputs(globals(), {quoted}):"] + \
        [("    " + l) if l.strip() else l for l in body]


def strip_reference_inputs(lines: list[str]) -> list[str]:
    """Undo :func:`with_reference_inputs` (for idempotence)."""
    out, inside = [], False
    for line in lines:
        if line.startswith("# this check uses the reference "):
            continue
        if line.startswith("with checks.reference_inputs(globals()"):
            inside = True
            continue
        out.append(line[4:] if inside and line.startswith("    ") else line)
    return out


def test_cell(lines: list[str], grade_id: str, dependencies: list[str], template) -> nbformat.NotebookNode:
    lines = strip_reference_inputs(lines)
    visible = with_reference_inputs(lines, dependencies)
    hidden = hidden_block(lines, grade_id)
    if dependencies:
        quoted = ", ".join(f'"{n}"' for n in dependencies)
        hidden = [HIDDEN_BEGIN, f"with checks.reference_inputs(globals(), {quoted}):",
                  *["    " + l for l in hidden[1:-1]], HIDDEN_END]
    cell = nbformat.v4.new_code_cell("\n".join(visible + hidden))
    cell.id = grade_id
    cell.metadata = {k: v for k, v in template.metadata.items() if k not in ("nbgrader",)}
    if template.source == cell.source:
        cell.outputs, cell.execution_count = template.outputs, template.execution_count
    cell.metadata["nbgrader"] = nbgrader_meta(grade_id, solution=False, grade=True, locked=True,
                                              points=EX.test_points(grade_id))
    return cell


# ------------------------------------------------------------- written answers
def directives(source: str) -> list[dict]:
    """The ``{exercise}`` and ``{solution}`` blocks of a markdown cell: kind, label, title, span."""
    blocks = []
    for m in DIRECTIVE.finditer(source):
        fence = m.group("fence")
        close = re.compile(rf"^{re.escape(fence)}[ \t]*$", re.M)
        end = close.search(source, m.end())
        if end is None:
            raise ValueError(f"unclosed {{{m.group('kind')}}} directive: {m.group(0)!r}")
        body = source[m.end():end.start()]
        label = re.search(r"^:label:\s*(\S+)", body, re.M)
        blocks.append({"kind": m.group("kind"), "arg": m.group("arg").strip(),
                       "label": label.group(1) if label else m.group("arg").strip(),
                       "start": m.start(), "end": end.end()})
    return blocks


def written_grade_id(label: str, chapter: int) -> str:
    base = label[3:] if label.startswith("ex-") else label
    return base if base.startswith(f"ch{chapter:02d}-") else f"ch{chapter:02d}-{base}"


def answer_cell(title: str, grade_id: str) -> nbformat.NotebookNode:
    points, minutes, rubric = EX.written(grade_id)
    source = "\n".join([
        ANSWER_TITLE.format(title=title) + f" ({points} points, about {minutes} minutes)",
        "",
        BEGIN,
        f"*Rubric ({points} points).* {rubric}",
        "",
        "*Model answer:* the exercise's folded solution in the book.",
        END,
    ])
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = grade_id
    cell.metadata = {"tags": ["remove-cell"],
                     "nbgrader": nbgrader_meta(grade_id, solution=True, grade=True, locked=False,
                                               points=points)}
    return cell


def is_solution_code(cell) -> bool:
    return cell.cell_type == "code" and BEGIN in cell.source


# --------------------------------------------------------------------- imports
def hide_imports(nb, chapter: int) -> None:
    names = HIDE_IMPORTS.get(chapter, {})
    for name, module in names.items():
        imported = False
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            new_lines, changed = [], False
            for line in cell.source.splitlines():
                m = re.match(rf"^from {re.escape(module)} import (.*)$", line)
                if m and name in [n.strip() for n in m.group(1).split(",")]:
                    rest = [n.strip() for n in m.group(1).split(",") if n.strip() != name]
                    if rest:
                        new_lines.append(f"from {module} import {', '.join(rest)}")
                    new_lines.append(f"import {module}")
                    imported = changed = True
                else:
                    new_lines.append(line)
            if changed:
                cell.source = "\n".join(new_lines) + ("\n" if cell.source.endswith("\n") else "")
            elif re.search(rf"^import {re.escape(module)}$", cell.source, re.M):
                imported = True                   # an earlier run rewrote the import
        if not imported:
            continue
        for cell in nb.cells:
            if cell.cell_type == "code" and not is_solution_code(cell):
                cell.source = qualify(cell.source, name, f"{module}.{name}")


def qualify(source: str, name: str, qualified: str) -> str:
    """Replace the Python name ``name`` (not attributes, strings or comments) by ``qualified``."""
    import io
    import tokenize
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source
    lines = source.splitlines(keepends=True)
    hits = []
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.NAME and tok.string == name:
            prev = tokens[i - 1] if i else None
            if prev is not None and prev.type == tokenize.OP and prev.string == ".":
                continue
            line = lines[tok.start[0] - 1]
            if line.lstrip().startswith(("from ", "import ")):
                continue
            hits.append(tok.start)
    for row, col in reversed(hits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + qualified + line[col + len(name):]
    return "".join(lines)


# ------------------------------------------------------------------ the driver
def transform(nb, chapter: int) -> nbformat.NotebookNode:
    """Add the nbgrader cells to ``nb`` (a chapter notebook) and return it."""
    hide_imports(nb, chapter)
    cells = nb.cells
    existing = {c.metadata.get("nbgrader", {}).get("grade_id") for c in cells}
    exercise_functions: dict[str, str] = {}      # function -> source of its solution cell
    out: list = []
    last_solution: str | None = None
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            if cell.metadata.get("nbgrader", {}).get("solution"):
                out.append(cell)                  # an answer cell from an earlier run
                continue
            out.extend(_markdown_with_answers(cell, cells, index, chapter, existing))
            continue
        if cell.cell_type != "code":
            out.append(cell)
            continue
        if is_solution_code(cell):
            functions = defined_functions(cell.source)
            if not functions:
                raise ValueError(f"solution cell without a function:\n{cell.source[:300]}")
            for f in functions:
                exercise_functions[f] = cell.source
            cell.metadata["nbgrader"] = nbgrader_meta(
                f"ch{chapter:02d}-answer-{slug(functions[0])}", solution=True, grade=False,
                locked=False)
            out.append(cell)
            last_solution = cell.source
            continue
        visible = "\n".join(visible_lines(cell.source))
        groups = split_checks(cell.source)
        tested_here = [f for f in exercise_functions if re.search(rf"\b{f}\(", visible)]
        if groups:
            for lines in groups:
                check = CHECK_CALL.match(next(l for l in lines if CHECK_CALL.match(l))).group("check")
                grade_id = f"ch{chapter:02d}-{slug(check[len('check_'):])}"
                fn_args = CHECK_CALL.match(next(l for l in lines if CHECK_CALL.match(l))).group("args")
                deps = _dependencies(fn_args.split(",")[0].strip(), exercise_functions)
                out.append(test_cell(lines, grade_id, deps, cell))
        elif (last_solution is not None and "assert" in visible and tested_here
              and any(f in defined_functions(last_solution) for f in tested_here)):
            tested = next(f for f in tested_here if f in defined_functions(last_solution))
            grade_id = f"ch{chapter:02d}-{slug(tested)}"
            out.append(test_cell(visible.splitlines(), grade_id,
                                 _dependencies(tested, exercise_functions), cell))
        else:
            out.append(cell)
        last_solution = None
    nb.cells = out
    _check_unique(nb)
    return nb


def _dependencies(function: str, exercise_functions: dict[str, str]) -> list[str]:
    source = exercise_functions.get(function)
    if source is None:
        return []
    return sorted(n for n in called_names(source, function)
                  if n in exercise_functions and n != function
                  and exercise_functions[n] is not source)


def _markdown_with_answers(cell, cells, index, chapter, existing) -> list:
    """The markdown cell, split after each written exercise, with its answer cell."""
    blocks = directives(cell.source)
    exercises = [b for b in blocks if b["kind"] == "exercise"]
    if not exercises:
        return [cell]
    next_code = next((c for c in cells[index + 1:] if c.cell_type == "code"), None)
    next_is_solution = next_code is not None and is_solution_code(next_code) and all(
        c.cell_type != "markdown" or not DIRECTIVE.search(c.source) or
        not any(b["kind"] == "exercise" for b in directives(c.source))
        for c in cells[index + 1:cells.index(next_code)])
    cuts: list[tuple[int, nbformat.NotebookNode]] = []
    for k, ex in enumerate(exercises):
        coding = k == len(exercises) - 1 and next_is_solution and not any(
            b["kind"] == "solution" and b["arg"] == ex["label"] for b in blocks)
        if coding:
            continue
        grade_id = written_grade_id(ex["label"], chapter)
        solution = next((b for b in blocks if b["kind"] == "solution" and b["arg"] == ex["label"]),
                        None)
        cut = solution["end"] if solution else ex["end"]
        title = ex["arg"] or ex["label"]
        cuts.append((cut, answer_cell(title, grade_id)))
    pieces: list = []
    start = 0
    base_id = cell.get("id", "md")

    def piece(text: str):
        new = nbformat.v4.new_markdown_cell(text)
        n_text = sum(1 for p in pieces if "nbgrader" not in p.metadata)
        new.id = base_id if n_text == 0 else f"{base_id[:56]}-{n_text}"
        new.metadata = dict(cell.metadata) if n_text == 0 else {}
        return new

    for cut, answer in cuts:
        text = cell.source[start:cut].strip("\n")
        if text:
            pieces.append(piece(text))
        pieces.append(answer)
        start = cut
    rest = cell.source[start:].strip("\n")
    if rest:
        pieces.append(piece(rest))
    if not cuts:
        return [cell]
    # an answer cell that already follows (an earlier run) is replaced, not duplicated
    following = cells[index + 1] if index + 1 < len(cells) else None
    last_id = pieces[-1].metadata.get("nbgrader", {}).get("grade_id")
    if (last_id is not None and following is not None
            and following.metadata.get("nbgrader", {}).get("grade_id") == last_id):
        cells[index + 1] = pieces.pop()          # refresh its rubric in place
    if len(pieces) == 1:
        pieces[0] = cell
    return pieces


def _check_unique(nb) -> None:
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"duplicate grade_ids: {dup}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="only report whether the notebooks are up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    stale = 0
    for path in args.notebooks:
        before = path.read_text()
        nb = transform(nbformat.read(path, as_version=4), chapter_of(path))
        after = nbformat.writes(nb) + "\n"
        if nbformat.writes(nbformat.reads(before, as_version=4)) + "\n" == after:
            print(f"{path}: up to date")
            continue
        stale += 1
        if args.check:
            print(f"{path}: needs tools/add_nbgrader_metadata.py")
        else:
            path.write_text(after)
            print(f"{path}: nbgrader metadata added; now re-execute it: "
                  f"python tools/execute.py {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
