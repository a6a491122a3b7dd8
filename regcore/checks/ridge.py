"""Self-checks for chapter 4: ridge regression in the book's convention, and its Bayesian strength.

The book's penalised least-squares objective is the *mean* squared error
without a factor one half plus the source's L2 penalty without one either:

.. math::

   \\frac{1}{n}\\lVert y - Xw\\rVert^2 + \\lambda\\lVert w\\rVert^2 ,

whose minimiser is :math:`(X^\\top X + n\\lambda I)^{-1}X^\\top y`.  Most
mistakes are a wrong constant in front of the identity (a forgotten ``n``, a
factor one half or two from another convention), so the checks compute those
wrong answers too and, when the learner's answer equals one of them, say
which convention it belongs to.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from regcore.checks._core import CheckFailed, call, guard, references, run, verify

__all__ = ["check_ridge_closed_form", "check_map_lambda"]

_RTOL, _ATOL = 1e-7, 1e-10


def _call(fn: Callable[..., Any], args: tuple, names: tuple[str, ...], what: str) -> np.ndarray:
    """Call ``fn(*args)``; report exceptions, in-place edits, ``None`` and non-numbers."""
    return call(fn, args, what, names=names,
                inplace_hint="write `G = X.T @ X + c * I`, not `X *= ...` or `G += ...` on an input")


def _verdict(got: np.ndarray, expected: np.ndarray, mistakes: list[tuple[str, Any]],
             what: str, default: str) -> None:
    """Raise :class:`CheckFailed` unless ``got`` equals ``expected``; name a known mistake."""
    if got.shape != expected.shape:
        hint = ("return the weight vector of shape (d,) (use y of shape (n,), or flatten with "
                "`.ravel()`)." if got.size == expected.size else
                "the weights have one entry per feature (column of X): solve the d x d system "
                "built from X.T @ X, not the n x n one built from X @ X.T (unless you also map "
                "back with X.T).")
        raise CheckFailed(f"{what} has shape {got.shape}, expected {expected.shape}. Hint: {hint}")
    verify(got, expected, what=what, default=default, mistakes=mistakes, rtol=_RTOL, atol=_ATOL,
           hints={"sign": default})


def _ridge(X: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    return np.linalg.solve(X.T @ X + c * np.eye(X.shape[1]), X.T @ y)


def _map_lambda(sigma2: float, tau2: float, n: int) -> float:
    return sigma2 / (n * tau2)


# What each check compares against, blocked while the learner's function runs.
BLOCKED = {
    "check_ridge_closed_form": references(_ridge),
    "check_map_lambda": references(_map_lambda),
}


def check_ridge_closed_form(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray], *,
                            seed: int | None = None) -> bool:
    """Check ``fn(X, y, lam)`` minimises ``mean((y - X @ w)**2) + lam * sum(w**2)``.

    ``X`` has shape ``(n, d)``, ``y`` shape ``(n,)`` and the answer must have
    shape ``(d,)``: ``w = (X.T X + n*lam*I)^{-1} X.T y``.  The dual form
    ``X.T (X X.T + n*lam*I)^{-1} y`` is the same vector and passes.  Catches a
    forgotten ``n`` (the strength of the *sum* of squares), a factor one half
    or two from the other conventions, an ignored ``lam`` (least squares), the
    strength added to every entry of ``X.T X`` instead of its diagonal, the
    wrong orientation (``X X.T``) and a modified input.  ``seed`` (a grader's
    hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_ridge_closed_form"])

    def body() -> str:
        rng = np.random.default_rng(41 if seed is None else seed)
        sizes = ((12, 4, 0.3), (30, 5, 0.05), (5, 8, 0.2)) if seed is None else (
            (int(rng.integers(8, 16)), int(rng.integers(2, 6)), float(rng.uniform(0.05, 0.5))),
            (int(rng.integers(20, 40)), int(rng.integers(3, 7)), float(rng.uniform(0.01, 0.1))),
            (int(rng.integers(3, 6)), int(rng.integers(7, 10)), float(rng.uniform(0.1, 0.5))))
        for n, d, lam in sizes:   # last: more features than samples
            X, y = rng.normal(size=(n, d)), rng.normal(size=n)
            expected = _ridge(X, y, n * lam)
            mistakes = [
                (f"the data term is a *mean*, (1/n)||y - Xw||^2, so setting the gradient to zero "
                 f"gives X.T X + n*lam*I (here n = {n}); lam*I alone is the ridge of the *sum* of "
                 "squares (scikit-learn's Ridge(alpha=lam)).",
                 _ridge(X, y, lam)),
                ("the book's L2 has no factor 1/2 and neither has its mean squared error: both "
                 "gradients carry a 2, which cancels, leaving X.T X + n*lam*I; you used n*lam/2 "
                 "(the convention (lam/2)||w||^2).",
                 _ridge(X, y, n * lam / 2)),
                ("you used 2*n*lam: the factor 2 from the derivative of lam*||w||^2 cancels "
                 "against the 2 from the derivative of the squared error.",
                 _ridge(X, y, 2 * n * lam)),
                ("you returned the least-squares solution: the penalty adds n*lam to the diagonal "
                 "of X.T X.",
                 _ridge(X, y, 0.0) if n >= d else None),
                ("n*lam goes on the diagonal only (n*lam*np.eye(d)), not onto every entry of "
                 "X.T X.",
                 # (only where X.T X is invertible: with d > n, X.T X + c*ones is singular
                 # and whether solve() notices depends on the BLAS kernel)
                 np.linalg.solve(X.T @ X + n * lam, X.T @ y) if n >= d else None),
            ]
            got = _call(fn, (X, y, lam), ("X", "y", "lam"), f"the weight vector for X of shape {(n, d)}")
            _verdict(got, expected, mistakes, what=f"the weight vector for X of shape {(n, d)}",
                     default="set the gradient -(2/n) X.T (y - Xw) + 2 lam w to zero and solve "
                             "for w: (X.T X + n lam I) w = X.T y (use np.linalg.solve).")
        return ("your ridge solution matches (X.T X + n*lam*I)^{-1} X.T y on 3 problems, "
                "including one with more features than samples.")
    return run("check_ridge_closed_form", body)


def check_map_lambda(fn: Callable[[float, float, int], float], *, seed: int | None = None) -> bool:
    """Check ``fn(sigma2, tau2, n)`` returns the L2 strength ``sigma2 / (n * tau2)`` of MAP.

    With a Gaussian likelihood of noise *variance* ``sigma2``, independent
    Gaussian priors of *variance* ``tau2`` on the weights and ``n`` samples,
    the MAP estimate minimises the book's objective
    ``mean((y - Xw)**2) + lam * sum(w**2)`` exactly when
    ``lam = sigma2 / (n * tau2)``.  Catches a forgotten ``n``, the extra factor
    one half of the ``(1/2) mean`` convention, the ratio upside down, standard
    deviations instead of variances and the classification formula
    ``1 / (2 n tau2)``.  ``seed`` (a grader's hidden test) draws other
    settings.
    """
    fn = guard(fn, BLOCKED["check_map_lambda"])

    def body() -> str:
        settings = ((0.25, 2.0, 50), (4.0, 0.5, 8), (0.09, 0.16, 1000))
        if seed is not None:
            rng = np.random.default_rng(seed)
            settings = tuple((round(float(rng.uniform(0.05, 5.0)), 3),
                              round(float(rng.uniform(0.1, 3.0)), 3), int(rng.integers(5, 2000)))
                             for _ in range(3))
        for sigma2, tau2, n in settings:
            expected = np.asarray(_map_lambda(sigma2, tau2, n))
            mistakes = [
                (f"the book's data term is a *mean* over n = {n} samples, so dividing the negative "
                 "log-posterior by n/(2 sigma2) turns the prior's 1/(2 tau2) into sigma2/(n tau2); "
                 "sigma2/tau2 is the strength for the *sum* of squares.",
                 sigma2 / tau2),
                ("the book's mean squared error has no factor 1/2: sigma2/(2 n tau2) is the "
                 "strength for the loss (1/2n)||y - Xw||^2.",
                 sigma2 / (2 * n * tau2)),
                ("the ratio is upside down: more noise (larger sigma2) means less trust in the "
                 "data and *more* shrinkage, a larger prior variance tau2 means *less*.",
                 tau2 / (n * sigma2)),
                ("sigma2 and tau2 are already variances: the log-densities contain 1/(2 sigma2) and "
                 "1/(2 tau2), so do not take square roots.",
                 np.sqrt(sigma2) / (n * np.sqrt(tau2))),
                ("1/(2 n tau2) is the strength for the mean cross-entropy (a likelihood without a "
                 "noise variance); a Gaussian likelihood brings sigma2 into the numerator and "
                 "no factor 1/2 remains for the mean squared error.",
                 1.0 / (2 * n * tau2)),
            ]
            what = f"lam for sigma2 = {sigma2:g}, tau2 = {tau2:g}, n = {n}"
            got = _call(fn, (sigma2, tau2, n), ("sigma2", "tau2", "n"), what)
            if got.size != 1:
                raise CheckFailed(f"{what} must be a single number; got an array of shape "
                                  f"{got.shape}.")
            _verdict(got.reshape(()), expected, mistakes, what=what,
                     default="write the negative log-posterior, multiply it by 2 sigma2 / n and "
                             "read off the coefficient of sum(w**2).")
        return "your lam(sigma2, tau2, n) matches sigma2 / (n * tau2) on 3 settings."
    return run("check_map_lambda", body)
