"""Self-checks for chapter 5: one SGD step with L2, one AdamW step.

The references are regcore's own optimizers (:class:`regcore.optim.SGD` and
:class:`regcore.optim.AdamW`, which the test suite checks against
``torch.optim``).  When a learner's answer is wrong, the check also computes
the usual *wrong* variants of the update (the decay not multiplied by the
learning rate, the decay inside Adam's adaptive denominator, no bias
correction, ``eps`` inside the square root, ...) and, if the answer matches one
of them, names that mistake.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from regcore.checks._core import CheckFailed, diagnose, guard, name_mistake, references, run
from regcore.module import Parameter
from regcore.optim import SGD, Adam, AdamW, Optimizer

# What each check compares against, blocked while the learner's function runs:
# every regcore optimizer's update.
BLOCKED = {
    "check_sgd_weight_decay_step": references(Optimizer, SGD, Adam, AdamW),
    "check_adamw_step": references(Optimizer, SGD, Adam, AdamW),
}

__all__ = ["check_sgd_weight_decay_step", "check_adamw_step"]

_RTOL, _ATOL = 1e-9, 1e-12


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Call ``fn`` on copies-checked inputs; report exceptions and in-place edits."""
    arrays = [(i, a, a.copy()) for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    try:
        got = fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's bug: show it briefly, not a traceback
        raise CheckFailed(f"calling your function raised {type(exc).__name__}: {exc}") from None
    names = ("theta", "grad", "m", "v")
    for i, a, before in arrays:
        if not np.array_equal(a, before):
            name = names[i] if i < len(names) else f"number {i + 1}"
            raise CheckFailed(
                f"your function modified its argument {name} in place; the caller's array must "
                "not change. Work on copies (write `theta = theta * c`, `m = beta1 * m + ...`, "
                "not `theta *= c` or `m += ...`).")
    if got is None:
        raise CheckFailed("your function returned None; did you forget `return`?")
    return got


def _first_mismatch(got: np.ndarray, expected: np.ndarray) -> str:
    """Where the first entry differs, with enough digits to see small differences."""
    bad = ~np.isclose(got, expected, rtol=_RTOL, atol=_ATOL)
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if got.ndim else ()
    where = f" at index {index}" if index else ""
    return (f"first mismatch{where}: expected {expected[index]:.10g}, got {got[index]:.10g} "
            f"(difference {got[index] - expected[index]:.2g})")


def _match_variant(got: np.ndarray, variants: dict[str, np.ndarray],
                   expected: np.ndarray) -> str | None:
    """The hint of the first wrong variant that ``got`` equals (and ``expected`` does not)."""
    distinct = [(hint, value) for hint, value in variants.items()
                if not np.allclose(value, expected, rtol=_RTOL, atol=_ATOL)]
    return name_mistake(got, distinct, rtol=_RTOL, atol=_ATOL)


def _as_array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} must be an array of numbers; got {type(value).__name__}") from None
    if arr.shape != shape:
        raise CheckFailed(f"{name} has shape {arr.shape}, expected {shape} (the shape of theta); "
                          "the update is elementwise: do not sum or transpose anything.")
    return arr


# ----------------------------------------------------------------------------- SGD
def _sgd_cases(seed: int | None = None) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    rng = np.random.default_rng(51 if seed is None else seed)
    if seed is not None:   # a grader's seed: other shapes, learning rates and strengths
        shape = tuple(int(s) for s in rng.integers(2, 6, size=2))
        return [(rng.normal(size=shape), rng.normal(size=shape),
                 float(rng.uniform(0.01, 0.3)), float(rng.uniform(0.05, 1.0))),
                (rng.normal(size=5), rng.normal(size=5), float(rng.uniform(0.01, 0.1)),
                 float(rng.uniform(1.0, 3.0))),
                (rng.normal(size=3), np.zeros(3), float(rng.uniform(0.1, 0.3)), 0.25)]
    return [(rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 0.1, 0.3),
            (rng.normal(size=6), rng.normal(size=6), 0.05, 1.5),
            (np.array([2.0, -1.0, 0.0]), np.zeros(3), 0.2, 0.25)]


def check_sgd_weight_decay_step(fn: Callable[[np.ndarray, np.ndarray, float, float], Any], *,
                                seed: int | None = None) -> bool:
    """Check ``fn(theta, grad, lr, lam)``: one SGD step on ``L(theta) + lam * sum(theta**2)``.

    The expected result is ``(1 - 2*lr*lam) * theta - lr * grad``, computed
    by :class:`regcore.optim.SGD` with ``weight_decay=2*lam``.  ``grad`` is
    the gradient of the data loss only; ``theta`` and ``grad`` must not be
    modified.  Prints a verdict and returns ``True`` if every case passes.
    ``seed`` (a grader's hidden test) draws other inputs of the same kinds.
    """
    fn = guard(fn, BLOCKED["check_sgd_weight_decay_step"])

    def body() -> str:
        for theta, grad, lr, lam in _sgd_cases(seed):
            p = Parameter(theta.copy())
            p.grad = grad.copy()
            SGD([p], lr=lr, weight_decay=2 * lam).step()
            expected = p.data
            got = _as_array("the returned theta", _call(fn, (theta, grad, lr, lam), {}),
                            theta.shape)
            if np.allclose(got, expected, rtol=_RTOL, atol=_ATOL):
                continue
            variants = {
                "this is the decay factor (1 - lr*lam) of the source's section 5.1, which is the "
                "L2 step for lam/2: the gradient of lam*sum(theta**2) is 2*lam*theta, so the "
                "factor is (1 - 2*lr*lam).": (1 - lr * lam) * theta - lr * grad,
                "the decay must be multiplied by the learning rate: the L2 gradient 2*lam*theta "
                "is part of the gradient that the step multiplies by lr.":
                    (1 - 2 * lam) * theta - lr * grad,
                "the penalty pulls theta towards 0: the factor is (1 - 2*lr*lam), not "
                "(1 + 2*lr*lam).": (1 + 2 * lr * lam) * theta - lr * grad,
                "gradient descent subtracts lr*grad; you added it.":
                    (1 - 2 * lr * lam) * theta + lr * grad,
                "the weight decay is missing: the step must also shrink theta by "
                "(1 - 2*lr*lam).": theta - lr * grad,
            }
            hint = _match_variant(got, variants, expected) or diagnose(
                got, expected, {"default": "one SGD step on L + lam*sum(theta**2) is "
                                           "theta - lr*(grad + 2*lam*theta)."})
            raise CheckFailed(f"the updated theta for lr={lr}, lam={lam} is wrong; "
                              f"{_first_mismatch(got, expected)}. Hint: {hint}")
        return ("your step matches (1 - 2*lr*lam)*theta - lr*grad on 3 inputs, i.e. SGD with "
                "weight_decay = 2*lam.")
    return run("check_sgd_weight_decay_step", body)


# ----------------------------------------------------------------------------- AdamW
def _adamw_cases(seed: int | None = None) -> list[dict[str, Any]]:
    rng = np.random.default_rng(52 if seed is None else seed)
    shape = (3, 4) if seed is None else tuple(int(s) for s in rng.integers(2, 6, size=2))
    return [
        # first step from zero state: bias correction matters most here
        dict(theta=rng.normal(size=shape), grad=rng.normal(size=shape),
             m=np.zeros(shape), v=np.zeros(shape), t=1, lr=0.1, betas=(0.9, 0.999),
             eps=1e-8, weight_decay=0.5),
        # a later step with small second moments and a large eps: eps placement matters
        dict(theta=rng.normal(size=6), grad=0.05 * rng.normal(size=6),
             m=0.02 * rng.normal(size=6), v=0.004 * rng.random(6), t=3, lr=0.2,
             betas=(0.8, 0.99), eps=0.05, weight_decay=0.7),
        # a large lr * weight_decay: the order of decay and Adam step matters
        dict(theta=rng.normal(size=5), grad=rng.normal(size=5), m=0.3 * rng.normal(size=5),
             v=0.5 * rng.random(5) + 0.1, t=7, lr=0.3, betas=(0.9, 0.95), eps=1e-8,
             weight_decay=1.2),
    ]


def _adamw_variants(c: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Typical wrong AdamW updates, each ``(theta, m, v)``, keyed by the hint naming it."""
    theta, g, m0, v0, t = c["theta"], c["grad"], c["m"], c["v"], c["t"]
    lr, (b1, b2), eps, wd = c["lr"], c["betas"], c["eps"], c["weight_decay"]

    def moments(grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return b1 * m0 + (1 - b1) * grad, b2 * v0 + (1 - b2) * grad ** 2

    m, v = moments(g)
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t

    def adam(m_: np.ndarray, v_: np.ndarray, bc1_: float = bc1, bc2_: float = bc2) -> np.ndarray:
        return lr * (m_ / bc1_) / (np.sqrt(v_ / bc2_) + eps)

    decayed = (1 - lr * wd) * theta
    m_l2, v_l2 = moments(g + wd * theta)
    out = {
        "the decay must be multiplied by the learning rate, as in torch.optim.AdamW: "
        "theta <- (1 - lr*weight_decay)*theta, not (1 - weight_decay)*theta.":
            ((1 - wd) * theta - adam(m, v), m, v),
        "you added weight_decay*theta to the gradient, so the decay went through the moments "
        "and the adaptive denominator: that is Adam with L2 (torch.optim.Adam), not AdamW. "
        "Decay the weights directly and feed the raw gradient to m and v.":
            (theta - adam(m_l2, v_l2), m_l2, v_l2),
        "the decay is missing: AdamW first shrinks theta by (1 - lr*weight_decay).":
            (theta - adam(m, v), m, v),
        "bias correction is missing: divide m by (1 - beta1**t) and v by (1 - beta2**t) "
        "before forming the step.": (decayed - lr * m / (np.sqrt(v) + eps), m, v),
        "the first-moment bias correction (1 - beta1**t) is missing.":
            (decayed - adam(m, v, bc1_=1.0), m, v),
        "the second-moment bias correction (1 - beta2**t) is missing.":
            (decayed - adam(m, v, bc2_=1.0), m, v),
        "the bias correction uses the wrong step number: t is the number of this step "
        "(1 on the first call), so use beta**t.":
            (decayed - adam(m, v, 1 - b1 ** (t - 1) if t > 1 else 1.0,
                            1 - b2 ** (t - 1) if t > 1 else 1.0), m, v),
        "the bias correction uses t + 1; t is already the number of this step (1 on the first "
        "call).": (decayed - adam(m, v, 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)), m, v),
        "eps belongs outside the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps).":
            (decayed - lr * (m / bc1) / np.sqrt(v / bc2 + eps), m, v),
        "eps is added after the bias correction of v: the denominator is sqrt(v/(1 - beta2**t)) "
        "+ eps, not (sqrt(v) + eps)/sqrt(1 - beta2**t).":
            (decayed - lr * (m / bc1) / ((np.sqrt(v) + eps) / np.sqrt(bc2)), m, v),
        "decay the weights before the Adam step (both use the old theta, as in torch and in "
        "Loshchilov & Hutter's algorithm); you shrank the already-updated weights.":
            ((1 - lr * wd) * (theta - adam(m, v)), m, v),
        "the second moment averages the squared gradient: v <- beta2*v + (1 - beta2)*grad**2.":
            (np.full_like(theta, np.nan), m, b2 * v0 + (1 - b2) * g),
        "beta1 and beta2 are swapped.":
            (decayed - lr * ((b2 * m0 + (1 - b2) * g) / (1 - b2 ** t))
             / (np.sqrt((b1 * v0 + (1 - b1) * g ** 2) / (1 - b1 ** t)) + eps),
             b2 * m0 + (1 - b2) * g, b1 * v0 + (1 - b1) * g ** 2),
    }
    return out


def check_adamw_step(fn: Callable[..., Any], *, seed: int | None = None) -> bool:
    """Check ``fn(theta, grad, m, v, t, lr, betas, eps, weight_decay) -> (theta, m, v)``.

    One step of AdamW as ``torch.optim.AdamW``: ``m`` and ``v`` are the moment
    estimates *before* the step, ``t`` is the number of this step (1 on the
    first call), and the function returns the new ``theta``, ``m`` and ``v``
    without modifying its inputs.  The reference is one step of
    :class:`regcore.optim.AdamW` from the same state.  The hyper-parameters
    are passed by keyword.  Prints a verdict and returns ``True`` if every
    case passes.  ``seed`` (a grader's hidden test) draws other inputs of the
    same kinds.
    """
    fn = guard(fn, BLOCKED["check_adamw_step"])

    def body() -> str:
        for k, c in enumerate(_adamw_cases(seed)):
            p = Parameter(c["theta"].copy())
            p.grad = c["grad"].copy()
            opt = AdamW([p], lr=c["lr"], betas=c["betas"], eps=c["eps"],
                        weight_decay=c["weight_decay"])
            opt.state[0].update(step=c["t"] - 1, exp_avg=c["m"].copy(), exp_avg_sq=c["v"].copy())
            opt.step()
            expected = (p.data, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"])
            got = _call(fn, (c["theta"], c["grad"], c["m"], c["v"], c["t"]),
                        dict(lr=c["lr"], betas=c["betas"], eps=c["eps"],
                             weight_decay=c["weight_decay"]))
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise CheckFailed("your function must return a tuple (theta, m, v) of the "
                                  f"updated arrays; got {type(got).__name__}"
                                  + (f" of length {len(got)}" if isinstance(got, (tuple, list))
                                     else ""))
            shape = c["theta"].shape
            got = tuple(_as_array(f"the returned {n}", a, shape)
                        for n, a in zip(("theta", "m", "v"), got))
            where = (f"(case {k + 1}: step t={c['t']}, lr={c['lr']}, betas={c['betas']}, "
                     f"eps={c['eps']}, weight_decay={c['weight_decay']})")
            variants = _adamw_variants(c)
            for i, name in ((1, "m"), (2, "v"), (0, "theta")):
                if np.allclose(got[i], expected[i], rtol=_RTOL, atol=_ATOL):
                    continue
                hint = _match_variant(got[i], {h: val[i] for h, val in variants.items()},
                                      expected[i])
                if hint is None and i > 0 and np.allclose(got[i], (c["m"], c["v"])[i - 1]):
                    hint = f"you returned the old {name}; return the updated moment estimate."
                if hint is None:
                    hint = ("m <- beta1*m + (1 - beta1)*grad, v <- beta2*v + (1 - beta2)*grad**2 "
                            "with the raw gradient." if i else
                            "theta <- (1 - lr*wd)*theta - lr*m_hat/(sqrt(v_hat) + eps) with "
                            "m_hat = m/(1 - beta1**t), v_hat = v/(1 - beta2**t).")
                raise CheckFailed(f"the returned {name} is wrong {where}; "
                                  f"{_first_mismatch(got[i], expected[i])}. "
                                  f"Hint: {hint}")
        return ("your AdamW step matches torch.optim.AdamW's update (theta, m and v) on 3 cases, "
                "including the first step and a large eps.")
    return run("check_adamw_step", body)
