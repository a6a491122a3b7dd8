"""Self-check for chapter 10: diagnosing under- and overfitting from two errors.

* :func:`check_diagnose` -- the chapter's precise version of the source's
  §10.4 rules: compare the training error with the irreducible noise level
  (is it *high*?) and the validation error with the training error (is the
  *gap* large?), both measured in units of the noise variance.

The check runs the learner's function on a fixed list of cases chosen so
that each typical mistake (labels swapped, the validation error used where
the training error belongs, an absolute-value gap, a forgotten tolerance, a
gap measured relative to the training error) gives a different pattern of
answers; when the pattern matches a mistake, the verdict names it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from regcore.checks._core import CheckFailed, guard, references, run

LABELS = ("good", "underfit", "overfit", "both")


def reference_diagnose(train_err: float, val_err: float, noise_var: float,
                       tol: float = 0.5) -> str:
    """The chapter's rule: ``high = train > (1 + tol) noise``, ``gap = val - train > tol noise``."""
    high = train_err > (1.0 + tol) * noise_var
    gap = val_err - train_err > tol * noise_var
    return {(False, False): "good", (True, False): "underfit",
            (False, True): "overfit", (True, True): "both"}[(high, gap)]


def _label(high: bool, gap: bool) -> str:
    return {(False, False): "good", (True, False): "underfit",
            (False, True): "overfit", (True, True): "both"}[(high, gap)]


# (train_err, val_err, noise_var, tol): every mistake below answers at least one differently
_CASES = [
    (0.09, 0.10, 0.09, 0.5),    # good
    (0.20, 0.21, 0.09, 0.5),    # underfit
    (0.01, 0.50, 0.09, 0.5),    # overfit
    (0.30, 0.80, 0.09, 0.5),    # both
    (0.10, 0.16, 0.09, 0.5),    # overfit: a gap of 0.06 > 0.045 with a low training error
    (0.40, 0.05, 0.09, 0.5),    # underfit: val below train is no overfitting
    (0.11, 0.12, 0.09, 0.5),    # good: above the noise, but within the tolerance
    (0.02, 0.05, 0.09, 0.5),    # good: val is 2.5x train, but the gap is small in noise units
    (2.00, 2.20, 1.00, 0.25),   # underfit, tol respected
    (1.10, 1.40, 1.00, 0.25),   # overfit with a smaller tol
]

_MISTAKES: list[tuple[str, Callable[[float, float, float, float], str]]] = [
    ("you swapped the two labels: a high training error with a small gap is underfitting, a "
     "small training error with a large gap is overfitting.",
     lambda t, v, s, tol: _label(v - t > tol * s, t > (1 + tol) * s)),
    ("'high' refers to the training error (the model cannot even fit the data it saw); you "
     "tested the validation error.",
     lambda t, v, s, tol: _label(v > (1 + tol) * s, v - t > tol * s)),
    ("the gap is val_err - train_err, signed: a validation error below the training error is "
     "no sign of overfitting; do not take its absolute value.",
     lambda t, v, s, tol: _label(t > (1 + tol) * s, abs(v - t) > tol * s)),
    ("a training error only slightly above the noise level is not 'high': compare with "
     "(1 + tol) * noise_var, not with noise_var.",
     lambda t, v, s, tol: _label(t > s, v - t > tol * s)),
    ("measure the gap in units of the noise variance, val_err - train_err > tol * noise_var, "
     "not relative to the training error (which can be tiny for an interpolating model).",
     lambda t, v, s, tol: _label(t > (1 + tol) * s, v > (1 + tol) * t)),
]


# What the check compares against, blocked while the learner's function runs.
BLOCKED = {"check_diagnose": references(reference_diagnose, _label)}


def _hidden_cases(seed: int) -> list[tuple[float, float, float, float]]:
    """Random (train_err, val_err, noise_var, tol) for a grader's seed, all four labels likely."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(16):
        noise = round(float(rng.uniform(0.05, 2.0)), 3)
        tol = float(rng.choice([0.25, 0.5, 1.0]))
        train = round(noise * float(rng.uniform(0.1, 2.5)), 4)
        val = round(train + noise * float(rng.uniform(-0.3, 1.5)), 4)
        cases.append((train, val, noise, tol))
    return cases


def check_diagnose(fn: Callable[..., str], *, seed: int | None = None) -> bool:
    """Check ``fn(train_err, val_err, noise_var, tol)`` returns the chapter's diagnosis.

    The answer is one of ``"good"``, ``"underfit"``, ``"overfit"``, ``"both"``:
    the training error is *high* when ``train_err > (1 + tol) * noise_var``,
    the *gap* is large when ``val_err - train_err > tol * noise_var``;
    high and no gap is ``"underfit"``, a gap without high is ``"overfit"``,
    both is ``"both"``, neither ``"good"``.  Catches the labels swapped, the
    validation error tested for "high", an absolute-value gap, a forgotten
    tolerance, a gap relative to the training error and answers that are not
    one of the four labels.  ``seed`` (a grader's hidden test) draws random
    cases instead of the fixed ones.
    """
    fn = guard(fn, BLOCKED["check_diagnose"])
    cases = _CASES if seed is None else _hidden_cases(seed)

    def body() -> str:
        expected = [reference_diagnose(*c) for c in cases]
        got = []
        for case in cases:
            try:
                answer = fn(*case)
            except NotImplementedError:
                raise
            except Exception as exc:  # the learner's bug: report it briefly
                raise CheckFailed(f"calling your function with {case} raised "
                                  f"{type(exc).__name__}: {exc}") from None
            if answer not in LABELS:
                raise CheckFailed(f"for {case} you returned {answer!r}; return one of "
                                  f"{', '.join(repr(x) for x in LABELS)}.")
            got.append(answer)
        if got == expected:
            return f"your diagnosis agrees with the chapter's rule on all {len(cases)} cases."
        for hint, wrong in _MISTAKES:
            if got == [wrong(*c) for c in cases]:
                i = next(k for k, (a, b) in enumerate(zip(got, expected)) if a != b)
                raise CheckFailed(f"for (train_err, val_err, noise_var, tol) = {cases[i]} the "
                                  f"answer is {expected[i]!r}, you returned {got[i]!r}. Hint: {hint}")
        i = next(k for k, (a, b) in enumerate(zip(got, expected)) if a != b)
        raise CheckFailed(f"for (train_err, val_err, noise_var, tol) = {cases[i]} the answer is "
                          f"{expected[i]!r}, you returned {got[i]!r}. Hint: high = train_err > "
                          "(1 + tol) * noise_var; gap = val_err - train_err > tol * noise_var.")
    return run("check_diagnose", body)
