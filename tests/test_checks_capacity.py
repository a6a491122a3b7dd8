"""The self-checks of chapters 1-2 accept correct answers and name typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks


# ---------------------------------------------------------------------------
# correct implementations, in several spellings


def _ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def _ce_loop(z, y):
    total = 0.0
    for row, label in zip(z, y):
        m = row.max()
        total += m + np.log(np.sum(np.exp(row - m))) - row[label]
    return total / len(y)


def _bv(P, f):
    f_bar = P.mean(axis=0)
    return np.mean((f_bar - f) ** 2), np.mean(P.var(axis=0))


def test_correct_implementations_pass(capsys):
    assert checks.check_cross_entropy(_ce)
    assert checks.check_cross_entropy(_ce_loop)
    assert checks.check_poly_features(lambda x, k: x[:, None] ** np.arange(k + 1))
    assert checks.check_poly_features(lambda x, k: np.vander(x, k + 1, increasing=True))
    assert checks.check_poly_features(lambda x, k: np.stack([x ** j for j in range(k + 1)], axis=1))
    assert checks.check_bias_variance(_bv)
    assert checks.check_bias_variance(lambda P, f: [float(np.mean((P.mean(0) - f) ** 2)),
                                                     float(np.mean((P - P.mean(0)) ** 2))])
    out = capsys.readouterr().out
    assert out.count("[PASSED]") == 7 and "[FAILED]" not in out


# ---------------------------------------------------------------------------
# chapter 1: cross-entropy


def _per_sample(z, y):
    s = z - z.max(axis=1, keepdims=True)
    return -(s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[np.arange(len(y)), y]


def _ce_rows_cols(z, y):
    s = z - z.max(axis=0, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=0, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def _naive_ce(z, y):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(y)), y]).mean()


def _half_shift(z, y):
    s = z - z.max(axis=1, keepdims=True)
    return (np.log(np.exp(s).sum(axis=1)) - z[np.arange(len(y)), y]).mean()


def _in_place(z, y):
    z -= z.max(axis=1, keepdims=True)
    return -(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[np.arange(len(y)), y].mean()


CE_MISTAKES = [
    (lambda z, y: _ce(z, y) * len(y), "you summed over the batch"),
    (lambda z, y: -_ce(z, y), "opposite sign"),
    (_ce_rows_cols, "normalised each column"),
    (lambda z, y: -(z - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
                    - z.max(1, keepdims=True)).mean(), "averaged -logp over all the classes"),
    (lambda z, y: -z[np.arange(len(y)), y].mean(), "left out the normaliser"),
    (lambda z, y: -np.exp(-_per_sample(z, y)).mean(), "instead of minus its logarithm"),
    (lambda z, y: _per_sample(z, y), "not one loss per sample"),
    (_half_shift, "but not from the picked logit"),
    (_naive_ce, "overflows"),
    (_in_place, "modified its argument number 1 in place"),
]



@pytest.mark.parametrize("wrong, phrase", CE_MISTAKES)
def test_cross_entropy_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_cross_entropy(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_cross_entropy" in out and phrase in out, out


def test_cross_entropy_check_prints_no_warning(recwarn, capsys):
    assert checks.check_cross_entropy(_naive_ce) is False
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ---------------------------------------------------------------------------
# chapter 2: polynomial features


@pytest.mark.parametrize("wrong, phrase", [
    (lambda x, k: np.vander(x, k + 1), "increasing=True"),
    (lambda x, k: x[:, None] ** np.arange(1, k + 1), "include the constant column"),
    (lambda x, k: x[:, None] ** np.arange(k), "the last column is x**degree"),
    (lambda x, k: x[:, None] ** np.arange(k + 2), "one power too many"),
    (lambda x, k: x[None, :] ** np.arange(k + 1)[:, None], "returned the transpose"),
    (lambda x, k: x[:, None] * np.arange(k + 1), "column j of the design matrix is x**j"),
])
def test_poly_features_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_poly_features(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_poly_features" in out and phrase in out, out


def test_poly_features_mutation_is_caught(capsys):
    def in_place(x, k):
        x **= 1.0 + 0 * k
        x *= 2.0
        return (x / 2.0)[:, None] ** np.arange(k + 1)
    assert checks.check_poly_features(in_place) is False
    assert "modified its argument number 1 in place" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# chapter 2: bias and variance


@pytest.mark.parametrize("wrong, phrase", [
    (lambda P, f: (_bv(P, f)[0], np.mean(P.var(axis=0, ddof=1))), "not by D - 1"),
    (lambda P, f: (_bv(P, f)[0], np.mean(P.var(axis=1))), "you took it across the points"),
    (lambda P, f: (np.mean(P.mean(0) - f) ** 2, _bv(P, f)[1]), "then average over the points"),
    (lambda P, f: (np.mean((P - f) ** 2), _bv(P, f)[1]), "mean squared error bias2 + variance"),
    (lambda P, f: (np.mean(np.abs(P.mean(0) - f)), _bv(P, f)[1]), "did not square it"),
    (lambda P, f: (_bv(P, f)[0], np.mean(P.std(axis=0))), "not a standard deviation"),
    (lambda P, f: _bv(P, f)[::-1], "in the order (bias2, variance)"),
    (lambda P, f: _bv(P, f)[0], "has shape ()"),
])
def test_bias_variance_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_bias_variance(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_bias_variance" in out and phrase in out, out


def test_bias_variance_mutation_is_caught(capsys):
    def in_place(P, f):
        P -= P.mean(axis=0)
        return 0.0, float(np.mean(P ** 2))
    assert checks.check_bias_variance(in_place) is False
    assert "modified its argument number 1 in place" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# plumbing shared by the three checks


@pytest.mark.parametrize("check", ["check_cross_entropy", "check_poly_features",
                                   "check_bias_variance"])
def test_missing_return_exceptions_and_stubs(check, capsys):
    assert getattr(checks, check)(lambda *a: None) is False
    assert "forget `return`" in capsys.readouterr().out

    def broken(*a):
        raise KeyError("oops")
    assert getattr(checks, check)(broken) is False
    assert "raised KeyError" in capsys.readouterr().out

    def stub(*a):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        getattr(checks, check)(stub)


def test_non_numeric_answer_is_reported(capsys):
    assert checks.check_bias_variance(lambda P, f: "bias") is False
    assert "must be numbers" in capsys.readouterr().out
