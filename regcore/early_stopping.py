"""Early stopping with patience, and the quadratic model of early stopping as L2.

:class:`EarlyStopping` watches a validation loss, says when to stop and keeps a
copy of the weights at the best step.  The functions below treat the
one-dimensional quadratic :math:`J(\\theta) = \\tfrac12 a\\theta^2 - b\\theta`
(:math:`a > 0`, minimiser :math:`b/a`): gradient descent on it, the closed form
of its iterates, and the L2 strength whose ridge solution equals the iterate
reached after :math:`t` steps.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ._validation import check_int, check_real

__all__ = ["EarlyStopping", "quadratic_gd", "quadratic_closed_form", "equivalent_l2"]


class EarlyStopping:
    """Stop when a monitored value has not improved for ``patience`` steps.

    Parameters
    ----------
    patience : int, default 5
        Number of consecutive calls to :meth:`step` without improvement after
        which :meth:`step` returns ``True`` (``>= 0``; ``0`` behaves as ``1``:
        stop at the first step without improvement).
    min_delta : float, default 0.0
        A value improves only if it is smaller than ``best_value - min_delta``
        (``>= 0``).

    Attributes
    ----------
    best_value : float
        Smallest value seen so far (``inf`` before the first improvement).
    best_epoch : int or None
        0-based index of the :meth:`step` call that produced ``best_value``.
    wait : int
        Consecutive steps without improvement so far.
    stopped_epoch : int or None
        Index of the first call that returned ``True``.

    Notes
    -----
    The counting is that of Keras and PyTorch Lightning: with values
    ``[3, 2, 2.5, 2.4, 2.6]`` and ``patience=3`` the call with index 4
    returns ``True`` and ``best_epoch`` is 1.  A NaN value never improves (it
    counts as a step without improvement).  :meth:`step` keeps working after
    a stop: it returns ``True`` whenever the latest ``patience`` calls have not
    improved, and ``False`` on an improving call.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=3)
    >>> [stopper.step(v) for v in [3, 2, 2.5, 2.4, 2.6]]
    [False, False, False, False, True]
    >>> stopper.best_epoch, stopper.best_value
    (1, 2.0)
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0) -> None:
        self.patience = check_int("patience", patience, low=0)
        self.min_delta = check_real("min_delta", min_delta, low=0.0)
        self.best_value = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._calls = 0
        self._snapshot: dict[str, Any] | None = None

    def step(self, value: float, model: Any = None) -> bool:
        """Record one value (e.g. the validation loss of an epoch); return ``True`` to stop.

        Parameters
        ----------
        value : float
            The monitored quantity; smaller is better.  NaN is accepted and
            never counts as an improvement.
        model : Module, optional
            When ``value`` improves, ``model.state_dict()`` is copied and kept
            for :meth:`restore`.

        Returns
        -------
        bool
            ``True`` once ``patience`` consecutive calls have not improved.
        """
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)) \
                or isinstance(value, np.complexfloating):
            raise ValueError(f"value must be a real number (NaN allowed); got {value!r}")
        value = float(value)
        epoch, self._calls = self._calls, self._calls + 1
        if value < self.best_value - self.min_delta:       # False for NaN
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            if model is not None:
                self._snapshot = {k: np.array(v, copy=True)
                                  for k, v in model.state_dict().items()}
            return False
        self.wait += 1
        stop = self.wait >= max(self.patience, 1)
        if stop and self.stopped_epoch is None:
            self.stopped_epoch = epoch
        return stop

    def restore(self, model: Any) -> None:
        """Load the weights saved at the best step into ``model``.

        Raises
        ------
        RuntimeError
            If no snapshot exists: :meth:`step` was never given a ``model``
            on an improving call.
        """
        if self._snapshot is None:
            raise RuntimeError("EarlyStopping.restore: no snapshot to restore; pass the model "
                               "to step(value, model) so the best weights are saved")
        model.load_state_dict({k: v.copy() for k, v in self._snapshot.items()})

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"best_value={self.best_value}, best_epoch={self.best_epoch})")


def _check_t(t: Any) -> np.ndarray:
    arr = np.asarray(t)
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "f" and not (
            np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
        raise ValueError(f"t must be a non-negative integer or an array of them; got {t!r}")
    if np.any(arr < 0):
        raise ValueError(f"t must be a non-negative integer or an array of them; got {t!r}")
    return arr.astype(np.float64)


def _powers(h: float, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`q^t` and :math:`1 - q^t` for :math:`q = 1 - h`, where :math:`h = \\eta a`.

    For :math:`0 < h < 1` both come from ``log1p(-h)`` and ``expm1``, so a tiny
    :math:`h` loses no digits (``1 - h`` itself would round them away).
    """
    if 0.0 < h < 1.0:
        log_q = math.log1p(-h)
        return np.exp(t * log_q), 0.0 - np.expm1(t * log_q)  # 0.0 - ...: +0.0 at t = 0
    q_t = (1.0 - h) ** t
    return q_t, 1.0 - q_t


def quadratic_gd(a: float, b: float, lr: float, steps: int, theta0: float = 0.0) -> np.ndarray:
    """Iterates of gradient descent on :math:`J(\\theta) = \\tfrac12 a\\theta^2 - b\\theta`.

    .. math:: \\theta_{k+1} = \\theta_k - \\eta\\,(a\\theta_k - b)

    Parameters
    ----------
    a : float
        Curvature, ``> 0``.
    b : float
        Linear coefficient; the minimiser is :math:`b/a`.
    lr : float
        Learning rate :math:`\\eta \\ge 0`.  The iterates converge for
        :math:`0 < \\eta a < 2` and oscillate when :math:`\\eta a > 1`.
    steps : int
        Number of steps, ``>= 0``.
    theta0 : float, default 0.0
        Starting point.

    Returns
    -------
    ndarray, shape (steps + 1,)
        :math:`\\theta_0, \\theta_1, \\dots, \\theta_{steps}`.
    """
    a = check_real("a", a, low=0.0, low_inclusive=False)
    b = check_real("b", b)
    lr = check_real("lr", lr, low=0.0)
    steps = check_int("steps", steps, low=0)
    theta = np.empty(steps + 1)
    theta[0] = check_real("theta0", theta0)
    for k in range(steps):
        theta[k + 1] = theta[k] - lr * (a * theta[k] - b)
    return theta


def quadratic_closed_form(a: float, b: float, lr: float, t: Any,
                          theta0: float = 0.0) -> np.ndarray | float:
    """Closed form of the :func:`quadratic_gd` iterate after ``t`` steps.

    With :math:`q = 1 - \\eta a`,

    .. math:: \\theta_t = q^t\\,\\theta_0 + \\frac{b}{a}\\,(1 - q^t).

    Parameters
    ----------
    a, b, lr, theta0 : float
        As in :func:`quadratic_gd`.
    t : int or array_like of int
        Step counts, ``>= 0``.

    Returns
    -------
    float or ndarray
        :math:`\\theta_t`, with the shape of ``t``.
    """
    a = check_real("a", a, low=0.0, low_inclusive=False)
    b = check_real("b", b)
    lr = check_real("lr", lr, low=0.0)
    theta0 = check_real("theta0", theta0)
    t = _check_t(t)
    q_t, one_minus_q_t = _powers(lr * a, t)
    out = theta0 * q_t + (b / a) * one_minus_q_t
    return out[()]


def equivalent_l2(a: float, lr: float, t: Any) -> np.ndarray | float:
    """The L2 strength :math:`\\lambda` under which ridge equals early stopping at step ``t``.

    Early stopping after :math:`t` steps from :math:`\\theta_0 = 0` gives
    :math:`\\theta_t = \\frac{b}{a}(1 - q^t)` with :math:`q = 1 - \\eta a`.  The
    minimiser of :math:`J(\\theta) + \\lambda\\theta^2` is :math:`b/(a + 2\\lambda)`.
    Setting them equal (for every :math:`b`) gives
    :math:`a + 2\\lambda = a/(1 - q^t)`, that is

    .. math:: \\lambda = \\frac{a\\,q^t}{2\\,(1 - q^t)} .

    It decreases in :math:`t` (training longer = weaker regularisation), is
    ``inf`` at ``t = 0`` (no training = infinitely strong penalty) and ``0``
    for every ``t >= 1`` when :math:`\\eta a = 1`.

    Parameters
    ----------
    a : float
        Curvature, ``> 0``.
    lr : float
        Learning rate with :math:`0 < \\eta a \\le 1`.
    t : int or array_like of int
        Step counts, ``>= 0``.

    Returns
    -------
    float or ndarray
        :math:`\\lambda \\ge 0`, with the shape of ``t``.

    Raises
    ------
    ValueError
        If :math:`\\eta a` is not in :math:`(0, 1]`.  For :math:`\\eta a > 1`,
        :math:`q < 0` and the iterates overshoot :math:`b/a` on odd steps,
        which no ridge solution (always between 0 and :math:`b/a`) can do.
    """
    a = check_real("a", a, low=0.0, low_inclusive=False)
    lr = check_real("lr", lr, low=0.0)
    if not 0.0 < lr * a <= 1.0:
        raise ValueError(f"lr * a must be in (0, 1] for an equivalent L2 strength to exist; "
                         f"got lr={lr!r}, a={a!r} (lr * a = {lr * a!r})")
    t = _check_t(t)
    q_t, one_minus_q_t = _powers(lr * a, t)
    with np.errstate(divide="ignore"):                 # t = 0: a * 1 / 0 = inf, intended
        out = a * q_t / (2.0 * one_minus_q_t)
    return out[()]
