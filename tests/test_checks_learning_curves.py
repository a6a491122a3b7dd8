"""The chapter-10 self-check accepts correct diagnoses and names typical mistakes."""
from __future__ import annotations

import pytest

from regcore import checks


def _diagnose(train_err, val_err, noise_var, tol=0.5):
    high = train_err > (1 + tol) * noise_var
    gap = val_err - train_err > tol * noise_var
    if high and gap:
        return "both"
    if high:
        return "underfit"
    if gap:
        return "overfit"
    return "good"


def _diagnose_table(train_err, val_err, noise_var, tol=0.5):
    labels = [["good", "overfit"], ["underfit", "both"]]
    return labels[int(train_err > (1 + tol) * noise_var)][int(val_err - train_err > tol * noise_var)]


def test_correct_implementations_pass(capsys):
    assert checks.check_diagnose(_diagnose)
    assert checks.check_diagnose(_diagnose_table)
    out = capsys.readouterr().out
    assert out.count("[PASSED]") == 2 and "[FAILED]" not in out


def _lab(high, gap):
    return [["good", "overfit"], ["underfit", "both"]][int(high)][int(gap)]


MISTAKES = [
    (lambda t, v, s, tol=0.5: _lab(v - t > tol * s, t > (1 + tol) * s), "swapped the two labels"),
    (lambda t, v, s, tol=0.5: _lab(v > (1 + tol) * s, v - t > tol * s), "you tested the validation error"),
    (lambda t, v, s, tol=0.5: _lab(t > (1 + tol) * s, abs(v - t) > tol * s), "absolute value"),
    (lambda t, v, s, tol=0.5: _lab(t > s, v - t > tol * s), "(1 + tol) * noise_var"),
    (lambda t, v, s, tol=0.5: _lab(t > (1 + tol) * s, v > (1 + tol) * t), "relative to the training error"),
    (lambda t, v, s, tol=0.5: "overfitting" if v > t else "fine", "return one of"),
    (lambda t, v, s, tol=0.5: _lab(t > (1 + tol) * s, v - t > 0.5 * s), "for (train_err"),
]


@pytest.mark.parametrize("fn, phrase", MISTAKES)
def test_mistakes_are_named(fn, phrase, capsys):
    assert not checks.check_diagnose(fn)
    out = capsys.readouterr().out
    assert "[FAILED] check_diagnose" in out and phrase in out, out


def test_exceptions_are_reported(capsys):
    def broken(t, v, s, tol=0.5):
        raise KeyError("oops")
    assert not checks.check_diagnose(broken)
    assert "raised KeyError" in capsys.readouterr().out


def test_not_implemented_propagates():
    def stub(t, v, s, tol=0.5):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_diagnose(stub)
