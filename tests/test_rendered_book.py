"""The book as readers see it: every page of the built HTML in headless Chromium.

The book is built once per session (the `built_book` fixture in conftest.py,
shared with test_book.py), served on 127.0.0.1 and opened page by page, in
the order of _toc.yml, in one browser.  Each test below then checks one
property on every page and names the page and the element that fails:

- MathJax (served by the book itself, see tools/book_html.py) has typeset
  every formula: one `mjx-container` per `.math` element that Sphinx wrote
  (the elements MathJax is configured to process), the same number of
  formulas in MathJax's own list, no TeX error or undefined macro, and no
  raw TeX (a dollar sign, a command, a delimiter) left in the page's text;
- every image has loaded and has alt text; tables have header rows; one
  `h1` per page and headings that never skip a level;
- every internal link and anchor resolves;
- every citation links to its entry on the bibliography page, one citation
  per `{cite}` role of the page's source;
- the launch buttons of a chapter open that chapter's notebook in Colab and
  Binder, as _config.yml configures them; pages that are not notebooks have none;
- the console has no error or warning, and no request leaves 127.0.0.1;
- no page is wider than the screen, on a laptop or a phone, and no inline
  formula is cut off;
- axe-core (WCAG 2.0-2.2 A and AA, and best practices) finds no "serious" or
  "critical" violation, colour contrast included, in the light theme and,
  for the rules that depend on colours, in the dark one (browser.run_axe).

A problem found in a chapter notebook is listed in KNOWN_NOTEBOOK_PROBLEMS
(the notebooks' authors fix it there) and its test is an expected failure;
the xfail is strict, so the fix makes the run fail until the entry is removed.

Chromium is Debian's (`apt-get install -y chromium chromium-driver`, done by
.ci/run) and axe-core comes from npm (browser.AXE_INSTALL); without them the
tests that need them are skipped and the run's summary says how to install
them; with CI=true they fail (see tests/browser.py).  External links (DOIs,
Colab, Binder) are checked by `make linkcheck`, which needs the internet.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup, SoupStrainer

import browser
from book_utils import ROOT, config, source_of, toc_files

PAGES = toc_files()
NOTEBOOKS = [entry for entry in PAGES if source_of(entry).suffix == ".ipynb"]
BIBLIOGRAPHY = "book/bibliography"

#: (test, page) -> the problem in the page's notebook that makes the test fail.
KNOWN_NOTEBOOK_PROBLEMS: dict[tuple[str, str], str] = {}


def pages(test: str) -> list:
    """PAGES for a test's parametrization, known notebook problems marked xfail(strict)."""
    return [pytest.param(entry, marks=pytest.mark.xfail(reason=KNOWN_NOTEBOOK_PROBLEMS[(test, entry)], strict=True))
            if (test, entry) in KNOWN_NOTEBOOK_PROBLEMS else entry for entry in PAGES]

#: Collected on every page after it has settled (see browser.SETTLE_JS).
COLLECT_JS = r"""
const inCode = (el) => el.closest('pre, code, kbd, samp, script, style, textarea, .highlight, mjx-container');
const raw = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const tex = /\$|\\[A-Za-z]+|\\[()\[\]]|\^\{|_\{/;  // a dollar, a TeX command or delimiter, ^{ or _{
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (n.parentElement && !inCode(n.parentElement) && tex.test(n.nodeValue)) raw.push(n.nodeValue.trim().slice(0, 160));
}
const mj = window.MathJax && MathJax.startup && MathJax.startup.document;
const items = mj ? Array.from(MathJax.startup.document.math) : [];
const texProblems = [];
for (const item of items) {
  let problem = null;
  item.root.walkTree((node) => {
    if (problem) return;
    if (node.isKind('merror')) problem = 'TeX error "' + (node.attributes.get('data-mjx-error') || '?') + '"';
    else if (node.isKind('mtext') && node.attributes.get('mathcolor') === 'red') problem = 'undefined macro';
  });
  if (problem) texProblems.push(problem + ' in ' + item.math.trim().slice(0, 160));
}
const article = document.querySelector('article') || document.body;
const short = (s) => (s || '').replace(/\s+/g, ' ').trim().slice(0, 100);
return {
  url: location.href,
  mathjax: !!mj,
  mathElements: document.querySelectorAll('.math').length,
  untypeset: Array.from(document.querySelectorAll('.math'))
    .filter((e) => e.querySelectorAll('mjx-container').length !== 1)
    .map((e) => short(e.textContent)),
  containers: document.querySelectorAll('mjx-container').length,
  mathItems: items.length,
  errorNodes: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]')).map((e) => short(e.getAttribute('data-mjx-error') || e.textContent)),
  texProblems: texProblems,
  rawTex: raw,
  images: Array.from(document.images).map((i) => ({
    src: i.getAttribute('src'), alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0,
    inArticle: !!i.closest('article')})),
  links: Array.from(document.querySelectorAll('a[href]')).map((a) => ({
    href: a.getAttribute('href'), url: a.href,
    text: short(a.textContent || a.getAttribute('aria-label') || a.title)})),
  ids: Array.from(document.querySelectorAll('[id]')).map((e) => e.id)
    .concat(Array.from(document.querySelectorAll('a[name]')).map((e) => e.getAttribute('name'))),
  citations: Array.from(document.querySelectorAll('.bibtex-citation')).map((c) => ({
    text: short(c.textContent), urls: Array.from(c.querySelectorAll('a[href]')).map((a) => a.href)})),
  bibEntries: Array.from(document.querySelectorAll('.citation[id], [role="doc-biblioentry"][id]')).map((e) => e.id),
  headings: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6')).map((h) => ({
    level: +h.tagName[1], text: short(h.textContent).replace(/#$/, '').trim(),
    inArticle: !!h.closest('article'), visible: h.checkVisibility()})),
  tables: Array.from(article.querySelectorAll('table')).map((t) => ({
    first: t.rows.length ? short(t.rows[0].textContent) : '(empty)',
    header: !!(t.tHead && t.tHead.querySelector('th')) ||
      (t.rows.length > 0 && Array.from(t.rows[0].cells).every((c) => c.tagName === 'TH'))})),
};
"""

#: The layout at the current width: how far the page sticks out to the right
#: of the viewport; the outermost elements of the article that stick out
#: without being inside a box that scrolls sideways (as code cells, displayed
#: equations and tables are); and inline formulas cut off by their own box.
LAYOUT_JS = r"""
const width = document.documentElement.clientWidth;
const article = document.querySelector('article');
const describe = (e) => e.tagName.toLowerCase()
  + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '')
  + ' "' + (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60) + '"';
const inScrollBox = (e) => {
  for (let box = e.parentElement; box && box !== article; box = box.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)
        && box.getBoundingClientRect().right <= width + 1) return true;
  }
  return false;
};
const culprits = [];
let last = null;
// Inside a formula or a code block only the box itself matters (it scrolls, or
// is checked for clipping below): their thousands of inner elements are skipped.
const walker = document.createTreeWalker(article || document.createElement('div'), NodeFilter.SHOW_ELEMENT, {
  acceptNode: (e) => e.parentElement.matches('mjx-container, pre') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
for (let e = walker.nextNode(); e; e = walker.nextNode()) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.right <= width + 1 || (last && last.contains(e)) || !e.checkVisibility()
      || inScrollBox(e)) continue;
  last = e;
  culprits.push(describe(e) + ' (' + Math.round(r.right - width) + ' px)');
}
const clipped = Array.from(document.querySelectorAll('article span.math')).filter((s) => {
  const c = s.querySelector('mjx-container');
  return c && c.getBoundingClientRect().right > s.getBoundingClientRect().right + 1;
}).map((s) => describe(s) + ' (' + Math.round(s.querySelector('mjx-container').getBoundingClientRect().right
                                              - s.getBoundingClientRect().right) + ' px cut off)');
return {excess: document.documentElement.scrollWidth - width, culprits: culprits.slice(0, 10), clipped: clipped.slice(0, 10)};
"""


@lru_cache(maxsize=None)
def _soup(html_file: Path) -> BeautifulSoup:
    return BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")


def _static_math_count(html_file: Path) -> int:
    """The formulas Sphinx wrote: the elements of class `math` that MathJax processes."""
    return len(_soup(html_file).select(".math"))


@pytest.fixture(scope="module")
def rendered(request):
    """Every page of the table of contents, as the browser sees it (a dict per page)."""
    browser.required(browser.missing_chromium())  # before the build: skipped at once
    built_book = request.getfixturevalue("built_book")
    audit = browser.missing_axe() is None
    network = browser.NetworkLog()
    seen: dict[str, dict] = {}
    width, theme = "desktop", "light"  # browser.chromium() starts at desktop width, light
    with browser.serve(built_book) as base, browser.chromium(network_log=True) as driver:
        for entry in PAGES:
            url = f"{base}{entry}.html"
            data: dict = {"entry": entry, "base": base, "documents": set()}
            try:
                browser.open_page(driver, url, expect_math=_static_math_count(built_book / f"{entry}.html") > 0)
                data["documents"] = browser.documents(driver)
                # Both widths on every page, but one switch per page (a switch
                # lays a long page out again, ~1 s): the next page opens at the
                # last one.  The same for the two themes of the audit.
                for device in sorted(("desktop", "phone"), key=lambda d: d != width):
                    if device != width:
                        browser.emulate(driver, browser.PHONE if device == "phone" else browser.DESKTOP,
                                        mobile=device == "phone", dark=theme == "dark")
                        width = device
                    if device == "desktop":
                        data.update(driver.execute_script(COLLECT_JS))
                        if audit:
                            data["axe"] = {}
                            for shown in sorted(("light", "dark"), key=lambda t: t != theme):
                                browser.show_theme(driver, shown)
                                theme = shown
                                data["axe"][shown] = browser.run_axe(driver)
                    data[device] = driver.execute_script(LAYOUT_JS)
            except Exception as exc:  # reported by every test of this page
                data["error"] = f"{type(exc).__name__}: {exc}"
            data["console"] = driver.get_log("browser")
            network.read(driver)
            seen[entry] = data
        network.read(driver)  # what arrived after the last page was read
    for data in seen.values():
        data["requests"] = network.of(data["documents"])
    if audit and os.environ.get("REGCORE_AXE_REPORT"):
        Path(os.environ["REGCORE_AXE_REPORT"]).write_text(json.dumps(
            {entry: data.get("axe") for entry, data in seen.items()}, indent=1))
    return seen


def page(rendered, entry) -> dict:
    data = rendered[entry]
    assert "error" not in data, f"{entry}.html could not be checked: {data['error']}"
    return data


# -- mathematics ---------------------------------------------------------------


@pytest.mark.parametrize("entry", pages("test_mathjax_typesets_every_formula"))
def test_mathjax_typesets_every_formula(rendered, built_book, entry):
    data = page(rendered, entry)
    expected = _static_math_count(built_book / f"{entry}.html")
    assert data["mathElements"] == expected, f"{entry}: {expected} formulas in the HTML, {data['mathElements']} in the browser"
    if expected:
        assert data["mathjax"], f"{entry}: {expected} formulas but MathJax did not start"
    assert not data["untypeset"], f"{entry}: formulas MathJax left as text: {data['untypeset'][:5]}"
    assert data["containers"] == expected, (
        f"{entry}: {data['containers']} typeset formulas (mjx-container) for {expected} formulas in the HTML "
        "(more means MathJax typeset TeX delimiters in ordinary text)")
    assert data["mathItems"] == expected, f"{entry}: MathJax knows {data['mathItems']} formulas, the HTML has {expected}"
    assert not data["errorNodes"], f"{entry}: MathJax error nodes: {data['errorNodes'][:5]}"
    assert not data["texProblems"], f"{entry}: {data['texProblems'][:5]}"
    assert not data["rawTex"], f"{entry}: raw TeX in the page's text: {data['rawTex'][:5]}"


def test_mathematics_is_served_by_the_book(built_book):
    """The pages load MathJax from the book's own _static/, and the copy is complete."""
    entry_script = config()["sphinx"]["config"]["mathjax_path"]
    assert "://" not in entry_script, f"mathjax_path must be local, not {entry_script}"
    local = built_book / "_static" / entry_script
    assert local.is_file(), f"{local} missing: tools/book_html.py did not copy MathJax"
    fonts = list((local.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert fonts, "MathJax's CHTML fonts were not copied"
    pages_with_maths = 0
    for entry in PAGES:
        soup = _soup(built_book / f"{entry}.html")
        srcs = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"].lower()]
        if soup.select(".math"):
            pages_with_maths += 1
            assert srcs == [f"{'../' * entry.count('/')}_static/{entry_script}"], f"{entry}: MathJax loaded from {srcs}"
    assert pages_with_maths >= len(NOTEBOOKS)


# -- no request leaves 127.0.0.1, no console errors --------------------------

_RESOURCE = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
             "video": "src", "embed": "src", "object": "data"}


def test_no_page_loads_anything_from_another_host(built_book):
    """Static check of every HTML file of the site (search and index pages included)."""
    offenders = []
    for html_file in sorted(built_book.rglob("*.html")):
        soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser",
                             parse_only=SoupStrainer([*_RESOURCE, "link"]))
        for tag, attr in _RESOURCE.items():
            for el in soup.find_all(tag, attrs={attr: True}):
                if re.match(r"(?i)^(https?:)?//", el[attr]):
                    offenders.append(f"{html_file.relative_to(built_book)}: <{tag} {attr}={el[attr]!r}>")
        for el in soup.find_all("link", href=True):
            rel = set(el.get("rel") or [])
            if rel & {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"} \
                    and re.match(r"(?i)^(https?:)?//", el["href"]):
                offenders.append(f"{html_file.relative_to(built_book)}: <link rel={sorted(rel)} href={el['href']!r}>")
    assert not offenders, "resources from another host:\n" + "\n".join(offenders[:20])


@pytest.mark.parametrize("entry", pages("test_no_request_leaves_localhost_and_none_fails"))
def test_no_request_leaves_localhost_and_none_fails(rendered, entry):
    """The requests the page itself made (its documents: see browser.NetworkLog),
    each named by its URL; the browser's own background requests are not the book's."""
    data = page(rendered, entry)
    assert data["requests"], f"{entry}: no network events were recorded"
    problems = browser.request_problems(data["requests"], data["base"])
    assert not problems["outside"], f"{entry}: requests to other hosts: {problems['outside']}"
    assert not problems["failed"], f"{entry}: failed requests: {problems['failed']}"


@pytest.mark.parametrize("entry", pages("test_console_has_no_errors_or_warnings"))
def test_console_has_no_errors_or_warnings(rendered, entry):
    data = page(rendered, entry)
    problems = [f"{m['level']}: {m['message']}" for m in data["console"]
                if m["level"] in ("SEVERE", "WARNING")
                and not (m.get("source") == "network" and m["message"].startswith(f"{data['base']}favicon.ico "))]
    assert not problems, f"{entry}: console:\n" + "\n".join(problems)


# -- images, headings, tables (accessibility basics) --------------------------


@pytest.mark.parametrize("entry", pages("test_images_load_and_have_alt_text"))
def test_images_load_and_have_alt_text(rendered, entry):
    data = page(rendered, entry)
    broken = [img["src"] for img in data["images"] if not img["loaded"]]
    no_alt = [img["src"] for img in data["images"] if not (img["alt"] or "").strip()]
    assert not broken, f"{entry}: images that did not load: {broken}"
    assert not no_alt, f"{entry}: images without alt text: {no_alt}"


def test_chapters_show_their_figures(rendered):
    """The image checks above are not vacuous: every chapter with a plot shows it."""
    for entry in NOTEBOOKS:
        nb = nbformat.read(source_of(entry), as_version=4)
        shown_cells = [c for c in nb.cells if c.cell_type == "code"
                       and not {"remove-output", "remove-cell"} & set(c.metadata.get("tags", []))]
        plots = sum("image/png" in out.get("data", {}) for cell in shown_cells for out in cell.get("outputs", []))
        shown = [img for img in page(rendered, entry)["images"] if img["inArticle"]]
        assert len(shown) >= plots, f"{entry}: {plots} figures in the notebook, {len(shown)} images on the page"


@pytest.mark.parametrize("entry", pages("test_one_h1_and_headings_in_order"))
def test_one_h1_and_headings_in_order(rendered, entry):
    data = page(rendered, entry)
    # Hidden headings outside the article (the theme's print-only copy of the
    # title) are not read by anyone on screen; folded content in the article is.
    headings = [h for h in data["headings"] if h["inArticle"] or h["visible"]]
    h1 = [h["text"] for h in headings if h["level"] == 1]
    assert len(h1) == 1, f"{entry}: {len(h1)} h1 headings: {h1}"
    article = [h for h in headings if h["inArticle"]]
    assert article and article[0]["level"] == 1, f"{entry}: the article does not start with its h1"
    for before, after in zip(article, article[1:]):
        assert after["level"] <= before["level"] + 1, (
            f"{entry}: heading h{after['level']} {after['text']!r} follows h{before['level']} {before['text']!r}")
    empty = [f"h{h['level']}" for h in headings if not h["text"]]
    assert not empty, f"{entry}: empty headings: {empty}"


@pytest.mark.parametrize("entry", pages("test_tables_have_header_rows"))
def test_tables_have_header_rows(rendered, entry):
    bad = [t["first"] for t in page(rendered, entry)["tables"] if not t["header"]]
    assert not bad, f"{entry}: tables without a header row, starting: {bad}"


#: axe-core's impacts that fail the audit ("minor" and "moderate" are reported by
#: `REGCORE_AXE_REPORT=file.json`, not failed).
AXE_FAILING_IMPACTS = ("serious", "critical")


def _axe_violations(result: dict) -> list[str]:
    out = []
    for v in result["violations"]:
        if v["impact"] not in AXE_FAILING_IMPACTS:
            continue
        nodes = "; ".join(f"{n['target']} {n['html'][:120]!r}" + (f" ({n['summary'].splitlines()[-1].strip()})"
                                                                  if n["summary"] else "")
                          for n in v["nodes"][:3])
        more = f" and {len(v['nodes']) - 3} more" if len(v["nodes"]) > 3 else ""
        out.append(f"{v['impact']} {v['id']} ({v['help']}), {len(v['nodes'])} elements: {nodes}{more}")
    return out


@pytest.mark.parametrize("entry", pages("test_axe_finds_no_serious_accessibility_violation"))
def test_axe_finds_no_serious_accessibility_violation(rendered, entry):
    """axe-core's WCAG 2 A/AA and best-practice rules (colour contrast
    included), on the whole page, in the light and in the dark theme."""
    browser.required(browser.missing_axe())
    data = page(rendered, entry)
    problems = [f"{theme} theme: {v}" for theme, result in data["axe"].items() for v in _axe_violations(result)]
    assert not problems, f"{entry}: axe-core {data['axe']['light']['version']}:\n" + "\n".join(problems)


@pytest.mark.parametrize("entry", pages("test_page_fits_the_screen_and_no_formula_is_cut_off"))
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_page_fits_the_screen_and_no_formula_is_cut_off(rendered, entry, device):
    layout = page(rendered, entry)[device]
    assert layout["excess"] <= 0 and not layout["culprits"], (
        f"{entry} at {device} width is {layout['excess']} px wider than the screen; "
        f"sticking out (not in a box that scrolls): {layout['culprits']}")
    assert not layout["clipped"], f"{entry} at {device} width: inline formulas cut off: {layout['clipped']}"


# -- links, citations, launch buttons ------------------------------------------


@lru_cache(maxsize=None)
def _static_ids(html_file: Path) -> frozenset[str]:
    soup = _soup(html_file)
    return frozenset([el["id"] for el in soup.find_all(id=True)] + [a["name"] for a in soup.find_all("a", attrs={"name": True})])


def _target_file(built_book: Path, path: str) -> Path:
    rel = unquote(path).lstrip("/")
    target = built_book / rel
    return target / "index.html" if rel == "" or rel.endswith("/") or target.is_dir() else target


@pytest.mark.parametrize("entry", pages("test_internal_links_and_anchors_resolve"))
def test_internal_links_and_anchors_resolve(rendered, built_book, entry):
    data = page(rendered, entry)
    origin = urlsplit(data["base"]).netloc
    browser_ids = {e: set(rendered[e].get("ids", [])) for e in rendered}
    broken, checked = [], 0
    for link in data["links"]:
        url = urlsplit(link["url"])
        if url.scheme not in ("http", "https") or url.netloc != origin:
            continue
        checked += 1
        target = _target_file(built_book, url.path)
        if not target.is_file():
            broken.append(f"{link['href']!r} ({link['text']!r}): no such file {target.relative_to(built_book)}")
            continue
        fragment = unquote(url.fragment)
        if not fragment:
            continue
        rel = target.relative_to(built_book).as_posix()
        ids = browser_ids.get(rel.removesuffix(".html")) or _static_ids(target)
        if fragment not in ids:
            broken.append(f"{link['href']!r} ({link['text']!r}): no id {fragment!r} in {rel}")
    assert checked > 0, f"{entry}: no internal links found"
    assert not broken, f"{entry}: {len(broken)} broken internal links:\n" + "\n".join(broken[:30])


_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(.*)$")
_CODE_DIRECTIVES = ("{code", "{literalinclude", "{eval-rst")


def _prose(markdown: str) -> str:
    """The markdown without its code blocks (directive fences such as ```{exercise} stay)."""
    kept, directives, code = [], [], None
    for line in markdown.splitlines():
        fence = _FENCE.match(line)
        if code:
            if fence and fence[1][0] == code[0] and len(fence[1]) >= len(code) and not fence[2].strip():
                code = None
            continue
        if fence:
            marks, info = fence[1], fence[2].strip()
            if info.startswith("{") and not info.startswith(_CODE_DIRECTIVES):
                directives.append(marks)
                continue
            if not info and directives and directives[-1][0] == marks[0] and len(marks) >= len(directives[-1]):
                directives.pop()
                continue
            if marks[0] != ":":
                code = marks
                continue
        kept.append(line)
    return "\n".join(kept)


def _cite_roles(entry: str) -> list[list[str]]:
    """The keys of each {cite} role in the page's source (markdown cells of a notebook), in order."""
    path = source_of(entry)
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    return [[k.strip() for k in keys.split(",")] for keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", _prose(text))]


@pytest.mark.parametrize("entry", pages("test_every_citation_links_to_the_bibliography"))
def test_every_citation_links_to_the_bibliography(rendered, entry):
    data = page(rendered, entry)
    roles = _cite_roles(entry)
    assert len(data["citations"]) == len(roles), (
        f"{entry}: {len(roles)} {{cite}} roles in the source, {len(data['citations'])} citations on the page")
    bib = f"{data['base']}{BIBLIOGRAPHY}.html"
    entries = set(page(rendered, BIBLIOGRAPHY)["bibEntries"])
    for citation, keys in zip(data["citations"], roles):
        assert len(citation["urls"]) == len(keys), f"{entry}: citation {citation['text']!r} links {citation['urls']} for keys {keys}"
        for url in citation["urls"]:
            target, _, fragment = url.partition("#")
            assert target == bib and fragment in entries, (
                f"{entry}: citation {citation['text']!r} links {url}, not an entry of {BIBLIOGRAPHY}.html")


def _notebook_in_repository(entry: str) -> tuple[str, str, str]:
    """(owner/repo, branch, path of the notebook in the repository), from _config.yml."""
    repo = config()["repository"]
    owner_repo = repo["url"].removeprefix("https://github.com/").strip("/")
    path = "/".join(p for p in (repo.get("path_to_book", "").strip("/"), f"{entry}.ipynb") if p)
    return owner_repo, repo.get("branch", "main"), path


def expected_launch_urls(entry: str) -> dict[str, str]:
    """Colab's and Binder's URL for a chapter's notebook, from _config.yml alone."""
    buttons = config()["launch_buttons"]
    owner_repo, branch, path = _notebook_in_repository(entry)
    urls = {}
    if buttons.get("colab_url"):
        urls["colab"] = f"{buttons['colab_url'].rstrip('/')}/github/{owner_repo}/blob/{branch}/{path}"
    if buttons.get("binderhub_url"):
        ui = "tree" if buttons.get("notebook_interface", "classic") == "classic" else "lab/tree"
        urls["binder"] = f"{buttons['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{branch}?urlpath={ui}/{path}"
    return urls


def _launch_links(data) -> set[str]:
    services = [u for u in (config()["launch_buttons"].get(k) for k in ("colab_url", "binderhub_url")) if u]
    return {link["url"] for link in data["links"] if any(link["url"].startswith(s.rstrip("/") + "/") for s in services)}


@pytest.mark.parametrize("entry", pages("test_launch_buttons_open_this_pages_notebook"))
def test_launch_buttons_open_this_pages_notebook(rendered, entry):
    found = _launch_links(page(rendered, entry))
    if entry in NOTEBOOKS:
        expected = expected_launch_urls(entry)
        assert set(expected) == {"colab", "binder"}, "_config.yml must configure both Colab and Binder"
        assert found == set(expected.values()), f"{entry}: launch buttons {sorted(found)}, expected {sorted(expected.values())}"
        # ... and the URLs name a notebook that exists in the repository.
        assert (ROOT / _notebook_in_repository(entry)[2]).is_file()
    else:
        assert not found, f"{entry} is not a notebook but has launch buttons: {sorted(found)}"


# -- make linkcheck (its network part is not tested here) -----------------------


def _linkcheck_module():
    spec = importlib.util.spec_from_file_location("book_linkcheck", ROOT / "tools" / "linkcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_linkcheck_collects_every_external_link_and_reports_broken_ones(built_book):
    """`make linkcheck` would check every DOI and launch button; a 404 is 'broken'."""
    import requests

    linkcheck = _linkcheck_module()
    links = linkcheck.external_links(built_book)
    assert all(urlsplit(url).netloc and "#" not in url for url in links)
    dois = re.findall(r"^\s*doi\s*=\s*\{([^}]+)\}", (ROOT / "book" / "references.bib").read_text(), re.M)
    assert dois, "references.bib has no DOI"
    for doi in dois:
        assert f"https://doi.org/{doi}" in links, f"DOI {doi} is not linked from the bibliography"
    for entry in NOTEBOOKS:
        for url in expected_launch_urls(entry).values():
            assert f"{entry}.html" in links.get(url, set()), f"{url} not collected from {entry}.html"
        owner_repo, branch, path = _notebook_in_repository(entry)
        assert f"https://github.com/{owner_repo}/blob/{branch}/{path}" in links
    # Verdicts, against the local copy of the book only.
    with browser.serve(built_book) as base, requests.Session() as session:
        assert linkcheck.check(f"{base}book/index.html", session)[0] == "ok"
        assert linkcheck.check(f"{base}book/no-such-page.html", session)[0] == "broken"
