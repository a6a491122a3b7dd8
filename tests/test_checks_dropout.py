"""The self-checks of chapter 6 accept a correct answer and name typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks


def _penalty(X, w, p):
    return p / (1 - p) * np.sum(w ** 2 * np.sum(X ** 2, axis=0))


def test_correct_implementations_pass(capsys):
    assert checks.check_dropout_forward(lambda x, m, p: x * m / (1 - p))
    assert checks.check_dropout_backward(lambda d, m, p: d * m / (1 - p))
    assert checks.check_dropout_penalty(_penalty)
    # other correct spellings: boolean indexing, np.where, a loop over columns
    assert checks.check_dropout_forward(lambda x, m, p: np.where(m == 1, x / (1 - p), 0.0))
    assert checks.check_dropout_penalty(
        lambda X, w, p: sum(p / (1 - p) * w[j] ** 2 * X[:, j] @ X[:, j] for j in range(len(w))))
    out = capsys.readouterr().out
    assert out.count("[PASSED]") == 5 and "[FAILED]" not in out


MASKED_MISTAKES = [
    (lambda v, m, p: v * m, "forgot to divide the kept entries by 1 - p"),
    (lambda v, m, p: v * m * (1 - p), "multiplied by 1 - p = 0.8 instead of dividing"),
    (lambda v, m, p: v * m / p if p > 0 else v * m, "probability of *dropping* a unit"),
    (lambda v, m, p: v * (1 - m) / (1 - p), "you zeroed the kept entries"),
    (lambda v, m, p: v * (1 - m) / p if p > 0 else v, "you swapped both"),
    (lambda v, m, p: v / (1 - p), "did not apply the mask"),
]


@pytest.mark.parametrize("wrong, phrase", MASKED_MISTAKES)
def test_forward_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_dropout_forward(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_dropout_forward" in out and phrase in out


@pytest.mark.parametrize("wrong, phrase", MASKED_MISTAKES + [
    (lambda d, m, p: d, "not dout"),
])
def test_backward_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_dropout_backward(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_dropout_backward" in out and phrase in out


@pytest.mark.parametrize("wrong, phrase", [
    (lambda X, w, p: p / (1 - p) * np.sum(w ** 2), "computed plain L2"),
    (lambda X, w, p: p / (1 - p) * np.sum(w ** 2 * np.sum(X ** 2, axis=1)), "summed along the rows"),
    (lambda X, w, p: p / (1 - p) * np.sum(w ** 2 * np.sum(X, axis=0) ** 2), "square each entry first"),
    (lambda X, w, p: p * np.sum(w ** 2 * np.sum(X ** 2, axis=0)), "forgot the 1/(1-p)"),
    (lambda X, w, p: p * (1 - p) * np.sum(w ** 2 * np.sum(X ** 2, axis=0)), "unscaled mask"),
    (lambda X, w, p: p / (1 - p) * np.sum(w ** 2 * np.mean(X ** 2, axis=0)), "not the mean"),
    (lambda X, w, p: (1 - p) / p * np.sum(w ** 2 * np.sum(X ** 2, axis=0)), "not (1-p)/p"),
])
def test_penalty_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_dropout_penalty(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED] check_dropout_penalty" in out and phrase in out


def test_unexpected_mistakes_get_the_default_hint(capsys):
    assert checks.check_dropout_forward(lambda x, m, p: x * m / (1 - p) + 0.1) is False
    assert "writes 0 where mask == 0" in capsys.readouterr().out
    assert checks.check_dropout_penalty(lambda X, w, p: 1.0) is False
    assert "a single number" in capsys.readouterr().out


def test_mutating_the_input_is_caught_before_the_value(capsys):
    def in_place(x, m, p):
        x *= m                  # wrong twice: in place, and the 1/(1-p) is missing
        return x

    def in_place_mask(x, m, p):
        m /= 1 - p
        return x * m
    for fn in (in_place, in_place_mask):
        assert checks.check_dropout_forward(fn) is False
        assert "modified its argument" in capsys.readouterr().out


def test_missing_return_and_exceptions_are_reported(capsys):
    assert checks.check_dropout_backward(lambda d, m, p: None) is False
    assert "forget `return`" in capsys.readouterr().out

    def broken(X, w, p):
        raise KeyError("oops")
    assert checks.check_dropout_penalty(broken) is False
    assert "raised KeyError" in capsys.readouterr().out


@pytest.mark.parametrize("check", ["check_dropout_forward", "check_dropout_backward",
                                   "check_dropout_penalty"])
def test_student_stub_raises_not_implemented(check):
    def stub(*args):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        getattr(checks, check)(stub)
