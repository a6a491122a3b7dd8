"""regcore.bias_variance.decompose: the algebraic identity, hand-computed fractions and
Monte-Carlo truths (predictions drawn with a known bias and variance)."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _helpers import FAST
from regcore.bias_variance import Decomposition, decompose


@FAST
@given(d=st.integers(2, 30), n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1),
       noise=st.floats(0.0, 3.0), offset=st.floats(-100.0, 100.0))
def test_mse_equals_bias2_plus_variance(d, n, seed, noise, offset):
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n) + offset
    preds = f + rng.standard_normal() + rng.uniform(0.01, 5) * rng.standard_normal((d, n))
    out = decompose(preds, f, noise_var=noise)
    mse = np.mean((preds - f) ** 2)            # computed directly, without the split
    assert out.bias2 + out.variance == pytest.approx(mse, rel=1e-12, abs=1e-12)
    assert out.total == pytest.approx(mse + noise, rel=1e-12, abs=1e-12)
    assert out.noise == noise
    # the pieces, each from its textbook definition
    assert out.variance == pytest.approx(np.var(preds, axis=0, ddof=0).mean(), rel=1e-12,
                                         abs=1e-300)
    assert out.bias2 == pytest.approx(np.mean((preds.mean(axis=0) - f) ** 2), rel=1e-12,
                                      abs=1e-300)
    assert out.bias2_unbiased == pytest.approx(
        np.mean((preds.mean(axis=0) - f) ** 2 - np.var(preds, axis=0, ddof=1) / d),
        rel=1e-10, abs=1e-12 * max(1.0, out.bias2))   # s^2_ddof0 / (d - 1) = s^2_ddof1 / d
    assert all(type(getattr(out, k)) is float
               for k in ("bias2", "variance", "noise", "total", "bias2_unbiased"))


def test_monte_carlo_recovers_bias_and_variance():
    # predictions f + c + sigma Z, Z iid N(0, 1), D datasets by n points.
    #   bias2 = mean_j (c + sigma Zbar_j)^2,  Zbar_j ~ N(0, 1/D):
    #     E = c^2 + sigma^2 / D,  Var per point = 4 c^2 sigma^2 / D + 2 sigma^4 / D^2,
    #     so its standard error over n points is sqrt(that / n).
    #   variance = mean_j sigma^2 chi2_{D-1} / D:
    #     E = sigma^2 (D - 1) / D,  standard error sigma^2 sqrt(2 (D - 1) / (n D^2)).
    # Both estimates must lie within 5 standard errors of their expectation
    # (a false failure has probability < 1e-6), and the expectations differ
    # from c^2 and sigma^2 by the O(1/D) terms above.
    D, n, c, sigma = 200, 500, 0.3, 0.5
    rng = np.random.default_rng(12345)
    f = np.sin(np.linspace(0, 3, n))
    preds = f + c + sigma * rng.standard_normal((D, n))
    out = decompose(preds, f, noise_var=0.04)
    se_b = math.sqrt((4 * c**2 * sigma**2 / D + 2 * sigma**4 / D**2) / n)
    se_v = sigma**2 * math.sqrt(2 * (D - 1) / (n * D**2))
    assert abs(out.bias2 - (c**2 + sigma**2 / D)) < 5 * se_b
    assert abs(out.variance - sigma**2 * (D - 1) / D) < 5 * se_v
    assert out.bias2 == pytest.approx(c**2, abs=sigma**2 / D + 5 * se_b)
    assert out.variance == pytest.approx(sigma**2, abs=sigma**2 / D + 5 * se_v)
    assert out.total == pytest.approx(out.bias2 + out.variance + 0.04, rel=1e-15)


def test_hand_example_and_frozen_dataclass():
    out = decompose([[1.0, 2.0], [3.0, 2.0]], [1.0, 2.0], noise_var=0.5)
    # f_bar = (2, 2): bias2 = (1 + 0) / 2, variance = (1 + 0) / 2, unbiased 0.5 - 0.5 / 1
    assert out == Decomposition(bias2=0.5, variance=0.5, noise=0.5, total=1.5,
                                bias2_unbiased=0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.bias2 = 0.0
    assert str(out) == "bias^2 = 0.5, variance = 0.5, noise = 0.5, total = 1.5"
    perfect = decompose(np.ones((3, 4)), np.ones(4))
    assert (perfect.bias2, perfect.variance, perfect.total, perfect.bias2_unbiased) == (0, 0, 0, 0)


def test_bias2_unbiased_by_hand():
    # 3 datasets, 2 points, f = (0, 1).  Point 0: predictions 0, 1, 2 -> f_bar 1, bias^2 1,
    # variance ((-1)^2 + 0 + 1^2) / 3 = 2/3.  Point 1: 1, 3, 2 -> f_bar 2, bias^2 1, variance 2/3.
    # bias2 = 1, variance = 2/3, bias2_unbiased = 1 - (2/3) / (3 - 1) = 2/3.
    out = decompose([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0]], [0.0, 1.0])
    assert out.bias2 == 1.0
    assert out.variance == pytest.approx(2 / 3, rel=1e-15)
    assert out.bias2_unbiased == pytest.approx(2 / 3, rel=1e-15)
    # an unbiased true bias of 0 can give a negative estimate: predictions 0 and 2 of f = 1
    # have f_bar = f (bias2 = 0) and variance 1, so bias2_unbiased = 0 - 1 / (2 - 1) = -1
    neg = decompose([[0.0], [2.0]], [1.0])
    assert (neg.bias2, neg.variance, neg.bias2_unbiased) == (0.0, 1.0, -1.0)
    # the correction is linear, so it is the same per point or after averaging:
    # point 0 of a (4, 2) example: 1, 2, 3, 6 with f = 0 -> f_bar 3, bias^2 9, variance 14/4;
    # point 1: 0, 0, 0, 4 with f = 2 -> f_bar 1, bias^2 1, variance 12/4.
    # unbiased: mean(9 - 3.5/3, 1 - 3/3) = (9 - 7/6 + 0) / 2 = 47/12.
    out = decompose([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [6.0, 4.0]], [0.0, 2.0])
    assert out.bias2 == 5.0 and out.variance == pytest.approx(13 / 4, rel=1e-15)
    assert out.bias2_unbiased == pytest.approx(47 / 12, rel=1e-15)


def test_monte_carlo_bias2_unbiased_removes_the_var_over_r_excess():
    # predictions f + c + sigma Z with R datasets: the true squared bias is c^2 at every
    # point, the true variance sigma^2.  Over M independent repetitions the plug-in bias2
    # averages c^2 + sigma^2 / R and bias2_unbiased averages c^2.  Standard errors are the
    # sample standard deviations over the repetitions / sqrt(M).
    R, n, M, c, sigma = 5, 20, 4000, 0.2, 1.0
    rng = np.random.default_rng(2025)
    f = np.cos(np.linspace(-2, 2, n))
    plug, unbiased, var = np.empty(M), np.empty(M), np.empty(M)
    for m in range(M):
        d = decompose(f + c + sigma * rng.standard_normal((R, n)), f)
        plug[m], unbiased[m], var[m] = d.bias2, d.bias2_unbiased, d.variance
    se_p, se_u, se_v = (x.std(ddof=1) / math.sqrt(M) for x in (plug, unbiased, var))
    excess = sigma**2 / R                                 # 0.2, five times c^2 = 0.04
    # the plug-in estimate is off by Var / R, the corrected one is not (within 4 s.e.)
    assert abs(plug.mean() - (c**2 + excess)) < 4 * se_p
    assert abs(unbiased.mean() - c**2) < 4 * se_u
    assert plug.mean() - c**2 > 50 * se_p                # the excess is unmistakable
    assert 4 * se_u < 0.1 * excess                        # ... and the test could see a tenth of it
    # the ddof-0 variance averages sigma^2 (R - 1) / R, the fact behind the correction
    assert abs(var.mean() - sigma**2 * (R - 1) / R) < 4 * se_v
    # individual estimates can be negative when c^2 is small against sigma^2 / R
    assert np.any(unbiased < 0) and np.all(plug >= 0)


@pytest.mark.parametrize("args, message", [
    ((np.ones(5), np.ones(5)), r"predictions must be a 2-D array; got shape \(5,\)"),
    ((np.ones((2, 3, 4)), np.ones(3)), r"predictions must be a 2-D array; got shape \(2, 3, 4\)"),
    ((np.ones((1, 4)), np.ones(4)), r"at least 2 rows .*got shape \(1, 4\)"),
    ((np.ones((3, 4)), np.ones(5)), r"f_true must have one entry per column of predictions "
                                    r"\(4\); got shape \(5,\)"),
    ((np.ones((3, 4)), np.ones((4, 1))), r"f_true must be a 1-D array; got shape \(4, 1\)"),
    ((np.full((3, 4), np.nan), np.ones(4)), r"predictions must contain only finite numbers"),
    ((np.ones((3, 4)), np.ones(4), -0.1), r"noise_var must be a finite real number in "
                                          r"\[0.0, inf\); got -0.1"),
    ((np.ones((3, 4)), np.ones(4), float("inf")), r"noise_var must be .*got inf"),
])
def test_validation(args, message):
    with pytest.raises(ValueError, match=message):
        decompose(*args)


def test_docstring_examples():
    import doctest

    import regcore.bias_variance
    assert doctest.testmod(regcore.bias_variance).failed == 0
