"""Headless Chromium on a local copy of the built book.

Shared by tests/test_rendered_book.py, tests/test_browser_checks.py and
`make screenshots` (tools/screenshots.py).

What it needs, and what happens without it
------------------------------------------
- **Chromium and ChromeDriver** (see `CHROMIUM_INSTALL`).  Found at
  /usr/bin/chromium and /usr/bin/chromedriver (Debian's packages `chromium`
  and `chromium-driver`, which .ci/run installs), else at the usual places of
  Ubuntu and macOS, else on PATH.  `REGCORE_CHROMIUM` and
  `REGCORE_CHROMEDRIVER` name the two programs explicitly; naming a path that
  does not exist (`REGCORE_CHROMIUM=none`) hides Chromium, to try the run
  without it.  Selenium is told where the driver is, so Selenium Manager
  never tries to download one.
- **axe-core** for the accessibility audit (see `AXE_INSTALL`): its
  `axe.min.js`, from npm into _build/axe/ (not committed), or wherever
  `REGCORE_AXE` names.

`missing_chromium()` and `missing_axe()` return a `Missing` (what is
missing, and the commands that install it) or None.  Without them the tests
that need them are skipped, the run's summary says why and how to install
them (tests/conftest.py), and with CI=true they fail instead (`required()`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

# -- what the browser tests need --------------------------------------------

#: Where Chromium and ChromeDriver are looked for, in order, before PATH.
CHROMIUM_PATHS = {
    "linux": ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium"],
    "darwin": ["/Applications/Chromium.app/Contents/MacOS/Chromium",
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"],
}
CHROMEDRIVER_PATHS = {
    "linux": ["/usr/bin/chromedriver", "/snap/bin/chromium.chromedriver"],
    "darwin": ["/opt/homebrew/bin/chromedriver", "/usr/local/bin/chromedriver"],
}
CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

#: (system, command) pairs printed wherever Chromium is missing.
CHROMIUM_INSTALL = [
    ("Debian", "sudo apt-get install -y chromium chromium-driver"),
    ("Ubuntu", "sudo apt-get install -y chromium-browser chromium-chromedriver"),
    ("macOS", "brew install --cask google-chrome chromedriver"),
]
CHROMIUM_NOTE = ("The browser's and the driver's major versions must agree. Elsewhere, set REGCORE_CHROMIUM "
                 "and REGCORE_CHROMEDRIVER to the two programs.")

#: axe-core, pinned; installed from npm into a folder that git ignores.
AXE_VERSION = "4.14.1"
AXE_PREFIX = "_build/axe"
AXE_JS = ROOT / AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
AXE_INSTALL = [("with Node.js",
                f"npm install --prefix {AXE_PREFIX} --no-save --no-audit --no-fund axe-core@{AXE_VERSION}")]
AXE_NOTE = ("Run it at the repository's root (`make clean` removes it with _build/). "
            "REGCORE_AXE may name another axe.min.js (REGCORE_AXE=none skips the audit, except under CI=true).")


@dataclasses.dataclass(frozen=True)
class Missing:
    """Something a test needs that this machine lacks, and how to install it."""

    tag: str            # starts every skip reason, so that conftest.py can find them
    what: str           # what is missing, e.g. "no /usr/bin/chromium"
    needed_for: str
    install: list[tuple[str, str]]
    note: str = ""

    @property
    def reason(self) -> str:
        """One line: the skip reason or failure message of each test that needs it."""
        commands = "; ".join(f"{system}: `{command}`" for system, command in self.install)
        return f"{self.tag} missing ({self.what}), needed for {self.needed_for}. To install it: {commands}."

    def explain(self) -> list[str]:
        """Several lines, for the run's summary."""
        width = max(len(system) for system, _ in self.install) + 1
        lines = [f"{self.tag} missing: {self.what}.", f"Needed for {self.needed_for}. To install it:"]
        lines += [f"  {system + ':':<{width}} {command}" for system, command in self.install]
        if self.note:
            lines.append(self.note)
        return lines


def _platform() -> str:
    return "darwin" if sys.platform == "darwin" else "linux"


def _find(variable: str, candidates: list[str], names: list[str]) -> tuple[str | None, str]:
    """(the program's path or None, where it was looked for)."""
    override = os.environ.get(variable)
    if override is not None:
        found = override if Path(override).is_file() and os.access(override, os.X_OK) else None
        return found, f"{variable}={override}"
    for path in candidates:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path, path
    for name in names:
        path = shutil.which(name)
        if path:
            return path, path
    return None, " or ".join([candidates[0], *(f"`{n}` on PATH" for n in names[:1])])


def chromium_paths() -> tuple[str | None, str | None, list[str]]:
    """(Chromium, ChromeDriver, the places looked at for the missing ones)."""
    system = _platform()
    browser, browser_where = _find("REGCORE_CHROMIUM", CHROMIUM_PATHS[system], CHROMIUM_NAMES)
    driver, driver_where = _find("REGCORE_CHROMEDRIVER", CHROMEDRIVER_PATHS[system], ["chromedriver"])
    absent = [f"no Chromium at {browser_where}"] * (browser is None) + [f"no ChromeDriver at {driver_where}"] * (driver is None)
    return browser, driver, absent


def missing_chromium() -> Missing | None:
    absent = chromium_paths()[2]
    if not absent:
        return None
    return Missing("headless Chromium", "; ".join(absent), "the browser tests of the rendered book and `make screenshots`",
                   CHROMIUM_INSTALL, CHROMIUM_NOTE)


def axe_path() -> Path:
    return Path(os.environ["REGCORE_AXE"]) if os.environ.get("REGCORE_AXE") else AXE_JS


def missing_axe() -> Missing | None:
    path = axe_path()
    if path.is_file():
        return None
    where = f"REGCORE_AXE={path}" if os.environ.get("REGCORE_AXE") else str(path.relative_to(ROOT))
    return Missing("axe-core", f"no {where}", "the accessibility audit of the rendered book", AXE_INSTALL, AXE_NOTE)


def missing() -> str | None:
    """Chromium's problem as one line, or None (for tools/screenshots.py)."""
    problem = missing_chromium()
    return problem.reason if problem else None


def in_ci() -> bool:
    """CI=true (as CI services set it): the browser tests are required, not skipped."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def required(problem: Missing | None) -> None:
    """Skip the calling test (or fixture) for `problem`; under CI=true, fail it."""
    if problem is None:
        return
    import pytest

    if in_ci():
        pytest.fail(f"{problem.reason} CI=true: this is required.", pytrace=False)
    pytest.skip(problem.reason)


# -- serving the book and starting the browser -------------------------------

#: As root, on a machine without a network: no sandbox, no GPU, and none of
#: Chromium's own background connections (updates, sync, safe browsing).
#: Every host name but 127.0.0.1 resolves to nothing, so the book cannot
#: fetch anything from elsewhere, online or offline, and any attempt shows up
#: as a failed request.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--no-first-run", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--disable-extensions", "--hide-scrollbars",
    "--no-default-browser-check", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

DESKTOP = (1280, 900)
PHONE = (390, 844)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def chromium(size: tuple[int, int] = DESKTOP, *, network_log: bool = False) -> Iterator:
    """A headless Chromium (Selenium WebDriver) with a fresh profile; quits on exit.

    With `network_log`, Chromium's network events are recorded (read them
    with `NetworkLog.read`); the browser starts on about:blank and what it
    did before (its start page) is dropped.
    """
    binary, driver_path, absent = chromium_paths()
    if absent:
        raise RuntimeError(missing_chromium().reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    logs = {"browser": "ALL"}
    if network_log:
        logs["performance"] = "ALL"
        options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.set_page_load_timeout(120)
        driver.set_script_timeout(120)
        emulate(driver, size)
        if network_log:
            driver.get("about:blank")
            driver.get_log("performance")
            driver.get_log("browser")
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def emulate(driver, size: tuple[int, int], *, mobile: bool = False, dark: bool = False) -> None:
    """Set the viewport (CSS pixels) and the reader's colour-scheme preference."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile})
    prefer_colour_scheme(driver, dark=dark)


def prefer_colour_scheme(driver, *, dark: bool) -> None:
    """The reader's system preference (`prefers-color-scheme`), which the book follows."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


#: Resolves once the page shows the theme (`data-theme` on <html>) asked for
#: and every CSS transition the switch started has finished.
THEME_SETTLED_JS = r"""
const [theme, done] = [arguments[0], arguments[arguments.length - 1]];
const deadline = Date.now() + 10000;
(async () => {
  while (document.documentElement.dataset.theme !== theme) {
    if (Date.now() > deadline) return 'data-theme is ' + document.documentElement.dataset.theme + ', not ' + theme;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition)
    .map((a) => a.finished.catch(() => null)));
  return 'ok';
})().then(done, (e) => done('error: ' + e.message));
"""


def show_theme(driver, theme: str) -> None:
    """Switch the open page to the light or dark theme as a reader's system
    preference does (the book's default mode is `auto`), and wait for it."""
    prefer_colour_scheme(driver, dark=theme == "dark")
    state = driver.execute_async_script(THEME_SETTLED_JS, theme)
    if state != "ok":
        raise RuntimeError(f"{driver.current_url}: the {theme} theme did not show: {state}")


#: Resolves once the page has loaded, its images have settled and MathJax (if
#: the page loads it) has typeset everything.  Argument: whether the page's
#: static HTML has formulas, i.e. whether MathJax must be there.
SETTLE_JS = r"""
const [expectMath, done] = [arguments[0], arguments[arguments.length - 1]];
const deadline = Date.now() + 100000;
const wait = (ok) => new Promise((resolve, reject) => {
  const poll = () => ok() ? resolve() :
    Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(poll, 50);
  poll();
});
(async () => {
  await wait(() => document.readyState === 'complete');
  await Promise.all(Array.from(document.images).map((img) => img.complete ? null :
    new Promise((r) => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  if (expectMath) {
    await wait(() => window.MathJax && MathJax.startup && MathJax.startup.promise);
    await MathJax.startup.promise;
  }
  return 'ok';
})().then(done, (e) => done('error: ' + e.message + (expectMath && !window.MathJax ? ' (MathJax never loaded)' : '')));
"""


def open_page(driver, url: str, *, expect_math: bool) -> None:
    """Navigate to `url` and wait until it has settled (see SETTLE_JS)."""
    driver.get(url)
    state = driver.execute_async_script(SETTLE_JS, expect_math)
    if state != "ok":
        raise RuntimeError(f"{url} did not settle: {state}")
    if driver.current_url.split("#")[0] != url.split("#")[0]:
        raise RuntimeError(f"asked for {url}, the browser shows {driver.current_url}")


# -- the page's own requests ---------------------------------------------------


def documents(driver) -> set[str]:
    """The loader ids of the documents the open page consists of (its frame and
    its iframes): every request the page makes carries one of them."""
    loaders, frames = set(), [driver.execute_cdp_cmd("Page.getFrameTree", {})["frameTree"]]
    while frames:
        frame = frames.pop()
        loaders.add(frame["frame"]["loaderId"])
        frames += frame.get("childFrames", [])
    return loaders


@dataclasses.dataclass
class Request:
    url: str
    loader: str | None
    frame: str | None
    type: str | None
    status: int | None = None
    error: str | None = None
    canceled: bool = False
    redirects: list[str] = dataclasses.field(default_factory=list)


class NetworkLog:
    """Every request Chromium reported, by request id, from its DevTools log.

    Chromium reports a failure (`Network.loadingFailed`) by request id alone;
    the URL, frame and document (loader id) come with the request
    (`Network.requestWillBeSent`).  The log is kept across pages, so that an
    event that arrives after its page was read (a late failure) still finds
    its request.  A failure whose request was never reported (the browser's
    own start page and background work) belongs to no page.
    """

    def __init__(self) -> None:
        self.requests: dict[str, Request] = {}
        self.unattributed: list[dict] = []  # failures of requests never reported

    def read(self, driver) -> None:
        self.add(json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))

    def add(self, events) -> None:
        for event in events:
            method, params = event.get("method", ""), event.get("params", {})
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                known = self.requests.get(rid)
                if known and params.get("redirectResponse"):  # the same request, redirected
                    known.redirects.append(known.url)
                    known.url = url
                    continue
                self.requests[rid] = Request(url, params.get("loaderId"), params.get("frameId"), params.get("type"))
            elif method == "Network.responseReceived" and rid in self.requests:
                self.requests[rid].status = params["response"]["status"]
            elif method == "Network.loadingFailed":
                if rid in self.requests:
                    self.requests[rid].error = params.get("errorText")
                    self.requests[rid].canceled = bool(params.get("canceled"))
                else:
                    self.unattributed.append(params)

    def of(self, loaders: set[str]) -> list[Request]:
        """The requests made by the documents `loaders` (see `documents`)."""
        return [r for r in self.requests.values() if r.loader in loaders]


def is_favicon_probe(base: str, request: Request) -> bool:
    """With no <link rel=icon>, Chromium asks for /favicon.ico at the root of
    the *server* by itself (not the page; on a project site the server's root
    is not the book's)."""
    return request.url == f"{base}favicon.ico" and request.type == "Other"


def request_problems(requests: list[Request], base: str) -> dict[str, list[str]]:
    """The page's requests that left `base`'s host, and those that failed, each with its URL."""
    origin = urlsplit(base).netloc
    outside, failed = [], []
    for r in requests:
        url = urlsplit(r.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != origin:
            outside.append(r.url)
        if is_favicon_probe(base, r):
            continue
        if r.error and not r.canceled:
            failed.append(f"{r.error} {r.url}")
        elif r.status is not None and r.status >= 400:
            failed.append(f"{r.status} {r.url}")
    return {"outside": outside, "failed": failed}


# -- accessibility: axe-core ---------------------------------------------------

#: The rules whose outcome depends on the colours (and so on the theme).
AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]

#: Prepares the page for axe-core (already injected): marks the samples the
#: colour rules check and tells axe to check only them.
#:
#: An element's colours, background and font follow from the CSS rules that
#: match it and its ancestors, so elements whose ancestry is the same -- tag,
#: classes, inline style, the attributes stylesheets select on, a table row's
#: parity -- at every level up to <html> look the same, and one of them
#: stands for all: each text-bearing element whose ancestry is new is marked
#: `data-axe-sample`, and each link whose ancestry is new `data-axe-link`.
#: A chapter's thousands of code tokens and the API page's signatures
#: otherwise made the contrast check, axe's slowest rule by far, most of the
#: browser test's time.  MathJax's assistive MathML, which is invisible, is
#: not sampled.
AXE_PREPARE_JS = r"""
const ATTRIBUTES = ['style', 'role', 'aria-current', 'aria-selected', 'aria-expanded', 'aria-disabled',
                    'aria-hidden', 'open', 'hidden', 'disabled', 'type', 'data-mode'];
const cache = new Map();
const key = (e) => {
  if (!e) return '';
  if (cache.has(e)) return cache.get(e);
  let k = e.tagName + '.' + (e.getAttribute('class') || '').trim().split(/\s+/).sort().join('.');
  for (const a of ATTRIBUTES) if (e.hasAttribute(a)) k += '[' + a + '=' + e.getAttribute(a) + ']';
  if (e.tagName === 'A' && e.hasAttribute('href')) k += /^[a-z]+:/i.test(e.getAttribute('href')) ? '[ext]' : '[int]';
  if (e.tagName === 'TR') k += ':' + (e.rowIndex % 2);
  k += '<' + key(e.parentElement);
  cache.set(e, k);
  return k;
};
const seen = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const e = n.parentElement;
  if (!n.nodeValue.trim() || !e || e.closest('mjx-assistive-mml, script, style, template')) continue;
  const k = key(e);
  if (!seen.has(k)) { seen.add(k); e.setAttribute('data-axe-sample', ''); }
}
for (const a of document.querySelectorAll('a[href], [role=link]')) {
  const k = 'link:' + key(a);
  if (!seen.has(k)) { seen.add(k); a.setAttribute('data-axe-link', ''); }
}
axe.configure({rules: [
  {id: 'color-contrast', selector: '[data-axe-sample]'},
  {id: 'link-in-text-block', selector: '[data-axe-link]'},
]});
return document.querySelectorAll('[data-axe-sample]').length;
"""

#: Runs axe-core on the page and returns its violations, each with its nodes
#: (selector, HTML, axe's summary) shortened.  Argument: the rules to run
#: (axe's default set if null).
AXE_RUN_JS = r"""
const [rules, done] = [arguments[0], arguments[arguments.length - 1]];
const options = {resultTypes: ['violations']};
if (rules) options.runOnly = {type: 'rule', values: rules};
axe.run(document, options).then((results) => done({
  version: axe.version,
  violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
    nodes: v.nodes.map((n) => ({
      impact: n.impact, target: n.target.join(' '), html: n.html.replace(/ data-axe-(sample|link)=""/g, '').slice(0, 300),
      summary: (n.failureSummary || '').slice(0, 500)})),
  })),
}), (e) => done({error: String(e)}));
"""


@functools.lru_cache(maxsize=None)
def _axe_source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def run_axe(driver, rules: str = "all") -> dict:
    """axe-core's violations on the open page: {'version', 'violations': [...]}.

    `rules`: "all" (axe's default set: WCAG 2.0-2.2 A and AA, and best
    practices), or "colour" (AXE_COLOUR_RULES only: what a change of theme
    can change).  The colour rules check samples (see AXE_PREPARE_JS).
    """
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(_axe_source(axe_path()))
        driver.execute_script(AXE_PREPARE_JS)
    found = driver.execute_async_script(AXE_RUN_JS, None if rules == "all" else AXE_COLOUR_RULES)
    if "error" in found:
        raise RuntimeError(f"axe-core failed on {driver.current_url}: {found['error']}")
    return found
