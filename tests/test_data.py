"""regcore.data against scikit-learn's digits and against the generators' stated laws.

The truth for the split is ``sklearn.datasets.load_digits`` itself (every
returned row must be one of its rows, all of them exactly once); for the
synthetic generators it is the stated true function and noise level,
checked statistically with tolerances of several standard errors.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.datasets import load_digits

from regcore.data import (Split, add_label_noise, add_noise_features, digits,
                          linear_regression, sine_regression, true_sine)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(scope="module")
def original() -> tuple[np.ndarray, np.ndarray]:
    bunch = load_digits()
    return bunch.data, bunch.target


def keys(X: np.ndarray, y: np.ndarray) -> Counter:
    """Multiset of (raw pixel row, label), raw pixels being integers 0..16."""
    raw = np.rint(X * 16).astype(np.int64)
    assert np.array_equal(raw / 16.0, X), "X must be the raw pixels divided by 16 exactly"
    return Counter((r.tobytes(), int(label)) for r, label in zip(raw, y))


def parts(s: Split) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(s.X_train, s.y_train), (s.X_val, s.y_val), (s.X_test, s.y_test)]


# ------------------------------------------------------------------ digits
def test_digits_is_a_partition_of_sklearns_digits(original):
    X0, y0 = original
    s = digits(rng=rng(0))
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 1797 == len(y0)
    assert (len(s.y_val), len(s.y_test)) == (round(0.2 * 1797),) * 2
    together = Counter()
    for X, y in parts(s):
        assert X.dtype == np.float64 and y.dtype == np.int64
        assert X.shape == (len(y), 64)
        assert X.min() >= 0.0 and X.max() <= 1.0
        together += keys(X, y)
    # same multiset of (image, label) as the original: disjoint, complete, unaltered
    assert together == keys(X0 / 16.0, y0)
    assert (s.n_classes, s.n_features) == (10, 64)
    assert repr(s) == "Split(train=1079, val=359, test=359, n_features=64, n_classes=10)"



def test_digits_table_is_load_digits_row_for_row(original):
    """regcore reads scikit-learn's data file itself: the same numbers, in the same order."""
    from regcore.data import _digits_table
    pixels, labels = _digits_table()
    X0, y0 = original
    assert pixels.dtype == np.float64 and labels.dtype == np.int64
    assert np.array_equal(pixels, X0) and np.array_equal(labels, y0)


def test_digits_does_not_import_sklearn():
    """The point of reading the file directly: no scikit-learn import (about 2 s) per notebook."""
    import subprocess
    import sys
    code = ("import sys, numpy as np; from regcore.data import digits; "
            "digits(rng=np.random.default_rng(0)); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

@pytest.mark.parametrize("val_fraction, test_fraction", [(0.2, 0.2), (0.1, 0.3), (0.05, 0.6)])
def test_digits_is_stratified(original, val_fraction, test_fraction):
    _, y0 = original
    class_counts = np.bincount(y0)
    s = digits(rng=rng(3), val_fraction=val_fraction, test_fraction=test_fraction)
    for y, frac in ((s.y_val, val_fraction), (s.y_test, test_fraction),
                    (s.y_train, 1 - val_fraction - test_fraction)):
        # within one sample of the class's share, plus the rounding of the set size
        expected = class_counts * len(y) / len(y0)
        assert np.all(np.abs(np.bincount(y, minlength=10) - expected) < 1 + 1e-9), frac


def test_digits_is_reproducible_and_seed_dependent():
    a, b, c = digits(rng=rng(7)), digits(rng=rng(7)), digits(rng=rng(8))
    for (Xa, ya), (Xb, yb) in zip(parts(a), parts(b)):
        assert np.array_equal(Xa, Xb) and np.array_equal(ya, yb)
    assert not np.array_equal(a.X_test, c.X_test)
    assert keys(a.X_test, a.y_test) != keys(c.X_test, c.y_test)


def test_digits_rows_are_shuffled():
    s = digits(rng=rng(0))
    # not grouped by class: consecutive labels differ often
    assert np.mean(np.diff(s.y_train) != 0) > 0.5


def test_digits_n_train_is_a_stratified_subset_with_the_same_val_and_test():
    full, small = digits(rng=rng(5)), digits(rng=rng(5), n_train=100)
    assert len(small.y_train) == 100
    assert np.array_equal(np.bincount(small.y_train), np.full(10, 10))
    assert not keys(small.X_train, small.y_train) - keys(full.X_train, full.y_train)
    assert np.array_equal(small.X_val, full.X_val) and np.array_equal(small.y_test, full.y_test)
    same = digits(rng=rng(5), n_train=len(full.y_train))
    assert np.array_equal(same.X_train, full.X_train)
    assert len(digits(rng=rng(5), n_train=1).y_train) == 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(rng=0), "rng must be a numpy.random.Generator"),
    (dict(rng=rng(), val_fraction=0.0), r"val_fraction must be a finite real number in \(0.0, 1.0\); got 0.0"),
    (dict(rng=rng(), test_fraction=1.0), r"test_fraction must be .*got 1.0"),
    (dict(rng=rng(), val_fraction=float("nan")), "val_fraction"),
    (dict(rng=rng(), val_fraction=0.5, test_fraction=0.5), r"val_fraction \+ test_fraction must be < 1"),
    (dict(rng=rng(), val_fraction=1e-4), "val_fraction must leave at least one sample"),
    (dict(rng=rng(), test_fraction=1e-4), "test_fraction must leave at least one sample"),
    (dict(rng=rng(), val_fraction=0.6003, test_fraction=0.3996), "at least one training sample"),
    (dict(rng=rng(), n_train=0), "n_train must be an integer >= 1; got 0"),
    (dict(rng=rng(), n_train=2.5), "n_train must be an integer"),
    (dict(rng=rng(), n_train=1080), r"n_train must be an integer in \[1, 1079\].*got 1080"),
])
def test_digits_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        digits(**kwargs)


def test_digits_rng_is_keyword_only():
    with pytest.raises(TypeError):
        digits(rng(0))  # type: ignore[misc]


# ------------------------------------------------------------- label noise
def test_add_label_noise_changes_exactly_the_requested_fraction():
    y = np.repeat(np.arange(10), 100)
    noisy = add_label_noise(y, 0.3, rng=rng(1))
    assert noisy.dtype == np.int64 and noisy.shape == y.shape
    assert np.sum(noisy != y) == 300
    assert np.array_equal(y, np.repeat(np.arange(10), 100)), "input must not be modified"
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert np.array_equal(add_label_noise(y, 0.3, rng=rng(1)), noisy)
    assert np.array_equal(add_label_noise(y, 0.0, rng=rng(1)), y)
    assert np.all(add_label_noise(y, 1.0, rng=rng(1)) != y)


def test_add_label_noise_draws_wrong_labels_uniformly():
    # all samples of class 0, all corrupted: the new labels are uniform on 1..9
    y = np.zeros(90_000, dtype=np.int64)
    counts = np.bincount(add_label_noise(y, 1.0, rng=rng(2), n_classes=10), minlength=10)
    assert counts[0] == 0
    # each count is Binomial(90000, 1/9): mean 10000, sd ~94; 5 sd tolerance
    assert np.all(np.abs(counts[1:] - 10_000) < 5 * np.sqrt(90_000 / 9 * 8 / 9))


def test_add_label_noise_infers_n_classes_and_checks_arguments():
    y = np.array([0, 1, 0, 1])
    assert set(add_label_noise(y, 1.0, rng=rng(0)).tolist()) <= {0, 1}
    assert np.array_equal(add_label_noise(y, 1.0, rng=rng(0)), 1 - y)
    with pytest.raises(ValueError, match="y must be an array of integer class labels; got dtype float64"):
        add_label_noise(y.astype(float), 0.1, rng=rng())
    with pytest.raises(ValueError, match="y must be a 1-D array"):
        add_label_noise(y[None], 0.1, rng=rng())
    with pytest.raises(ValueError, match=r"fraction must be a finite real number in \[0.0, 1.0\]; got 1.5"):
        add_label_noise(y, 1.5, rng=rng())
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2; got 1"):
        add_label_noise(y, 0.1, rng=rng(), n_classes=1)
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 2\); got values in \[-1, 1\]"):
        add_label_noise(np.array([-1, 1]), 0.1, rng=rng(), n_classes=2)
    with pytest.raises(ValueError, match="rng"):
        add_label_noise(y, 0.1, rng=None)
    assert add_label_noise(np.array([], dtype=np.int64), 0.5, rng=rng()).shape == (0,)


# ---------------------------------------------------------- noise features
def test_add_noise_features_appends_uniform_noise():
    X = rng(0).standard_normal((50_000, 3))
    out = add_noise_features(X, 4, rng=rng(1))
    assert out.shape == (50_000, 7)
    assert np.array_equal(out[:, :3], X)
    noise = out[:, 3:]
    assert noise.min() >= 0.0 and noise.max() < 1.0
    # U(0,1): mean 1/2, sd 1/sqrt(12); standard error of the mean ~1.3e-3
    assert np.all(np.abs(noise.mean(axis=0) - 0.5) < 0.01)
    assert np.all(np.abs(noise.std(axis=0) - 1 / np.sqrt(12)) < 0.01)
    # independent of the original features and of each other
    assert np.max(np.abs(np.corrcoef(out, rowvar=False) - np.eye(7))) < 0.03
    assert np.array_equal(add_noise_features(X, 0, rng=rng(1)), X)
    with pytest.raises(ValueError, match="n_extra must be an integer >= 0; got -1"):
        add_noise_features(X, -1, rng=rng())
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        add_noise_features(X[0], 1, rng=rng())


# ----------------------------------------------------------- regressions
def test_true_sine_is_sin_pi_x():
    x = np.array([[-1.0], [-0.5], [0.0], [1 / 6], [0.5]])
    np.testing.assert_allclose(true_sine(x), [[0.0], [-1.0], [0.0], [0.5], [1.0]], atol=1e-15)
    assert true_sine(x).shape == x.shape


@pytest.mark.parametrize("noise_std", [0.0, 0.1, 0.3])
def test_sine_regression_has_the_stated_function_and_noise(noise_std):
    n = 200_000
    x, y = sine_regression(n, rng=rng(4), noise_std=noise_std, x_range=(-2.0, 3.0))
    assert x.shape == y.shape == (n, 1) and x.dtype == y.dtype == np.float64
    assert x.min() >= -2.0 and x.max() < 3.0
    # x uniform on [-2, 3): mean 0.5, sd 5/sqrt(12)
    assert abs(x.mean() - 0.5) < 0.02 and abs(x.std() - 5 / np.sqrt(12)) < 0.02
    eps = y - np.sin(np.pi * x)
    # standard errors: mean sigma/sqrt(n) ~ 7e-4, sd sigma/sqrt(2n) ~ 5e-4 at sigma=0.3
    assert abs(eps.mean()) < 5e-3
    assert abs(eps.std() - noise_std) < 5e-3
    if noise_std > 0:
        assert abs(np.corrcoef(eps[:, 0], x[:, 0])[0, 1]) < 0.01


def test_sine_regression_is_reproducible_and_defaults():
    a, b = sine_regression(10, rng=rng(1)), sine_regression(10, rng=rng(1))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert a[0].min() >= -1.0 and a[0].max() < 1.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=0), "n must be an integer >= 1; got 0"),
    (dict(n=5, noise_std=-0.1), r"noise_std must be a finite real number in \[0.0, inf\); got -0.1"),
    (dict(n=5, x_range=(1.0, 1.0)), "x_range must be a pair .* low < high; got"),
    (dict(n=5, x_range=(0.0,)), r"x_range must be a pair \(low, high\)"),
    (dict(n=5, x_range=3.0), r"x_range must be a pair \(low, high\)"),
    (dict(n=5, x_range=(0.0, float("inf"))), r"x_range\[1\] must be a finite real"),
])
def test_sine_regression_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sine_regression(rng=rng(), **kwargs)


def test_linear_regression_has_the_stated_weights_and_noise():
    w = np.array([1.5, -2.0, 0.0, 0.25])
    X, y = linear_regression(100_000, w, rng=rng(9), noise_std=0.5)
    assert X.shape == (100_000, 4) and y.shape == (100_000, 1)
    # least squares recovers w to within a few standard errors (0.5/sqrt(n) ~ 1.6e-3)
    w_hat = np.linalg.lstsq(X, y[:, 0], rcond=None)[0]
    np.testing.assert_allclose(w_hat, w, atol=0.01)
    eps = y[:, 0] - X @ w
    assert abs(eps.std() - 0.5) < 0.01
    assert abs(X.mean()) < 0.01 and abs(X.std() - 1.0) < 0.01
    X0, y0 = linear_regression(3, w, rng=rng(1), noise_std=0.0)
    np.testing.assert_allclose(y0[:, 0], X0 @ w, rtol=1e-15)


def test_linear_regression_rejects_bad_arguments():
    with pytest.raises(ValueError, match="w_true must have at least one entry"):
        linear_regression(5, [], rng=rng())
    with pytest.raises(ValueError, match="w_true must be a 1-D array"):
        linear_regression(5, [[1.0]], rng=rng())
    with pytest.raises(ValueError, match="noise_std"):
        linear_regression(5, [1.0], rng=rng(), noise_std=float("nan"))
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        linear_regression(0, [1.0], rng=rng())
