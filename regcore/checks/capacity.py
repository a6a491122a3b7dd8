"""Self-checks for chapters 1 and 2: losses, capacity and the bias--variance split.

* :func:`check_cross_entropy` -- the mean softmax cross-entropy of chapter 1's
  loss curves, computed stably;
* :func:`check_poly_features` -- the polynomial design matrix whose degree is
  chapter 2's capacity knob;
* :func:`check_bias_variance` -- squared bias and variance of a matrix of
  predictions made by models trained on different datasets.

Each check runs the learner's function on a few fixed inputs and compares the
result with the definition (``regcore.functional.cross_entropy`` and
``regcore.bias_variance.decompose`` are the references).  When the answer is
wrong but equals what a typical mistake would return, the verdict names that
mistake.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from regcore import bias_variance as _bias_variance
from regcore import functional as _functional
from regcore.bias_variance import decompose
from regcore.checks._core import call, guard, references, run, verify
from regcore.functional import cross_entropy as _cross_entropy

_RTOL, _ATOL = 1e-7, 1e-9


def _call(fn: Callable[..., Any], args: Sequence[Any], what: str) -> np.ndarray:
    """Call ``fn(*args)`` quietly; report exceptions, mutated inputs and ``None``."""
    return call(fn, args, what, inplace_hint="e.g. write `z = x - m` instead of `x -= m`")


def _compare(fn: Callable[..., Any], args: Sequence[Any], expected: Any,
             mistakes: list[tuple[str, Any]], *, what: str, default: str,
             nonfinite: str | None = None) -> None:
    """Compare ``fn(*args)`` with ``expected``; on a mismatch name the mistake if known."""
    verify(_call(fn, args, what), expected, what=what, default=default, mistakes=mistakes,
           rtol=_RTOL, atol=_ATOL, nonfinite=nonfinite)


# ---------------------------------------------------------------------------
# Chapter 1: the mean cross-entropy


def _logsumexp(z: np.ndarray, axis: int) -> np.ndarray:
    m = z.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def _poly_reference(x: np.ndarray, degree: int) -> np.ndarray:
    return x[:, None] ** np.arange(degree + 1)


# What each check compares against, blocked while the learner's function runs.
BLOCKED = {
    "check_cross_entropy": references(_functional.cross_entropy, _logsumexp),
    "check_poly_features": references(_poly_reference),
    "check_bias_variance": references(_bias_variance.decompose),
}


def _ce_cases(seed: int, hidden: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """(logits, labels): two ordinary batches and one with logits of size ~1000."""
    rng = np.random.default_rng(seed)
    cases = []
    shapes = (((6, 4), 2.0), ((5, 10), 3.0), ((4, 3), 800.0))
    if hidden:   # a grader's seed: other shapes and scales, still one overflowing batch
        shapes = tuple(((int(rng.integers(3, 9)), int(rng.integers(2, 12))), scale)
                       for scale in (rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(500, 1000)))
    for (n, c), scale in shapes:
        logits = scale * rng.normal(size=(n, c))
        labels = rng.integers(0, c, size=n)
        labels[0] = int(np.argmin(logits[0]))  # one confidently wrong sample: a large loss
        cases.append((logits, labels))
    return cases


def check_cross_entropy(fn: Callable[[np.ndarray, np.ndarray], float], *,
                        seed: int | None = None) -> bool:
    """Check ``fn(logits, y)`` returns the mean softmax cross-entropy, computed stably.

    ``logits`` has shape ``(N, C)``, ``y`` holds ``N`` integer labels in
    ``[0, C)``; the answer is the number
    ``mean_i [log sum_c exp(logits[i, c]) - logits[i, y[i]]]``.  One test batch
    has logits of size about 1000, where ``np.exp`` overflows unless the row
    maximum is subtracted first.  Catches a sum instead of a mean, a sign
    error, the softmax over the wrong axis, averaging over all classes,
    per-sample losses, a missing normaliser, an incomplete max-shift, an
    overflow and a modified input.  ``seed`` (a grader's hidden test) draws
    other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_cross_entropy"])

    def body() -> str:
        for logits, y in (_ce_cases(21) if seed is None else _ce_cases(seed, hidden=True)):
            n = len(y)
            rows = np.arange(n)
            expected, _ = _cross_entropy(logits, y)
            logp = logits - _logsumexp(logits, axis=1)
            logp_cols = logits - _logsumexp(logits, axis=0)
            shift = logits - logits.max(axis=1, keepdims=True)
            mistakes = [
                (f"you summed over the batch; the loss is the mean over the N = {n} samples, so "
                 "that it does not grow with the batch size.", -logp[rows, y].sum()),
                ("cross-entropy is minus the log-probability of the correct class, a number "
                 ">= 0; you have the opposite sign.", logp[rows, y].mean()),
                ("return one number, the mean over the batch, not one loss per sample.",
                 -logp[rows, y]),
                ("softmax normalises each row (over the classes, axis=1); you normalised each "
                 "column (over the batch, axis=0).", -logp_cols[rows, y].mean()),
                ("take the log-probability of the correct class in each row, "
                 "logp[np.arange(N), y]; you averaged -logp over all the classes.",
                 -logp.mean()),
                ("you left out the normaliser: log softmax(z)_y = z_y - log sum_c exp(z_c).",
                 -logits[rows, y].mean()),
                ("you took minus the probability of the correct class instead of minus its "
                 "logarithm.", -np.exp(logp[rows, y]).mean()),
                ("you subtracted the row maximum inside the exponential but not from the "
                 "picked logit z_y: shift both, or add the maximum back to log sum exp.",
                 (np.log(np.exp(shift).sum(axis=1)) - logits[rows, y]).mean()),
            ]
            _compare(fn, (logits, y), expected, mistakes,
                     what=f"the loss for logits of shape {logits.shape}",
                     default="compute mean_i [log sum_c exp(z_ic) - z_i,y_i], with the row "
                             "maximum subtracted from z before exponentiating.",
                     nonfinite="np.exp overflows for logits of size ~1000; subtract each row's "
                               "maximum before exponentiating (the log-sum-exp trick): "
                               "softmax and the loss do not change, the overflow disappears.")
        return ("your cross-entropy matches the mean of -log softmax(z)_y on 3 batches, "
                "including logits of size ~1000.")
    return run("check_cross_entropy", body)


# ---------------------------------------------------------------------------
# Chapter 2: polynomial features


def check_poly_features(fn: Callable[[np.ndarray, int], np.ndarray], *,
                        seed: int | None = None) -> bool:
    """Check ``fn(x, degree)`` returns the design matrix ``[x**0, x**1, ..., x**degree]``.

    ``x`` has shape ``(n,)``; the answer has shape ``(n, degree + 1)``, one row
    per sample and the powers in increasing order (column ``j`` is ``x**j``).
    Catches the decreasing order of ``np.vander``'s default, a missing constant
    column, one column too few or too many, the transpose and a modified input.
    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_poly_features"])

    def body() -> str:
        rng = np.random.default_rng(22 if seed is None else seed)
        sizes = ((7, 3), (4, 5), (5, 0)) if seed is None else (
            (int(rng.integers(4, 10)), int(rng.integers(1, 4))),
            (int(rng.integers(3, 6)), int(rng.integers(4, 8))), (int(rng.integers(2, 8)), 0))
        for n, degree in sizes:
            x = rng.uniform(-1.5, 1.5, size=n)
            expected = _poly_reference(x, degree)
            mistakes = [
                ("the columns go in increasing powers x**0, x**1, ..., x**degree; np.vander "
                 "uses the decreasing order unless you pass increasing=True.",
                 expected[:, ::-1] if degree > 0 else None),
                ("include the constant column x**0 = 1 (it carries the intercept): a degree-"
                 f"{degree} polynomial has degree + 1 = {degree + 1} coefficients.",
                 expected[:, 1:]),
                (f"the last column is x**degree: use the powers 0, 1, ..., degree "
                 f"(range(degree + 1)), {degree + 1} columns in all.", expected[:, :-1]),
                (f"you added one power too many: the columns stop at x**degree, "
                 f"{degree + 1} columns in all.", x[:, None] ** np.arange(degree + 2)),
                ("one row per sample and one column per power: you returned the transpose.",
                 expected.T),
            ]
            _compare(fn, (x, degree), expected, mistakes,
                     what=f"the design matrix for n = {n} and degree = {degree}",
                     default="column j of the design matrix is x**j for j = 0, ..., degree, "
                             "e.g. x[:, None] ** np.arange(degree + 1).")
        return "your design matrix matches [x**0, ..., x**degree] for degrees 3, 5 and 0."
    return run("check_poly_features", body)


# ---------------------------------------------------------------------------
# Chapter 2: squared bias and variance


def check_bias_variance(fn: Callable[[np.ndarray, np.ndarray], tuple[float, float]], *,
                        seed: int | None = None) -> bool:
    """Check ``fn(predictions, f_true)`` returns ``(bias2, variance)`` averaged over points.

    ``predictions`` has shape ``(n_datasets, n_points)`` (row ``d``: the model
    trained on dataset ``d``), ``f_true`` shape ``(n_points,)``.  With the mean
    prediction ``f_bar = predictions.mean(axis=0)``, the answer is
    ``bias2 = mean((f_bar - f_true)**2)`` and
    ``variance = mean(mean((predictions - f_bar)**2, axis=0))`` (``ddof=0``),
    as :func:`regcore.bias_variance.decompose` computes.  Catches ``ddof=1``,
    the variance over the wrong axis, averaging the bias before squaring it,
    the mean squared error in place of the squared bias, an unsquared bias, a
    standard deviation in place of the variance, the two values swapped and a
    modified input.  ``seed`` (a grader's hidden test) draws other inputs of
    the same kinds.
    """
    fn = guard(fn, BLOCKED["check_bias_variance"])

    def body() -> str:
        rng = np.random.default_rng(23 if seed is None else seed)
        sizes = ((6, 9), (3, 4), (2, 5)) if seed is None else tuple(
            (int(rng.integers(2, 9)), int(rng.integers(3, 12))) for _ in range(3))
        for n_sets, n_points in sizes:
            f = rng.normal(size=n_points)
            offset = rng.normal(scale=0.7, size=n_points)  # biases of both signs
            preds = f + offset + rng.normal(scale=0.5, size=(n_sets, n_points))
            ref = decompose(preds, f)
            b2, var = ref.bias2, ref.variance
            f_bar = preds.mean(axis=0)
            mse = float(np.mean((preds - f) ** 2))
            mistakes = [
                (f"the variance across datasets divides by the number of datasets D = {n_sets} "
                 "(ddof=0, np.var's default), not by D - 1: it is the spread of these D models, "
                 "not an unbiased estimate.", (b2, var * n_sets / (n_sets - 1))),
                ("the variance is taken across datasets at each point (axis=0), then averaged "
                 "over the points; you took it across the points (axis=1).",
                 (b2, float(np.mean(preds.var(axis=1))))),
                ("square the bias at each point, then average over the points: "
                 "mean((f_bar - f)**2), not mean(f_bar - f)**2 (biases of opposite signs would "
                 "cancel).", (float(np.mean(f_bar - f) ** 2), var)),
                ("that first value is the mean squared error bias2 + variance; the squared bias "
                 "compares the *average* prediction f_bar = predictions.mean(axis=0) with f.",
                 (mse, var)),
                ("bias2 is the squared difference (f_bar - f)**2, averaged over the points; you "
                 "did not square it.", (float(np.mean(np.abs(f_bar - f))), var)),
                ("return the variance, the mean of the squared deviations, not a standard "
                 "deviation.", (b2, float(np.mean(preds.std(axis=0))))),
                ("return the pair in the order (bias2, variance).", (var, b2)),
            ]
            _compare(fn, (preds, f), (b2, var), mistakes,
                     what=f"(bias2, variance) for predictions of shape {preds.shape}",
                     default="with f_bar = predictions.mean(axis=0): bias2 = "
                             "mean((f_bar - f_true)**2) and variance = "
                             "mean(((predictions - f_bar)**2).mean(axis=0)); return both as a "
                             "pair.")
        return ("your squared bias and variance match the definitions (and decompose) on 3 "
                "prediction matrices.")
    return run("check_bias_variance", body)
