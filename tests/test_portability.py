"""The committed outputs encode mathematics, never roundoff (DESIGN, "Verification").

nbval compares every committed output with a fresh execution, and that must hold
on any machine: another CPU, another BLAS kernel.  Two kinds of output break
that without anything being wrong with the mathematics, and both can be found
statically, on the committed notebooks:

* a glued float with more digits than the prose can show: the last digits of
  ``0.1532558…`` depend on the order of floating-point operations, which the
  BLAS kernel chooses; ``0.153`` does not;
* a roundoff-level number printed as its value (``max |diff| = 3e-15``): the
  value is noise, only the bound (``< 1e-12``) is mathematics.

``make test-portable`` checks the same property dynamically, by re-executing
every chapter under other OpenBLAS kernels.
"""
from __future__ import annotations

import collections
import math
import re

import nbformat
import pytest

from book_utils import ROOT

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
GLUE_REF = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)(?::([^`]*))?`")
GLUE_MIME = "application/papermill.record/text/plain"
# A number in scientific notation at roundoff level (|x| < 1e-9) whose mantissa is
# not exactly 1: a measured residual, not a tolerance such as `1e-12`.
ROUNDOFF = re.compile(r"(?<![\w.])(?P<num>[0-9](?:\.[0-9]+)?)e-(?P<exp>[0-9]{2,3})\b")
BOUND_BEFORE = re.compile(r"(<|<=|≤|below|under|tol(?:erance)?\s*=?|atol\s*=?|rtol\s*=?|eps\s*=?)\s*$")


def _markdown(path):
    if path.suffix == ".md":
        return path.read_text()
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def prose_formats() -> dict[str, set[str]]:
    """Every glue name referenced anywhere in the book -> the format specs it is shown with."""
    refs = collections.defaultdict(set)
    for path in PAGES + CHAPTERS:
        for name, fmt in GLUE_REF.findall(_markdown(path)):
            refs[name.strip()].add((fmt or "").strip())
    return refs


def glued_values(path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = out.get("metadata", {}).get("scrapbook")
            if meta and GLUE_MIME in out.get("data", {}):
                values[meta["name"]] = out["data"][GLUE_MIME]
    return values


def shown_decimals(fmt: str):
    """What a format shows: ('dec', n) = n decimals, ('sig', n) = n significant digits, None = all."""
    m = re.fullmatch(r"[+\- ]?(?:\.(\d+))?([efg%])", fmt)
    if not m:
        return None
    d = int(m[1]) if m[1] is not None else 6
    return {"f": ("dec", d), "%": ("dec", d + 2), "e": ("sig", d + 1), "g": ("sig", max(d, 1))}[m[2]]


def carries_more_than(value: float, shown) -> bool:
    kind, n = shown
    if kind == "dec":
        return round(value, n) != value
    return float(f"{value:.{n}g}") != value


def significant_digits(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) if "." not in text.lower().split("e")[0] else len(mantissa)


# ---------------------------------------------------------------- the rules, unit-tested

def test_the_rules_recognise_what_they_should():
    assert shown_decimals(".3f") == ("dec", 3) and shown_decimals(".1%") == ("dec", 3)
    assert shown_decimals(".1e") == ("sig", 2) and shown_decimals("+.4f") == ("dec", 4)
    assert shown_decimals("") is None
    assert carries_more_than(0.1532558, ("dec", 3)) and not carries_more_than(0.153, ("dec", 3))
    assert carries_more_than(2.2062736e-05, ("sig", 2)) and not carries_more_than(2.2e-05, ("sig", 2))
    assert significant_digits("2.2062736527344105") == 17 and significant_digits("0.01") == 1
    found = [m["num"] + "e-" + m["exp"] for m in ROUNDOFF.finditer("max |diff| = 3e-15, 2.5e-16 ok")]
    assert found == ["3e-15", "2.5e-16"]
    assert ROUNDOFF.search("the tolerance 1e-12") is not None   # filtered by _roundoff_values


def _roundoff_values(text: str) -> list[str]:
    """Roundoff-level numbers printed as values (not bounds, not tolerances) in `text`."""
    bad = []
    for m in ROUNDOFF.finditer(text):
        if int(m["exp"]) < 10 or float(m["num"]) == 1.0:
            continue          # not roundoff level, or a power of ten: a tolerance or a bound
        if BOUND_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
            continue          # written as a bound: "< 3e-15"
        bad.append(text[max(0, m.start() - 30):m.end() + 5].replace("\n", " "))
    return bad


def test_roundoff_detector_on_examples():
    assert _roundoff_values("max |grad diff| = 3e-15") != []
    assert _roundoff_values("|mean m2| = 9e-16") != []
    assert _roundoff_values("max |diff| < 1e-12 (torch float64)") == []
    assert _roundoff_values("agrees to < 2e-14") == []
    assert _roundoff_values("eps = 1e-05, lr = 3e-04") == []


# ---------------------------------------------------------------- the committed book

@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_glued_floats_carry_no_more_digits_than_the_prose_shows(path):
    refs = prose_formats()
    problems = []
    for name, text in glued_values(path).items():
        text = text.strip()
        if text.startswith(("'", '"')):
            continue                               # a string: the prose shows it as written
        try:
            value = float(text)
        except ValueError:
            continue
        if re.fullmatch(r"-?\d+", text) or not math.isfinite(value):
            continue                               # an integer is exact
        if name not in refs:
            problems.append(f"{name} = {text}: glued but never shown in the prose")
            continue
        shown = [shown_decimals(f) for f in refs[name]]
        if any(s is None for s in shown):
            # shown as stored: a short constant (0.01, 3e-4) is fine, a long repr is roundoff
            if significant_digits(text) > 4:
                problems.append(f"{name} = {text}: shown unformatted with {significant_digits(text)} digits")
            continue
        if all(carries_more_than(value, s) for s in shown):
            problems.append(f"{name} = {text}: the prose shows it as {sorted(refs[name])}; "
                            f"glue it rounded (regcore.book.glue(name, value, fmt))")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_roundoff_is_printed_as_a_value(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [out.get("data", {}).get(k, "") for k in ("text/plain", GLUE_MIME)]
            for text in texts:
                problems += [f"cell {i}: ...{hit}..." for hit in _roundoff_values(str(text))]
    assert not problems, "print roundoff as a bound (`< 1e-12`), not as its value:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_number_the_prose_quotes_is_glued_in_the_chapter(path):
    """A `{glue:text}` reference without a glue call renders as a build warning and a hole."""
    glued = glued_values(path)
    missing = sorted({name.strip() for name, _ in GLUE_REF.findall(_markdown(path))} - set(glued))
    assert not missing, f"the prose quotes numbers that no cell glues: {missing}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_cell_shows_the_value_of_a_glue_call(path):
    """A cell that ends in `glue(...)` must show nothing (a stray `160` under the code otherwise)."""
    nb = nbformat.read(path, as_version=4)
    stray = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()
             and c.source.strip().splitlines()[-1].lstrip().startswith("glue(")
             and any(o.output_type == "execute_result" for o in c.get("outputs", []))]
    assert not stray, f"cells {stray} end in glue(...) and show its return value"
