"""regcore.penalties against PyTorch autograd (float64) and scikit-learn's Lasso."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from _helpers import FAST, assert_close, rand, tt
from regcore.penalties import L1, L2


class P:
    """Minimal duck-typed Parameter: the penalties only need ``.data`` and ``.grad``."""

    def __init__(self, data, grad=None):
        self.data = np.array(data, dtype=np.float64)
        self.grad = grad


shapes = st.lists(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                  min_size=1, max_size=4)
lams = st.floats(0.0, 10.0)
seeds = st.integers(0, 2**32 - 1)


def _params(shapes, seed, away_from_zero=False):
    out = []
    for i, s in enumerate(shapes):
        a = rand(seed + i, *s)
        if away_from_zero:
            a = np.where(np.abs(a) < 1e-3, 1e-3, a)
        out.append(P(a))
    return out


# ------------------------------------------------------------- vs autograd
@FAST
@given(shapes=shapes, lam=lams, seed=seeds)
def test_l1_value_and_grad_match_autograd(shapes, lam, seed):
    ps = _params(shapes, seed, away_from_zero=True)
    ts = [tt(p.data) for p in ps]
    loss = lam * sum(t.abs().sum() for t in ts)
    loss.backward()
    assert_close(L1(lam)(ps), loss)
    for g, t in zip(L1(lam).grad(ps), ts):
        assert g.shape == t.shape
        assert_close(g, t.grad)


@FAST
@given(shapes=shapes, lam=lams, seed=seeds)
def test_l2_value_and_grad_match_autograd(shapes, lam, seed):
    ps = _params(shapes, seed)
    ts = [tt(p.data) for p in ps]
    loss = lam * sum((t ** 2).sum() for t in ts)
    loss.backward()
    assert_close(L2(lam)(ps), loss)
    for g, t in zip(L2(lam).grad(ps), ts):
        assert_close(g, t.grad)


def test_l1_subgradient_at_zero_is_zero_like_torch_abs():
    # torch's abs backward is grad * sign(x), and sign(0) = 0: the subgradient
    # autograd picks at a kink is 0, the same convention as regcore.
    theta = np.array([0.0, -0.0, 1.5, -2.0])
    t = tt(theta)
    (0.7 * t.abs().sum()).backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 0.7, -0.7])
    np.testing.assert_array_equal(L1(0.7).grad([P(theta)])[0], t.grad.numpy())


def test_values_are_python_floats_and_sum_over_params():
    ps = [P([1.0, -2.0]), P([[3.0]])]
    assert L1(0.5)(ps) == 3.0 and type(L1(0.5)(ps)) is float
    assert L2(0.5)(ps) == 7.0 and type(L2(0.5)(ps)) is float
    assert L1(1.0)(iter(ps)) == 6.0            # a generator works (consumed once)
    assert L1(1.0)([]) == 0.0


def test_backward_creates_or_accumulates_grad():
    p, q = P([1.0, -2.0, 0.0]), P([3.0], grad=np.array([10.0]))
    buf = q.grad
    L2(0.25).backward([p, q])
    np.testing.assert_array_equal(p.grad, [0.5, -1.0, 0.0])
    np.testing.assert_array_equal(q.grad, [11.5])
    assert q.grad is buf                        # accumulated in place, like autograd
    L1(2.0).backward([p])
    np.testing.assert_array_equal(p.grad, [2.5, -3.0, 0.0])
    assert p.data.tolist() == [1.0, -2.0, 0.0]  # data untouched


def test_backward_matches_autograd_of_loss_plus_penalty():
    # Data loss 0.5*||X w - y||^2 plus L2: the hand-made gradient = autograd's.
    X, y, w = rand(0, 8, 3), rand(1, 8), rand(2, 3)
    p = P(w, grad=X.T @ (X @ w - y))
    L2(0.3).backward([p])
    wt = tt(w)
    (0.5 * ((tt(X, False) @ wt - tt(y, False)) ** 2).sum() + 0.3 * (wt ** 2).sum()).backward()
    assert_close(p.grad, wt.grad)


# -------------------------------------------------------------- prox / ISTA
def test_prox_soft_thresholds_in_place():
    p = P([3.0, -0.5, 0.2, -4.0, 0.0])
    data = p.data
    L1(0.5).prox([p], step=2.0)                # threshold 1
    assert p.data is data
    np.testing.assert_array_equal(p.data, [2.0, 0.0, 0.0, -3.0, 0.0])
    L1(0.5).prox([p], step=0.0)                # step 0 is the identity
    np.testing.assert_array_equal(p.data, [2.0, 0.0, 0.0, -3.0, 0.0])


@pytest.mark.parametrize("alpha", [0.02, 0.1, 0.3])
def test_ista_with_l1_prox_equals_sklearn_lasso(alpha):
    from sklearn.linear_model import Lasso
    rng = np.random.default_rng(0)
    n, d = 60, 12
    X = rng.standard_normal((n, d))
    w_true = np.zeros(d)
    w_true[:4] = [2.0, -1.5, 1.0, 0.5]
    y = X @ w_true + 0.3 * rng.standard_normal(n)
    # sklearn minimises 1/(2n)||y - Xw||^2 + alpha ||w||_1.  Multiplying by n:
    # 1/2 ||y - Xw||^2 + n alpha ||w||_1, i.e. our L1 with lam = n * alpha on
    # the data loss 1/2 ||y - Xw||^2 (same minimiser).
    lam = n * alpha
    L = np.linalg.eigvalsh(X.T @ X).max()      # Lipschitz constant of the data gradient
    step = 1.0 / L
    pen, p = L1(lam), P(np.zeros(d))
    for _ in range(50000):
        old = p.data.copy()
        p.data -= step * (X.T @ (X @ p.data - y))  # gradient step on the data loss
        pen.prox([p], step)                        # proximal step on the penalty
        if np.max(np.abs(p.data - old)) < 1e-15:   # converged to rounding
            break
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # a ConvergenceWarning would fail the test
        ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y)
    np.testing.assert_allclose(p.data, ref.coef_, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(p.data == 0.0, ref.coef_ == 0.0)
    assert 0 < np.count_nonzero(p.data == 0.0) < d  # the test exercises exact zeros


# --------------------------------------------------------------- validation
@pytest.mark.parametrize("cls", [L1, L2])
@pytest.mark.parametrize("lam", [-0.1, float("nan"), float("inf"), "0.1", None, True])
def test_bad_lam_raises(cls, lam):
    with pytest.raises(ValueError, match=r"lam must be a finite real number in \[0.0, inf\)"):
        cls(lam)


def test_bad_step_and_params_raise():
    with pytest.raises(ValueError, match=r"step must be .*got -1.0"):
        L1(0.1).prox([P([1.0])], step=-1.0)
    with pytest.raises(ValueError, match="got a single P"):
        L1(0.1)(P([1.0]))
    with pytest.raises(ValueError, match=r"params\[1\] must be a Parameter"):
        L2(0.1).grad([P([1.0]), np.ones(2)])
    with pytest.raises(ValueError, match="iterable of Parameters; got int"):
        L2(0.1)(3)


def test_docstring_examples():
    import doctest

    import regcore.penalties
    assert doctest.testmod(regcore.penalties).failed == 0


def test_repr():
    assert repr(L1(0.5)) == "L1(lam=0.5)" and repr(L2(0)) == "L2(lam=0.0)"


def test_works_with_regcore_parameter():
    from regcore.module import Parameter
    p = Parameter(np.array([[1.0, -3.0]]))
    assert L1(1.0)([p]) == 4.0
    L2(1.0).backward([p])
    np.testing.assert_array_equal(p.grad, [[2.0, -6.0]])
    torch.testing.assert_close(torch.tensor(p.grad), torch.tensor([[2.0, -6.0]],
                                                                   dtype=torch.float64))
