"""Fixtures shared by the book-level tests, and the run summary's note on what was skipped."""
from __future__ import annotations

import pytest

import browser
from book_utils import shared_book_build


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The HTML of the book built with -W, once per session (shared across xdist workers)."""
    return shared_book_build(tmp_path_factory)


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return getattr(report, "longreprtext", "") or str(longrepr or "")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Tests skipped (or, under CI=true, failed) because Chromium or axe-core is
    missing: say so once, with the commands that install them.

    Runs where the summary is printed: on pytest-xdist's controller, from the
    reports its workers sent, so the note appears once however many workers ran.
    """
    if hasattr(config, "workerinput"):  # an xdist worker prints nothing
        return
    wanted = [m for m in (browser.missing_chromium(), browser.missing_axe()) if m is not None]
    if not wanted:
        return
    counts = {m.tag: {"skipped": 0, "failed": 0} for m in wanted}
    for outcome in ("skipped", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            reason = _reason(report)
            for m in wanted:
                if m.reason in reason:
                    counts[m.tag]["skipped" if outcome == "skipped" else "failed"] += 1
                    break
    for m in wanted:
        skipped, failed = counts[m.tag]["skipped"], counts[m.tag]["failed"]
        if not skipped and not failed:
            continue
        tests = lambda n: f"{n} test{'s' * (n != 1)}"  # noqa: E731
        title = f"{tests(skipped)} skipped" if skipped else f"{tests(failed)} failed (CI=true: required)"
        terminalreporter.write_sep("=", f"{m.tag}: {title}", yellow=bool(skipped), red=bool(failed), bold=True)
        for line in m.explain():
            terminalreporter.write_line(line)
        if skipped:
            terminalreporter.write_line("With CI=true (as in .ci/run) these tests are required and fail instead.")
