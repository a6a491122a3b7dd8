"""Sphinx extension for the PDF build: tables whose columns wrap.

MyST marks every Markdown table ``colwidths-auto``; Sphinx's LaTeX writer then
sets a long one as ``longtable{lllll}``, whose columns never wrap, so a table
with sentences in its cells (the claims ledger) runs metres off the page.  Here
each column gets a share of the line width proportional to the mean length of
its cells, and at least its longest word (clamped, so that a column of section numbers stays readable and a
column of sentences does not take everything), and Sphinx wraps the text in
it.  The HTML build is not touched.
"""
from __future__ import annotations

from docutils import nodes


def _wrap_tables(app, doctree, docname):
    if app.builder.format != "latex":
        return
    for table in doctree.findall(nodes.table):
        if "colwidths-auto" in table["classes"]:
            table["classes"].remove("colwidths-auto")
        tgroup = next(iter(table.findall(nodes.tgroup)), None)
        if tgroup is None:
            continue
        specs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
        lengths = [[] for _ in specs]
        for row in tgroup.findall(nodes.row):
            for i, entry in enumerate(c for c in row.children if isinstance(c, nodes.entry)):
                if i < len(lengths):
                    text = entry.astext()
                    lengths[i].append((len(text), max(map(len, text.split()), default=0)))
        for spec, cells in zip(specs, lengths):
            mean = sum(n for n, _ in cells) / max(len(cells), 1)
            longest_word = max((w for _, w in cells), default=0)   # e.g. a file name: cannot wrap
            spec["colwidth"] = int(min(max(mean, longest_word, 7), 60))
        if "colwidths-given" not in table["classes"]:
            table["classes"].append("colwidths-given")


def setup(app):
    app.connect("doctree-resolved", _wrap_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
