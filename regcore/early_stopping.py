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
    restore_best : bool, default True
        Read by :func:`regcore.training.fit`.  ``True``: when training ends,
        ``fit`` loads the weights of the best step, **whether the rule fired
        or the epoch budget ran out**.  ``False``: ``fit`` restores only when
        the rule fires, and otherwise keeps the weights of the last epoch (the
        behaviour of Keras' ``restore_best_weights=True``).  :meth:`step` and
        :meth:`restore` do not depend on it.

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

    def __init__(self, patience: int = 5, min_delta: float = 0.0,
                 restore_best: bool = True) -> None:
        self.patience = check_int("patience", patience, low=0)
        self.min_delta = check_real("min_delta", min_delta, low=0.0)
        if not isinstance(restore_best, bool):
            raise ValueError(f"restore_best must be a bool (True or False); got "
                             f"{restore_best!r}")
        self.restore_best = restore_best
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
                f"restore_best={self.restore_best}, best_value={self.best_value}, "
                f"best_epoch={self.best_epoch})")


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

    .. math:: \\lambda(t) = \\frac{a\\,q^t}{2\\,(1 - q^t)} .

    A ridge solution :math:`\\frac{a}{a + 2\\lambda}\\,\\frac{b}{a}` with
    :math:`\\lambda \\ge 0` shrinks :math:`b/a` by a factor in :math:`(0, 1]`, so
    a non-negative :math:`\\lambda` exists exactly when :math:`0 \\le q^t < 1`:

    * ``t = 0``: ``inf`` (no training = infinitely strong penalty), for any
      :math:`\\eta a`;
    * :math:`0 < \\eta a < 1`: every ``t >= 1``; :math:`\\lambda` decreases in
      ``t`` (training longer = weaker regularisation);
    * :math:`\\eta a = 1`: ``0`` for every ``t >= 1`` (one step lands on
      :math:`b/a`);
    * :math:`1 < \\eta a < 2`: even ``t`` only (:math:`q < 0`, so
      :math:`0 < q^t < 1` at even ``t``); at odd ``t`` the iterate overshoots
      :math:`b/a`, which no ridge solution does.

    **Shrinkage towards the start.**  The same :math:`\\lambda(t)` describes
    early stopping from any :math:`\\theta_0`: the iterate
    :math:`\\theta_t = q^t\\theta_0 + \\frac{b}{a}(1 - q^t)` is the minimiser of
    :math:`J(\\theta) + \\lambda(t)\\,(\\theta - \\theta_0)^2`, which is
    :math:`(b + 2\\lambda\\theta_0)/(a + 2\\lambda)`.  Early stopping penalises the
    distance from the initialisation, not from 0.

    Parameters
    ----------
    a : float
        Curvature, ``> 0``.
    lr : float
        Learning rate, ``> 0``.
    t : int or array_like of int
        Step counts, ``>= 0``.

    Returns
    -------
    float or ndarray
        :math:`\\lambda \\ge 0` (``inf`` at ``t = 0``), with the shape of ``t``.

    Raises
    ------
    ValueError
        If ``a <= 0`` or ``lr <= 0``, or if some ``t >= 1`` has
        :math:`q^t < 0` (overshoot: :math:`1 < \\eta a`, odd ``t``) or
        :math:`q^t \\ge 1` (no convergence: :math:`\\eta a \\ge 2`, even ``t``).
        The message names :math:`\\eta a` and ``t``.  For an array ``t``
        nothing is returned if any entry is invalid: the error names the first
        offending entry in C (row-major) order.

    Examples
    --------
    >>> float(equivalent_l2(1.0, 0.5, 1))            # q = 1/2: lam = (1/2) / (2 * 1/2)
    0.5
    >>> float(equivalent_l2(2.0, 0.75, 2))           # lr * a = 1.5, q**2 = 1/4
    0.3333333333333333
    >>> equivalent_l2(2.0, 0.75, [0, 2, 3])          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no equivalent L2 strength for lr * a = 1.5 at t = 3: q**t = ... = -0.125 < 0, ...
    """
    a = check_real("a", a)
    lr = check_real("lr", lr)
    h = lr * a
    t = _check_t(t)
    allowed = ("one exists at t >= 1 when 0 <= q**t < 1, i.e. 0 < lr * a <= 1 (every t) or "
               "1 < lr * a < 2 (even t)")
    if a <= 0.0 or lr <= 0.0:
        first = t.flat[0] if t.size else 0.0
        raise ValueError(f"no equivalent L2 strength for lr * a = {h!r} at t = {first:.0f}: "
                         f"a and lr must both be > 0; {allowed}; got lr={lr!r}, a={a!r}")
    # decided from lr * a and the parity of t, not from a rounded q**t (which can
    # underflow to -0.0 or, for a tiny lr * a, round 1 - lr * a to 1.0)
    odd = t % 2 == 1
    overshoot = (t >= 1) & odd & (h > 1.0)               # q < 0, odd t: q**t < 0
    diverge = (t >= 1) & ~odd & (h >= 2.0)               # q <= -1, even t: q**t >= 1
    bad = overshoot | diverge
    if np.any(bad):
        k = int(np.flatnonzero(bad.ravel())[0])
        tk = t.flat[k]
        with np.errstate(over="ignore"):
            qt = (1.0 - h) ** tk
        reason = (f"q**t = (1 - lr * a)**t = {qt:.3g} < 0, the iterate overshoots b/a, "
                  f"which no ridge solution does" if overshoot.flat[k] else
                  f"q**t = (1 - lr * a)**t = {qt:.3g} >= 1, gradient descent does not "
                  f"converge (|1 - lr * a| >= 1)")
        raise ValueError(f"no equivalent L2 strength for lr * a = {h!r} at t = {tk:.0f}: "
                         f"{reason}; {allowed}; got lr={lr!r}, a={a!r}")
    q_t, one_minus_q_t = _powers(h, t)
    with np.errstate(divide="ignore"):                 # t = 0: a * 1 / 0 = inf, intended
        out = a * q_t / (2.0 * one_minus_q_t)
    return out[()]
