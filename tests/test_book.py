"""The book as a whole: its table of contents, its build and its test collection."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from book_utils import ROOT, config, source_of, toc_files


def test_every_toc_entry_has_exactly_one_source_file():
    entries = toc_files()
    assert len(entries) == len(set(entries)), "duplicate entries in _toc.yml"
    for entry in entries:
        source_of(entry)  # raises with the entry's name if missing or ambiguous


def test_eleven_chapters_in_source_order():
    chapters = [e for e in toc_files() if re.match(r"book/\d\d_", e)]
    numbers = [int(Path(c).name[:2]) for c in chapters]
    assert numbers == list(range(1, 12))


def test_repository_url_is_configured_once():
    url = config()["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    assert config()["repository"]["path_to_book"] == ""


def test_pytest_never_collects_build_or_venv(tmp_path):
    """Put a failing test and a notebook where pytest must not look, then collect."""
    build = ROOT / "_build" / "collect_probe"
    build.mkdir(parents=True, exist_ok=True)
    (build / "test_probe.py").write_text("def test_probe():\n    assert False\n")
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval",
             "-p", "no:cacheprovider", "-p", "no:randomly"],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
    finally:
        (build / "test_probe.py").unlink()
        build.rmdir()
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    assert ids, out.stdout + out.stderr
    bad = [i for i in ids if i.startswith(("_build", ".venv", "node_modules"))]
    assert not bad, bad


def test_book_has_one_page_per_toc_entry(built_book):
    for entry in toc_files():
        page = built_book / f"{entry}.html"
        assert page.is_file(), f"no HTML page for {entry}"
        assert "<h1" in page.read_text(encoding="utf-8"), f"{entry}.html has no title"


def test_citations_resolve_to_the_bibliography(built_book):
    bib = (built_book / "book" / "bibliography.html").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([\w-]+),", (ROOT / "book" / "references.bib").read_text(), re.M))
    assert len(keys) >= 10
    # Every page that cites links each citation into the bibliography page.
    cited = 0
    for page in built_book.glob("book/*.html"):
        html = page.read_text(encoding="utf-8")
        assert "??" not in re.sub(r"<script.*?</script>", "", html, flags=re.S), f"unresolved reference in {page.name}"
        for target in re.findall(r'href="bibliography\.html#([\w-]+)"', html):
            cited += 1
            assert f'id="{target}"' in bib, f"{page.name} cites #{target}, missing from the bibliography"
    assert cited > 0, "no page links a citation to the bibliography"
    # The bibliography lists every entry of references.bib (`:all:`).
    assert bib.count('class="citation"') == len(keys)


def test_exercise_and_proof_extensions_render(built_book):
    index = (built_book / "book" / "index.html").read_text(encoding="utf-8")
    notation = (built_book / "book" / "notation.html").read_text(encoding="utf-8")
    assert "exercise" in index and "solution" in index
    assert "proof" in notation and "Penalised objective" in notation
