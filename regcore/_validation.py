"""Argument checks shared by every public entry point of :mod:`regcore`.

Each helper raises :class:`ValueError` with a message that names the argument,
repeats the value that was given and says what is allowed, in the style of
scikit-learn's parameter validation.  Keeping them in one place means every
message in the package reads the same way.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return repr(value)


def check_real(name: str, value: Any, *, low: float | None = None,
               high: float | None = None, low_inclusive: bool = True,
               high_inclusive: bool = True) -> float:
    """Return ``value`` as a float after checking it is a finite real in range.

    Raises ``ValueError`` naming ``name``, the value given and the allowed range.
    """
    lo = "-inf" if low is None else ("[" if low_inclusive else "(") + repr(low)
    hi = "inf" if high is None else repr(high) + ("]" if high_inclusive else ")")
    if low is None:
        lo = "(-inf"
    if high is None:
        hi = "inf)"
    allowed = f"a finite real number in {lo}, {hi}"
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be {allowed}; got {_fmt(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be {allowed}; got {_fmt(value)}")
    if low is not None and (v < low or (v == low and not low_inclusive)):
        raise ValueError(f"{name} must be {allowed}; got {_fmt(value)}")
    if high is not None and (v > high or (v == high and not high_inclusive)):
        raise ValueError(f"{name} must be {allowed}; got {_fmt(value)}")
    return v


def check_int(name: str, value: Any, *, low: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer ``>= low``."""
    allowed = "an integer" + (f" >= {low}" if low is not None else "")
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise ValueError(f"{name} must be {allowed}; got {_fmt(value)}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be {allowed}; got {_fmt(value)}")
    return v


def check_choice(name: str, value: Any, choices: tuple) -> Any:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices!r}; got {_fmt(value)}")
    return value


#: The floating-point dtypes regcore computes in (``Module.to`` accepts these).
FLOAT_DTYPES = (np.float32, np.float64)


def _all_finite(arr: np.ndarray) -> bool:
    """Whether every entry of the float array ``arr`` is finite (no NaN, no inf).

    Fast path: the dot product ``v . v`` of the flattened array is finite
    exactly when every entry is, unless it overflows (entries beyond about
    1e154, or 1e19 in float32).  One BLAS call reads the array once, without
    the temporary boolean array of ``np.isfinite``; only a non-finite result
    leads to the entry-by-entry test.
    """
    v = arr.ravel()
    with np.errstate(over="ignore"):  # an overflow is handled below, silently
        return math.isfinite(np.dot(v, v)) or bool(np.isfinite(arr).all())


def check_array(name: str, x: Any, *, ndim: int | tuple[int, ...] | None = None,
                finite: bool = True, dtype: Any = "float") -> np.ndarray:
    """Convert ``x`` to an ndarray, checking its number of dimensions and finiteness.

    ``dtype="float"`` (the default) keeps float32 and float64 arrays as they
    are (no copy) and converts anything else to float64, the default dtype;
    ``dtype=None`` keeps the input's dtype (used for integer targets); any
    other value is passed to ``np.asarray``.
    """
    if isinstance(dtype, str) and dtype == "float":
        arr = np.asarray(x)
        if arr.dtype not in FLOAT_DTYPES:
            arr = arr.astype(np.float64)
    else:
        arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ValueError(f"{name} must be a {want} array; got shape {arr.shape}")
    if finite and arr.dtype.kind == "f" and not _all_finite(arr):
        raise ValueError(f"{name} must contain only finite numbers; got NaN or inf "
                         f"in an array of shape {arr.shape}")
    return arr


def check_dtype(name: str, dtype: Any) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype after checking it is float32 or float64.

    Accepts anything ``np.dtype`` understands (``np.float32``, ``"float32"``,
    ``np.dtype("float64")``).
    """
    try:
        dt = None if dtype is None else np.dtype(dtype)  # np.dtype(None) would be float64
    except TypeError:
        dt = None
    if dt is None or dt not in FLOAT_DTYPES or isinstance(dtype, bool):
        raise ValueError(f"{name} must be float32 or float64 (np.float32, np.float64 "
                         f"or their names); got {_fmt(dtype)}")
    return dt


def check_bool(name: str, value: Any) -> bool:
    """Check that ``value`` is a bool (``True`` or ``False``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool (True or False); got {_fmt(value)}")
    return bool(value)


def check_features(name: str, x: np.ndarray, expected: int) -> None:
    """Check that the last dimension of ``x`` has ``expected`` entries."""
    if x.shape[-1] != expected:
        raise ValueError(f"{name} must have {expected} features in its last dimension; "
                         f"got shape {x.shape}")


def check_rng(name: str, rng: Any) -> np.random.Generator:
    """Check that ``rng`` is a ``numpy.random.Generator`` (no global state)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{name} must be a numpy.random.Generator, e.g. "
                         f"np.random.default_rng(0); got {_fmt(rng)}")
    return rng
