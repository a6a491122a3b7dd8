"""`make screenshots`: PNGs of the built book as readers see it.

Usage: python tools/screenshots.py [HTML_DIR] [OUT_DIR]
(defaults: _build/html and _build/screenshots).

Writes, for every chapter of _toc.yml, the top of the page at desktop width
(`NN_name.desktop.png`, 1280x900 CSS pixels), and for one chapter the same
at phone width (`.phone.png`, 390x844), in dark mode (`.dark.png`), and its
first figure in dark mode (`.dark-figure.png`).  The
pages are served on 127.0.0.1 and opened in headless Chromium exactly as
tests/test_rendered_book.py opens them (MathJax finished, images loaded).
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import browser  # noqa: E402  (tests/browser.py, shared with the browser test)
from book_utils import toc_files  # noqa: E402

#: The chapter also shown on a phone and in dark mode: one with displayed
#: equations, a figure and code near the top.
SHOWCASE = "book/03_l1"


def main(html_dir: Path, out_dir: Path) -> int:
    problem = browser.missing_chromium()
    if problem:
        print("\n".join(problem.explain()), file=sys.stderr)
        return 1
    if not (html_dir / "index.html").is_file():
        print(f"no built book in {html_dir}: run `make book` first", file=sys.stderr)
        return 1
    chapters = [e for e in toc_files() if re.match(r"book/\d\d_", e)]
    shots = [(e, "desktop") for e in chapters] + [(SHOWCASE, v) for v in ("phone", "dark", "dark-figure")]
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with browser.serve(html_dir) as base, browser.chromium() as driver:
        for entry, view in shots:
            browser.emulate(driver, browser.PHONE if view == "phone" else browser.DESKTOP,
                            mobile=view == "phone", dark=view.startswith("dark"))
            html = (html_dir / f"{entry}.html").read_text(encoding="utf-8")
            browser.open_page(driver, f"{base}{entry}.html", expect_math='class="math' in html)
            if view == "dark-figure":
                found = driver.execute_script(
                    "const img = document.querySelector('article img');"
                    "if (img) img.scrollIntoView({block: 'center'}); return !!img;")
                if not found:
                    print(f"{entry} has no figure", file=sys.stderr)
                    return 1
                time.sleep(0.5)  # let the sticky header settle after the scroll
            target = out_dir / f"{Path(entry).name}.{view}.png"
            driver.save_screenshot(str(target))
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    print(f"{len(shots)} screenshots in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    args = [Path(a).resolve() for a in sys.argv[1:3]]
    html = args[0] if args else ROOT / "_build" / "html"
    out = args[1] if len(args) > 1 else ROOT / "_build" / "screenshots"
    sys.exit(main(html, out))
