"""The self-check of chapter 11 accepts the protocol's choice and names typical mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from regcore import checks


def correct(val, test):
    return int(np.argmax(val.mean(axis=1)))


def test_correct_implementation_passes(capsys):
    assert checks.check_select_on_validation(correct)
    assert checks.check_select_on_validation(lambda v, t: np.argmax(np.mean(v, axis=1)))
    assert capsys.readouterr().out.count("[PASSED]") == 2


@pytest.mark.parametrize("wrong, phrase", [
    (lambda v, t: int(np.argmax(t.mean(axis=1))), "TEST accuracy"),
    (lambda v, t: int(np.argmin(v.mean(axis=1))), "LOWEST mean validation"),
    (lambda v, t: int(np.argmax(v.mean(axis=0))), "wrong axis"),
    (lambda v, t: int(np.argmax(v[:, 0])), "first seed only"),
    (lambda v, t: int(np.argmax(v.max(axis=1))), "single best run"),
    (lambda v, t: int(len(v) - 1 - np.argmax(v.mean(axis=1)[::-1])), "keeps the first"),
    (lambda v, t: v.mean(axis=1), "one integer index"),
])
def test_typical_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_select_on_validation(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED]" in out and phrase in out, out


def test_mutation_missing_return_and_exceptions(capsys):
    def in_place(v, t):
        v -= t
        return 0
    assert checks.check_select_on_validation(in_place) is False
    assert "in place" in capsys.readouterr().out
    assert checks.check_select_on_validation(lambda v, t: None) is False
    assert "forget `return`" in capsys.readouterr().out

    def broken(v, t):
        raise KeyError("oops")
    assert checks.check_select_on_validation(broken) is False
    assert "raised KeyError" in capsys.readouterr().out


def test_student_stub_raises_not_implemented():
    def stub(v, t):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_select_on_validation(stub)
