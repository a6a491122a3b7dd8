"""The self-checks of chapters 3-4 accept a correct answer and name typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks


def test_correct_implementations_pass(capsys):
    assert checks.check_l1_grad(lambda t, lam: lam * np.sign(t))
    assert checks.check_l2_grad(lambda t, lam: 2 * lam * t)
    assert checks.check_soft_threshold(lambda t, s, lam: np.sign(t) * np.maximum(np.abs(t) - s * lam, 0))
    out = capsys.readouterr().out
    assert out.count("[PASSED]") == 3


@pytest.mark.parametrize("check, wrong, phrase", [
    ("check_l1_grad", lambda t, lam: -lam * np.sign(t), "sign of theta"),
    ("check_l1_grad", lambda t, lam: 2 * lam * np.sign(t), "no factor 2"),
    ("check_l1_grad", lambda t, lam: lam * np.where(t >= 0, 1.0, -1.0), "value 0 at theta = 0"),
    ("check_l2_grad", lambda t, lam: lam * t, "dropped the factor 2"),
    ("check_l2_grad", lambda t, lam: -2 * lam * t, "points along theta"),
    ("check_l2_grad", lambda t, lam: 2 * lam * t.sum(axis=0), "shape"),
    ("check_soft_threshold", lambda t, s, lam: t - s * lam * np.sign(t), "stops at exactly 0"),
])
def test_typical_mistakes_are_named(check, wrong, phrase, capsys):
    assert getattr(checks, check)(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED]" in out and phrase in out


def test_mutating_the_input_is_caught(capsys):
    def in_place(t, lam):
        t *= 2 * lam
        return t
    assert checks.check_l2_grad(in_place) is False
    assert "modified its argument number 1 in place" in capsys.readouterr().out


def test_missing_return_and_exceptions_are_reported(capsys):
    assert checks.check_l1_grad(lambda t, lam: None) is False
    assert "forget `return`" in capsys.readouterr().out

    def broken(t, lam):
        raise KeyError("oops")
    assert checks.check_l1_grad(broken) is False
    assert "raised KeyError" in capsys.readouterr().out


def test_student_stub_raises_not_implemented():
    def stub(t, lam):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_l1_grad(stub)
