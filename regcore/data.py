"""The book's running datasets.

* :func:`digits` -- scikit-learn's bundled 8x8 handwritten digits (1797 images,
  10 classes, no download), scaled to ``[0, 1]`` and split reproducibly and
  stratified into training, validation and test sets.
* :func:`add_label_noise` and :func:`add_noise_features` -- corrupt a dataset in
  a controlled way (wrong labels to memorise, irrelevant inputs for L1 to
  discard).
* :func:`sine_regression` and :func:`linear_regression` -- synthetic
  regression problems whose true function and noise level are known, so that
  bias, variance and noise can be computed rather than guessed.

Every function that draws random numbers takes a keyword-only ``rng``
(a :class:`numpy.random.Generator`); the same seed gives the same data.
scikit-learn is never imported: :func:`digits` reads the data file that
scikit-learn ships (see :func:`_digits_table`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_array, check_int, check_real, check_rng

__all__ = ["Split", "digits", "add_label_noise", "add_noise_features",
           "true_sine", "sine_regression", "linear_regression"]


@dataclass(frozen=True, eq=False, repr=False)
class Split:
    """A dataset split into training, validation and test sets.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of float64, shape (n, n_features)
        Inputs, one row per sample.
    y_train, y_val, y_test : ndarray of int64, shape (n,)
        Class labels in ``[0, n_classes)``.
    n_classes : int
        Number of classes of the full dataset.
    n_features : int
        Number of input features (columns of ``X_*``).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    n_features: int

    def __repr__(self) -> str:
        return (f"Split(train={len(self.y_train)}, val={len(self.y_val)}, "
                f"test={len(self.y_test)}, n_features={self.n_features}, "
                f"n_classes={self.n_classes})")


def _stratified_counts(total: int, counts: np.ndarray, room: np.ndarray) -> np.ndarray:
    """How many of ``total`` samples to take from each class.

    Largest-remainder rounding of ``total * counts / counts.sum()``, so each
    class gets its expected share to within one sample, never more than its
    ``room``; ties go to the lower class index.
    """
    expected = total * counts / counts.sum()
    take = np.minimum(np.floor(expected).astype(np.int64), room)
    order = np.argsort(-(expected - np.floor(expected)), kind="stable")
    while take.sum() < total:
        for k in order:
            if take.sum() < total and take[k] < room[k]:
                take[k] += 1
    return take


def _stratified_split(y: np.ndarray, sizes: list[int],
                      rng: np.random.Generator) -> list[np.ndarray]:
    """Split ``arange(len(y))`` into parts of the given ``sizes``, stratified by ``y``.

    The first ``len(sizes) - 1`` parts are allocated class by class with
    :func:`_stratified_counts`; the last part gets the rest.  Each part is
    returned in a random order.
    """
    classes, inverse = np.unique(y, return_inverse=True)
    by_class = [rng.permutation(np.flatnonzero(inverse == k)) for k in range(len(classes))]
    counts = np.array([len(ix) for ix in by_class])
    room, start = counts.copy(), np.zeros_like(counts)
    parts = []
    for size in sizes[:-1]:
        take = _stratified_counts(size, counts, room)
        parts.append(np.concatenate([ix[s:s + t] for ix, s, t in zip(by_class, start, take)]))
        start, room = start + take, room - take
    parts.append(np.concatenate([ix[s:] for ix, s in zip(by_class, start)]))
    return [rng.permutation(p) for p in parts]


def _digits_table() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 digits as scikit-learn ships them: pixels ``(1797, 64)``, labels ``(1797,)``.

    This reads scikit-learn's own data file, ``sklearn/datasets/data/digits.csv.gz``,
    exactly as ``sklearn.datasets.load_digits`` does (``np.loadtxt`` on the
    decompressed CSV, the label in the last column) but without importing
    scikit-learn, whose import costs about two seconds per notebook.  The
    file is located with :func:`importlib.util.find_spec`, which does not
    import the package.  ``tests/test_data.py`` checks that the result equals
    ``load_digits()``.  Should a future scikit-learn move the file, this falls
    back to ``load_digits`` itself.
    """
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ImportError("regcore.data.digits needs scikit-learn, which ships the digits "
                          "dataset: pip install scikit-learn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path.is_file():
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",")
        return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits  # pragma: no cover - only if the file moved
    bunch = load_digits()  # pragma: no cover
    return (np.asarray(bunch.data, dtype=np.float64),  # pragma: no cover
            np.asarray(bunch.target, dtype=np.int64))


def digits(*, rng: np.random.Generator, val_fraction: float = 0.2,
           test_fraction: float = 0.2, n_train: int | None = None) -> Split:
    """scikit-learn's handwritten digits, scaled and split reproducibly.

    The 1797 images of 8x8 pixels (64 features, 10 classes) ship with
    scikit-learn, so nothing is downloaded.  Pixel values (integers 0..16) are
    divided by 16 into ``[0, 1]``.  The split is stratified: every set holds
    each class in the proportion of the full dataset, to within one sample.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the random split; the same seed gives the same split.
    val_fraction, test_fraction : float, default 0.2
        Fractions of the 1797 samples in the validation and test sets, each in
        ``(0, 1)`` with ``val_fraction + test_fraction < 1``.  The set sizes
        are ``round(fraction * 1797)``; the training set gets the rest.
    n_train : int or None, default None
        If given, keep only a stratified random subset of ``n_train`` training
        samples (``1 <= n_train <=`` the training set's size); the validation
        and test sets are unchanged, and so is the split itself: the subset is
        drawn after the split, so for one seed all values of ``n_train`` share
        the same validation and test sets.

    Returns
    -------
    Split
        ``X_*`` float64 of shape ``(n, 64)`` in ``[0, 1]``, ``y_*`` int64 of
        shape ``(n,)``, rows in random order; ``n_classes=10``, ``n_features=64``.

    Raises
    ------
    ImportError
        If scikit-learn is not installed.
    ValueError
        If an argument is out of range.
    """
    check_rng("rng", rng)
    val_fraction = check_real("val_fraction", val_fraction, low=0.0, high=1.0,
                              low_inclusive=False, high_inclusive=False)
    test_fraction = check_real("test_fraction", test_fraction, low=0.0, high=1.0,
                               low_inclusive=False, high_inclusive=False)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(f"val_fraction + test_fraction must be < 1 so that training data "
                         f"remain; got {val_fraction} + {test_fraction} = "
                         f"{val_fraction + test_fraction}")
    pixels, labels = _digits_table()
    X = pixels / 16.0
    y = labels.copy()
    n = len(y)
    n_val, n_test = round(val_fraction * n), round(test_fraction * n)
    for name, size, frac in (("val_fraction", n_val, val_fraction),
                             ("test_fraction", n_test, test_fraction)):
        if size < 1:
            raise ValueError(f"{name} must leave at least one sample out of {n}; got {frac}")
    n_rest = n - n_val - n_test
    if n_rest < 1:
        raise ValueError(f"val_fraction + test_fraction must leave at least one training "
                         f"sample out of {n}; got {val_fraction} + {test_fraction}")
    if n_train is not None:
        n_train = check_int("n_train", n_train, low=1)
        if n_train > n_rest:
            raise ValueError(f"n_train must be an integer in [1, {n_rest}] (the training "
                             f"set's size for these fractions) or None; got {n_train}")
    test_ix, val_ix, train_ix = _stratified_split(y, [n_test, n_val, n_rest], rng)
    if n_train is not None and n_train < n_rest:
        train_ix = train_ix[_stratified_split(y[train_ix], [n_train, n_rest - n_train],
                                              rng)[0]]
    return Split(X_train=X[train_ix], y_train=y[train_ix], X_val=X[val_ix], y_val=y[val_ix],
                 X_test=X[test_ix], y_test=y[test_ix], n_classes=10, n_features=X.shape[1])


def add_label_noise(y: Any, fraction: float, *, rng: np.random.Generator,
                    n_classes: int | None = None) -> np.ndarray:
    """Return a copy of ``y`` with a given fraction of labels made wrong.

    Exactly ``round(fraction * len(y))`` samples, chosen without replacement,
    get a label drawn uniformly from the *other* ``n_classes - 1`` classes, so
    ``np.mean(y_noisy != y)`` equals that count divided by ``len(y)`` and
    ``y_noisy != y`` marks the corrupted samples.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class labels in ``[0, n_classes)``.
    fraction : float
        Fraction of labels to corrupt, in ``[0, 1]``.
    rng : numpy.random.Generator
        Source of the choice of samples and of the wrong labels.
    n_classes : int or None, default None
        Number of classes (at least 2); ``None`` means ``y.max() + 1``.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    y = check_array("y", y, ndim=1, dtype=None)
    if y.dtype.kind not in "iu":
        raise ValueError(f"y must be an array of integer class labels; got dtype {y.dtype}")
    fraction = check_real("fraction", fraction, low=0.0, high=1.0)
    check_rng("rng", rng)
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 2
    n_classes = check_int("n_classes", n_classes, low=2)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y must hold class labels in [0, {n_classes}); got values in "
                         f"[{y.min()}, {y.max()}]")
    out = y.astype(np.int64, copy=True)
    idx = rng.choice(len(y), size=round(fraction * len(y)), replace=False)
    # a shift in 1..n_classes-1 modulo n_classes is uniform over the other classes
    out[idx] = (out[idx] + rng.integers(1, n_classes, size=len(idx))) % n_classes
    return out


def add_noise_features(X: Any, n_extra: int, *, rng: np.random.Generator) -> np.ndarray:
    """Append ``n_extra`` columns of pure noise, drawn i.i.d. from ``U(0, 1)``.

    The new columns carry no information about any label (they have the
    range of the digits' pixels), so a model that uses them is fitting noise;
    the L1 chapter watches their weights go to zero.  Call it once per split
    (with the same ``rng``) so that every set gets independent noise.

    Parameters
    ----------
    X : array_like, shape (n, d)
    n_extra : int
        Number of noise columns, ``>= 0``.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape (n, d + n_extra)
        ``X`` in the first ``d`` columns, the noise in the last ``n_extra``.
    """
    X = check_array("X", X, ndim=2)
    n_extra = check_int("n_extra", n_extra, low=0)
    check_rng("rng", rng)
    return np.hstack([X, rng.random((X.shape[0], n_extra))])


def true_sine(x: Any) -> np.ndarray:
    r"""The true function of :func:`sine_regression`, :math:`f(x) = \sin(\pi x)`.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    return np.sin(np.pi * check_array("x", x))


def sine_regression(n: int, *, rng: np.random.Generator, noise_std: float = 0.3,
                    x_range: tuple[float, float] = (-1.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    r"""Noisy samples of :func:`true_sine`: :math:`y = \sin(\pi x) + \varepsilon`.

    The inputs are drawn uniformly from ``x_range`` and the noise
    :math:`\varepsilon \sim \mathcal N(0, \sigma^2)` with
    :math:`\sigma` = ``noise_std``, independently for each sample.  Because
    :math:`f` and :math:`\sigma^2` are known, the irreducible error of the
    bias--variance decomposition is exactly ``noise_std**2``.

    Parameters
    ----------
    n : int
        Number of samples, ``>= 1``.
    rng : numpy.random.Generator
    noise_std : float, default 0.3
        Standard deviation :math:`\sigma \ge 0` of the noise.
    x_range : tuple of two floats, default (-1.0, 1.0)
        ``(low, high)`` with ``low < high``.

    Returns
    -------
    x : ndarray of float64, shape (n, 1)
    y : ndarray of float64, shape (n, 1)
    """
    n = check_int("n", n, low=1)
    check_rng("rng", rng)
    noise_std = check_real("noise_std", noise_std, low=0.0)
    low, high = _check_range(x_range)
    x = rng.uniform(low, high, size=(n, 1))
    return x, true_sine(x) + noise_std * rng.standard_normal((n, 1))


def _check_range(x_range: Any) -> tuple[float, float]:
    try:
        low, high = x_range
    except (TypeError, ValueError):
        raise ValueError(f"x_range must be a pair (low, high) of finite numbers with "
                         f"low < high; got {x_range!r}") from None
    low, high = check_real("x_range[0]", low), check_real("x_range[1]", high)
    if not low < high:
        raise ValueError(f"x_range must be a pair (low, high) with low < high; got {x_range!r}")
    return low, high


def linear_regression(n: int, w_true: Any, *, rng: np.random.Generator,
                      noise_std: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    r"""A linear model with Gaussian design: :math:`y = X w + \varepsilon`.

    The rows of ``X`` are i.i.d. standard normal and
    :math:`\varepsilon \sim \mathcal N(0, \sigma^2 I)` with
    :math:`\sigma` = ``noise_std``; there is no intercept.  Useful wherever a
    closed form is known (ridge regression, dropout as data-dependent L2).

    Parameters
    ----------
    n : int
        Number of samples, ``>= 1``.
    w_true : array_like, shape (d,)
        True weights, ``d >= 1``.
    rng : numpy.random.Generator
    noise_std : float, default 0.1
        Standard deviation :math:`\sigma \ge 0` of the noise.

    Returns
    -------
    X : ndarray of float64, shape (n, d)
    y : ndarray of float64, shape (n, 1)
        ``X @ w_true[:, None]`` plus noise.
    """
    n = check_int("n", n, low=1)
    w = check_array("w_true", w_true, ndim=1)
    if w.size == 0:
        raise ValueError("w_true must have at least one entry; got an empty array")
    check_rng("rng", rng)
    noise_std = check_real("noise_std", noise_std, low=0.0)
    X = rng.standard_normal((n, w.size))
    return X, X @ w[:, None] + noise_std * rng.standard_normal((n, 1))
