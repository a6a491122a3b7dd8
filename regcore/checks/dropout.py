"""Self-checks for chapter 6: inverted dropout and its penalty in linear regression.

The learner's functions receive the keep-mask explicitly (an array of 0.0 and
1.0, where 1 means *kept*), so that the checks are deterministic: there is
exactly one right answer for a given ``x``, ``mask`` and ``p``.  The drop
probabilities used (0.2 and 0.6) are not 0.5 on purpose: at ``p = 0.5`` the
keep and drop probabilities coincide and swapping them goes unnoticed.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from regcore import functional as _functional
from regcore.checks._core import call, guard, references, run, verify
from regcore.layers import Dropout

_RTOL, _ATOL = 1e-7, 1e-9


def _compare_naming_mistakes(name: str, fn: Callable[..., Any], args: Sequence[Any],
                             expected: Any, mistakes: list[tuple[str, Any | None]], *,
                             what: str, default: str) -> None:
    """Call ``fn(*args)`` and compare with ``expected``, naming a known mistake if it matches."""
    verify(call(fn, args, what), expected, what=what, default=default, mistakes=mistakes,
           rtol=_RTOL, atol=_ATOL)


def _penalty_reference(X: np.ndarray, w: np.ndarray, p: float) -> float:
    return p / (1.0 - p) * float(np.sum(w ** 2 * (X ** 2).sum(axis=0)))


# What each check compares against, blocked while the learner's function runs.
BLOCKED = {
    "check_dropout_forward": references(_functional.dropout_forward, _functional.dropout_backward,
                                        Dropout),
    "check_dropout_backward": references(_functional.dropout_forward,
                                         _functional.dropout_backward, Dropout),
    "check_dropout_penalty": references(_penalty_reference),
}


def _mask_cases(seed: int, hidden: bool = False) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(values, keep-mask, p) triples: a batch, a vector and the p = 0 edge case."""
    rng = np.random.default_rng(seed)
    cases = []
    settings = (((5, 4), 0.2), ((7,), 0.6))
    if hidden:   # a grader's seed: other shapes and drop probabilities (never 0.5)
        settings = (((int(rng.integers(3, 7)), int(rng.integers(2, 6))), float(rng.uniform(0.1, 0.4))),
                    ((int(rng.integers(4, 10)),), float(rng.uniform(0.55, 0.8))))
    for shape, p in settings:
        values = rng.normal(size=shape)
        mask = (rng.random(shape) >= p).astype(float)
        mask.flat[0], mask.flat[1] = 0.0, 1.0          # at least one dropped and one kept entry
        cases.append((values, mask, p))
    values = rng.normal(size=(3, 2))
    cases.append((values, np.ones_like(values), 0.0))  # p = 0: nothing dropped, nothing scaled
    return cases


def _masked_mistakes(v: np.ndarray, mask: np.ndarray, p: float, *,
                     backward: bool) -> list[tuple[str, np.ndarray | None]]:
    keep = 1.0 - p
    name = "dout" if backward else "x"
    mistakes = [
        (f"you forgot to divide the kept entries by 1 - p = {keep:g}: inverted dropout computes "
         f"{name} * mask / (1 - p), which is what keeps E[output] equal to the input.",
         v * mask),
        (f"you multiplied by 1 - p = {keep:g} instead of dividing by it (the slip in the source's "
         f"sentence 'scale by (1 - p)'); that makes E[output] = (1 - p)^2 * input.",
         v * mask * keep),
        (f"you divided by p = {p:g}, but p is the probability of *dropping* a unit; a unit is "
         f"kept with probability 1 - p = {keep:g}, so divide by 1 - p.",
         v * mask / p if p > 0 else None),
        ("a 1 in mask means the unit is *kept*: you zeroed the kept entries and kept the dropped "
         "ones (use mask, not 1 - mask).",
         v * (1.0 - mask) / keep),
        ("a 1 in mask means the unit is *kept*, and p is the drop probability: you swapped both "
         "(use mask / (1 - p)).",
         v * (1.0 - mask) / p if p > 0 else None),
        (f"you did not apply the mask: entries where mask == 0 must be exactly 0"
         f"{' (no gradient flows through a dropped unit)' if backward else ''}.",
         v / keep),
    ]
    if backward:
        mistakes.append(("the gradient passes through dropout multiplied by the same scaled "
                         "mask as in the forward pass: return dout * mask / (1 - p), not dout.",
                         v))
    return mistakes


def check_dropout_forward(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray], *,
                          seed: int | None = None) -> bool:
    """Check ``fn(x, mask, p)`` returns inverted dropout ``x * mask / (1 - p)`` for a given keep-mask.

    ``mask`` holds 1.0 for kept and 0.0 for dropped entries and has the shape
    of ``x``; ``p`` is the drop probability in ``[0, 1)``.  Catches a forgotten
    ``1/(1-p)``, scaling by ``(1-p)`` instead, dividing by ``p`` (the keep and
    drop probabilities swapped), an inverted mask and a modified input.
    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_dropout_forward"])

    def body() -> str:
        for x, mask, p in (_mask_cases(11) if seed is None else _mask_cases(seed, hidden=True)):
            _compare_naming_mistakes(
                "check_dropout_forward", fn, (x, mask, p), x * mask / (1.0 - p),
                _masked_mistakes(x, mask, p, backward=False),
                what=f"the output for x of shape {x.shape} and p = {p:g}",
                default="inverted dropout keeps x where mask == 1, scaled by 1/(1 - p), "
                        "and writes 0 where mask == 0.")
        return ("your inverted dropout matches x * mask / (1 - p) for p = 0.2, 0.6 and 0, "
                "on a batch and on a vector.")
    return run("check_dropout_forward", body)


def check_dropout_backward(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray], *,
                           seed: int | None = None) -> bool:
    """Check ``fn(dout, mask, p)`` returns the gradient ``dout * mask / (1 - p)`` of inverted dropout.

    The backward pass must use the *same* keep-mask as the forward pass
    (passed in as ``mask``).  Catches a forgotten ``1/(1-p)``, scaling by
    ``(1-p)``, dividing by ``p``, an inverted mask, ignoring the mask, returning
    ``dout`` unchanged and a modified input.  ``seed`` (a grader's hidden
    test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_dropout_backward"])

    def body() -> str:
        for dout, mask, p in (_mask_cases(12) if seed is None else _mask_cases(seed, hidden=True)):
            _compare_naming_mistakes(
                "check_dropout_backward", fn, (dout, mask, p), dout * mask / (1.0 - p),
                _masked_mistakes(dout, mask, p, backward=True),
                what=f"the gradient for dout of shape {dout.shape} and p = {p:g}",
                default="the output is x * mask / (1 - p), so its derivative with respect to x "
                        "is mask / (1 - p), entry by entry: multiply dout by it.")
        return ("your dropout backward matches dout * mask / (1 - p) for p = 0.2, 0.6 and 0, "
                "on a batch and on a vector.")
    return run("check_dropout_backward", body)


def check_dropout_penalty(fn: Callable[[np.ndarray, np.ndarray, float], float], *,
                          seed: int | None = None) -> bool:
    """Check ``fn(X, w, p)`` returns ``p/(1-p) * sum_j w_j**2 * sum_i X[i, j]**2``.

    That is the exact extra term of the expected squared error
    ``E ||y - (X * M / (1 - p)) w||^2`` of linear regression with inverted
    dropout on the inputs (chapter 6).  Catches a missing data factor, the
    wrong axis, squaring the column sums, a forgotten or wrong ``1/(1-p)``,
    averaging instead of summing over samples and a modified input.  ``seed``
    (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_dropout_penalty"])

    def body() -> str:
        rng = np.random.default_rng(13 if seed is None else seed)
        # the first design is square, so that summing over the wrong axis gives a number
        sizes = ((4, 4, 0.2), (6, 3, 0.6), (5, 2, 0.0))
        if seed is not None:
            k = int(rng.integers(3, 6))
            sizes = ((k, k, float(rng.uniform(0.1, 0.45))),
                     (int(rng.integers(5, 9)), int(rng.integers(2, 5)), float(rng.uniform(0.55, 0.8))),
                     (int(rng.integers(3, 7)), int(rng.integers(1, 4)), 0.0))
        for n, d, p in sizes:
            X, w = rng.normal(size=(n, d)), rng.normal(size=d)
            c = p / (1.0 - p)
            colsq = (X ** 2).sum(axis=0)
            expected = _penalty_reference(X, w, p)
            mistakes = [
                ("the penalty is data-dependent: each w_j**2 is weighted by sum_i X[i, j]**2, the "
                 "squared length of feature column j (you computed plain L2, p/(1-p)*sum(w**2)).",
                 c * float(np.sum(w ** 2))),
                ("sum_i X[i, j]**2 runs over the samples, i.e. down the columns (axis 0); you summed "
                 "along the rows.",
                 c * float(np.sum(w ** 2 * (X ** 2).sum(axis=1))) if n == d else None),
                ("square each entry first, then sum over the samples: sum_i X[i, j]**2, not "
                 "(sum_i X[i, j])**2.",
                 c * float(np.sum(w ** 2 * X.sum(axis=0) ** 2))),
                ("the coefficient is p/(1-p), the variance of the scaled mask entry m/(1-p); you "
                 "used p (forgot the 1/(1-p)).",
                 p * float(np.sum(w ** 2 * colsq))),
                ("the coefficient is p/(1-p), the variance of m/(1-p); p*(1-p) is the variance of "
                 "the unscaled mask m.",
                 p * (1 - p) * float(np.sum(w ** 2 * colsq))),
                ("the identity is for the sum of squared errors, so it has sum_i, not the mean over "
                 "samples (dividing by n gives the penalty for the mean squared error).",
                 expected / n),
                ("p is the drop probability: the coefficient is p/(1-p), not (1-p)/p.",
                 (1 - p) / p * float(np.sum(w ** 2 * colsq)) if p > 0 else None),
            ]
            _compare_naming_mistakes(
                "check_dropout_penalty", fn, (X, w, p), expected, mistakes,
                what=f"the penalty for X of shape {X.shape} and p = {p:g}",
                default="compute p / (1 - p) * sum_j w_j**2 * sum_i X[i, j]**2 (a single number).")
        return ("your penalty matches p/(1-p) * sum_j w_j^2 sum_i x_ij^2 on 3 problems "
                "(p = 0.2, 0.6, 0).")
    return run("check_dropout_penalty", body)
