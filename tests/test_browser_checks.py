"""The browser test's own machinery (tests/browser.py), on a tiny synthetic site.

- the request check names every failed request by its URL and catches a
  missing local asset (script, image, stylesheet of an iframe) and any request
  to another host (an image, a fetch()), and reports nothing on a clean page;
- a failure Chromium reports for a request no page made (its own start page
  or background work) is not blamed on the page;
- axe-core finds a contrast problem where there is one and none on the clean page;
- without Chromium or axe-core the tests that need them are skipped, the
  run's summary says why and how to install them (once, under pytest-xdist
  too), and with CI=true they fail instead.
"""
from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import browser
from book_utils import ROOT

#: A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/_static/ok.css">{head}</head>
<body><main><h1>{title}</h1><p>Some text.</p><img src="/_static/ok.png" alt="a dot">{body}</main>
<script src="/_static/ok.js"></script></body></html>
"""

SITE = {
    "clean.html": PAGE.format(title="Clean", head="", body=""),
    "broken.html": PAGE.format(
        title="Broken", head='<script src="/_static/x.js"></script>',
        body='<img src="/_static/missing.png" alt="missing">'
             '<img src="http://example.invalid/x.png" alt="elsewhere">'
             '<iframe title="inner" src="/inner.html"></iframe>'
             "<script>window.fetched = fetch('http://example.invalid/api').catch(() => null);</script>"),
    "inner.html": PAGE.format(title="Inner", head='<link rel="stylesheet" href="/_static/in-frame.css">', body=""),
    # Two problems among many look-alikes (axe checks one element per ancestry:
    # see browser.AXE_PREPARE_JS): an inline style, and a class.
    "low-contrast.html": PAGE.format(
        title="Low contrast", head="<style>.pale a { color: #aaa; }</style>",
        body="".join(f'<p>Text and <a href="#p{i}">a link</a>.</p>' for i in range(20))
             + '<p style="color: #bbb">Pale grey on white.</p>'
             + "".join(f'<p class="{"pale" if i == 7 else ""}">More and <a href="#q{i}">a link</a>.</p>'
                       for i in range(20))),
    "_static/ok.css": "body { color: #222; background: #fff; }",
    "_static/ok.js": "window.ok = true;",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for name, text in SITE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "_static" / "ok.png").write_bytes(PNG)
    return root


@pytest.fixture(scope="module")
def visited(site):
    """{page: (base URL, problems, requests)} for the pages of the site, in one browser."""
    browser.required(browser.missing_chromium())
    network, out = browser.NetworkLog(), {}
    with browser.serve(site) as base, browser.chromium(network_log=True) as driver:
        for name in ("clean.html", "broken.html", "clean.html"):
            browser.open_page(driver, base + name, expect_math=False)
            driver.execute_async_script("const done = arguments[0]; Promise.resolve(window.fetched).then(done);")
            docs = browser.documents(driver)
            network.read(driver)
            out.setdefault(name, []).append(docs)
        network.read(driver)
    return {name: (base, [browser.request_problems(network.of(d), base) for d in docs], network.of(docs[0]))
            for name, docs in out.items()}


def test_a_clean_page_has_no_problem(visited):
    base, problems, requests = visited["clean.html"]
    # ... before and after the broken page: nothing of one page is blamed on another.
    assert problems == [{"outside": [], "failed": []}] * 2
    urls = {r.url for r in requests}
    assert {f"{base}clean.html", f"{base}_static/ok.css", f"{base}_static/ok.js", f"{base}_static/ok.png"} <= urls


def test_broken_assets_and_other_hosts_are_named_by_url(visited):
    base, [problems], _ = visited["broken.html"]
    assert sorted(problems["failed"]) == sorted([
        f"404 {base}_static/x.js",
        f"404 {base}_static/missing.png",
        f"404 {base}_static/in-frame.css",  # requested by the page's iframe
        "net::ERR_NAME_NOT_RESOLVED http://example.invalid/x.png",
        "net::ERR_NAME_NOT_RESOLVED http://example.invalid/api",
    ]), problems["failed"]
    assert sorted(problems["outside"]) == ["http://example.invalid/api", "http://example.invalid/x.png"]


def test_a_failure_of_a_request_no_page_made_is_nobodys():
    """Chromium reports failures of its own requests by id alone (the id, not a
    URL, is what the old check printed); they belong to no page's documents."""
    log = browser.NetworkLog()
    log.add([
        {"method": "Network.requestWillBeSent", "params": {
            "requestId": "L1", "loaderId": "L1", "frameId": "F", "type": "Document",
            "request": {"url": "http://127.0.0.1:1/a.html"}}},
        {"method": "Network.requestWillBeSent", "params": {
            "requestId": "7.1", "loaderId": "L1", "frameId": "F", "type": "Script",
            "request": {"url": "http://127.0.0.1:1/old.js"}}},
        {"method": "Network.requestWillBeSent", "params": {  # redirected: the same id, a new URL
            "requestId": "7.1", "loaderId": "L1", "frameId": "F", "type": "Script",
            "request": {"url": "http://127.0.0.1:1/new.js"}, "redirectResponse": {"status": 301}}},
        {"method": "Network.loadingFailed", "params": {"requestId": "7.1", "errorText": "net::ERR_FAILED"}},
        {"method": "Network.loadingFailed", "params": {
            "requestId": "071D26A0B1C2D3E4F5061728394A5B6C", "errorText": "net::ERR_NAME_NOT_RESOLVED",
            "type": "Document"}},
    ])
    problems = browser.request_problems(log.of({"L1"}), "http://127.0.0.1:1/")
    assert problems == {"outside": [], "failed": ["net::ERR_FAILED http://127.0.0.1:1/new.js"]}
    assert log.requests["7.1"].redirects == ["http://127.0.0.1:1/old.js"]
    assert [p["requestId"] for p in log.unattributed] == ["071D26A0B1C2D3E4F5061728394A5B6C"]


def test_axe_finds_low_contrast_and_nothing_on_a_clean_page(site):
    browser.required(browser.missing_chromium())
    browser.required(browser.missing_axe())
    found = {}
    with browser.serve(site) as base, browser.chromium() as driver:
        for name in ("clean.html", "low-contrast.html"):
            browser.open_page(driver, base + name, expect_math=False)
            found[name] = {v["id"]: (v["impact"], sorted(n["html"] for n in v["nodes"]))
                           for v in browser.run_axe(driver)["violations"]}
    assert not found["clean.html"], found["clean.html"]
    assert found["low-contrast.html"] == {"color-contrast": ("serious", [
        '<a href="#q7">a link</a>', '<p style="color: #bbb">Pale grey on white.</p>'])}, found


# -- without Chromium or axe-core ----------------------------------------------


def _pytest(select: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The tests of this file that `select` (-k) names, in a pytest of their own, with `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_")) and k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-p", "no:cacheprovider", "-q",
         "-k", f"({select}) and not _without_", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_without_chromium_the_browser_tests_are_skipped_and_the_summary_says_how_to_install_it():
    run = _pytest("test", "-n", "2", REGCORE_CHROMIUM="/nonexistent/chromium")
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert re.search(r"\b1 passed, 3 skipped\b", out), out
    assert out.count("headless Chromium: 3 tests skipped") == 1, out  # once, from xdist's controller
    for system, command in browser.CHROMIUM_INSTALL:
        assert f"{system}:" in out and command in out, out
    assert "no Chromium at REGCORE_CHROMIUM=/nonexistent/chromium" in out


def test_without_chromium_under_ci_the_browser_tests_fail():
    run = _pytest("test", REGCORE_CHROMIUM="/nonexistent/chromium", CI="true")
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    # The tests of the fixture err, the axe test fails.
    assert all(re.search(rf"\b{n}\b", out) for n in ("1 failed", "1 passed", "2 errors")), out
    assert "CI=true: this is required" in out
    assert "headless Chromium: 3 tests failed (CI=true: required)" in out
    assert "sudo apt-get install -y chromium chromium-driver" in out


def test_without_axe_the_audit_is_skipped_and_the_summary_says_how_to_install_it():
    if browser.missing_chromium():  # the axe test is then skipped for Chromium
        browser.required(browser.missing_chromium())
    run = _pytest("axe", REGCORE_AXE="/nonexistent/axe.min.js")
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert re.search(r"\b1 skipped\b", out), out
    assert "axe-core: 1 test skipped" in out, out
    assert browser.AXE_INSTALL[0][1] in out
