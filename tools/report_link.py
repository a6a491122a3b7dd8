"""Sphinx extension: a "report a problem with this chapter" link at the end of every chapter.

The link opens a new issue in the book's repository (``repository.url`` in
``_config.yml``) with a title and body already naming the chapter and the
book's version, so that a report can be traced to the text the reader saw.
Only chapter pages (``book/NN_*``) get it.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from docutils import nodes

CHAPTER = re.compile(r"^book/(\d\d)_")


def issue_url(repository: str, chapter: str, title: str, version: str) -> str:
    query = urlencode({
        "title": f"[ch{chapter}, v{version}] ",
        "body": (f"Chapter {int(chapter)}, *{title}*, book version {version}.\n\n"
                 "Where (section, equation, cell or figure):\n\n"
                 "What is wrong or unclear:\n\n"
                 "What you expected (and, for a computation, your Python, numpy and OS versions):\n"),
    })
    return f"{repository.rstrip('/')}/issues/new?{query}"


def _add_link(app, doctree, docname):
    m = CHAPTER.match(docname)
    repository = (app.config.html_theme_options or {}).get("repository_url") or ""
    if not m or not repository:
        return
    version = (app.config.myst_substitutions or {}).get("version", "")
    title = app.env.titles[docname].astext() if docname in app.env.titles else docname
    url = issue_url(repository, m.group(1), title, version)
    para = nodes.paragraph(classes=["report-problem"])
    para += nodes.Text("Found a mistake or something unclear? ")
    para += nodes.reference("", "Report a problem with this chapter", refuri=url)
    para += nodes.Text(f" (opens a GitHub issue naming chapter {int(m.group(1))} and version {version}).")
    sections = [s for s in doctree.findall(nodes.section)]
    (sections[0] if sections else doctree).append(para)


def setup(app):
    app.connect("doctree-resolved", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
