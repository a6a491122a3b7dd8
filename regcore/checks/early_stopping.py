"""Self-checks for chapter 9: the patience rule and the quadratic closed form."""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from regcore import early_stopping as _early_stopping
from regcore.checks._core import CheckFailed, guard, references, run
from regcore.early_stopping import EarlyStopping, quadratic_closed_form

# (values, patience, min_delta, what a wrong answer on this case usually means)
_PATIENCE_CASES: list[tuple[list[float], int, float, str]] = [
    ([3.0, 2.0, 2.5, 2.4, 2.6, 2.7, 2.8, 2.9], 3, 0.0,
     "the counting: stop on the call where the number of consecutive calls without "
     "improvement reaches `patience` (wait >= patience), and reset that count to 0 on an improvement."),
    ([4.0, 3.0, 2.0, 1.0, 0.5, 0.25], 2, 0.0,
     "a run that keeps improving never stops: return None as the stopping epoch."),
    ([1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 2, 0.0,
     "a value equal to the best so far is not an improvement: use value < best - min_delta, not <=."),
    ([1.0, 0.95, 0.93, 0.85, 0.84, 0.83, 0.82], 2, 0.1,
     "an improvement must beat the best value by more than min_delta: value < best - min_delta."),
    ([1.0, math.nan, math.nan, 0.9, 0.8, 0.7], 2, 0.0,
     "a NaN loss is never an improvement (every comparison with NaN is False, so write the test "
     "as `if value < best - min_delta:` and count everything else as a step without improvement)."),
    ([5.0, 4.0, 4.5, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0], 4, 0.0,
     "the counting: stop on the call where the number of consecutive calls without "
     "improvement reaches `patience` (wait >= patience), and reset that count to 0 on an improvement."),
]


def _reference(values: Sequence[float], patience: int, min_delta: float) -> tuple[int | None, int | None]:
    stopper = EarlyStopping(patience=patience, min_delta=min_delta)
    for v in values:
        if stopper.step(v):
            break
    return stopper.best_epoch, stopper.stopped_epoch


def _hidden_patience_cases(seed: int) -> list[tuple[list[float], int, float, str]]:
    """Random validation curves (noisy decay, plateaus, ties, NaNs) for a grader's seed."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(8):
        n = int(rng.integers(6, 16))
        values = list(np.round(np.cumsum(rng.normal(-0.05, 0.1, size=n)) + 2.0, 2))
        if k % 3 == 1:
            values[int(rng.integers(1, n))] = values[0]            # a tie with an earlier value
        if k % 4 == 2:
            values[int(rng.integers(1, n))] = math.nan             # a NaN loss
        patience = int(rng.integers(1, 5))
        min_delta = float(rng.choice([0.0, 0.0, 0.05]))
        cases.append(([float(v) for v in values], patience, min_delta, _PATIENCE_CASES[0][3]))
    return cases


# What each check compares against, blocked while the learner's function runs.
BLOCKED = {
    "check_patience": references(EarlyStopping, _reference),
    "check_quadratic_closed_form": references(_early_stopping.quadratic_closed_form,
                                              _early_stopping.quadratic_gd,
                                              _early_stopping._powers),
}


def _as_epoch(x: Any, name: str) -> int | None:
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)) or not float(x).is_integer():
        raise CheckFailed(f"the {name} must be an integer index or None; got {x!r}.")
    return int(x)


def check_patience(fn: Callable[[list, int, float], tuple], *, seed: int | None = None) -> bool:
    """Check ``fn(values, patience, min_delta) -> (best_epoch, stopped_epoch)``.

    ``values`` are the validation losses of successive epochs; both results are
    0-based indices into ``values`` (``stopped_epoch`` is ``None`` if the rule
    never fires).  The reference is :class:`regcore.EarlyStopping`.  ``seed``
    (a grader's hidden test) draws random validation curves instead.
    """
    fn = guard(fn, BLOCKED["check_patience"])

    def body() -> str:
        cases = _PATIENCE_CASES if seed is None else _hidden_patience_cases(seed)
        for values, patience, min_delta, hint in cases:
            expected = _reference(values, patience, min_delta)
            try:
                got = fn(list(values), patience, min_delta)
            except NotImplementedError:
                raise
            except Exception as exc:
                raise CheckFailed(f"calling your function raised {type(exc).__name__}: {exc}") from None
            if got is None:
                raise CheckFailed("your function returned None; did you forget `return`? "
                                  "Expected a pair (best_epoch, stopped_epoch).")
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise CheckFailed(f"expected a pair (best_epoch, stopped_epoch); got {got!r}.")
            got = (_as_epoch(got[0], "best epoch"), _as_epoch(got[1], "stopping epoch"))
            if got == expected:
                continue
            case = f"values={values}, patience={patience}, min_delta={min_delta}"
            specific = hint
            if expected[1] is not None and got[1] is not None and got[0] == expected[0]:
                if got[1] == expected[1] + 1:
                    specific = ("you stop one call too late (off by one): with patience p, stop on the "
                                "p-th consecutive call without improvement, i.e. when wait >= p.")
                elif got[1] == expected[1] - 1:
                    specific = ("you stop one call too early (off by one): with patience p, the p-th "
                                "consecutive call without improvement is the one that stops.")
            if got[0] is not None and got[0] < len(values) and math.isnan(values[got[0]]):
                specific = _PATIENCE_CASES[4][3]
            raise CheckFailed(f"for {case} expected (best_epoch, stopped_epoch) = {expected}, "
                              f"got {got}. Hint: {specific}")
        if seed is not None:
            return f"your stopping rule agrees with EarlyStopping on {len(cases)} further runs."
        return (f"your stopping rule agrees with EarlyStopping on {len(_PATIENCE_CASES)} runs "
                "(ties, min_delta, NaN losses, a run that never stops).")
    return run("check_patience", body)


def check_quadratic_closed_form(fn: Callable[[float, float, float, int, float], float], *,
                                seed: int | None = None) -> bool:
    """Check ``fn(a, b, lr, t, theta0)`` returns the GD iterate ``q**t*theta0 + b/a*(1 - q**t)``, ``q = 1 - lr*a``.

    ``seed`` (a grader's hidden test) draws other settings, including one with
    ``1 < lr*a < 2`` (oscillation).
    """
    fn = guard(fn, BLOCKED["check_quadratic_closed_form"])
    settings = [(2.0, 1.0, 0.1, 0.0), (0.5, -3.0, 0.4, 2.0), (2.0, 2.0, 0.75, 0.0), (4.0, 1.0, 0.3, -1.0)]
    if seed is not None:
        rng = np.random.default_rng(seed)
        settings = []
        for h in (rng.uniform(0.05, 0.9), rng.uniform(0.05, 0.9), rng.uniform(1.1, 1.9), rng.uniform(0.2, 0.9)):
            a = round(float(rng.uniform(0.3, 5.0)), 3)
            settings.append((a, round(float(rng.normal(0, 2)), 3), float(h) / a,
                             round(float(rng.normal(0, 2)), 3)))

    def body() -> str:
        for a, b, lr, theta0 in settings:
            for t in range(9):
                try:
                    got = fn(a, b, lr, t, theta0)
                except NotImplementedError:
                    raise
                except Exception as exc:
                    raise CheckFailed(f"calling your function raised {type(exc).__name__}: {exc}") from None
                if got is None:
                    raise CheckFailed("your function returned None; did you forget `return`?")
                got = float(np.asarray(got, dtype=float))
                exp = float(quadratic_closed_form(a, b, lr, t, theta0))
                if math.isclose(got, exp, rel_tol=1e-9, abs_tol=1e-12):
                    continue
                q = 1.0 - lr * a
                if any(math.isclose(got, q ** s * theta0 + b / a * (1 - q ** s),
                                    rel_tol=1e-9, abs_tol=1e-12) for s in (t - 1, t + 1) if s >= 0):
                    hint = ("your exponent is off by one: theta_0 is the start (t = 0, q**0 = 1), "
                            "and each GD step multiplies the distance to b/a by q once.")
                elif math.isclose(got, b / a * (1 - q ** t), rel_tol=1e-9, abs_tol=1e-12):
                    hint = "you dropped the term q**t * theta0 that carries the starting point."
                elif math.isclose(got, (1 + lr * a) ** t * theta0 + b / a * (1 - (1 + lr * a) ** t),
                                  rel_tol=1e-9, abs_tol=1e-12):
                    hint = "sign error: a GD step multiplies the error by q = 1 - lr*a, not 1 + lr*a."
                else:
                    hint = ("write e_t = theta_t - b/a; one GD step gives e_{t+1} = (1 - lr*a) e_t, "
                            "so theta_t = b/a + (1 - lr*a)**t * (theta0 - b/a).")
                raise CheckFailed(f"for a={a}, b={b}, lr={lr}, theta0={theta0}, t={t} expected "
                                  f"{exp:.6g}, got {got:.6g}. Hint: {hint}")
        if seed is not None:
            return "your closed form matches gradient descent for t = 0..8 in 4 further settings."
        return ("your closed form matches gradient descent for t = 0..8 in 4 settings, including "
                "lr*a > 1 (oscillation) and theta0 != 0.")
    return run("check_quadratic_closed_form", body)
