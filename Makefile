# Regularization in Multi-Layer Perceptrons: build, test and execute the book.
#
#   make book        build the HTML book from the committed notebook outputs
#   make test        the whole test suite (unit tests, nbval, book build)
#   make test-fresh  every chapter in a minimal env without torch (as in Colab)
#   make execute     re-execute every chapter notebook in place, JOBS=2 at a time (NB=book/03_l1.ipynb for one)
#   make assignments write student editions to _build/assignments/
#   make bench       speed and memory of regcore vs PyTorch (prints a table)
#   make screenshots PNGs of the built book in headless Chromium, to _build/screenshots/
#   make linkcheck   check the book's external links (needs the internet; not in make test)
#   make clean       remove build products (keeps .venv)
#
# Every target first makes sure .venv exists and matches requirements.txt;
# the install runs again only when requirements.txt or pyproject.toml change.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?=
JOBS ?= 2
# Kernels started by nbval/nbclient must be the venv's Python.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The book's matrices are small: multi-threaded BLAS only adds contention
# (2-8x slower on a loaded 2-core machine), and one thread keeps results stable.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: help venv book test test-fresh execute assignments bench screenshots linkcheck clean distclean

help:
	@sed -n '3,13p' Makefile

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: this book needs Python 3.11 or newer as '$(PYTHON)'."; \
	  echo "       Install it (e.g. from python.org or pyenv), or run: make PYTHON=/path/to/python3.11 ..."; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval \
	  --cov=regcore --cov-report=term-missing:skip-covered

test-fresh:
	tools/fresh_env.sh

execute: $(STAMP)
	$(BIN)/python tools/execute.py --jobs $(JOBS) $(NB)

assignments: $(STAMP)
	$(BIN)/python tools/assignments.py --out _build/assignments

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
