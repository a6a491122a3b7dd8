"""Numerical gradients and the relative error used to compare gradients (CS231n)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._validation import check_real

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by central differences.

    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``, whose error is
    ``O(h**2)`` plus rounding of order ``eps * |f| / h``.

    Parameters
    ----------
    f : callable
        Maps the array ``x`` to a scalar.  It is called with ``x`` itself,
        modified in place one entry at a time, so ``f`` must read ``x`` afresh
        on each call (e.g. a closure over an array that ``x`` is).
    x : ndarray of float64, any shape
        Point of evaluation; every entry is restored after it is perturbed.
    h : float, default 1e-6
        Step, positive.

    Returns
    -------
    grad : ndarray, same shape as ``x``
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(f"x must be a float64 ndarray (it is perturbed in place); got "
                         f"{type(x).__name__}"
                         + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else ""))
    h = check_real("h", h, low=0.0, low_inclusive=False)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = float(f(x))
        x[ix] = old - h
        f_minus = float(f(x))
        x[ix] = old
        grad[ix] = (f_plus - f_minus) / (2.0 * h)
    return grad


def rel_error(a: Any, b: Any) -> float:
    """Largest element-wise relative error ``|a - b| / max(|a| + |b|, 1e-300)``.

    Parameters
    ----------
    a, b : array_like, same shape
        Two estimates of the same quantity (e.g. an analytic and a numerical gradient).

    Returns
    -------
    float
        0 for identical arrays; about 1e-16 for agreement to rounding, and at
        most 1 (opposite signs or one side zero).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b must have the shape of a {a.shape}; got shape {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300)))
