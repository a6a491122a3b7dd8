"""Self-checks for chapter 11: choosing a hyper-parameter by the book's protocol."""
from __future__ import annotations

from typing import Callable

import numpy as np

from regcore.checks._core import CheckFailed, guard, references, run

# A designed case: every usual mistake picks a different grid index.
#   rows: grid values, columns: seeds
_VAL = np.array([[0.70, 0.70, 0.70],    # lowest mean: argmin picks 0
                 [0.86, 0.86, 0.86],
                 [0.89, 0.90, 0.88],    # highest mean: the right answer, 2
                 [0.95, 0.70, 0.70],    # best first seed: picks 3
                 [0.75, 0.97, 0.75]])   # best single run: picks 4
_TEST = np.array([[0.70, 0.70, 0.70],
                  [0.93, 0.93, 0.93],   # best on test: picks 1
                  [0.88, 0.88, 0.88],
                  [0.80, 0.80, 0.80],
                  [0.78, 0.78, 0.78]])
_WRONG = {
    0: "you picked the value with the LOWEST mean validation accuracy: accuracy is "
       "maximised (argmax); argmin is for losses.",
    1: "you picked the value with the best TEST accuracy. The test set may be read only "
       "after the choice; choose with the validation accuracy.",
    3: "you picked the value that is best for the first seed only: average the validation "
       "accuracy over all seeds (axis=1) before choosing.",
    4: "you picked the value with the single best run (a max over seeds): average the "
       "validation accuracy over the seeds instead, a lucky seed is not a better setting.",
}


def _call(fn, val, test) -> int:
    v, t = val.copy(), test.copy()
    try:
        got = fn(v, t)
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's bug: show it briefly
        raise CheckFailed(f"calling your function raised {type(exc).__name__}: {exc}") from None
    if not (np.array_equal(v, val) and np.array_equal(t, test)):
        raise CheckFailed("your function modified its input arrays in place; work on copies.")
    if got is None:
        raise CheckFailed("your function returned None; did you forget `return`? "
                          "Expected the index of the chosen grid value.")
    if np.ndim(got) != 0 or float(got) != int(float(got)):
        raise CheckFailed(f"expected one integer index into the grid, got {got!r}. "
                          "Hint: reduce over the seeds (axis=1) first, then take one argmax.")
    got = int(got)
    if not 0 <= got < val.shape[0]:
        raise CheckFailed(f"index {got} is not a grid index (the grid has {val.shape[0]} "
                          "values, along axis 0). Hint: you averaged over the wrong axis: rows "
                          "are grid values, columns are seeds, so average with axis=1.")
    return got


def _reference(val_acc: np.ndarray, test_acc: np.ndarray) -> int:
    return int(np.argmax(val_acc.mean(axis=1)))


# What the check compares against, blocked while the learner's function runs.
BLOCKED = {"check_select_on_validation": references(_reference)}


def check_select_on_validation(fn: Callable[[np.ndarray, np.ndarray], int], *,
                               seed: int | None = None) -> bool:
    """Check ``fn(val_acc, test_acc) -> int`` chooses by mean validation accuracy.

    Both arrays have shape ``(n_grid, n_seeds)``: entry ``[i, s]`` is the accuracy of
    grid value ``i`` trained with seed ``s``.  The right answer is
    ``argmax(val_acc.mean(axis=1))`` (the first index on ties); ``test_acc`` must not
    influence it.  ``seed`` (a grader's hidden test) replaces the fixed cases
    by random ones drawn from it.
    """
    fn = guard(fn, BLOCKED["check_select_on_validation"])

    def hidden() -> str:
        rng = np.random.default_rng(seed)
        for _ in range(20):
            n_grid, n_seeds = rng.integers(2, 7), rng.integers(2, 6)
            val = np.round(rng.uniform(0.5, 1.0, size=(n_grid, n_seeds)), 3)
            test = np.round(rng.uniform(0.5, 1.0, size=(n_grid, n_seeds)), 3)
            expected = _reference(val, test)
            got = _call(fn, val, test)
            if got != expected:
                raise CheckFailed(f"on a random {n_grid} x {n_seeds} case you chose {got}, "
                                  f"expected {expected} = argmax of val_acc.mean(axis=1).")
        return "you choose by mean validation accuracy over seeds on 20 further cases."

    if seed is not None:
        return run("check_select_on_validation", hidden)

    def body() -> str:
        # 1. more seeds than grid values: averaging over axis 0 gives an index out of range
        val = np.array([[0.80, 0.81, 0.79, 0.80, 0.99], [0.90, 0.91, 0.89, 0.90, 0.95]])
        test = np.array([[0.9, 0.9, 0.9, 0.9, 0.9], [0.8, 0.8, 0.8, 0.8, 0.8]])
        got_first = _call(fn, val, test)
        # 2. the designed case: each usual mistake gives a different index
        got = _call(fn, _VAL, _TEST)
        if got != 2:
            raise CheckFailed(f"you chose grid index {got}, expected 2. Hint: "
                              + _WRONG.get(got, "choose argmax of val_acc.mean(axis=1)."))
        if got_first != 1:
            raise CheckFailed(f"on a 2-value grid with 5 seeds you chose index {got_first}, "
                              "expected 1 (mean validation accuracy 0.91 against 0.838). Hint: "
                              "average each row (axis=1) of val_acc and take the argmax.")
        # 3. ties go to the first (smallest) index, like np.argmax
        tie_val = np.array([[0.8, 0.9], [0.9, 0.8], [0.5, 0.5]])
        got = _call(fn, tie_val, np.zeros((3, 2)))
        if got != 0:
            raise CheckFailed(f"grid values 0 and 1 tie on mean validation accuracy and you "
                              f"chose {got}; the protocol keeps the first (np.argmax does).")
        # 4. random cases; test accuracy drawn independently so it cannot help
        rng = np.random.default_rng(11)
        for _ in range(20):
            n_grid, n_seeds = rng.integers(2, 7), rng.integers(2, 6)
            val = rng.uniform(0.5, 1.0, size=(n_grid, n_seeds))
            test = rng.uniform(0.5, 1.0, size=(n_grid, n_seeds))
            expected = _reference(val, test)
            got = _call(fn, val, test)
            if got != expected:
                raise CheckFailed(f"on a random {n_grid} x {n_seeds} case you chose {got}, "
                                  f"expected {expected} = argmax of val_acc.mean(axis=1).")
        return ("you choose by mean validation accuracy over seeds, first on ties, and never "
                "look at the test set (23 cases).")
    return run("check_select_on_validation", body)
