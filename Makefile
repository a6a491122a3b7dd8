# Regularization in Multi-Layer Perceptrons: build, test and execute the book.
#
#   make book          build the HTML book from the committed notebook outputs
#   make test          the whole test suite (unit tests, nbval, book build)
#   make test-portable every chapter under other OpenBLAS kernels (CORETYPES=...), outputs compared
#   make test-fresh    every chapter in a minimal env without torch, on Python 3.12 (as in Colab)
#   make test-latest   every chapter with the newest releases, unpinned (asserts only; not in make test)
#   make pdf           the whole book as one PDF via LaTeX (TeX Live: see README), checked; not in make test
#   make execute       re-execute every chapter notebook in place, JOBS=2 at a time (NB=book/03_l1.ipynb for one)
#   make assignments   nbgrader course (course/) and student editions (student/) in _build/assignments/
#   make grade         autograde the submissions in _build/assignments/course/submitted/ -> grades.csv
#   make grade-demo    four simulated students per chapter (ASSIGNMENTS="ch02 ch07 ch09"), graded
#   make bench         speed and memory of regcore vs PyTorch (prints a table)
#   make screenshots   PNGs of the built book in headless Chromium, to _build/screenshots/
#   make linkcheck     check the book's external links (needs the internet; not in make test)
#   make clean         remove build products (keeps .venv)
#
# Every target first makes sure .venv exists and matches requirements.txt;
# the install runs again only when requirements.txt or pyproject.toml change.
# TORCH_INDEX=cpu (on the first install) takes torch from PyTorch's CPU wheel
# index instead of PyPI, whose Linux wheel is the CUDA build (see README).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?=
JOBS ?= 2
# OpenBLAS kernels for test-portable: SSE3 (Prescott), AVX (Sandybridge) and
# AVX2 (Haswell, which AMD Zen machines run too); every x86-64 can run them.
# make test itself runs the machine's own kernel.
CORETYPES ?= Prescott Sandybridge Haswell
# torch's pin, read from the lock, and where to get it. Unset (the default),
# pip finds it as for every other package: here the local CPU wheel through
# pip's configured find-links; on a learner's Linux, PyPI's CUDA build.
# TORCH_INDEX=cpu: PyTorch's CPU-only wheel index, for torch alone (--no-deps;
# its dependencies still come from PyPI). A name like cu126 means that index;
# a URL is used as it is.
TORCH_VERSION := $(shell sed -n 's/^torch==//p' requirements.txt)
TORCH_INDEX ?=
TORCH_INDEX_URL := $(if $(TORCH_INDEX),$(if $(findstring ://,$(TORCH_INDEX)),$(TORCH_INDEX),https://download.pytorch.org/whl/$(TORCH_INDEX)))
# Kernels started by nbval/nbclient must be the venv's Python.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The book's matrices are small: multi-threaded BLAS only adds contention
# (2-8x slower on a loaded 2-core machine), and one thread keeps results stable.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: help venv book test test-portable test-fresh test-latest pdf execute assignments grade grade-demo bench screenshots linkcheck clean distclean FORCE

help:
	@sed -n '3,16p' Makefile

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: this book needs Python 3.11 or newer as '$(PYTHON)'."; \
	  echo "       Install it (e.g. from python.org or pyenv), or run: make PYTHON=/path/to/python3.11 ..."; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
ifneq ($(TORCH_INDEX_URL),)
	@# --force-reinstall only when the torch there did not come from this index
	@again=$$([ "$$(cat $(VENV)/.torch-from 2>/dev/null)" = "$(TORCH_INDEX_URL)" ] || echo --force-reinstall); \
	cmd="$(BIN)/python -m pip install --quiet --no-deps $$again --index-url $(TORCH_INDEX_URL) torch==$(TORCH_VERSION)"; \
	echo "$$cmd" && $$cmd && echo "$(TORCH_INDEX_URL)" > $(VENV)/.torch-from
endif
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# With TORCH_INDEX set, a change of it reinstalls (.torch-index changes only
# then; .torch-from records where the installed torch came from). Unset,
# neither file is looked at and the install is exactly as without this option.
ifneq ($(TORCH_INDEX_URL),)
$(STAMP): $(VENV)/.torch-index
endif
$(VENV)/.torch-index: FORCE
	@if [ "$$(cat $@ 2>/dev/null)" != "$(TORCH_INDEX_URL)" ]; then \
	  mkdir -p $(VENV) && echo "$(TORCH_INDEX_URL)" > $@; fi

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval \
	  --cov=regcore --cov-report=term-missing:skip-covered

test-portable: $(STAMP)
	$(BIN)/python tools/portable.py --cores "$(CORETYPES)" --jobs $(JOBS) $(NB)

pdf: $(STAMP)
	rm -rf _build/pdf
	$(BIN)/jupyter-book build . --builder pdflatex --path-output _build/pdf --keep-going
	$(BIN)/python tools/pdf_check.py _build/pdf/_build/latex --pages 1 $(PDF_PAGES)
	@echo "The PDF is at $(CURDIR)/_build/pdf/_build/latex/book.pdf"

test-fresh:
	tools/fresh_env.sh

test-latest:
	TORCH_VERSION=$(TORCH_VERSION) TORCH_INDEX_URL=$(TORCH_INDEX_URL) tools/latest_env.sh

execute: $(STAMP)
	$(BIN)/python tools/execute.py --jobs $(JOBS) $(NB)

assignments: $(STAMP)
	$(BIN)/python tools/assignments.py --out _build/assignments

# nbgrader runs in its own venv (_build/nbgrader-env, requirements-nbgrader.txt), built once.
ASSIGNMENTS ?=
grade: $(STAMP)
	$(BIN)/python tools/nbgrader_course.py grade _build/assignments/course $(ASSIGNMENTS)

grade-demo: $(STAMP)
	$(BIN)/python tools/assignments.py --out _build/assignments $(if $(ASSIGNMENTS),$(foreach a,$(ASSIGNMENTS),$(wildcard book/$(subst ch,,$(a))_*.ipynb)),book/02_*.ipynb book/07_*.ipynb book/09_*.ipynb)
	$(BIN)/python tools/nbgrader_course.py demo _build/assignments/course $(or $(ASSIGNMENTS),ch02 ch07 ch09)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

screenshots: book
	$(BIN)/python tools/screenshots.py _build/html _build/screenshots

linkcheck: book
	$(BIN)/python tools/linkcheck.py _build/html

clean:
	rm -rf _build .pytest_cache .hypothesis .coverage .coverage.* htmlcov
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
