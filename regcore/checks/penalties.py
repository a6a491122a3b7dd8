"""Self-checks for chapters 3 and 4: the L1 and L2 penalties."""
from __future__ import annotations

from typing import Callable

import numpy as np

from regcore.checks._core import compare, guard, reference_solution, references, run
from regcore.penalties import L1, L2, Penalty


@reference_solution("soft_threshold")
def _soft_threshold(theta: np.ndarray, step: float, lam: float) -> np.ndarray:
    """The reference for chapter 3's ``soft_threshold`` (used by the graded ISTA cell)."""
    return np.sign(theta) * np.maximum(np.abs(theta) - step * lam, 0.0)


# What each check compares against, blocked while the learner's function runs.
BLOCKED = {
    "check_l1_grad": references(Penalty, L1),
    "check_l2_grad": references(Penalty, L2),
    "check_soft_threshold": references(L1, _soft_threshold),
}


def _thetas(seed: int, hidden: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if hidden:   # a grader's seed: other shapes and scales, exact zeros kept
        shapes = [tuple(int(s) for s in rng.integers(2, 6, size=2)), (int(rng.integers(3, 9)),)]
        theta = rng.normal(scale=rng.uniform(0.5, 3.0), size=shapes[0])
        theta[0, :2] = 0.0
        return [theta, rng.normal(scale=2.0, size=shapes[1]),
                np.array([0.0, -rng.uniform(1, 4), rng.uniform(1, 4)])]
    theta = rng.normal(size=(4, 5))
    theta[0, :2] = 0.0  # exact zeros: where the subgradient needs a convention
    return [theta, rng.normal(size=7), np.array([0.0, -2.5, 3.0])]


def _lams(seed: int | None, visible: list[float]) -> list[float]:
    if seed is None:
        return visible
    return [float(v) for v in np.random.default_rng([seed, 1]).uniform(0.05, 2.0, size=len(visible))]


def check_l1_grad(fn: Callable[[np.ndarray, float], np.ndarray], *, seed: int | None = None) -> bool:
    """Check ``fn(theta, lam)`` returns the L1 subgradient ``lam * sign(theta)`` (0 at 0).

    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_l1_grad"])
    hints = {"sign": "the penalty pushes weights towards 0, so its gradient has the sign of theta.",
             "factor:2.0": "|theta| has derivative sign(theta): there is no factor 2 (that is L2).",
             "default": "the gradient of lam*|theta| is lam*sign(theta), with the value 0 at theta = 0."}

    def body() -> str:
        thetas = _thetas(1) if seed is None else _thetas(seed, hidden=True)
        for theta, lam in zip(thetas, _lams(seed, [0.3, 1.3, 2.3])):
            compare("check_l1_grad", fn, (theta, lam), lam * np.sign(theta), hints=hints,
                    what=f"the gradient for a theta of shape {theta.shape}")
        return "your L1 subgradient matches lam*sign(theta) on 3 inputs, including exact zeros."
    return run("check_l1_grad", body)


def check_l2_grad(fn: Callable[[np.ndarray, float], np.ndarray], *, seed: int | None = None) -> bool:
    """Check ``fn(theta, lam)`` returns the gradient ``2 * lam * theta`` of ``lam * sum(theta**2)``.

    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_l2_grad"])
    hints = {"sign": "the penalty pulls weights towards 0: its gradient points along theta.",
             "factor:0.5": "d/dtheta (theta^2) = 2 theta: you dropped the factor 2 "
                           "(that would be the gradient of (lam/2)*sum(theta**2)).",
             "default": "the gradient of lam*sum(theta**2) is 2*lam*theta."}

    def body() -> str:
        thetas = _thetas(2) if seed is None else _thetas(seed, hidden=True)
        for theta, lam in zip(thetas, _lams(seed, [0.1, 0.2, 0.30000000000000004])):
            compare("check_l2_grad", fn, (theta, lam), 2 * lam * theta, hints=hints,
                    what=f"the gradient for a theta of shape {theta.shape}")
        return "your L2 gradient matches 2*lam*theta on 3 inputs."
    return run("check_l2_grad", body)


def check_soft_threshold(fn: Callable[[np.ndarray, float, float], np.ndarray], *,
                         seed: int | None = None) -> bool:
    """Check ``fn(theta, step, lam)`` returns ``sign(theta) * max(|theta| - step*lam, 0)``.

    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_soft_threshold"])
    hints = {"default": "each entry moves towards 0 by step*lam and stops at exactly 0; "
                        "entries with |theta| <= step*lam become 0.",
             "sign": "the proximal step shrinks magnitudes; it must keep each entry's sign."}

    def body() -> str:
        thetas = _thetas(3) if seed is None else _thetas(seed, hidden=True)
        steps = [0.5] * 3 if seed is None else list(np.random.default_rng([seed, 2]).uniform(0.1, 1.0, 3))
        for theta, step, lam in zip(thetas, steps, _lams(seed, [0.4, 0.7, 1.0])):
            expected = _soft_threshold(theta, step, lam)
            compare("check_soft_threshold", fn, (theta, step, lam), expected, hints=hints,
                    what=f"the soft-thresholded theta of shape {theta.shape}")
        return "your soft-thresholding matches the proximal operator of step*lam*|theta| on 3 inputs."
    return run("check_soft_threshold", body)
