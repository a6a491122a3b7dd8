"""The self-checks of chapters 7 and 8 accept correct answers and name typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks
from regcore import functional as F


# ------------------------------------------------------------ correct answers
def bn_forward(x, gamma, beta, eps):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta


def bn_forward_loop(x, gamma, beta, eps):
    out = np.empty_like(x)
    for j in range(x.shape[1]):
        col = x[:, j]
        mu = col.sum() / len(col)
        var = ((col - mu) ** 2).sum() / len(col)
        out[:, j] = gamma[j] * (col - mu) / (var + eps) ** 0.5 + beta[j]
    return out


def ln_forward(x, gamma, beta, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def bn_backward(dout, x, gamma, eps):
    n = x.shape[0]
    s = np.sqrt(x.var(axis=0) + eps)
    xhat = (x - x.mean(axis=0)) / s
    dx = gamma / (n * s) * (n * dout - dout.sum(axis=0) - xhat * (dout * xhat).sum(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def bn_backward_staged(dout, x, gamma, eps):
    """The CS231n computational-graph version: different arithmetic, same answer."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xc, axis=0) * -0.5 * std ** -3
    dmu = np.sum(-dxhat / std, axis=0) + dvar * np.mean(-2 * xc, axis=0)
    dx = dxhat / std + dvar * 2 * xc / n + dmu / n
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def test_correct_implementations_pass(capsys):
    assert checks.check_batchnorm_forward(bn_forward)
    assert checks.check_batchnorm_forward(bn_forward_loop)
    assert checks.check_layernorm_forward(ln_forward)
    assert checks.check_layernorm_forward(lambda x, g, b, e: bn_forward(x.T, g[:, None], b[:, None], e).T)
    assert checks.check_batchnorm_backward(bn_backward)
    assert checks.check_batchnorm_backward(bn_backward_staged)
    assert checks.check_batchnorm_backward(lambda d, x, g, e: list(bn_backward(d, x, g, e)))
    out = capsys.readouterr().out
    assert out.count("[PASSED]") == 7 and "[FAILED]" not in out


def test_delegating_to_regcore_is_refused(capsys):
    assert not checks.check_batchnorm_forward(lambda x, g, b, e: F.batch_norm_forward(x, g, b, e)[0])
    assert "implement it yourself" in capsys.readouterr().out


# ---------------------------------------------------------- forward mistakes
def _norm(x, axis, eps, ddof=0):
    return (x - x.mean(axis=axis, keepdims=True)) / np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + eps)


def forward_mistakes(axis):
    """Wrong implementations of a normalization over ``axis`` (0: batch norm, 1: layer norm)."""
    other = 1 - axis

    def keep(f):
        return lambda x, g, b, e: f(x, g, b, e, axis)
    return [
        (keep(lambda x, g, b, e, a: g * _norm(x, other, e) + b), "you normalised"),
        (keep(lambda x, g, b, e, a: g * _norm(x, None, e) + b), "single mean and variance"),
        (keep(lambda x, g, b, e, a: g * _norm(x, a, e, ddof=1) + b), "unbiased variance"),
        (keep(lambda x, g, b, e, a: g * (x - x.mean(a, keepdims=True))
              / (x.std(a, keepdims=True) + e) + b), "eps belongs inside the square root"),
        (keep(lambda x, g, b, e, a: g * ((x - x.mean(a, keepdims=True))
                                         / x.std(a, keepdims=True) + e) + b),
         "you added it after dividing"),
        (keep(lambda x, g, b, e, a: g * (x - x.mean(a, keepdims=True))
              / x.std(a, keepdims=True) + b), "you left out eps"),
        (keep(lambda x, g, b, e, a: g * (x - x.mean(a, keepdims=True))
              / (x.var(a, keepdims=True) + e) + b), "not by the variance"),
        (keep(lambda x, g, b, e, a: _norm(x, a, e)), "without the learned scale and shift"),
        (keep(lambda x, g, b, e, a: g * _norm(x, a, e)), "you forgot the shift"),
        (keep(lambda x, g, b, e, a: _norm(x, a, e) + b), "you forgot the scale"),
        (keep(lambda x, g, b, e, a: b * _norm(x, a, e) + g), "gamma and beta are swapped"),
    ]


@pytest.mark.parametrize("index", range(11))
def test_batchnorm_forward_mistakes_are_named(index, capsys):
    wrong, phrase = forward_mistakes(0)[index]
    assert checks.check_batchnorm_forward(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_batchnorm_forward" in out and phrase in out, out


@pytest.mark.parametrize("index", range(11))
def test_layernorm_forward_mistakes_are_named(index, capsys):
    wrong, phrase = forward_mistakes(1)[index]
    assert checks.check_layernorm_forward(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_layernorm_forward" in out and phrase in out, out


def test_wrong_axis_messages_name_the_other_layer(capsys):
    assert checks.check_batchnorm_forward(lambda x, g, b, e: g * _norm(x, 1, e) + b) is False
    assert "which is layer normalization" in capsys.readouterr().out
    assert checks.check_layernorm_forward(lambda x, g, b, e: g * _norm(x, 0, e) + b) is False
    assert "which is batch normalization" in capsys.readouterr().out


def test_wrong_axis_without_keepdims_is_reported(capsys):
    # (x - x.mean(axis=1)) broadcasts only for square inputs: the check reports the crash
    def no_keepdims(x, g, b, e):
        return g * (x - x.mean(axis=1)) / np.sqrt(x.var(axis=1) + e) + b
    assert checks.check_batchnorm_forward(no_keepdims) is False
    assert "without keepdims=True" in capsys.readouterr().out
    assert checks.check_layernorm_forward(no_keepdims) is False
    assert "keepdims is missing" in capsys.readouterr().out


# --------------------------------------------------------- backward mistakes
def _stats(x, eps, ddof=0, with_eps=True):
    s = np.sqrt(x.var(axis=0, ddof=ddof) + (eps if with_eps else 0.0))
    return (x - x.mean(axis=0)) / s, s


def _bwd(dout, x, gamma, eps, *, ddof=0, with_eps=True, mean_term=1.0, var_term=1.0,
         sign=-1.0, scale=True):
    n = x.shape[0]
    xhat, s = _stats(x, eps, ddof, with_eps)
    g = gamma if scale else 1.0
    dx = g / (n * s) * (n * dout - mean_term * dout.sum(0) + sign * var_term * xhat * (dout * xhat).sum(0))
    xhat0, _ = _stats(x, eps)
    return dx, (dout * xhat0).sum(0), dout.sum(0)


def _dx_over_features(dout, x, gamma, eps):
    """The compact formula with every statistic and sum taken along axis 1."""
    d = x.shape[1]
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = (x - mu) / s
    return gamma / (d * s) * (d * dout - dout.sum(1, keepdims=True)
                              - xhat * (dout * xhat).sum(1, keepdims=True))


BACKWARD_MISTAKES = [
    (lambda d, x, g, e: (d * g / np.sqrt(x.var(0) + e),) + bn_backward(d, x, g, e)[1:],
     "treated them as constants"),
    (lambda d, x, g, e: _bwd(d, x, g, e, mean_term=0.0), "comes from the batch mean"),
    (lambda d, x, g, e: _bwd(d, x, g, e, var_term=0.0), "comes from the batch variance"),
    (lambda d, x, g, e: _bwd(d, x, g, e, sign=1.0), "minus sign"),
    (lambda d, x, g, e: _bwd(d, x, g, e, scale=False), "carries the factor gamma"),
    (lambda d, x, g, e: _bwd(d, x, g, e, ddof=1), "used the unbiased one"),
    (lambda d, x, g, e: _bwd(d, x, g, e, with_eps=False), "you used sqrt(var)"),
    (lambda d, x, g, e: (_dx_over_features(d, x, g, e),) + bn_backward(d, x, g, e)[1:],
     "summed over the features"),
    (lambda d, x, g, e: (bn_backward(d, x, g, e)[0], bn_backward(d, x, g, e)[2],
                         bn_backward(d, x, g, e)[1]), "swapped"),
    (lambda d, x, g, e: (bn_backward(d, x, g, e)[0], (d * x).sum(0), d.sum(0)),
     "not of dout * x"),
    (lambda d, x, g, e: (bn_backward(d, x, g, e)[0], (d * _stats(x, e)[0]).mean(0), d.sum(0)),
     "not the mean"),
    (lambda d, x, g, e: bn_backward(d, x, g, e)[:2] + (d.mean(0),), "not the mean"),
    (lambda d, x, g, e: bn_backward(d, x, g, e)[0], "as a tuple (dx, dgamma, dbeta)"),
]


@pytest.mark.parametrize("index", range(len(BACKWARD_MISTAKES)))
def test_batchnorm_backward_mistakes_are_named(index, capsys):
    wrong, phrase = BACKWARD_MISTAKES[index]
    assert checks.check_batchnorm_backward(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_batchnorm_backward" in out and phrase in out, out


def test_unexpected_mistakes_get_the_default_hint(capsys):
    assert checks.check_batchnorm_forward(lambda x, g, b, e: bn_forward(x, g, b, e) + 0.1) is False
    assert "return gamma * xhat + beta" in capsys.readouterr().out
    assert checks.check_batchnorm_backward(
        lambda d, x, g, e: (bn_backward(d, x, g, e)[0] + 0.1,) + bn_backward(d, x, g, e)[1:]) is False
    assert "sums over the batch (axis 0)" in capsys.readouterr().out


# ------------------------------------------------------ mutation, None, errors
def test_mutating_the_input_is_caught(capsys):
    def in_place_bn(x, g, b, e):
        x -= x.mean(axis=0)
        x /= np.sqrt(x.var(axis=0) + e)
        return g * x + b

    def in_place_ln(x, g, b, e):
        x -= x.mean(axis=1, keepdims=True)
        return g * x / np.sqrt(x.var(axis=1, keepdims=True) + e) + b

    def in_place_gamma(d, x, g, e):
        g *= 1.0
        d *= 2.0
        return bn_backward(d / 2.0, x, g, e)

    assert checks.check_batchnorm_forward(in_place_bn) is False
    assert "modified its argument `x` in place" in capsys.readouterr().out
    assert checks.check_layernorm_forward(in_place_ln) is False
    assert "modified its argument `x` in place" in capsys.readouterr().out
    assert checks.check_batchnorm_backward(in_place_gamma) is False
    assert "modified its argument `dout` in place" in capsys.readouterr().out


def test_missing_return_and_exceptions_are_reported(capsys):
    assert checks.check_layernorm_forward(lambda x, g, b, e: None) is False
    assert "forget `return`" in capsys.readouterr().out

    def broken(d, x, g, e):
        raise KeyError("oops")
    assert checks.check_batchnorm_backward(broken) is False
    assert "raised KeyError" in capsys.readouterr().out
    assert checks.check_batchnorm_forward(lambda x, g, b, e: "out") is False
    assert "must be an array of numbers" in capsys.readouterr().out


@pytest.mark.parametrize("check", ["check_batchnorm_forward", "check_batchnorm_backward",
                                   "check_layernorm_forward"])
def test_student_stub_raises_not_implemented(check):
    def stub(*args):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        getattr(checks, check)(stub)
