"""`make linkcheck`: are the built book's external links alive?  Needs the internet.

Usage: python tools/linkcheck.py [HTML_DIR]   (default: _build/html)

Checks every external link of every page of the built book -- the DOIs and
URLs of the bibliography, the launch buttons (Colab, Binder), the repository
and issues buttons -- and, for each launch button, the notebook it opens on
GitHub (Colab and Binder answer 200 even for a notebook that does not exist).
Prints one line per URL and exits 1 if any is broken.

Not part of `make test`: without a network every link fails (the script says
so), and the result depends on other people's servers.  A server that
answers 401, 403 or 429 exists but refuses robots; it is reported as
"refused", not as broken.
"""
from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = (10, 30)  # connect, read (seconds)
REFUSED = {401, 403, 429}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def external_links(html_dir: Path) -> dict[str, set[str]]:
    """Every http(s) link of the site -> the pages that show it."""
    found: dict[str, set[str]] = {}
    for page in sorted(html_dir.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            if urlsplit(href).scheme in ("http", "https"):  # the fragment never reaches the server
                found.setdefault(href.split("#")[0], set()).add(page.relative_to(html_dir).as_posix())
    # The notebook behind each Colab button, on GitHub.
    for url, pages in list(found.items()):
        m = re.match(r"https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/(.+)$", url)
        if m:
            found.setdefault(f"https://github.com/{m[1]}/blob/{m[2]}", set()).update(pages)
    return found


def check(url: str, session) -> tuple[str, str]:
    """('ok' | 'refused' | 'broken', detail) for one URL."""
    import requests

    try:
        response = session.head(url, allow_redirects=True, timeout=TIMEOUT)
        if response.status_code in (405, 501) or response.status_code in REFUSED:
            response = session.get(url, allow_redirects=True, timeout=TIMEOUT, stream=True)
            response.close()
    except requests.RequestException as exc:
        return "broken", f"{type(exc).__name__}: {str(exc)[:120]}"
    code = response.status_code
    where = f" -> {response.url}" if response.url != url else ""
    if code < 400:
        return "ok", f"{code}{where}"
    if code in REFUSED:
        return "refused", f"{code}{where}"
    return "broken", f"{code}{where}"


def main(html_dir: Path) -> int:
    import requests

    if not (html_dir / "index.html").is_file():
        print(f"no built book in {html_dir}: run `make book` first", file=sys.stderr)
        return 1
    links = external_links(html_dir)
    session = requests.Session()
    session.headers["User-Agent"] = "regcore-book-linkcheck/1.0 (+make linkcheck)"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(links, pool.map(lambda u: check(u, session), links)))
    counts = {"ok": 0, "refused": 0, "broken": 0}
    for url in sorted(links):
        verdict, detail = results[url]
        counts[verdict] += 1
        pages = ", ".join(sorted(links[url])[:3]) + (" ..." if len(links[url]) > 3 else "")
        print(f"{verdict:8s} {url}  [{detail}]  (on {pages})")
    print(f"\n{len(links)} external links: {counts['ok']} ok, {counts['refused']} refused by the server, "
          f"{counts['broken']} broken")
    if counts["broken"] == len(links):
        print("Every link failed: is there a network? `make linkcheck` needs the internet "
              "(it is not part of `make test`).")
    return 1 if counts["broken"] else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "_build" / "html"))
