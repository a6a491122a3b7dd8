"""The self-checks of chapter 9 accept a correct answer and name typical mistakes."""
from __future__ import annotations

import math

import pytest

from regcore import checks


def _rule(values, patience, min_delta=0.0, *, strict=True, offset=0, use_delta=True, nan_improves=False):
    """A family of stopping rules: the defaults are correct, each keyword plants one mistake."""
    best, best_epoch, wait = math.inf, None, 0
    for i, v in enumerate(values):
        delta = min_delta if use_delta else 0.0
        if nan_improves:
            improved = not (v >= best - delta)
        else:
            improved = v < best - delta if strict else v <= best - delta
        if improved:
            best, best_epoch, wait = v, i, 0
            continue
        wait += 1
        if wait >= patience + offset:
            return best_epoch, i
    return best_epoch, None


def correct(values, patience, min_delta):
    return _rule(values, patience, min_delta)


def test_correct_implementations_pass(capsys):
    assert checks.check_patience(correct)
    assert checks.check_quadratic_closed_form(
        lambda a, b, lr, t, th0: (1 - lr * a) ** t * th0 + b / a * (1 - (1 - lr * a) ** t))
    assert capsys.readouterr().out.count("[PASSED]") == 2


@pytest.mark.parametrize("wrong, phrase", [
    (lambda v, p, d: _rule(v, p, d, offset=1), "one call too late"),
    (lambda v, p, d: _rule(v, p, d, offset=-1), "one call too early"),
    (lambda v, p, d: _rule(v, p, d, strict=False), "not <="),
    (lambda v, p, d: _rule(v, p, d, use_delta=False), "more than min_delta"),
    (lambda v, p, d: _rule(v, p, d, nan_improves=True), "NaN loss is never an improvement"),
    (lambda v, p, d: (_rule(v, p, d)[0], -1 if _rule(v, p, d)[1] is None else _rule(v, p, d)[1]),
     "never stops"),
])
def test_patience_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_patience(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED]" in out and phrase in out, out


@pytest.mark.parametrize("wrong, phrase", [
    (lambda a, b, lr, t, th0: (1 - lr * a) ** (t + 1) * th0 + b / a * (1 - (1 - lr * a) ** (t + 1)),
     "off by one"),
    (lambda a, b, lr, t, th0: b / a * (1 - (1 - lr * a) ** t), "q**t * theta0"),
    (lambda a, b, lr, t, th0: (1 + lr * a) ** t * th0 + b / a * (1 - (1 + lr * a) ** t), "sign error"),
    (lambda a, b, lr, t, th0: b / a * (1 - math.exp(-lr * a * t)), "e_{t+1}"),
])
def test_closed_form_mistakes_are_named(wrong, phrase, capsys):
    assert checks.check_quadratic_closed_form(wrong) is False
    out = capsys.readouterr().out
    assert "[FAILED]" in out and phrase in out, out


def test_bad_returns_and_stubs(capsys):
    assert checks.check_patience(lambda v, p, d: None) is False
    assert "forget `return`" in capsys.readouterr().out
    assert checks.check_patience(lambda v, p, d: 3) is False
    assert "pair" in capsys.readouterr().out

    def stub(*args):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_patience(stub)
    with pytest.raises(NotImplementedError):
        checks.check_quadratic_closed_form(stub)
