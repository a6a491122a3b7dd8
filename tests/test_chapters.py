"""Every chapter notebook meets the structural parts of the chapter standard.

nbval (in the same test run) re-executes each notebook and compares outputs;
these tests check what nbval cannot: the set-up cell, the exercises and
self-checks, figure alt text, and the absence of stored errors.
"""
from __future__ import annotations

import re

import nbformat
import pytest

from book_utils import ROOT, config

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
# The Colab set-up cell installs regcore (numpy is its only dependency; Colab has
# matplotlib and scikit-learn) at the release tag of the version the book states,
# so that a course pinning version X keeps getting version X (tests/test_release.py).
SETUP = '''# Set-up: in Google Colab, install regcore at the release this book was built from; elsewhere do nothing.
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "regcore @ git+{url}@v{version}"],
                   check=True)'''


def _cells(path, kind):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == kind]


def test_chapters_exist():
    assert CHAPTERS, "no chapter notebook in book/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_setup_cell_installs_the_release_from_the_configured_repository(path):
    import regcore
    first = _cells(path, "code")[0]
    expected = SETUP.format(url=config()["repository"]["url"], version=regcore.__version__)
    assert first.source.strip() == expected.strip()
    assert "remove-cell" in first.metadata.get("tags", [])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_solutions_and_self_check(path):
    md = "\n".join(c.source for c in _cells(path, "markdown"))
    code = "\n".join(c.source for c in _cells(path, "code"))
    exercises = re.findall(r"^[`:]{3,}\{exercise\}", md, re.M)
    solutions = re.findall(r"^[`:]{3,}\{solution\}", md, re.M)
    assert len(exercises) >= 3, f"{len(exercises)} exercises"
    assert len(solutions) >= len(exercises), "an exercise without a solution"
    assert md.count(":class: dropdown") >= len(solutions), "solutions must be folded"
    assert "### BEGIN SOLUTION" in code and "### END SOLUTION" in code
    assert re.search(r"assert\s+checks\.check_\w+\(", code), "no self-check cell"
    assert len(re.findall(r"^\s*assert\b", code, re.M)) >= 3


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_have_alt_text_and_no_errors_are_stored(path):
    for cell in _cells(path, "code"):
        assert cell.execution_count is not None or not cell.source.strip(), "unexecuted cell"
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"stored error: {out.get('ename')}"
            if out.output_type == "stream":
                assert out.name == "stdout", f"stderr output: {out.text[:200]}"
        if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 20, f"figure without alt text in cell:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_title_and_follows_the_rhythm(path):
    md = "\n".join(c.source for c in _cells(path, "markdown"))
    assert len(re.findall(r"^# ", md, re.M)) == 1, "exactly one H1 title"
    for heading in ("What you will be able to do", "Key takeaways", "Exercises"):
        assert heading.lower() in md.lower(), f"missing section: {heading}"
    assert "{cite" in md and "chourasia2025" in md


def test_every_repository_link_in_the_chapters_is_the_configured_one():
    """A fork changes `repository.url` in _config.yml; no chapter may hard-code another."""
    owner_repo = config()["repository"]["url"].removeprefix("https://github.com/")
    found = 0
    for path in CHAPTERS:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        for match in re.findall(r"(?:github\.com|githubusercontent\.com)/([\w.-]+/[\w-]+)", text):
            found += 1
            assert match == owner_repo, f"{path.name} links {match}, _config.yml says {owner_repo}"
    assert found >= len(CHAPTERS)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_files_fetched_from_the_repository_come_from_the_release(path):
    """A chapter that downloads from the repository (Colab) takes the release's files, not main's."""
    import regcore
    code = "\n".join(c.source for c in _cells(path, "code"))
    for ref in re.findall(r"raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/([^/\s\"']+)/", code):
        assert ref == f"v{regcore.__version__}", f"fetches from {ref!r}, not the release tag"


def test_no_chapter_imports_myst_nb_directly():
    """Chapters glue through regcore.book, which works without myst-nb (Colab, test-fresh)."""
    for path in CHAPTERS:
        code = "\n".join(c.source for c in _cells(path, "code"))
        assert not re.search(r"^\s*(from|import) myst_nb", code, re.M), path.name
