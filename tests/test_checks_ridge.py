"""The self-checks of chapter 4 accept correct answers and name typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks


def _primal(X, y, lam):
    n, d = X.shape
    return np.linalg.solve(X.T @ X + n * lam * np.eye(d), X.T @ y)


def _dual(X, y, lam):
    n = X.shape[0]
    return X.T @ np.linalg.solve(X @ X.T + n * lam * np.eye(n), y)


def test_correct_implementations_pass(capsys):
    assert checks.check_ridge_closed_form(_primal)
    assert checks.check_ridge_closed_form(_dual)           # the push-through identity: same vector
    assert checks.check_ridge_closed_form(                  # via an augmented least-squares problem
        lambda X, y, lam: np.linalg.lstsq(
            np.vstack([X, np.sqrt(len(X) * lam) * np.eye(X.shape[1])]),
            np.concatenate([y, np.zeros(X.shape[1])]), rcond=None)[0])
    assert checks.check_map_lambda(lambda s2, t2, n: s2 / (n * t2))
    assert checks.check_map_lambda(lambda s2, t2, n: np.float64(s2) / t2 / n)
    out = capsys.readouterr().out
    assert out.count("[PASSED]") == 5 and "[FAILED]" not in out


def _with(c):
    return lambda X, y, lam: np.linalg.solve(X.T @ X + c(len(X), lam) * np.eye(X.shape[1]), X.T @ y)


@pytest.mark.parametrize("wrong, phrase", [
    (_with(lambda n, lam: lam), "the data term is a *mean*"),
    (_with(lambda n, lam: n * lam / 2), "(lam/2)||w||^2"),
    (_with(lambda n, lam: 2 * n * lam), "you used 2*n*lam"),
    (lambda X, y, lam: np.linalg.solve(X.T @ X + len(X) * lam, X.T @ y), "diagonal only"),
    (lambda X, y, lam: np.linalg.solve(X.T @ X + len(X) * lam * np.eye(X.shape[1]), X.T @ y)[:, None],
     "shape (d,)"),
    (lambda X, y, lam: np.linalg.solve(X @ X.T + len(X) * lam * np.eye(len(X)), y), "not the n x n"),
    (lambda X, y, lam: -_primal(X, y, lam), "set the gradient"),
])
def test_ridge_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_ridge_closed_form(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_ridge_closed_form" in out and phrase in out


def test_least_squares_is_named(capsys):
    assert checks.check_ridge_closed_form(lambda X, y, lam: np.linalg.lstsq(X, y, rcond=None)[0]) is False
    assert "least-squares solution" in capsys.readouterr().out


def test_ridge_mutated_input_and_exceptions(capsys):
    def in_place(X, y, lam):
        X *= 1.0 / np.sqrt(len(X))                         # "normalise" the caller's design
        return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y) * np.sqrt(len(X))
    assert checks.check_ridge_closed_form(in_place) is False
    assert "modified its argument X in place" in capsys.readouterr().out

    assert checks.check_ridge_closed_form(lambda X, y, lam: None) is False
    assert "forget `return`" in capsys.readouterr().out

    # X X^T has shape (n, n): solving it against X^T y fails for n != d
    assert checks.check_ridge_closed_form(
        lambda X, y, lam: np.linalg.solve(X @ X.T + lam * np.eye(len(X)), X.T @ y)) is False
    assert "raised" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, phrase", [
    (lambda s2, t2, n: s2 / t2, "*sum* of squares"),
    (lambda s2, t2, n: s2 / (2 * n * t2), "no factor 1/2"),
    (lambda s2, t2, n: t2 / (n * s2), "upside down"),
    (lambda s2, t2, n: np.sqrt(s2 / t2) / n, "do not take square roots"),
    (lambda s2, t2, n: 1 / (2 * n * t2), "cross-entropy"),
    (lambda s2, t2, n: n * s2 / t2, "read off the coefficient"),
    (lambda s2, t2, n: np.array([s2, t2]) / n, "single number"),
])
def test_map_lambda_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_map_lambda(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_map_lambda" in out and phrase in out


def test_student_stubs_raise_not_implemented():
    def stub(*args):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_ridge_closed_form(stub)
    with pytest.raises(NotImplementedError):
        checks.check_map_lambda(stub)
