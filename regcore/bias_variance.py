"""Monte-Carlo bias-variance decomposition of a model's predictions.

Train the same model on ``n_datasets`` independent training sets, predict at
``n_points`` fixed inputs :math:`x_j` and stack the predictions into an array
:math:`\\hat f_d(x_j)` of shape ``(n_datasets, n_points)``.  With
:math:`\\bar f(x) = \\frac1D \\sum_d \\hat f_d(x)` the average prediction and
:math:`f` the true function, for every :math:`x`

.. math::

   \\frac1D \\sum_d \\big(\\hat f_d(x) - f(x)\\big)^2
   = \\underbrace{\\big(\\bar f(x) - f(x)\\big)^2}_{\\text{bias}^2}
   + \\underbrace{\\frac1D \\sum_d \\big(\\hat f_d(x) - \\bar f(x)\\big)^2}_{\\text{variance}},

an exact algebraic identity (the cross term vanishes because the deviations
from :math:`\\bar f` sum to zero).  Adding the noise variance
:math:`\\sigma^2` of the targets gives the expected squared error on a fresh
noisy target.  :func:`decompose` averages each term over the points.

**The plug-in squared bias is biased upwards.**  Suppose the
``D = n_datasets`` rows are independent draws with mean :math:`\\mu(x)` and
variance :math:`V(x)`, so the true squared bias is :math:`(\\mu - f)^2`.  The
average prediction :math:`\\bar f` has mean :math:`\\mu` and variance
:math:`V/D`, hence

.. math::

   \\mathbb E\\big[(\\bar f - f)^2\\big] = (\\mu - f)^2 + \\frac{V}{D},

while the ``ddof=0`` sample variance
:math:`s^2 = \\frac1D \\sum_d (\\hat f_d - \\bar f)^2` has
:math:`\\mathbb E[s^2] = V\\,\\frac{D-1}{D}`.  So
:math:`\\mathbb E[s^2/(D-1)] = V/D` is exactly the excess, and

.. math::

   \\mathbb E\\Big[(\\bar f - f)^2 - \\frac{s^2}{D-1}\\Big] = (\\mu - f)^2 ,

so ``bias2_unbiased = bias2 - variance / (D - 1)`` is an unbiased estimate of
the squared bias.  It needs ``D >= 2`` and, being a difference, can come out
slightly negative when the true bias is small compared with
:math:`\\sqrt{V/D}`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_array, check_real

__all__ = ["Decomposition", "decompose"]


@dataclass(frozen=True)
class Decomposition:
    """Result of :func:`decompose`; every field is averaged over the points.

    Attributes
    ----------
    bias2 : float
        Mean squared bias :math:`\\overline{(\\bar f - f)^2}`.
    variance : float
        Mean variance across datasets (``ddof=0``).
    noise : float
        The irreducible noise variance :math:`\\sigma^2` that was passed in.
    total : float
        ``bias2 + variance + noise``: the expected squared error on a new
        noisy target.
    bias2_unbiased : float
        ``bias2 - variance / (n_datasets - 1)``: the plug-in ``bias2``
        overstates the true squared bias by :math:`V/D` in expectation (see
        the module docstring); this estimate is unbiased, and may be slightly
        negative.  ``total`` uses the plug-in ``bias2``, so that
        ``bias2 + variance`` is the mean squared deviation from ``f``.
    """

    bias2: float
    variance: float
    noise: float
    total: float
    bias2_unbiased: float

    def __str__(self) -> str:
        return (f"bias^2 = {self.bias2:.4g}, variance = {self.variance:.4g}, "
                f"noise = {self.noise:.4g}, total = {self.total:.4g}")


def decompose(predictions: Any, f_true: Any, noise_var: float = 0.0) -> Decomposition:
    """Split the mean squared error of an ensemble of predictions into bias² + variance + noise.

    Parameters
    ----------
    predictions : array_like, shape (n_datasets, n_points)
        Row ``d`` holds the predictions of the model trained on dataset ``d``
        at the common evaluation points; ``n_datasets >= 2``.
    f_true : array_like, shape (n_points,)
        The noise-free true function at the same points.
    noise_var : float, default 0.0
        Variance :math:`\\sigma^2 \\ge 0` of the noise on the targets.

    Returns
    -------
    Decomposition
        Fields ``bias2``, ``variance``, ``noise``, ``total`` and
        ``bias2_unbiased`` (floats).  ``bias2 + variance`` equals
        ``np.mean((predictions - f_true) ** 2)`` up to rounding;
        ``bias2_unbiased = bias2 - variance / (n_datasets - 1)`` removes the
        upward bias :math:`V/D` of the plug-in ``bias2`` (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> preds = np.array([[1.0, 2.0], [3.0, 2.0]])
    >>> d = decompose(preds, f_true=np.array([1.0, 2.0]), noise_var=0.5)
    >>> (d.bias2, d.variance, d.noise, d.total)
    (0.5, 0.5, 0.5, 1.5)
    >>> d.bias2_unbiased                      # 0.5 - 0.5 / (2 - 1)
    0.0
    """
    preds = check_array("predictions", predictions, ndim=2)
    f = check_array("f_true", f_true, ndim=1)
    if preds.shape[0] < 2:
        raise ValueError("predictions must have at least 2 rows (n_datasets >= 2, one per "
                         "training set) to estimate a variance and the unbiased squared "
                         f"bias; got shape {preds.shape}")
    if preds.shape[1] != f.shape[0]:
        raise ValueError(f"f_true must have one entry per column of predictions "
                         f"({preds.shape[1]}); got shape {f.shape}")
    noise = check_real("noise_var", noise_var, low=0.0)
    mean_pred = preds.mean(axis=0)                          # f_bar(x_j)
    bias2 = float(np.mean((mean_pred - f) ** 2))
    variance = float(np.mean(np.mean((preds - mean_pred) ** 2, axis=0)))
    return Decomposition(bias2=bias2, variance=variance, noise=noise,
                         total=bias2 + variance + noise,
                         bias2_unbiased=bias2 - variance / (preds.shape[0] - 1))
