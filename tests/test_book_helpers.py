"""regcore.book: glue rounds to what the prose shows, and is a no-op without myst-nb."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

from regcore.book import glue, round_as

FORMATS = [".0f", ".1f", ".2f", ".3f", ".4f", "+.4f", ".1e", ".0e", ".3g", "g", ".1%", ".0%"]
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(value=finite, fmt=st.sampled_from(FORMATS))
def test_rounded_value_reads_exactly_as_the_unrounded_one(value, fmt):
    # the truth is Python's own formatting of the unrounded value
    assert format(round_as(value, fmt), fmt) == format(value, fmt)


@given(value=finite, fmt=st.sampled_from(FORMATS))
def test_rounding_is_idempotent(value, fmt):
    once = round_as(value, fmt)
    assert round_as(once, fmt) == once


def test_examples_and_numpy_scalars():
    assert round_as(0.1532558, ".3f") == 0.153
    assert round_as(2.2062736527344105e-05, ".1e") == 2.2e-05
    assert round_as(np.float64(0.98765), ".1%") == 0.988
    assert repr(round_as(0.006622431010020007, ".4f")) == "0.0066"
    assert np.isnan(round_as(float("nan"), ".3f"))


@pytest.mark.parametrize("fmt", ["", ".3", "d", "3f", "{:.3f}", None, 3])
def test_bad_format_is_named(fmt):
    with pytest.raises(ValueError, match="fmt must be a format spec"):
        round_as(1.0, fmt)


@pytest.mark.parametrize("value", ["0.5", None, True, [1.0]])
def test_bad_value_is_named(value):
    with pytest.raises(ValueError, match="value must be a real number"):
        round_as(value, ".3f")


def test_glue_is_a_no_op_without_myst_nb(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)      # import myst_nb now fails
    assert glue("x", 0.1234567, ".2f") is None             # no error, nothing stored, no output
    assert glue("n", 7) is None


def test_glue_passes_the_rounded_value_to_myst_nb(monkeypatch):
    import types
    seen = {}
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: seen.update(name=name, value=value, display=display)
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    assert glue("ch00_x", 2.2062736527344105, ".3f") is None   # a cell ending in glue shows nothing
    assert seen == {"name": "ch00_x", "value": 2.206, "display": False}
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        glue("", 1.0)
