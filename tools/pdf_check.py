"""Check the PDF that `make pdf` built: what LaTeX reported and what the PDF says.

Usage: ``python tools/pdf_check.py LATEX_DIR [--pages N ...]``

* the LaTeX log: no error (``! ...``), no undefined reference or citation after
  the last run, and no overfull box wider than ``MAX_OVERFULL_PT``;
* the PDF's own text (``pdftotext``): no unresolved ``??``, every chapter's
  title present, numbered equations such as ``(3.1)`` present, and the page
  count printed;
* ``--pages``: render those pages to PNG (``pdftoppm``) next to the PDF, to
  look at.

Exit status 1 with every problem listed, 0 with a summary.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# An overfull line up to 20 pt (7 mm, a third of the page margin) is the width of
# two or three characters: a long identifier in a narrow table column.  Wider
# than that, text visibly runs into the margin or off the page.
MAX_OVERFULL_PT = 20.0


def chapter_titles() -> list[str]:
    titles = []
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            m = re.search(r"^# (.+)$", cell.source, re.M) if cell.cell_type == "markdown" else None
            if m:
                titles.append(m.group(1).strip())
                break
    return titles


def check(latex_dir: Path) -> tuple[list[str], dict]:
    problems = []
    pdfs = sorted(latex_dir.glob("*.pdf"))
    log = latex_dir / "book.log"
    if not pdfs or not log.exists():
        return [f"no PDF or no book.log in {latex_dir}"], {}
    pdf = pdfs[0]
    text_log = log.read_text(errors="replace")
    errors = [line for line in text_log.splitlines() if line.startswith("! ")]
    problems += [f"LaTeX error: {e}" for e in errors]
    undefined = re.findall(r"LaTeX Warning: (?:Hyper reference|Reference|Citation) `([^']+)' .*?undefined",
                           text_log, re.S)
    problems += [f"undefined reference or citation: {u}" for u in sorted(set(undefined))]
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", text_log)]
    widest = max(overfull, default=0.0)
    if widest > MAX_OVERFULL_PT:
        problems.append(f"an overfull line {widest:.0f} pt too wide (limit {MAX_OVERFULL_PT:.0f} pt)")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    if "??" in text:
        i = text.index("??")
        problems.append(f"unresolved '??' in the PDF: ...{text[max(0, i - 80):i + 20]!r}")
    flat = re.sub(r"\s+", " ", text)
    for title in chapter_titles():
        if title not in flat:
            problems.append(f"chapter title missing from the PDF's text: {title!r}")
    if not re.search(r"\(3\.\d+\)", text):
        problems.append("no numbered equation (3.n) in the PDF: equation numbering is lost")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return problems, {"pdf": pdf, "pages": pages, "overfull": len(overfull), "widest": widest,
                      "chapters": len(chapter_titles())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("latex_dir", type=Path)
    ap.add_argument("--pages", type=int, nargs="*", default=[])
    args = ap.parse_args()
    problems, stats = check(args.latex_dir)
    for page in args.pages:
        out = args.latex_dir / f"page-{page:03d}"
        subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-png", "-r", "80", "-singlefile",
                        str(stats["pdf"]), str(out)], check=True)
        print(f"rendered page {page}: {out}.png")
    if problems:
        print("PDF check FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"PDF check passed: {stats['pdf']} has {stats['pages']} pages, all {stats['chapters']} "
          f"chapter titles, no LaTeX error, no undefined reference or '??'; "
          f"{stats['overfull']} overfull lines, the widest {stats['widest']:.1f} pt "
          f"(limit {MAX_OVERFULL_PT:.0f} pt)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
