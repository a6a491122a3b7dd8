"""Headless Chromium on a local copy of the built book.

Shared by tests/test_rendered_book.py and `make screenshots`
(tools/screenshots.py).  Chromium and ChromeDriver are Debian's packages
`chromium` and `chromium-driver` (installed by .ci/run); Selenium is told
where the driver is, so Selenium Manager never tries to download one.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"

#: As root, on a machine without a network: no sandbox, no GPU, and none of
#: Chromium's own background connections (updates, sync, safe browsing).
#: Every host name but 127.0.0.1 resolves to nothing, so the book cannot
#: fetch anything from elsewhere, online or offline, and any attempt shows up
#: as a failed request.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--no-first-run", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--disable-extensions", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

DESKTOP = (1280, 900)
PHONE = (390, 844)


def missing() -> str | None:
    """A message naming what is missing and how to install it, or None."""
    absent = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if not absent:
        return None
    return (f"headless Chromium is needed to check the rendered book; missing: {', '.join(absent)}. "
            f"Install it with: {INSTALL}  (.ci/run does this on a fresh machine)")


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
    """A headless Chromium (Selenium WebDriver) with a fresh profile; quits on exit."""
    problem = missing()
    if problem:
        raise RuntimeError(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    logs = {"browser": "ALL"}
    if network_log:
        logs["performance"] = "ALL"
        options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(120)
        driver.set_script_timeout(120)
        emulate(driver, size)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def emulate(driver, size: tuple[int, int], *, mobile: bool = False, dark: bool = False) -> None:
    """Set the viewport (CSS pixels) and the reader's colour-scheme preference."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


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
