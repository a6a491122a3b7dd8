"""Shared helpers for the regcore unit tests (imported as ``from _helpers import ...``).

The independent truth is PyTorch's autograd in float64 or a central-difference
numerical gradient; nothing here compares regcore with itself.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from hypothesis import settings

from regcore.gradcheck import numerical_gradient

#: Hypothesis settings for every property test: enough examples to cover
#: edge shapes (batch 2, one feature, wide layers), fast enough for CI.
FAST = settings(max_examples=25, deadline=None)

#: Agreement with PyTorch in float64: a few ulps of the largest intermediate.
RTOL, ATOL = 1e-10, 1e-12


def rand(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Standard normal float64 array of ``shape`` from ``seed``."""
    return scale * np.random.default_rng(seed).standard_normal(shape)


def tt(a: np.ndarray, grad: bool = True) -> torch.Tensor:
    """A float64 torch leaf tensor holding a copy of ``a``."""
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def assert_close(ours: np.ndarray | float, theirs: torch.Tensor | np.ndarray | float,
                 what: str = "") -> None:
    """Assert ``ours`` equals the torch value to float64 rounding."""
    if isinstance(theirs, torch.Tensor):
        theirs = theirs.detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def check_backward_numerically(forward: Callable[..., np.ndarray],
                               grads: Sequence[np.ndarray], inputs: Sequence[np.ndarray],
                               upstream: np.ndarray, tol: float = 1e-6) -> None:
    """minitorch-style reusable derivative check.

    ``grads`` are the analytic gradients of ``L = sum(forward(*inputs) * upstream)``
    with respect to each of ``inputs``; each must equal the central-difference
    gradient of ``L`` to relative accuracy ``tol``.  Central differences with
    ``h = 1e-6`` carry rounding noise of about ``1e-16 * |L| / h`` in absolute
    terms, so entries much smaller than the largest one are compared absolutely.
    """
    for i, (x, g) in enumerate(zip(inputs, grads)):
        x = np.array(x, dtype=np.float64)
        args = list(inputs)
        args[i] = x  # numerical_gradient perturbs x in place; the closure sees it

        def loss(_: np.ndarray) -> float:
            return float(np.sum(forward(*args) * upstream))

        num = numerical_gradient(loss, x)
        scale = max(1.0, float(np.max(np.abs(num), initial=0.0)))
        np.testing.assert_allclose(g, num, rtol=tol, atol=tol * 1e-1 * scale,
                                   err_msg=f"input {i}: analytic vs numerical gradient")


def assert_input_grad_can_be_skipped(full, skip, x: np.ndarray, dout: np.ndarray) -> None:
    """Two identical modules: ``backward(dout)`` on ``full`` returns the input gradient,
    ``backward(dout, needs_input_grad=False)`` on ``skip`` returns None, and both leave
    exactly the same parameter gradients (the skipped work is the input gradient only)."""
    np.testing.assert_array_equal(skip(x), full(x))  # same weights (and dropout masks)
    assert full.backward(dout).shape == x.shape
    assert skip.backward(dout, needs_input_grad=False) is None
    for p, q in zip(full.parameters(), skip.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)
