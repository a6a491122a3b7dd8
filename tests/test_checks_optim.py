"""The self-checks of chapter 5 accept a correct answer and name typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks


# ------------------------------------------------------------------ SGD with L2
def sgd_l2_step(theta, grad, lr, lam):
    return (1 - 2 * lr * lam) * theta - lr * grad


def test_sgd_correct_implementations_pass(capsys):
    assert checks.check_sgd_weight_decay_step(sgd_l2_step)
    assert checks.check_sgd_weight_decay_step(lambda t, g, lr, lam: t - lr * (g + 2 * lam * t))
    assert capsys.readouterr().out.count("[PASSED]") == 2


@pytest.mark.parametrize("wrong, phrase", [
    (lambda t, g, lr, lam: (1 - lr * lam) * t - lr * g, "L2 step for lam/2"),
    (lambda t, g, lr, lam: (1 - 2 * lam) * t - lr * g, "multiplied by the learning rate"),
    (lambda t, g, lr, lam: (1 + 2 * lr * lam) * t - lr * g, "not (1 + 2*lr*lam)"),
    (lambda t, g, lr, lam: (1 - 2 * lr * lam) * t + lr * g, "subtracts lr*grad"),
    (lambda t, g, lr, lam: t - lr * g, "weight decay is missing"),
    (lambda t, g, lr, lam: ((1 - 2 * lr * lam) * t - lr * g).sum(axis=0), "shape"),
])
def test_sgd_typical_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_sgd_weight_decay_step(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED]" in out and phrase in out, out


def test_sgd_mutating_theta_is_caught(capsys):
    def in_place(theta, grad, lr, lam):
        theta *= 1 - 2 * lr * lam
        theta -= lr * grad
        return theta
    assert checks.check_sgd_weight_decay_step(in_place) is False
    assert "modified its argument theta in place" in capsys.readouterr().out


# ------------------------------------------------------------------ AdamW
def adamw_step(theta, grad, m, v, t, lr, betas, eps, weight_decay):
    beta1, beta2 = betas
    theta = theta * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _variant(kind):
    """A wrong AdamW step of the given kind."""
    def step(theta, grad, m, v, t, lr, betas, eps, weight_decay):
        b1, b2 = betas
        if kind == "l2":
            grad = grad + weight_decay * theta
        decay = {"no_lr": 1 - weight_decay, "l2": 1.0, "none": 1.0}.get(kind, 1 - lr * weight_decay)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * (grad if kind == "v_grad" else grad ** 2)
        tt = t + 1 if kind == "t_plus" else t
        bc1 = 1.0 if kind in ("no_bc", "no_bc1") else 1 - b1 ** tt
        bc2 = 1.0 if kind in ("no_bc", "no_bc2") else 1 - b2 ** tt
        if kind == "eps_inside":
            update = lr * (m / bc1) / np.sqrt(v / bc2 + eps)
        elif kind == "eps_before_bc":
            update = lr * (m / bc1) / ((np.sqrt(v) + eps) / np.sqrt(bc2))
        else:
            update = lr * (m / bc1) / (np.sqrt(np.abs(v) / bc2) + eps)
        if kind == "decay_after":
            return (theta - update) * (1 - lr * weight_decay), m, v
        return theta * decay - update, m, v
    return step


def test_adamw_correct_implementation_passes(capsys):
    assert checks.check_adamw_step(adamw_step)
    assert "[PASSED]" in capsys.readouterr().out


@pytest.mark.parametrize("kind, phrase", [
    ("no_lr", "multiplied by the learning rate"),
    ("l2", "Adam with L2"),
    ("none", "decay is missing"),
    ("no_bc", "bias correction is missing"),
    ("no_bc1", "first-moment bias correction"),
    ("no_bc2", "second-moment bias correction"),
    ("t_plus", "uses t + 1"),
    ("eps_inside", "outside the square root"),
    ("eps_before_bc", "after the bias correction"),
    ("decay_after", "before the Adam step"),
    ("v_grad", "squared gradient"),
])
def test_adamw_typical_mistakes_are_named(kind, phrase, capsys):
    assert checks.check_adamw_step(_variant(kind)) is False
    out = capsys.readouterr().out
    assert "[FAILED]" in out and phrase in out, out


def test_adamw_mutating_the_state_is_caught(capsys):
    def in_place(theta, grad, m, v, t, lr, betas, eps, weight_decay):
        b1, b2 = betas
        m *= b1
        m += (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad ** 2
        theta = theta * (1 - lr * weight_decay)
        return theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), m, v
    assert checks.check_adamw_step(in_place) is False
    assert "modified its argument m in place" in capsys.readouterr().out


def test_adamw_bad_return_values_are_reported(capsys):
    assert checks.check_adamw_step(lambda *a, **k: None) is False
    assert "forget `return`" in capsys.readouterr().out
    assert checks.check_adamw_step(lambda theta, *a, **k: theta) is False
    assert "tuple (theta, m, v)" in capsys.readouterr().out

    def old_state(theta, grad, m, v, t, lr, betas, eps, weight_decay):
        new_theta, _, new_v = adamw_step(theta, grad, m, v, t, lr, betas, eps, weight_decay)
        return new_theta, m, new_v
    assert checks.check_adamw_step(old_state) is False
    assert "returned the old m" in capsys.readouterr().out


def test_student_stubs_raise_not_implemented():
    def stub(*args, **kwargs):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_adamw_step(stub)
    with pytest.raises(NotImplementedError):
        checks.check_sgd_weight_decay_step(stub)
