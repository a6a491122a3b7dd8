"""The claims ledger covers every claim of the source (book/claims.md vs tests/source_claims.yaml).

``tests/source_claims.yaml`` lists the source's claims section by section, each
with a phrase of its ledger row.  The tests fail when

* a claim has no ledger row (the ledger is incomplete),
* a ledger row answers no listed claim (the list or the row is stale),
* a section of the source has neither a claim nor a reason why not,
* (where the source text is available) an anchor does not occur in the text of
  the section it is filed under, so that the list stays tied to the source.

The source is ``../shared/source/regularization-in-mlps.md`` next to the
repository, or the file named by ``REGCORE_SOURCE``; without it the anchor test
is skipped with that reason (the book's repository does not redistribute it).
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from book_utils import ROOT

LEDGER = ROOT / "book" / "claims.md"
CLAIMS = Path(__file__).with_name("source_claims.yaml")
# every section of the source that has text of its own ("7" is section 7's introduction)
SOURCE_SECTIONS = ["1", "2", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "4.4", "4.5",
                   "5", "5.1", "5.2", "5.3", "5.4", "6.1", "6.2", "6.3", "6.4", "7", "7.1", "7.2",
                   "7.3", "7.4", "8", "8.1", "8.2", "8.3", "9.1", "9.2", "9.3", "9.4", "10.1",
                   "10.2", "10.3", "10.4", "10.5", "11"]
VERDICTS = {"holds", "holds under stated conditions", "false", "contested"}


def ledger_rows(text: str) -> list[dict]:
    """The table rows of the ledger as dicts with keys section, claim, verdict, note, evidence."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("| §") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(dict(zip(("section", "claim", "verdict", "note", "evidence"), cells)))
    return rows


def load_claims() -> dict:
    return yaml.safe_load(CLAIMS.read_text())


def matches(claim: dict, row: dict) -> bool:
    return (row["section"] == claim.get("row_section", claim["section"])
            and claim["row"].lower() in row["claim"].lower())


def unmatched_claims(claims: list[dict], rows: list[dict]) -> list[str]:
    """Ids of the claims that no ledger row answers."""
    return [c["id"] for c in claims if not any(matches(c, r) for r in rows)]


def orphan_rows(claims: list[dict], rows: list[dict]) -> list[str]:
    """Ledger rows that answer none of the listed claims."""
    return [f"§{r['section']}: {r['claim']}" for r in rows if not any(matches(c, r) for c in claims)]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).lower()


def source_sections(text: str) -> dict[str, str]:
    """Section number -> its own text (up to the next numbered heading), normalised."""
    parts, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^#+\s+(\d+(?:\.\d+)?)\s", line)
        if m:
            current = m.group(1)
            parts.setdefault(current, [])
        elif current is not None:
            parts[current].append(line)
    return {k: _normalise("\n".join(v)) for k, v in parts.items() if "".join(v).strip()}


def _source_path() -> Path | None:
    candidates = [os.environ.get("REGCORE_SOURCE"),
                  ROOT.parent / "shared" / "source" / "regularization-in-mlps.md"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


# ------------------------------------------------------------------ the checker itself

def test_the_checker_reports_a_claim_whose_row_is_missing():
    claims = [{"id": "9.9-a", "section": "9.9", "row": "the moon is made of cheese"},
              {"id": "9.9-b", "section": "9.9", "row": "water is wet", "row_section": "9.8"}]
    rows = ledger_rows("| § | claim | verdict | note | evidence |\n|---|---|---|---|---|\n"
                       "| 9.9 | The Moon is made of cheese | false | no | {ref}`x` |\n"
                       "| 9.9 | Water is wet | holds | filed under the wrong § | {ref}`x` |\n")
    assert unmatched_claims(claims, rows) == ["9.9-b"]          # its row is filed under 9.8
    assert orphan_rows(claims, rows) == ["§9.9: Water is wet"]
    assert unmatched_claims(claims, rows[:1] + [dict(rows[1], section="9.8")]) == []


# ------------------------------------------------------------------ the real ledger

def test_claim_ids_are_unique_and_sections_known():
    data = load_claims()
    ids = [c["id"] for c in data["claims"]]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    for c in data["claims"]:
        assert c["section"] in SOURCE_SECTIONS, c
        assert c["id"].split("-")[0] == c["section"], c
        assert c.get("row_section", c["section"]) in SOURCE_SECTIONS, c


def test_every_source_claim_has_a_ledger_row():
    missing = unmatched_claims(load_claims()["claims"], ledger_rows(LEDGER.read_text()))
    assert not missing, ("source claims without a row in book/claims.md (add the row, or fix the "
                         f"phrase in tests/source_claims.yaml): {missing}")


def test_every_ledger_row_answers_a_listed_claim():
    orphans = orphan_rows(load_claims()["claims"], ledger_rows(LEDGER.read_text()))
    assert not orphans, f"ledger rows that no claim in tests/source_claims.yaml maps to: {orphans}"


def test_every_row_has_a_verdict_a_note_and_evidence():
    for row in ledger_rows(LEDGER.read_text()):
        assert row["verdict"] in VERDICTS, row
        assert row["note"], row
        assert "{ref}" in row["evidence"], row


def test_every_section_of_the_source_has_a_claim_or_a_reason():
    data = load_claims()
    covered = {c["section"] for c in data["claims"]} | {d["section"] for d in data["definitions"]}
    assert all(d["why"] for d in data["definitions"])
    assert sorted(set(SOURCE_SECTIONS) - covered, key=SOURCE_SECTIONS.index) == []


def test_anchors_occur_in_their_sections_of_the_source():
    path = _source_path()
    if path is None:
        pytest.skip("the source text is not available (set REGCORE_SOURCE to its path)")
    sections = source_sections(path.read_text())
    assert list(sections) == SOURCE_SECTIONS, "the source's sections changed: update SOURCE_SECTIONS"
    bad = [f"{c['id']}: {c['anchor']!r}" for c in load_claims()["claims"]
           if _normalise(c["anchor"]) not in sections[c["section"]]]
    assert not bad, f"anchors not found in their section of {path}: {bad}"
