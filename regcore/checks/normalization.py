"""Self-checks for chapters 7 and 8: batch normalization and layer normalization.

The learner's functions take plain arrays and return plain arrays, in the
layout of the book (``x`` of shape ``(N, C)``: one row per sample):

* ``batchnorm_forward(x, gamma, beta, eps) -> out``, training mode (batch statistics);
* ``batchnorm_backward(dout, x, gamma, eps) -> (dx, dgamma, dbeta)``;
* ``layernorm_forward(x, gamma, beta, eps) -> out``.

The inputs are chosen so that the usual mistakes give visibly different
numbers: one feature (or sample) has a variance comparable to ``eps = 0.1``,
so that where ``eps`` goes matters; ``gamma`` is not 1 and ``beta`` is not 0;
the first input is square, so that normalising over the wrong axis still
returns an array of the right shape and can be recognised.  When the answer
is wrong and equals what a typical mistake returns, the hint names that
mistake.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from regcore import functional as F
from regcore.checks._core import CheckFailed, guard, references, run, verify
from regcore.normalization import BatchNorm1d, LayerNorm

_RTOL, _ATOL = 1e-7, 1e-9

# ------------------------------------------------------------------ helpers


def _call(fn: Callable[..., Any], args: Sequence[Any], names: Sequence[str]) -> Any:
    """Call ``fn(*args)``; fail on an exception, a modified argument or ``None``."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    try:
        got = fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's bug: show it briefly, not a traceback
        raise CheckFailed(f"calling your function raised {type(exc).__name__}: {exc}. "
                          "Hint: check which axis you reduce over (use keepdims=True or "
                          "broadcast a 1-D statistic against the right axis).") from None
    for name, a, c in zip(names, args, copies):
        if isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True):
            raise CheckFailed(f"your function modified its argument `{name}` in place; "
                              f"work on a copy (write `{name} - mean` instead of "
                              f"`{name} -= mean`).")
    if got is None:
        raise CheckFailed("your function returned None; did you forget `return`?")
    return got


def _verify(got: Any, expected: np.ndarray, mistakes: list[tuple[str, Any]], *,
            what: str, default: str) -> None:
    """Compare ``got`` with ``expected``; name the mistake if ``got`` equals a known wrong answer."""
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} must be an array of numbers; got "
                          f"{type(got).__name__}") from None
    verify(g, expected, what=what, default=default, mistakes=mistakes, rtol=_RTOL, atol=_ATOL,
           shape_hint="the statistics are reduced over one axis but the output keeps the "
                      "input's shape; check the axis and use keepdims=True.")


def _normalise(x: np.ndarray, axis: int | None, eps: float, *, ddof: int = 0,
               how: str = "inside") -> np.ndarray:
    """``(x - mean) / sqrt(var + eps)`` over ``axis`` and the usual ways to get it wrong."""
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    xc = x - mu
    if how == "inside":
        return xc / np.sqrt(var + eps)
    if how == "std_plus_eps":
        return xc / (np.sqrt(var) + eps)
    if how == "plus_eps_after":
        return xc / np.sqrt(var) + eps
    if how == "no_eps":
        return xc / np.sqrt(var)
    if how == "no_sqrt":
        return xc / (var + eps)
    raise AssertionError(how)


def _forward_mistakes(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float,
                      axis: int, layer: str) -> list[tuple[str, np.ndarray | None]]:
    """Typical wrong outputs of a normalization layer that should normalise over ``axis``."""
    other = 1 - axis
    if layer == "batch":
        over = "the batch axis (axis 0): one mean and one variance per feature (column)"
        wrong = "per sample (axis 1), which is layer normalization"
        unbiased = ("you used the unbiased variance (dividing by N - 1); batch normalization "
                    "normalises with the biased batch variance (divide by N, np.var's "
                    "default ddof=0). The unbiased one is used only to update running_var.")
    else:
        over = "the feature axis (the last one): one mean and one variance per sample (row)"
        wrong = "per feature over the batch (axis 0), which is batch normalization"
        unbiased = ("you used the unbiased variance (dividing by D - 1); layer normalization "
                    "uses the biased variance over the D features (divide by D, np.var's "
                    "default ddof=0), as torch.nn.LayerNorm does.")
    xhat = _normalise(x, axis, eps)
    row_stats_broadcast = None
    if x.shape[0] == x.shape[1]:   # (x - x.mean(axis=1)) broadcasts only for square x
        row_stats_broadcast = gamma * (x - x.mean(axis=1)) / np.sqrt(x.var(axis=1) + eps) + beta
    if layer == "batch":
        no_keepdims = (f"you reduced over axis 1 (per sample, which is layer normalization) and "
                       f"also without keepdims=True; batch normalization takes the statistics "
                       f"over {over}.")
    else:
        no_keepdims = ("the axis is right but keepdims is missing: x.mean(axis=-1) has shape "
                       "(N,), and NumPy broadcasts it along the *last* axis, so the mean of "
                       "row i is subtracted from column i. Use keepdims=True.")
    return [
        (no_keepdims, row_stats_broadcast),
        (f"the statistics are taken over {over}; you normalised {wrong}.",
         gamma * _normalise(x, other, eps) + beta),
        (f"you used a single mean and variance for the whole array; take them over {over}.",
         gamma * _normalise(x, None, eps) + beta),
        (unbiased, gamma * _normalise(x, axis, eps, ddof=1) + beta),
        ("eps belongs inside the square root: divide by sqrt(var + eps), not by "
         "sqrt(var) + eps.", gamma * _normalise(x, axis, eps, how="std_plus_eps") + beta),
        ("eps belongs inside the square root, in the denominator: (x - mean) / sqrt(var + eps); "
         "you added it after dividing.", gamma * _normalise(x, axis, eps, how="plus_eps_after") + beta),
        ("you left out eps: divide by sqrt(var + eps); eps keeps the division finite and "
         "changes the result for features whose variance is not much larger than eps.",
         gamma * _normalise(x, axis, eps, how="no_eps") + beta),
        ("divide by the standard deviation sqrt(var + eps), not by the variance var + eps.",
         gamma * _normalise(x, axis, eps, how="no_sqrt") + beta),
        ("you returned the normalised input without the learned scale and shift: "
         "out = gamma * xhat + beta.", xhat),
        ("you forgot the shift: out = gamma * xhat + beta.", gamma * xhat),
        ("you forgot the scale: out = gamma * xhat + beta.", xhat + beta),
        ("gamma and beta are swapped: gamma scales and beta shifts, out = gamma * xhat + beta.",
         beta * xhat + gamma),
    ]


def _forward_cases(seed: int, hidden: bool = False
                   ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """(x, gamma, beta, eps): a square batch with eps = 0.1, a tall one, a small one."""
    rng = np.random.default_rng(seed)
    cases = []
    settings = (((5, 5), 0.1), ((8, 3), 1e-5), ((3, 6), 0.1))
    if hidden:   # a grader's seed: other sizes, still one square batch and one eps ~ var
        k = int(rng.integers(3, 7))
        settings = (((k, k), 0.1), ((int(rng.integers(6, 10)), int(rng.integers(2, 5))), 1e-5),
                    ((int(rng.integers(2, 5)), int(rng.integers(5, 8))), 0.1))
    for (n, c), eps in settings:
        x = rng.normal(size=(n, c)) * rng.uniform(0.5, 3.0, size=(1, c)) \
            + rng.normal(0.0, 2.0, size=(1, c))
        x += 0.5 * rng.normal(size=(n, 1))   # give the rows different means and spreads too
        x[:, 0] = 0.1 * rng.normal(size=n) + 1.0          # a feature of variance ~ eps
        x[0, :] = 0.1 * rng.normal(size=c) - 1.0          # a sample of variance ~ eps
        gamma = rng.uniform(0.5, 2.0, size=c) * rng.choice([-1.0, 1.0], size=c)
        gamma[0] = 1.7
        beta = rng.normal(0.0, 1.0, size=c)
        beta[0] = 0.8
        cases.append((x, gamma, beta, eps))
    return cases


def _check_forward(fn: Callable[..., Any], axis: int, layer: str,
                   reference: Callable[..., np.ndarray], seed: int, hidden: bool = False) -> str:
    for x, gamma, beta, eps in _forward_cases(seed, hidden):
        got = _call(fn, (x, gamma, beta, eps), ("x", "gamma", "beta", "eps"))
        _verify(got, reference(x, gamma, beta, eps),
                _forward_mistakes(x, gamma, beta, eps, axis, layer),
                what=f"the output for x of shape {x.shape} and eps = {eps:g}",
                default="compute xhat = (x - mean) / sqrt(var + eps) with the biased variance "
                        "and return gamma * xhat + beta.")
    if hidden:
        return "matches the reference on 3 further inputs (eps = 0.1 and 1e-5)."
    return "matches the reference on 3 inputs (shapes (5, 5), (8, 3), (3, 6); eps = 0.1 and 1e-5)."


# ------------------------------------------------------------------- checks

# What each check compares against, blocked while the learner's function runs.
_BN = references(F.batch_norm_forward, F.batch_norm_backward, BatchNorm1d, _normalise)
BLOCKED = {
    "check_batchnorm_forward": _BN,
    "check_batchnorm_backward": _BN,
    "check_layernorm_forward": references(F.layer_norm_forward, F.layer_norm_backward, LayerNorm,
                                          _normalise),
}


def check_batchnorm_forward(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, float],
                                         np.ndarray], *, seed: int | None = None) -> bool:
    """Check ``fn(x, gamma, beta, eps)`` is batch normalization in training mode.

    ``x`` has shape ``(N, C)``; the result is ``gamma * (x - mu) / sqrt(var + eps) + beta``
    with the mean ``mu`` and the *biased* variance ``var`` of each column.
    Catches the wrong axis (per sample), a single global mean, the unbiased
    variance, ``eps`` outside the square root or left out, a missing square
    root, a missing or swapped ``gamma``/``beta`` and a modified input.
    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_batchnorm_forward"])

    def reference(x, gamma, beta, eps):
        return F.batch_norm_forward(x, gamma, beta, eps)[0]

    return run("check_batchnorm_forward",
               lambda: "your batch normalization " + _check_forward(
                   fn, 0, "batch", reference, 21 if seed is None else seed, seed is not None))


def check_layernorm_forward(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, float],
                                         np.ndarray], *, seed: int | None = None) -> bool:
    """Check ``fn(x, gamma, beta, eps)`` is layer normalization over the last axis.

    ``x`` has shape ``(N, D)``; each row is normalised with its own mean and
    biased variance over its ``D`` features, then scaled by ``gamma`` and
    shifted by ``beta`` (both of shape ``(D,)``).  Catches the wrong axis (the
    batch axis, i.e. batch normalization), a single global mean, the unbiased
    variance, ``eps`` outside the square root or left out, a missing square
    root, a missing or swapped ``gamma``/``beta`` and a modified input.
    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_layernorm_forward"])

    def reference(x, gamma, beta, eps):
        return F.layer_norm_forward(x, gamma, beta, eps)[0]

    return run("check_layernorm_forward",
               lambda: "your layer normalization " + _check_forward(
                   fn, 1, "layer", reference, 23 if seed is None else seed, seed is not None))


def check_batchnorm_backward(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, float],
                                          tuple[np.ndarray, np.ndarray, np.ndarray]], *,
                             seed: int | None = None) -> bool:
    """Check ``fn(dout, x, gamma, eps)`` returns ``(dx, dgamma, dbeta)`` of batch normalization.

    The forward pass is training-mode batch normalization of ``x`` (shape
    ``(N, C)``) with batch statistics; ``dout`` is the gradient of the loss
    with respect to its output.  The expected answer is the compact form
    ``dx = gamma / (N * s) * (N * dout - sum(dout) - xhat * sum(dout * xhat))``
    with ``s = sqrt(var + eps)`` and sums over the batch, ``dgamma = sum(dout * xhat)``,
    ``dbeta = sum(dout)``.  Catches treating the batch statistics as constants,
    a missing mean or variance term, a sign error, a missing ``gamma``, the
    unbiased variance, a missing ``eps``, sums over the wrong axis, ``x`` in
    place of ``xhat``, means in place of sums, swapped outputs and a modified input.
    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_batchnorm_backward"])

    def body() -> str:
        rng = np.random.default_rng(22 if seed is None else [seed, 1])
        for x, gamma, _, eps in _forward_cases(22 if seed is None else seed, seed is not None):
            n = x.shape[0]
            dout = rng.normal(size=x.shape)
            _, cache = F.batch_norm_forward(x, gamma, np.zeros_like(gamma), eps)
            dx, dgamma, dbeta = F.batch_norm_backward(dout, cache)
            got = _call(fn, (dout, x, gamma, eps), ("dout", "x", "gamma", "eps"))
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise CheckFailed("return the three gradients as a tuple (dx, dgamma, dbeta); "
                                  f"got {type(got).__name__}"
                                  + (f" of length {len(got)}" if isinstance(got, (tuple, list))
                                     else ""))
            g_dx, g_dgamma, g_dbeta = got

            def compact(xhat, s, sum_axis=0, sign=-1.0, mean_term=1.0, var_term=1.0,
                        scale=gamma):
                dsum = dout.sum(axis=sum_axis, keepdims=True)
                dxs = (dout * xhat).sum(axis=sum_axis, keepdims=True)
                m = x.shape[sum_axis]
                return scale / (m * s) * (m * dout - mean_term * dsum + sign * var_term * xhat * dxs)

            def stats(ddof=0, with_eps=True, axis=0):
                mu = x.mean(axis=axis, keepdims=True)
                s = np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + (eps if with_eps else 0.0))
                return (x - mu) / s, s

            xhat, s = stats()
            shape = f"x of shape {x.shape} and eps = {eps:g}"
            _verify(g_dx, dx, [
                ("mu_B and sigma_B are computed from the whole batch, so every x_i moves them: "
                 "you treated them as constants and returned dout * gamma / s (the gradient "
                 "of the evaluation-mode layer). Add the two terms that come from the mean "
                 "and the variance.", dout * gamma / s),
                ("you dropped the term -sum(dout) that comes from the batch mean.",
                 compact(xhat, s, mean_term=0.0)),
                ("you dropped the term -xhat * sum(dout * xhat) that comes from the batch "
                 "variance.", compact(xhat, s, var_term=0.0)),
                ("the variance term enters with a minus sign: "
                 "N*dout - sum(dout) - xhat*sum(dout*xhat).", compact(xhat, s, sign=1.0)),
                ("the gradient flows through y = gamma * xhat + beta, so dx carries the factor "
                 "gamma.", compact(xhat, s, scale=1.0)),
                ("the forward pass normalises with the biased batch variance (divide by N); you "
                 "used the unbiased one (N - 1).", compact(*stats(ddof=1))),
                ("s = sqrt(var + eps) includes eps; you used sqrt(var).",
                 compact(*stats(with_eps=False))),
                ("sum over the batch axis (axis 0), once per feature; you summed over the "
                 "features (axis 1).",
                 compact(*stats(axis=1), sum_axis=1) if x.shape[0] == x.shape[1] else None),
                ("sum over the batch axis (axis 0) with the statistics of each column; you "
                 "summed over axis 1.",
                 compact(xhat, s, sum_axis=1) if x.shape[0] == x.shape[1] else None),
            ], what=f"dx for {shape}",
                default="dx = gamma / (N * s) * (N * dout - sum(dout) - xhat * sum(dout * xhat)), "
                        "sums over the batch (axis 0).")
            _verify(g_dgamma, dgamma, [
                ("dgamma and dbeta are swapped: return (dx, dgamma, dbeta) in that order.", dbeta),
                ("dgamma = sum over the batch of dout * xhat (the normalised input), not of "
                 "dout * x.", (dout * x).sum(axis=0)),
                ("gamma is shared by every sample, so its gradient is the *sum* over the batch, "
                 "not the mean.", dgamma / n),
                ("the forward pass normalises with the biased batch variance (divide by N); you "
                 "used the unbiased one (N - 1).", (dout * stats(ddof=1)[0]).sum(axis=0)),
            ], what=f"dgamma for {shape}",
                default="dgamma = sum(dout * xhat, axis=0), one number per feature.")
            _verify(g_dbeta, dbeta, [
                ("dgamma and dbeta are swapped: return (dx, dgamma, dbeta) in that order.", dgamma),
                ("beta is shared by every sample, so its gradient is the *sum* over the batch, "
                 "not the mean.", dbeta / n),
            ], what=f"dbeta for {shape}",
                default="dbeta = sum(dout, axis=0), one number per feature.")
        return ("your batch-norm backward matches the compact formula (dx, dgamma, dbeta) on "
                "3 inputs (shapes (5, 5), (8, 3), (3, 6); eps = 0.1 and 1e-5).")
    return run("check_batchnorm_backward", body)
