"""Fixtures shared by the book-level tests."""
from __future__ import annotations

import pytest

from book_utils import shared_book_build


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The HTML of the book built with -W, once per session (shared across xdist workers)."""
    return shared_book_build(tmp_path_factory)
