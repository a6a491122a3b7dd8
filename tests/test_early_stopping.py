"""regcore.early_stopping: patience semantics, snapshots, and the quadratic model.

Truths used: hand-worked sequences and a brute-force restatement of the
Keras/Lightning rule; plain gradient descent driven by torch autograd and
torch.optim.SGD; the stationarity condition of the ridge objective via autograd;
scikit-learn's Ridge; hand-computed fractions.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _helpers import FAST
from regcore.early_stopping import (EarlyStopping, equivalent_l2, quadratic_closed_form,
                                    quadratic_gd)

nan = float("nan")


# ------------------------------------------------------------ EarlyStopping
def _run(values, **kw):
    es = EarlyStopping(**kw)
    return es, [es.step(v) for v in values]


def test_patience_example_from_the_contract():
    es, out = _run([3, 2, 2.5, 2.4, 2.6], patience=3)
    assert out == [False, False, False, False, True]
    assert es.best_epoch == 1 and es.best_value == 2.0 and es.stopped_epoch == 4


def test_patience_counts_consecutive_steps_and_resets_on_improvement():
    es, out = _run([5, 6, 7, 4, 5, 6, 7], patience=3)
    assert out == [False, False, False, False, False, False, True]
    assert es.best_epoch == 3 and es.wait == 3


def test_patience_one_and_zero_stop_at_the_first_non_improvement():
    for patience in (0, 1):
        es, out = _run([2, 1, 1, 0], patience=patience)
        assert out == [False, False, True, False]   # an improvement is never a stop
        assert es.stopped_epoch == 2 and es.best_epoch == 3


def test_min_delta():
    es, out = _run([1.0, 0.95, 0.92, 0.91, 0.7], patience=3, min_delta=0.1)
    # 0.95, 0.92 and 0.91 are not below 1.0 - 0.1 = 0.9; 0.7 is, after the stop
    assert out == [False, False, False, True, False]
    assert es.best_epoch == 4 and es.best_value == 0.7
    es, _ = _run([1.0, 0.95], min_delta=0.0)
    assert es.best_epoch == 1


def test_nan_never_improves():
    es, out = _run([nan, nan, 1.0, nan, nan], patience=2)
    assert out == [False, True, False, False, True]
    assert es.best_epoch == 2 and es.best_value == 1.0
    es, _ = _run([nan])
    assert es.best_epoch is None and es.best_value == math.inf


def _stop_index_bruteforce(values, patience, min_delta):
    """First i whose last max(patience, 1) values all fail to improve, from the definition."""
    improved, best = [], math.inf
    for v in values:
        improved.append(v < best - min_delta)
        if improved[-1]:
            best = v
    p = max(patience, 1)
    for i in range(len(values)):
        if i + 1 >= p and not any(improved[i + 1 - p:i + 1]):
            return i
    return None


@FAST
@given(values=st.lists(st.one_of(st.floats(-5, 5), st.just(nan)), max_size=30),
       patience=st.integers(0, 6), min_delta=st.sampled_from([0.0, 0.1, 1.0]))
def test_stop_index_matches_definition(values, patience, min_delta):
    es = EarlyStopping(patience=patience, min_delta=min_delta)
    stops = [i for i, v in enumerate(values) if es.step(v)]
    expected = _stop_index_bruteforce(values, patience, min_delta)
    assert (stops[0] if stops else None) == expected == es.stopped_epoch
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        assert es.best_epoch is None


def test_restore_loads_the_snapshot_of_the_best_step_with_a_real_linear():
    from regcore.layers import Linear
    model = Linear(3, 2, rng=np.random.default_rng(0))
    es = EarlyStopping(patience=2)
    saved = None
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.8]):
        model.weight.data += 1.0               # "training" changes the weights in place
        model.bias.data -= 0.5
        if epoch == 1:
            saved = {k: v.copy() for k, v in model.state_dict().items()}
        stop = es.step(loss, model)
    assert stop and es.best_epoch == 1
    es.restore(model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, saved[k])
    model.weight.data += 3.0                   # restoring twice gives the snapshot again
    es.restore(model)
    np.testing.assert_array_equal(model.weight.data, saved["weight"])


def test_restore_without_snapshot_raises():
    es = EarlyStopping()
    es.step(1.0)                               # no model given: nothing saved
    with pytest.raises(RuntimeError, match="no snapshot to restore; pass the model"):
        es.restore(object())


@pytest.mark.parametrize("kw, message", [
    (dict(patience=-1), r"patience must be an integer >= 0; got -1"),
    (dict(patience=1.5), r"patience must be an integer >= 0; got 1.5"),
    (dict(min_delta=-0.1), r"min_delta must be a finite real number in \[0.0, inf\); got -0.1"),
    (dict(min_delta=nan), r"min_delta must be .*got nan"),
])
def test_bad_arguments_raise(kw, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kw)


@pytest.mark.parametrize("value", ["1.0", None, True, 1 + 2j, np.array([1.0, 2.0])])
def test_bad_values_raise(value):
    with pytest.raises(ValueError, match="value must be a real number"):
        EarlyStopping().step(value)


def test_numpy_scalars_and_repr():
    es = EarlyStopping(patience=2)
    assert es.step(np.float32(1.5)) is False and es.step(np.int64(1)) is False
    assert es.best_value == 1.0 and type(es.best_value) is float
    assert repr(es) == ("EarlyStopping(patience=2, min_delta=0.0, restore_best=True, "
                        "best_value=1.0, best_epoch=1)")


def test_restore_best_defaults_to_true_and_is_validated():
    assert EarlyStopping().restore_best is True
    assert EarlyStopping(restore_best=False).restore_best is False
    for bad in (1, 0, "yes", None, np.bool_(True)):
        with pytest.raises(ValueError, match=r"restore_best must be a bool \(True or False\); "
                                             + r"got " + re.escape(repr(bad))):
            EarlyStopping(restore_best=bad)


def test_restore_best_does_not_change_the_stopping_rule():
    values = [3, 2, 2.5, 2.4, 2.6, 1.0, 1.5]
    a, out_a = _run(values, patience=3, restore_best=True)
    b, out_b = _run(values, patience=3, restore_best=False)
    assert out_a == out_b == [False, False, False, False, True, False, False]
    assert (a.best_epoch, a.stopped_epoch, a.best_value) == (b.best_epoch, b.stopped_epoch,
                                                             b.best_value) == (5, 4, 1.0)


# ----------------------------------------------------------- quadratic model
coef = st.floats(0.1, 10.0)
bs = st.floats(-5.0, 5.0)
fracs = st.floats(0.01, 1.9)                   # lr * a: monotone, oscillating, converging


@FAST
@given(a=coef, b=bs, frac=fracs, theta0=bs, steps=st.integers(0, 60))
def test_gd_equals_closed_form(a, b, frac, theta0, steps):
    lr = frac / a
    gd = quadratic_gd(a, b, lr, steps, theta0=theta0)
    assert gd.shape == (steps + 1,)
    closed = quadratic_closed_form(a, b, lr, np.arange(steps + 1), theta0=theta0)
    scale = max(abs(b / a), abs(theta0), 1.0)
    np.testing.assert_allclose(gd, closed, rtol=0, atol=1e-12 * scale * (steps + 1))


def test_gd_equals_torch_sgd_on_the_quadratic():
    a, b, lr, theta0 = 1.7, -0.8, 0.3, 2.0
    t = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([t], lr=lr, foreach=False)
    ref = [theta0]
    for _ in range(25):
        opt.zero_grad()
        (0.5 * a * t ** 2 - b * t).backward()
        opt.step()
        ref.append(t.item())
    np.testing.assert_allclose(quadratic_gd(a, b, lr, 25, theta0), ref, rtol=1e-14, atol=1e-15)


def test_counterexample_overshoot():
    # lr * a = 1.5 > 1: the iterates overshoot the minimiser b / a = 1.
    np.testing.assert_allclose(quadratic_gd(2.0, 2.0, 0.75, 3), [0.0, 1.5, 0.75, 1.125],
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(quadratic_closed_form(2.0, 2.0, 0.75, [1, 2, 3]),
                               [1.5, 0.75, 1.125], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match=r"lr \* a = 1.5 at t = 3: q\*\*t = .* = -0.125 < 0, "
                                         r"the iterate overshoots"):
        equivalent_l2(2.0, 0.75, 3)


@FAST
@given(a=coef, b=bs, frac=st.floats(1e-3, 1.0), t=st.integers(1, 200))
def test_ridge_with_equivalent_l2_equals_early_stopped_iterate(a, b, frac, t):
    lr = frac / a
    lam = equivalent_l2(a, lr, t)
    assert lam >= 0
    theta_t = quadratic_closed_form(a, b, lr, t)
    assert b / (a + 2 * lam) == pytest.approx(theta_t, rel=1e-10, abs=1e-12)
    # and theta_t is stationary for J + lam * theta^2 (autograd's derivative)
    th = torch.tensor(float(theta_t), dtype=torch.float64, requires_grad=True)
    (0.5 * a * th ** 2 - b * th + lam * th ** 2).backward()
    assert abs(th.grad.item()) <= 1e-9 * max(1.0, abs(b))


def test_equivalent_l2_special_cases_and_vectorisation():
    lam = equivalent_l2(1.0, 0.5, [0, 1, 2, 3])
    # q = 1/2: lam = q^t / (2 (1 - q^t)) = inf, 1/2, 1/6, 1/14
    np.testing.assert_allclose(lam, [np.inf, 0.5, 1 / 6, 1 / 14], rtol=1e-15)
    np.testing.assert_array_equal(equivalent_l2(2.0, 0.5, [0, 1, 5]), [np.inf, 0.0, 0.0])
    assert np.all(np.diff(equivalent_l2(0.3, 0.1, np.arange(1, 50))) < 0)
    assert isinstance(equivalent_l2(1.0, 0.5, 2), float)
    assert equivalent_l2(1.0, 0.5, np.array([[1, 2]])).shape == (1, 2)
    assert isinstance(quadratic_closed_form(1.0, 1.0, 0.5, 2), float)
    # tiny lr * a: no cancellation in 1 - q^t (lam ~ 1 / (2 lr t))
    assert equivalent_l2(1.0, 1e-12, 1) == pytest.approx(0.5e12, rel=1e-9)


def _torch_gd(a, b, lr, steps, theta0=0.0):
    """theta_steps of torch.optim.SGD on 0.5 a theta^2 - b theta, gradient from autograd."""
    th = torch.tensor(float(theta0), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([th], lr=lr, foreach=False)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * a * th ** 2 - b * th).backward()
        opt.step()
    return th.item()


def test_equivalent_l2_beyond_lr_a_one_at_even_t_worked_example():
    # a = 2, lr = 0.75: q = 1 - 1.5 = -1/2, q^2 = 1/4, lam = 2 (1/4) / (2 (3/4)) = 1/3.
    assert equivalent_l2(2.0, 0.75, 2) == pytest.approx(1 / 3, rel=1e-15)
    # by hand from theta_0 = 0: theta_1 = 0.75 b, theta_2 = 0.75 b - 0.75 (1.5 b - b) = 3 b / 8,
    # and the ridge minimiser b / (a + 2 lam) = b / (8 / 3) = 3 b / 8 too.
    for b in (1.0, -2.5, 4.0):
        assert b / (2.0 + 2 * (1 / 3)) == pytest.approx(3 * b / 8, rel=1e-15)
        assert _torch_gd(2.0, b, 0.75, 2) == pytest.approx(3 * b / 8, rel=1e-15)
        assert quadratic_gd(2.0, b, 0.75, 2)[-1] == pytest.approx(3 * b / 8, rel=1e-15)
    # q = 0 (lr * a = 1): one step reaches b / a, so no shrinkage at all
    np.testing.assert_array_equal(equivalent_l2(4.0, 0.25, [0, 1, 2, 7]), [np.inf, 0, 0, 0])
    # t = 0 is inf for every lr * a, even one where GD diverges
    assert equivalent_l2(1.0, 3.0, 0) == math.inf


@pytest.mark.parametrize("frac, t", [(0.3, 1), (0.3, 7), (1.0, 3), (1.5, 2), (1.5, 6),
                                     (1.9, 4), (1.2, 10)])
def test_equivalent_l2_matches_sklearn_ridge_on_the_whole_domain(frac, t):
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(15, 1)), rng.normal(size=15)
    a, b = float(x[:, 0] @ x[:, 0]), float(x[:, 0] @ y)  # 0.5 ||y - x th||^2 = J(th) + const
    lr = frac / a
    lam = equivalent_l2(a, lr, t)
    gd = _torch_gd(a, b, lr, t)
    if lam == 0.0:                              # lr * a = 1: the unpenalised least squares
        ridge = float(np.linalg.lstsq(x, y, rcond=None)[0][0])
    else:                                       # sklearn minimises ||y - Xw||^2 + alpha ||w||^2
        ridge = Ridge(alpha=2 * lam, fit_intercept=False).fit(x, y).coef_[0]
    assert ridge == pytest.approx(gd, rel=1e-10, abs=1e-14)


@FAST
@given(a=coef, b=bs, theta0=bs, frac=st.floats(1e-3, 1.95), t=st.integers(1, 80))
def test_equivalent_l2_is_shrinkage_towards_the_start(a, b, theta0, frac, t):
    # GD from theta0 != 0 for t steps minimises J(theta) + lam(t) (theta - theta0)^2:
    # its stationarity a th - b + 2 lam (th - theta0) = 0 gives (b + 2 lam theta0) / (a + 2 lam).
    lr = frac / a
    if frac > 1.0 and t % 2 == 1:               # q < 0, odd t: the iterate overshoots
        with pytest.raises(ValueError, match=rf"at t = {t}: .* < 0, the iterate overshoots"):
            equivalent_l2(a, lr, t)
        return
    lam = equivalent_l2(a, lr, t)
    assert lam >= 0
    gd = _torch_gd(a, b, lr, t, theta0)
    minimiser = (b + 2 * lam * theta0) / (a + 2 * lam)
    scale = max(abs(b / a), abs(theta0), 1.0)
    assert minimiser == pytest.approx(gd, rel=1e-9, abs=1e-11 * scale)
    # and the GD iterate is stationary for the penalised objective (autograd's derivative)
    th = torch.tensor(gd, dtype=torch.float64, requires_grad=True)
    (0.5 * a * th ** 2 - b * th + lam * (th - theta0) ** 2).backward()
    assert abs(th.grad.item()) <= 1e-8 * max(a, 1.0) * scale


def test_equivalent_l2_array_with_an_invalid_entry_names_the_first_one():
    # lr * a = 1.5: even t are fine, odd t overshoot; t = 0 is always inf
    np.testing.assert_allclose(equivalent_l2(2.0, 0.75, [0, 2, 4]),
                               [np.inf, 1 / 3, 2 * (1 / 16) / (2 * (15 / 16))], rtol=1e-15)
    with pytest.raises(ValueError, match=r"lr \* a = 1.5 at t = 5:"):
        equivalent_l2(2.0, 0.75, [0, 2, 5, 4, 3])
    with pytest.raises(ValueError, match=r"lr \* a = 1.5 at t = 7:"):   # row-major order
        equivalent_l2(2.0, 0.75, np.array([[2, 7], [1, 4]]))
    with pytest.raises(ValueError, match=r"lr \* a = 3.0 at t = 2: .* >= 1"):
        equivalent_l2(1.0, 3.0, [0, 2, 1])
    assert equivalent_l2(2.0, 0.75, np.zeros((0,), int)).shape == (0,)


@pytest.mark.parametrize("call, message", [
    (lambda: quadratic_gd(0.0, 1.0, 0.1, 3), r"a must be a finite real number in \(0.0, inf\)"),
    (lambda: quadratic_gd(1.0, 1.0, -0.1, 3), r"lr must be .*got -0.1"),
    (lambda: quadratic_gd(1.0, 1.0, 0.1, -1), r"steps must be an integer >= 0; got -1"),
    (lambda: quadratic_gd(1.0, nan, 0.1, 3), r"b must be .*got nan"),
    (lambda: quadratic_closed_form(1.0, 1.0, 0.1, -1), r"t must be a non-negative integer"),
    (lambda: quadratic_closed_form(1.0, 1.0, 0.1, 1.5), r"t must be a non-negative integer"),
    (lambda: quadratic_closed_form(1.0, 1.0, 0.1, "3"), r"t must be a non-negative integer"),
    (lambda: quadratic_closed_form(1.0, 1.0, 0.1, 2, theta0=np.inf), r"theta0 must be"),
    (lambda: equivalent_l2(-1.0, 0.1, 2), r"lr \* a = -0.1 at t = 2: a and lr must both be "
                                          r"> 0;.*got lr=0.1, a=-1.0"),
    (lambda: equivalent_l2(1.0, 0.0, 2), r"lr \* a = 0.0 at t = 2: a and lr must both be > 0;"
                                         r".*got lr=0.0, a=1.0"),
    (lambda: equivalent_l2(-1.0, -0.5, 2), r"lr \* a = 0.5 at t = 2: a and lr must both be > 0"),
    (lambda: equivalent_l2(1.0, 1.5, 3), r"lr \* a = 1.5 at t = 3: .*overshoots"),
    (lambda: equivalent_l2(1.0, 2.0, 1), r"lr \* a = 2.0 at t = 1: .*= -1 < 0"),
    (lambda: equivalent_l2(1.0, 2.0, 2), r"lr \* a = 2.0 at t = 2: .*= 1 >= 1, gradient descent "
                                         r"does not converge"),
    (lambda: equivalent_l2(1.0, 3.0, 4), r"lr \* a = 3.0 at t = 4: .*= 16 >= 1"),
    (lambda: equivalent_l2(nan, 0.1, 2), r"a must be a finite real number"),
    (lambda: equivalent_l2(1.0, np.inf, 2), r"lr must be a finite real number"),
    (lambda: equivalent_l2(1.0, 0.5, -1), r"t must be a non-negative integer"),
])
def test_quadratic_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_integer_valued_float_t_is_accepted():
    assert quadratic_closed_form(1.0, 2.0, 0.5, 2.0) == pytest.approx(1.5, rel=1e-15)


def test_docstring_examples():
    import doctest

    import regcore.early_stopping
    assert doctest.testmod(regcore.early_stopping).failed == 0
