# Regularization in Multi-Layer Perceptrons: build, test and execute the book.
#
#   make book        build the HTML book from the committed notebook outputs
#   make test        the whole test suite (unit tests, nbval, book build)
#   make execute     re-execute every chapter notebook in place
#   make clean       remove build products (keeps .venv)
#
# Every target first makes sure .venv exists and matches requirements.txt;
# the install runs again only when requirements.txt or pyproject.toml change.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/[0-9][0-9]_*.ipynb))
JOBS ?= 2

.PHONY: help venv book test execute clean distclean

help:
	@sed -n '3,8p' Makefile

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

execute: $(STAMP)
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=120 "$$nb" || exit 1; \
	done

clean:
	rm -rf _build .pytest_cache .hypothesis .coverage .coverage.* htmlcov
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
