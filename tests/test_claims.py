"""The claims ledger (book/claims.md) links only to sections that exist."""
from __future__ import annotations

import re

import nbformat

from book_utils import ROOT

LEDGER = ROOT / "book" / "claims.md"
LABEL = re.compile(r"^\(([\w.-]+)\)=\s*$", re.M)
REF = re.compile(r"\{ref\}`(?:[^`<]*<)?([\w.-]+)>?`")


def book_labels() -> set[str]:
    labels = set()
    for path in (ROOT / "book").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                labels |= set(LABEL.findall(cell.source))
    for path in (ROOT / "book").glob("*.md"):
        labels |= set(LABEL.findall(path.read_text()))
    return labels


def test_every_ledger_link_resolves():
    targets = REF.findall(LEDGER.read_text())
    assert len(targets) >= 40
    missing = sorted(set(targets) - book_labels())
    assert not missing, f"links to labels that no chapter defines: {missing}"


def test_every_row_has_a_verdict_and_evidence():
    verdicts = {"holds", "holds under stated conditions", "false", "contested"}
    rows = [line for line in LEDGER.read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| §") and "---" not in line]
    assert len(rows) >= 35
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert cells[2] in verdicts, row
        assert "{ref}" in cells[4], row
