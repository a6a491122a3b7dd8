"""Helpers the book's chapter notebooks share (not part of the modelling API).

:func:`glue` stores a number for the prose, rounded to the digits the prose
shows.  The committed outputs of every chapter must equal a fresh execution on
any machine (another CPU, another BLAS kernel), so what a notebook stores has
to encode mathematics, never roundoff: a glued ``0.1532558…`` differs in its
last bits between an AVX-512 and an AVX2 machine, a glued ``0.153`` does not.

It also makes the chapters runnable where myst-nb is not installed (Colab, a
bare Jupyter): there, glue does nothing, since only the book's HTML build reads
glued values.
"""
from __future__ import annotations

import math
import numbers
import re

__all__ = ["glue", "round_as"]

_SPEC = re.compile(r"^[+\- ]?(?:\.(?P<digits>\d+))?(?P<kind>[efg%])$")


def round_as(value: float, fmt: str) -> float:
    """``value`` rounded to exactly the digits that ``format(value, fmt)`` shows.

    ``fmt`` is a format spec of kind ``f``, ``e``, ``g`` or ``%`` (``".3f"``,
    ``".1e"``, ``".3g"``, ``".1%"``, ``"+.4f"``).  The result is a float, so the
    prose can still format it (``{glue:text}`name:.3f```) and shows the same
    text as the unrounded value would.

    >>> round_as(0.1532558, ".3f"), round_as(2.2062736e-05, ".1e"), round_as(0.98765, ".1%")
    (0.153, 2.2e-05, 0.988)
    """
    m = _SPEC.match(fmt) if isinstance(fmt, str) else None
    if m is None:
        raise ValueError(f"fmt must be a format spec of kind f, e, g or % such as '.3f', "
                         f"'.1e', '.3g' or '.1%'; got {fmt!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"value must be a real number; got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        return value
    digits = int(m["digits"]) if m["digits"] is not None else 6
    kind = m["kind"]
    if kind == "%":
        return round(value, digits + 2)
    if kind == "f":
        return round(value, digits)
    if kind == "e":
        return float(f"{value:.{digits}e}")
    return float(f"{value:.{max(digits, 1)}g}")


def glue(name: str, value, fmt: str | None = None):
    """Store ``value`` under ``name`` for the prose (myst-nb's ``glue``, not displayed).

    With ``fmt``, a real ``value`` is first rounded by :func:`round_as` to what
    the prose shows with that format; integers and strings are stored as given.
    Returns ``None``, so that a cell ending in a ``glue`` call shows no output.
    Without myst-nb installed, stores nothing.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}")
    if fmt is not None:
        value = round_as(value, fmt)
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # Colab or a bare Jupyter: only the book build reads glued values
        return None
    _myst_glue(name, value, display=False)
    return None
