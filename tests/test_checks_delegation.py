"""Every self-check refuses delegation to its reference and has hidden inputs.

For each ``check_*`` in :mod:`regcore.checks` this module holds a correct
implementation written from the chapter's formula and, for every reference
the check compares against, a learner's function that delegates to it.  It
asserts that

* the correct implementation passes on the visible inputs and on inputs drawn
  from several grader seeds (``seed=...``, the hidden tests);
* every delegating function fails with a message saying "implement it
  yourself", also when it catches the exception and falls back to a guess;
* the references work again as soon as the check returns (pass or fail);
* a function that memorised the visible inputs passes the visible check and
  fails the hidden one;
* the list of checks covered here is the list the package exports, so a new
  check cannot skip these tests.
"""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from regcore import checks, functional as F
from regcore import L1, L2, SGD, AdamW, BatchNorm1d, Dropout, EarlyStopping, LayerNorm, Parameter
from regcore.bias_variance import decompose
from regcore.checks import (capacity, dropout, early_stopping, learning_curves, normalization, optim,
                            penalties, protocol, ridge)
from regcore.checks._core import IMPLEMENT_YOURSELF, grader_seed
from regcore.early_stopping import quadratic_closed_form, quadratic_gd

SEEDS = (1, 2024, 987654)


# ----------------------------------------------------------------- correct answers
def l1_grad(theta, lam):
    return lam * np.sign(theta)


def l2_grad(theta, lam):
    return 2 * lam * theta


def soft_threshold(theta, step, lam):
    return np.sign(theta) * np.maximum(np.abs(theta) - step * lam, 0.0)


def cross_entropy(z, y):
    s = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(y)), y]))


def poly_features(x, degree):
    return x[:, None] ** np.arange(degree + 1)


def bias_variance(pred, f):
    fbar = pred.mean(axis=0)
    return float(np.mean((fbar - f) ** 2)), float(np.mean(pred.var(axis=0)))


def ridge_closed_form(X, y, lam):
    return np.linalg.solve(X.T @ X + len(y) * lam * np.eye(X.shape[1]), X.T @ y)


def map_lambda(sigma2, tau2, n):
    return sigma2 / (n * tau2)


def sgd_step(theta, grad, lr, lam):
    return (1 - 2 * lr * lam) * theta - lr * grad


def adamw_step(theta, grad, m, v, t, lr, betas, eps, weight_decay):
    b1, b2 = betas
    theta = theta * (1 - lr * weight_decay)
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad ** 2
    return theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), m, v


def dropout_forward(x, mask, p):
    return x * mask / (1 - p)


def dropout_penalty(X, w, p):
    return p / (1 - p) * float(np.sum(w ** 2 * (X ** 2).sum(axis=0)))


def batchnorm_forward(x, gamma, beta, eps):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def batchnorm_backward(dout, x, gamma, eps):
    n, s = x.shape[0], np.sqrt(x.var(0) + eps)
    xhat = (x - x.mean(0)) / s
    db, dg = dout.sum(0), (dout * xhat).sum(0)
    return gamma / (n * s) * (n * dout - db - xhat * dg), dg, db


def layernorm_forward(x, gamma, beta, eps):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def stopping_rule(values, patience, min_delta=0.0):
    best, best_epoch, wait = math.inf, None, 0
    for epoch, value in enumerate(values):
        if value < best - min_delta:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, None


def closed_form(a, b, lr, t, theta0=0.0):
    return b / a + (1 - lr * a) ** t * (theta0 - b / a)


def diagnose(train, val, noise, tol=0.5):
    high, gap = train > (1 + tol) * noise, val - train > tol * noise
    return {(False, False): "good", (True, False): "underfit",
            (False, True): "overfit", (True, True): "both"}[(high, gap)]


def select(val, test):
    return int(np.argmax(val.mean(axis=1)))


# ----------------------------------------------------------- delegating answers
def _es(values, patience, min_delta=0.0):
    stopper = EarlyStopping(patience=patience, min_delta=min_delta)
    for v in values:
        if stopper.step(v):
            break
    return stopper.best_epoch, stopper.stopped_epoch


def _sgd_ref(theta, grad, lr, lam):
    p = Parameter(theta.copy())
    p.grad = grad.copy()
    SGD([p], lr=lr, weight_decay=2 * lam).step()
    return p.data


def _adamw_ref(theta, grad, m, v, t, lr, betas, eps, weight_decay):
    p = Parameter(theta.copy())
    p.grad = grad.copy()
    opt = AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    opt.state[0].update(step=t - 1, exp_avg=m.copy(), exp_avg_sq=v.copy())
    opt.step()
    return p.data, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]


def _prox(theta, step, lam):
    p = Parameter(theta.copy())
    L1(lam).prox([p], step)
    return p.data


def _bn_backward_ref(dout, x, gamma, eps):
    _, cache = F.batch_norm_forward(x, gamma, np.zeros_like(gamma), eps)
    return F.batch_norm_backward(dout, cache)


def _bn_module(x, gamma, beta, eps):
    bn = BatchNorm1d(x.shape[1], eps=eps)
    bn.weight.data[:], bn.bias.data[:] = gamma, beta
    return bn(x)


def _ln_module(x, gamma, beta, eps):
    ln = LayerNorm(x.shape[1], eps=eps)
    ln.weight.data[:], ln.bias.data[:] = gamma, beta
    return ln(x)


def _dropout_module(x, mask, p):
    Dropout(p, rng=np.random.default_rng(0))(np.ones_like(x))   # only to see the scaling
    return x * mask / (1 - p)


# name -> (check, correct answer, [(reference name, delegating answer), ...])
CASES = {
    "check_l1_grad": (checks.check_l1_grad, l1_grad, [
        ("L1.grad", lambda t, lam: L1(lam).grad([Parameter(t)])[0]),
        ("L1._grad", lambda t, lam: L1(lam)._grad(t))]),
    "check_l2_grad": (checks.check_l2_grad, l2_grad, [
        ("L2.grad", lambda t, lam: L2(lam).grad([Parameter(t)])[0])]),
    "check_soft_threshold": (checks.check_soft_threshold, soft_threshold, [
        ("L1.prox", _prox), ("checks' reference", lambda t, s, lam: penalties._soft_threshold(t, s, lam))]),
    "check_cross_entropy": (checks.check_cross_entropy, cross_entropy, [
        ("functional.cross_entropy", lambda z, y: F.cross_entropy(z, y)[0]),
        ("checks' logsumexp", lambda z, y: float(np.mean(
            capacity._logsumexp(z, 1)[:, 0] - z[np.arange(len(y)), y])))]),
    "check_poly_features": (checks.check_poly_features, poly_features, [
        ("checks' reference", lambda x, d: capacity._poly_reference(x, d))]),
    "check_bias_variance": (checks.check_bias_variance, bias_variance, [
        ("bias_variance.decompose", lambda p, f: (decompose(p, f).bias2, decompose(p, f).variance))]),
    "check_ridge_closed_form": (checks.check_ridge_closed_form, ridge_closed_form, [
        ("checks' ridge", lambda X, y, lam: ridge._ridge(X, y, len(y) * lam))]),
    "check_map_lambda": (checks.check_map_lambda, map_lambda, [
        ("checks' formula", lambda s, t, n: ridge._map_lambda(s, t, n))]),
    "check_sgd_weight_decay_step": (checks.check_sgd_weight_decay_step, sgd_step, [
        ("optim.SGD", _sgd_ref)]),
    "check_adamw_step": (checks.check_adamw_step, adamw_step, [("optim.AdamW", _adamw_ref)]),
    "check_dropout_forward": (checks.check_dropout_forward, dropout_forward, [
        ("functional.dropout_forward", lambda x, mask, p: x * F.dropout_forward(
            np.ones_like(x), p, np.random.default_rng(0))[0] * 0 + x * mask / (1 - p)),
        ("layers.Dropout", _dropout_module)]),
    "check_dropout_backward": (checks.check_dropout_backward, dropout_forward, [
        ("functional.dropout_backward",
         lambda d, mask, p: F.dropout_backward(d, (mask / (1 - p), d.shape))),
        ("functional.dropout_forward", lambda d, mask, p: F.dropout_forward(
            np.ones_like(d), p, np.random.default_rng(0))[0] * 0 + d * mask / (1 - p))]),
    "check_dropout_penalty": (checks.check_dropout_penalty, dropout_penalty, [
        ("checks' reference", lambda X, w, p: dropout._penalty_reference(X, w, p))]),
    "check_batchnorm_forward": (checks.check_batchnorm_forward, batchnorm_forward, [
        ("functional.batch_norm_forward", lambda x, g, b, e: F.batch_norm_forward(x, g, b, e)[0]),
        ("normalization.BatchNorm1d", _bn_module)]),
    "check_batchnorm_backward": (checks.check_batchnorm_backward, batchnorm_backward, [
        ("functional.batch_norm_backward", _bn_backward_ref)]),
    "check_layernorm_forward": (checks.check_layernorm_forward, layernorm_forward, [
        ("functional.layer_norm_forward", lambda x, g, b, e: F.layer_norm_forward(x, g, b, e)[0]),
        ("normalization.LayerNorm", _ln_module)]),
    "check_patience": (checks.check_patience, stopping_rule, [("EarlyStopping", _es)]),
    "check_quadratic_closed_form": (checks.check_quadratic_closed_form, closed_form, [
        ("early_stopping.quadratic_closed_form",
         lambda a, b, lr, t, th=0.0: float(quadratic_closed_form(a, b, lr, t, th))),
        ("early_stopping.quadratic_gd", lambda a, b, lr, t, th=0.0: float(quadratic_gd(a, b, lr, t, th)[-1]))]),
    "check_diagnose": (checks.check_diagnose, diagnose, [
        ("learning_curves.reference_diagnose", learning_curves.reference_diagnose)]),
    "check_select_on_validation": (checks.check_select_on_validation, select, [
        ("checks' reference", protocol._reference)]),
}


def _out(capsys) -> str:
    return capsys.readouterr().out


def test_every_exported_check_is_covered():
    exported = {name for name in checks.__all__ if name.startswith("check_")}
    assert exported == set(CASES)
    blocked = {}
    for module in (capacity, dropout, early_stopping, learning_curves, normalization, optim,
                   penalties, protocol, ridge):
        blocked.update(module.BLOCKED)
    assert set(blocked) == exported, "every check lists the references it blocks"
    assert all(blocked.values()), "every check blocks at least one reference"


@pytest.mark.parametrize("name", sorted(CASES))
def test_correct_answer_passes_visible_and_hidden_inputs(name, capsys):
    check, correct, _ = CASES[name]
    assert check(correct)
    for seed in SEEDS + (grader_seed(f"test-{name}"),):
        assert check(correct, seed=seed), _out(capsys)
    assert "[FAILED]" not in _out(capsys)


@pytest.mark.parametrize("name,which", [(n, i) for n, c in sorted(CASES.items())
                                        for i in range(len(c[2]))])
def test_delegating_to_the_reference_fails_and_says_implement_it_yourself(name, which, capsys):
    check, correct, delegates = CASES[name]
    label, delegate = delegates[which]
    for seed in (None, SEEDS[0]):
        assert check(delegate, seed=seed) is False, label
        out = _out(capsys)
        assert f"[FAILED] {name}:" in out and IMPLEMENT_YOURSELF in out, out

    def sneaky(*args, **kwargs):        # catches everything and falls back to the right answer
        try:
            return delegate(*args, **kwargs)
        except BaseException:            # noqa: BLE001 - the point of the test
            return correct(*args, **kwargs)
    assert check(sneaky) is False
    assert IMPLEMENT_YOURSELF in _out(capsys)
    # the references answer again once the check is over
    assert check(correct)
    args = _recorded_calls(check, correct)[0]
    got, want = _as_plain(delegate(*args)), _as_plain(correct(*args))
    if isinstance(want, str):
        assert got == want
    else:
        for g, w in zip(*(((got,), (want,)) if not isinstance(want, tuple) else (got, want))):
            assert (g is None and w is None) or np.allclose(g, w, rtol=1e-12, atol=1e-12)


def _as_plain(value):
    if isinstance(value, tuple):
        return tuple(np.asarray(v, dtype=float) if v is not None else None for v in value)
    return np.asarray(value, dtype=float) if not isinstance(value, str) else value


def _recorded_calls(check, correct) -> list[tuple]:
    calls = []

    def recorder(*args, **kwargs):
        calls.append(args + tuple(kwargs.values()))
        return correct(*args, **kwargs)
    assert check(recorder)
    return calls


def _key(args) -> bytes:
    return pickle.dumps([np.asarray(a).tobytes() + str(np.asarray(a).shape).encode()
                         if not isinstance(a, (tuple, list)) or not a or not isinstance(a[0], float)
                         else str(a).encode() for a in args])


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_answer_that_memorised_the_visible_inputs_fails_the_hidden_test(name, capsys):
    check, correct, _ = CASES[name]
    table = {_key(args): correct(*args) for args in _recorded_calls(check, correct)}

    def memorised(*args, **kwargs):
        key = _key(args + tuple(kwargs.values()))
        if key not in table:
            raise KeyError("not one of the inputs I have seen")
        return table[key]
    assert check(memorised), _out(capsys)
    for seed in SEEDS:
        assert check(memorised, seed=seed) is False
        assert "[FAILED]" in _out(capsys)


def test_grader_seed_depends_on_the_secret_and_the_cell(monkeypatch):
    monkeypatch.delenv("REGCORE_GRADER_SEED", raising=False)
    default = grader_seed("ch03-l1-grad")
    assert default == grader_seed("ch03-l1-grad") != grader_seed("ch03-soft-threshold")
    monkeypatch.setenv("REGCORE_GRADER_SEED", "instructor-secret")
    assert grader_seed("ch03-l1-grad") != default
    assert 0 <= grader_seed("x") < 2 ** 32


def test_blocking_restores_the_code_even_when_the_learner_raises(capsys):
    original = F.cross_entropy.__code__

    def broken(z, y):
        raise ValueError("my bug")
    assert checks.check_cross_entropy(broken) is False
    assert "my bug" in _out(capsys)
    assert F.cross_entropy.__code__ is original
    assert not any(getattr(f, "__regcore_blocked__", False)
                   for f in capacity.BLOCKED["check_cross_entropy"])


def test_a_stub_still_raises_not_implemented():
    def stub(theta, lam):
        raise NotImplementedError("Exercise: replace this line with your solution.")
    with pytest.raises(NotImplementedError):
        checks.check_l1_grad(stub)


def test_reference_inputs_swaps_an_earlier_exercise_for_its_reference_and_restores_it():
    namespace = {"soft_threshold": lambda theta, step, lam: theta}   # a wrong learner's version
    learner = namespace["soft_threshold"]
    with checks.reference_inputs(namespace, "soft_threshold"):
        got = namespace["soft_threshold"](np.array([2.0, -0.1]), 1.0, 0.5)
        np.testing.assert_array_equal(got, [1.5, 0.0])
    assert namespace["soft_threshold"] is learner
    empty = {}
    with checks.reference_inputs(empty, "soft_threshold"):
        assert "soft_threshold" in empty
    assert empty == {}
    with pytest.raises(KeyError, match="no reference solution"):
        checks.reference_inputs({}, "ista")
