"""A release is citable and pinnable: one version everywhere, valid citation metadata.

The version is set once, in ``regcore/__init__.py``; every other place that
states it (the package metadata, the book's title page via ``_config.yml``,
``CITATION.cff``, ``CHANGELOG.md``, Binder's environment, each chapter's Colab
set-up cell) must agree, so that a course pinning version X gets version X.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from book_utils import ROOT, config

CFFCONVERT = "cffconvert==2.0.0"


def version() -> str:
    tree = ast.parse((ROOT / "regcore" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return node.value.value
    raise AssertionError("regcore/__init__.py sets no __version__")


def release_tag() -> str:
    return f"v{version()}"


def test_version_is_semantic_and_single_sourced():
    assert re.fullmatch(r"\d+\.\d+\.\d+", version()), version()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "pyproject.toml must not repeat the version"
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "regcore.__version__"}
    import regcore
    assert regcore.__version__ == version()


def test_book_citation_and_changelog_state_the_same_version():
    assert config()["parse"]["myst_substitutions"]["version"] == version()
    assert "{{ version }}" in (ROOT / "book" / "index.md").read_text(), "title page must show the version"
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["version"] == version()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$",
                          (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases, "CHANGELOG.md has no release heading '## [X.Y.Z] - YYYY-MM-DD'"
    newest, date = releases[0]
    assert newest == version(), f"newest CHANGELOG entry is {newest}, the version is {version()}"
    assert str(cff["date-released"]) == date
    assert cff["repository-code"] == config()["repository"]["url"]


def test_binder_installs_the_release_the_book_was_built_from():
    reqs = (ROOT / "binder" / "requirements.txt").read_text()
    wanted = f"regcore @ git+{config()['repository']['url']}@{release_tag()}"
    assert wanted in reqs.splitlines(), f"binder/requirements.txt must contain: {wanted}"
    assert "-e ." not in reqs.splitlines()


@pytest.fixture(scope="module")
def cffconvert(tmp_path_factory):
    """cffconvert, the reference validator of the Citation File Format, in its own venv.

    Its pins (jsonschema < 4) clash with Jupyter's, so it never joins the book's
    environment.  The venv is cached under _build/ between runs.
    """
    env = ROOT / "_build" / "cffconvert-env"
    exe = env / "bin" / "cffconvert"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        pip = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", CFFCONVERT],
                             capture_output=True, text=True)
        if pip.returncode != 0:
            message = f"could not install {CFFCONVERT} from PyPI:\n{pip.stderr[-2000:]}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    return exe


def test_citation_file_is_valid_cff(cffconvert):
    out = subprocess.run([str(cffconvert), "--validate", "-i", str(ROOT / "CITATION.cff")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid according to schema version 1.2.0" in out.stdout


def test_preface_bibtex_is_the_one_generated_from_the_citation_file(cffconvert):
    out = subprocess.run([str(cffconvert), "-f", "bibtex", "-i", str(ROOT / "CITATION.cff")],
                         capture_output=True, text=True, check=True)
    generated = out.stdout.strip().replace("@misc{YourReferenceHere,", "@misc{regcore_book,")
    preface = (ROOT / "book" / "index.md").read_text()
    shown = re.search(r"```bibtex\n(.*?)\n```", preface, re.S)
    assert shown, "the preface has no BibTeX block"
    assert shown.group(1).strip() == generated


def test_citation_names_the_source_text():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    refs = cff.get("references", [])
    assert any(r["title"] == "Regularization in Multi-Layer Perceptrons"
               and r["authors"][0]["family-names"] == "Chourasia" for r in refs)


def test_every_chapter_links_a_prefilled_problem_report(built_book):
    from urllib.parse import parse_qs, unquote, urlparse
    import html as html_lib
    chapters = sorted((built_book / "book").glob("[0-9][0-9]_*.html"))
    assert len(chapters) == 11
    for page in chapters:
        links = re.findall(r'<p class="report-problem">.*?href="([^"]+)"', page.read_text(encoding="utf-8"), re.S)
        assert len(links) == 1, f"{page.name}: {len(links)} report links"
        url = urlparse(html_lib.unescape(links[0]))
        assert f"{url.scheme}://{url.netloc}{url.path}" == config()["repository"]["url"] + "/issues/new"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        number = page.name[:2]
        assert query["title"].startswith(f"[ch{number}, v{version()}]"), query["title"]
        assert f"Chapter {int(number)}," in unquote(query["body"]) and version() in query["body"]
