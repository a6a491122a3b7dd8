"""The L1 and L2 penalties, their (sub)gradients and the L1 proximal step.

The source's convention is used throughout, *without* a factor one half:

.. math::

   \\Omega_{L1}(\\theta) = \\lambda \\sum_i |\\theta_i|, \\qquad
   \\Omega_{L2}(\\theta) = \\lambda \\sum_i \\theta_i^2 .

A penalty is called on an iterable of parameters (anything with a ``.data``
array and a ``.grad`` array or ``None``, e.g. ``model.parameters()``) and sums
over all of them.  With this convention the gradient of L2 is
:math:`2\\lambda\\theta`, so plain SGD on ``loss + L2(lam)`` is SGD with weight
decay ``2 * lam`` (chapter 5).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ._validation import check_real

__all__ = ["Penalty", "L1", "L2"]


def _as_list(params: Iterable[Any]) -> list[Any]:
    """Materialise ``params`` (a generator is consumed once) and check each item."""
    if hasattr(params, "data"):
        raise ValueError("params must be an iterable of Parameters, e.g. model.parameters() "
                         f"or [p]; got a single {type(params).__name__}")
    try:
        items = list(params)
    except TypeError:
        raise ValueError("params must be an iterable of Parameters; got "
                         f"{type(params).__name__}") from None
    for i, p in enumerate(items):
        if not isinstance(getattr(p, "data", None), np.ndarray):
            raise ValueError(f"params[{i}] must be a Parameter (an object with a .data "
                             f"ndarray); got {type(p).__name__}")
    return items


class Penalty:
    """Base class of :class:`L1` and :class:`L2`.

    ``pen(params)`` returns the penalty summed over ``params`` (an iterable of
    Parameters) as a float; :meth:`grad` returns its gradients and
    :meth:`backward` adds them into ``.grad``.

    Parameters
    ----------
    lam : float
        Strength :math:`\\lambda \\ge 0` (finite).
    """

    def __init__(self, lam: float) -> None:
        self.lam = check_real("lam", lam, low=0.0)

    def _value(self, theta: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, theta: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, params: Iterable[Any]) -> float:
        """Return the penalty summed over all ``params`` as a Python float."""
        return float(sum(self._value(p.data) for p in _as_list(params)))

    def grad(self, params: Iterable[Any]) -> list[np.ndarray]:
        """Return the penalty's (sub)gradient for each parameter, as new arrays."""
        return [self._grad(p.data) for p in _as_list(params)]

    def backward(self, params: Iterable[Any]) -> None:
        """Add the penalty's gradient into each parameter's ``.grad``.

        A ``.grad`` that is ``None`` becomes the penalty gradient, so the call
        works before or after the data loss's backward pass, like adding the
        penalty to the loss in PyTorch before ``loss.backward()``.
        """
        for p in _as_list(params):
            g = self._grad(p.data)
            if p.grad is None:
                p.grad = g
            else:
                p.grad += g  # in place: the caller's gradient buffer accumulates

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam!r})"


class L1(Penalty):
    """L1 penalty :math:`\\lambda \\sum_i |\\theta_i|` (lasso).

    Parameters
    ----------
    lam : float
        Strength :math:`\\lambda \\ge 0`.

    Notes
    -----
    :math:`|\\theta|` is not differentiable at 0.  :meth:`grad` returns the
    subgradient :math:`\\lambda\\,\\mathrm{sign}(\\theta)` with
    :math:`\\mathrm{sign}(0) = 0`, the value PyTorch's autograd gives for
    ``abs`` at 0.  Subgradient steps make weights oscillate around 0 but
    almost never land on it; :meth:`prox` produces exact zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from regcore import L1, Parameter
    >>> p = Parameter(np.array([-2.0, 0.0, 0.5]))
    >>> L1(0.1)([p])
    0.25
    >>> L1(0.1).grad([p])[0]
    array([-0.1,  0. ,  0.1])
    """

    def _value(self, theta: np.ndarray) -> float:
        return self.lam * float(np.abs(theta).sum())

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        return self.lam * np.sign(theta)

    def prox(self, params: Iterable[Any], step: float) -> None:
        """Apply the proximal operator of ``step * L1`` in place (soft-thresholding).

        .. math::

           \\theta \\leftarrow \\mathrm{sign}(\\theta)\\,
           \\max(|\\theta| - \\eta\\lambda,\\, 0),

        where :math:`\\eta` is ``step``.  This is the exact minimiser of
        :math:`\\tfrac{1}{2\\eta}\\|u - \\theta\\|^2 + \\lambda\\|u\\|_1`: after
        a gradient step on the data loss with learning rate :math:`\\eta`, it
        gives proximal gradient descent (ISTA), whose iterates contain exact
        zeros.

        Parameters
        ----------
        params : iterable of Parameter
            Modified in place (``.data``); ``.grad`` is not touched.
        step : float
            Step size :math:`\\eta \\ge 0`, usually the learning rate.
        """
        step = check_real("step", step, low=0.0)
        threshold = step * self.lam
        for p in _as_list(params):
            # |theta| - threshold, clipped at 0, with theta's sign put back; in place.
            shrunk = np.maximum(np.abs(p.data) - threshold, 0.0)
            np.multiply(np.sign(p.data), shrunk, out=p.data)


class L2(Penalty):
    """L2 penalty :math:`\\lambda \\sum_i \\theta_i^2` (ridge), without a factor one half.

    Parameters
    ----------
    lam : float
        Strength :math:`\\lambda \\ge 0`.

    Notes
    -----
    The gradient is :math:`2\\lambda\\theta`.  Texts that write the penalty
    as :math:`\\tfrac{\\lambda}{2}\\|\\theta\\|^2` get :math:`\\lambda\\theta`;
    PyTorch's ``weight_decay=wd`` in SGD corresponds to ``L2(wd / 2)`` here.

    Examples
    --------
    >>> import numpy as np
    >>> from regcore import L2, Parameter
    >>> p = Parameter(np.array([-2.0, 0.0, 0.5]))
    >>> L2(0.5)([p])
    2.125
    >>> L2(0.5).grad([p])[0]
    array([-2. ,  0. ,  0.5])
    """

    def _value(self, theta: np.ndarray) -> float:
        return self.lam * float(np.sum(theta * theta))

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        return 2.0 * self.lam * theta
