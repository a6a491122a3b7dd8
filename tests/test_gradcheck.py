"""numerical_gradient and rel_error against closed forms."""
from __future__ import annotations

import numpy as np
import pytest

from _helpers import rand
from regcore.gradcheck import numerical_gradient, rel_error


def test_numerical_gradient_of_closed_forms():
    x = rand(0, 3, 4)
    orig = x.copy()
    A = rand(1, 4, 4)
    cases = [(lambda z: np.sum(z**2), lambda z: 2 * z),
             (lambda z: np.sum(np.sin(z)), np.cos),
             (lambda z: np.sum(z @ A * z), lambda z: z @ (A + A.T))]
    for f, grad in cases:
        num = numerical_gradient(f, x)
        np.testing.assert_allclose(num, grad(orig), rtol=1e-7, atol=1e-8)
        np.testing.assert_array_equal(x, orig)  # restored exactly


def test_numerical_gradient_error_is_second_order_in_h():
    # central differences of exp at 0: (e^h - e^-h)/(2h) = 1 + h^2/6 + O(h^4)
    x = np.zeros(1)
    for h in (1e-2, 1e-3):
        err = numerical_gradient(lambda z: float(np.exp(z[0])), x, h=h)[0] - 1.0
        assert abs(err - h**2 / 6) < 1e-2 * h**2


def test_numerical_gradient_bad_arguments():
    with pytest.raises(ValueError, match="x must be a float64 ndarray .* got ndarray of "
                                         "dtype int64"):
        numerical_gradient(np.sum, np.arange(3))
    with pytest.raises(ValueError, match="x must be a float64 ndarray .* got list"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"h must be a finite real number in \(0.0, inf\); "
                                         r"got 0"):
        numerical_gradient(np.sum, np.ones(2), h=0)


def test_rel_error_values():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0  # the 1e-300 floor avoids 0/0
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert rel_error([1.0], [-1.0]) == 1.0
    assert rel_error([0.0, 5.0], [1e-3, 5.0]) == 1.0  # element-wise: one side zero
    a, b = rand(0, 5), rand(1, 5)
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(3.0, 3.0) == 0.0 and rel_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match=r"b must have the shape of a \(2,\); got shape \(3,\)"):
        rel_error(np.ones(2), np.ones(3))
