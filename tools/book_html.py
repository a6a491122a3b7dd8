r"""Sphinx extension: four fixes to the book's HTML, checked by tests/test_rendered_book.py.

1. Offline mathematics: the built book serves its own copy of MathJax 3.

Sphinx loads MathJax from a CDN by default, so a book read offline (or from a
network that blocks the CDN) shows raw LaTeX.  This extension copies MathJax
3.2.2 from the PyPI package `django-static-mathjax` (pinned in
requirements.txt; it installs the pure-data Python package `mathjax` and needs
nothing else) into `_build/html/_static/<dir of mathjax_path>/`.  `mathjax_path`
in _config.yml names the entry script relative to `_static/`, as Sphinx
defines it: `mathjax/tex-mml-chtml.js`, the same combined component that
Sphinx's default CDN URL loads.

It copies the entry script and every sub-folder of MathJax's `es5/` build
(TeX extensions loaded on demand, CHTML fonts, the menu's accessibility and
SVG components) -- about 9 MB -- and MathJax's licence.  Nothing goes through
`html_static_path`: Jupyter Book would add every `.js` file found there to
every page.

A `mathjax_path` that is a URL (e.g. a CDN) is left alone and nothing is
copied.

2. No duplicated inline scripts.  Sphinx 7.4 adds a script registered after
the builder's start (sphinx-togglebutton's and sphinx-thebe's inline
configuration) twice to every page, once with the file name `None` and once
with `''`; the second copy of sphinx-thebe's `const THEBE_JS_URL = ...` is a
SyntaxError in every reader's console.  Each page keeps the first copy.

3. Mathematics in the text of cross-references.  A `{ref}` to a section
whose title contains maths (e.g. "When is $|\theta_t| < |\theta_\infty|$?")
gets the title as plain text from Sphinx, so readers saw the raw TeX.  The
link now holds a copy of the title's nodes, maths included, which MathJax
typesets.  Links with an explicit text are left alone.

4. Accessible names that match what readers see (WCAG 2.5.3 "label in
name", and ARIA roles that exist), as axe-core checks them in
tests/test_rendered_book.py.  Each written page is edited after the build:

- the sidebar's search field (pydata-sphinx-theme) reads "Search Ctrl+K" but
  was named "Search": it is now named by its text, and declares its shortcut
  with `aria-keyshortcuts`;
- the colour-mode button's icons carried titles ("Light", "Dark", ...) that
  are not in the button's name ("Color mode"): the button's tooltip and
  name stay, the icons' titles go;
- a hidden code cell's toggle (myst-nb) reads "Show code cell source" but was
  named "Toggle hidden content": it is now named by its text;
- bibliography entries had the role `doc-biblioentry`, which ARIA 1.2
  deprecated, inside a `list`: so the list's children were not list items
  for assistive technology; they are now `listitem`s.

The theme's parts must be found on every page (a theme upgrade that changes
them fails the build, so that the fix is looked at again).

Enabled in _config.yml under `sphinx: local_extensions:`.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.nodes import clean_astext

PACKAGE = "django-static-mathjax"


def mathjax_es5() -> Path:
    """The `es5/` folder of the installed MathJax distribution."""
    try:
        import mathjax  # installed by the PyPI package django-static-mathjax
    except ImportError as exc:
        raise ExtensionError(
            f"MathJax is vendored from the PyPI package {PACKAGE} (pinned in "
            "requirements.txt), which is not installed: run `make venv`, or "
            "`pip install -r requirements.txt`."
        ) from exc
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not es5.is_dir():
        raise ExtensionError(f"{PACKAGE} is installed but has no MathJax es5 build at {es5}")
    return es5


def is_local(mathjax_path: str) -> bool:
    return "://" not in mathjax_path and not mathjax_path.startswith("//")


def _check(app: Sphinx, config) -> None:
    if not is_local(config.mathjax_path):
        return
    entry = PurePosixPath(config.mathjax_path).name
    if not (mathjax_es5() / entry).is_file():
        raise ExtensionError(
            f"mathjax_path = {config.mathjax_path!r}: MathJax's es5 build has no {entry!r}; "
            f"use one of {sorted(p.name for p in mathjax_es5().glob('*.js'))}"
        )


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or not is_local(app.config.mathjax_path):
        return
    es5 = mathjax_es5()
    rel = PurePosixPath(app.config.mathjax_path)
    target = Path(app.outdir, "_static", *rel.parent.parts)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / rel.name, target / rel.name)
    for sub in sorted(p for p in es5.iterdir() if p.is_dir()):
        shutil.copytree(sub, target / sub.name, dirs_exist_ok=True)
    licence = es5.parent / "LICENSE"
    if licence.is_file():
        shutil.copy2(licence, target / "LICENSE")


def _asset_key(asset) -> tuple:
    attributes = getattr(asset, "attributes", {}) or {}
    return (getattr(asset, "filename", asset) or "", getattr(asset, "priority", 0),
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _dedupe_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if not assets:
            continue
        seen, unique = set(), []
        for asset in assets:
            if _asset_key(asset) not in seen:
                seen.add(_asset_key(asset))
                unique.append(asset)
        assets[:] = unique  # in place: the builder restores its own list after the page


def _titles(env) -> dict:
    """(docname, id of a section whose title has maths) -> (plain title, title node)."""
    if not hasattr(env, "book_math_titles"):
        env.book_math_titles = {}
    return env.book_math_titles


def _collect_math_titles(app: Sphinx, doctree) -> None:
    titles = _titles(app.env)
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is None or not any(isinstance(n, nodes.math) for n in title.findall()):
            continue
        for section_id in section["ids"]:
            titles[(app.env.docname, section_id)] = (clean_astext(title), title.deepcopy())


def _purge_math_titles(app: Sphinx, env, docname: str) -> None:
    env.book_math_titles = {k: v for k, v in _titles(env).items() if k[0] != docname}


def _merge_math_titles(app: Sphinx, env, docnames, other) -> None:
    _titles(env).update({k: v for k, v in _titles(other).items() if k[0] in docnames})


def _typeset_math_in_ref_titles(app: Sphinx, doctree, docname: str) -> None:
    titles = _titles(app.env)
    if not titles or not hasattr(app.builder, "get_relative_uri"):
        return
    uris = {app.builder.get_relative_uri(docname, target): target for target in {k[0] for k in titles}}
    for ref in list(doctree.findall(nodes.reference)):
        if not ref.get("internal"):
            continue
        if "refid" in ref:
            key = (docname, ref["refid"])
        elif "#" in ref.get("refuri", ""):
            uri, anchor = ref["refuri"].split("#", 1)
            key = (uris.get(uri, docname if uri == "" else None), anchor)
        else:
            continue
        if key not in titles or ref.astext() != titles[key][0]:
            continue  # not a section with maths in its title, or an explicit link text
        holder = ref.children[0] if len(ref.children) == 1 and isinstance(ref.children[0], nodes.inline) else ref
        holder.children = []
        holder.extend(child.deepcopy() for child in titles[key][1].children)


#: (what, pattern, replacement, on every page?): see 4. in the module's docstring.
ACCESSIBLE_HTML = [
    ("the search field's name", re.compile(
        r'(<button class="btn search-button-field [^"]*"[^>]*?) aria-label="[^"]*"'),
     r'\1 aria-keyshortcuts="Control+K"', True),
    ("the colour-mode icons' titles", re.compile(
        r'(<i class="theme-switch [^"]*"\s+data-mode="\w+")\s+title="[^"]*"'), r"\1", True),
    ("a hidden cell's toggle", re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>", False),
    ("bibliography entries' role", re.compile(r'role="doc-biblioentry"'), 'role="listitem"', False),
]


def accessible_html(html: str) -> tuple[str, dict[str, int]]:
    """The page with the fixes of ACCESSIBLE_HTML, and how often each applied."""
    counts = {}
    for what, pattern, replacement, _ in ACCESSIBLE_HTML:
        html, counts[what] = pattern.subn(replacement, html)
    return html, counts


def _accessible_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    every_page = [what for what, _, _, always in ACCESSIBLE_HTML if always]
    for page in sorted(outdir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        fixed, counts = accessible_html(text)
        if "bd-sidebar-primary" in text:  # a page of the theme (not e.g. a redirect)
            absent = [what for what in every_page if not counts[what]]
            if absent:
                raise ExtensionError(
                    f"{page.relative_to(outdir)}: tools/book_html.py found no {', '.join(absent)} to fix: "
                    "the theme's HTML changed; update ACCESSIBLE_HTML")
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _collect_math_titles)
    app.connect("env-purge-doc", _purge_math_titles)
    app.connect("env-merge-info", _merge_math_titles)
    app.connect("doctree-resolved", _typeset_math_in_ref_titles)
    app.connect("config-inited", _check)
    app.connect("build-finished", _copy)
    app.connect("build-finished", _accessible_pages)
    # After every other handler (sphinx.ext.mathjax adds its script at 500).
    app.connect("html-page-context", _dedupe_assets, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
