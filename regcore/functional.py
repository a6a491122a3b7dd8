"""Forward/backward pairs for every layer and loss, in the style of CS231n.

Each ``*_forward`` returns ``(out, cache)`` and the matching ``*_backward``
takes ``(dout, cache)`` and returns the gradients with respect to the inputs
of the forward pass.  Weights use PyTorch's layout ``W: (out, in)`` so that
``out = x @ W.T + b`` and every result can be compared with ``torch.nn``.
The modules in :mod:`regcore.layers` and :mod:`regcore.normalization` are thin
wrappers around these functions: each derivative is written exactly once.

Training versus evaluation is always an explicit argument, never inferred.

Arrays keep their floating-point dtype: float32 inputs give float32 outputs
and gradients, float64 (the default, and what any other input is converted
to) gives float64.  A few lines write into freshly allocated arrays in place
(``out=``, ``+=``): that is only to spare a temporary array on the hot path of
training, and each says so in a comment.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validation import check_array, check_features, check_real, check_rng

__all__ = ["linear_forward", "linear_backward", "relu_forward", "relu_backward",
           "tanh_forward", "tanh_backward", "dropout_forward", "dropout_backward",
           "BatchNormCache", "batch_norm_forward", "batch_norm_backward",
           "layer_norm_forward", "layer_norm_backward", "cross_entropy", "mse"]


# --------------------------------------------------------------------- helpers
def _checked(name: str, x: Any, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` as a float32 or float64 array (else converted to float64; no copy if it
    already is one), finite, of rank ``ndim``."""
    return check_array(name, x, ndim=ndim)


def _check_shape(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> None:
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got shape {arr.shape}")


def _check_affine(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> int:
    """Check ``x`` has ``len(gamma)`` features and ``beta`` matches ``gamma``."""
    check_features("x", x, gamma.shape[0])
    _check_shape("beta", beta, gamma.shape)
    return gamma.shape[0]


def _check_dout(dout: Any, shape: tuple[int, ...]) -> np.ndarray:
    arr = _checked("dout", dout)
    _check_shape("dout (the shape of the forward output)", arr, shape)
    return arr


# ---------------------------------------------------------------------- linear
def linear_forward(x: Any, W: Any, b: Any | None) -> tuple[np.ndarray, tuple]:
    """Affine map ``out = x @ W.T + b``.

    Parameters
    ----------
    x : array_like, shape (N, in)
        Mini-batch of inputs.
    W : array_like, shape (out, in)
        Weight matrix in PyTorch's layout.
    b : array_like of shape (out,), or None
        Bias; ``None`` for a layer without bias.

    Returns
    -------
    out : ndarray, shape (N, out)
    cache : tuple
        ``(x, W, has_bias)``, for :func:`linear_backward`.
    """
    x = _checked("x", x, ndim=2)
    W = _checked("W", W, ndim=2)
    if x.shape[1] != W.shape[1]:
        raise ValueError(f"x must have {W.shape[1]} features (W has shape {W.shape}, "
                         f"i.e. (out, in)); got x of shape {x.shape}")
    out = x @ W.T
    if b is not None:
        b = _checked("b", b)
        _check_shape("b", b, (W.shape[0],))
        out += b
    return out, (x, W, b is not None)


def linear_backward(dout: Any, cache: tuple, *, need_dx: bool = True
                    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`linear_forward`.

    Parameters
    ----------
    dout : array_like, shape (N, out)
        Upstream gradient of the loss with respect to ``out``.
    cache : tuple
        From :func:`linear_forward`.
    need_dx : bool, default True
        ``False`` skips ``dx`` (returned as ``None``): the first layer of a
        network never needs the gradient with respect to the data, and its
        ``dout @ W`` is as costly as ``dW``.

    Returns
    -------
    dx : ndarray of shape (N, in), or None
        ``dout @ W``; ``None`` when ``need_dx=False``.
    dW : ndarray, shape (out, in)
        ``dout.T @ x``.
    db : ndarray of shape (out,), or None
        ``dout`` summed over the batch; ``None`` when there is no bias.
    """
    x, W, has_bias = cache
    dout = _check_dout(dout, (x.shape[0], W.shape[0]))
    dx = dout @ W if need_dx else None
    return dx, dout.T @ x, (dout.sum(axis=0) if has_bias else None)


# ----------------------------------------------------------------- activations
def relu_forward(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rectified linear unit ``max(x, 0)``, element-wise.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    out : ndarray, same shape as ``x``
    cache : ndarray of bool
        The mask ``x > 0``; the derivative at ``x = 0`` is taken as 0, as in PyTorch.
    """
    x = _checked("x", x)
    return np.maximum(x, 0.0), x > 0


def relu_backward(dout: Any, cache: np.ndarray) -> np.ndarray:
    """Gradient of :func:`relu_forward`: ``dout`` where ``x > 0``, else 0.

    Parameters
    ----------
    dout : array_like, same shape as ``x``
    cache : ndarray of bool
        From :func:`relu_forward`.

    Returns
    -------
    dx : ndarray, same shape as ``x``
    """
    return _check_dout(dout, cache.shape) * cache


def tanh_forward(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hyperbolic tangent, element-wise.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    out : ndarray, same shape as ``x``
    cache : ndarray
        ``out`` itself, since ``d tanh(x)/dx = 1 - tanh(x)**2``.
    """
    out = np.tanh(_checked("x", x))
    return out, out


def tanh_backward(dout: Any, cache: np.ndarray) -> np.ndarray:
    """Gradient of :func:`tanh_forward`: ``dout * (1 - out**2)``.

    Parameters
    ----------
    dout : array_like, same shape as ``x``
    cache : ndarray
        From :func:`tanh_forward`.

    Returns
    -------
    dx : ndarray, same shape as ``x``
    """
    return _check_dout(dout, cache.shape) * (1.0 - cache * cache)


# --------------------------------------------------------------------- dropout
def dropout_forward(x: Any, p: float, rng: np.random.Generator | None,
                    train: bool = True) -> tuple[np.ndarray, tuple]:
    """Inverted dropout.

    In training each entry is kept independently with probability ``1 - p``
    (mask ``m ~ Bernoulli(1 - p)``) and kept entries are scaled by
    ``1 / (1 - p)`` so that ``E[out] = x``; ``p = 1`` gives zeros.  With
    ``train=False`` (or ``p = 0``) the layer is the identity.  The uniform
    draws behind the mask are in ``x``'s dtype, so a float32 input consumes
    the generator differently from a float64 one.

    Parameters
    ----------
    x : array_like, any shape
    p : float
        Drop probability, in ``[0, 1]``.
    rng : numpy.random.Generator
        Source of the mask; may be ``None`` only when no mask is drawn
        (``train=False``, ``p = 0`` or ``p = 1``).
    train : bool, default True
        Training mode (random mask) or evaluation mode (identity).

    Returns
    -------
    out : ndarray, same shape as ``x``
    cache : tuple
        ``(mask, shape)`` where ``mask`` already contains the factor
        ``1 / (1 - p)`` (``None`` for the identity).
    """
    x = _checked("x", x)
    p = check_real("p", p, low=0.0, high=1.0)
    if not train or p == 0.0:
        return x, (None, x.shape)
    if p == 1.0:
        mask = np.zeros(x.shape, dtype=x.dtype)
    else:
        mask = check_rng("rng", rng).random(x.shape, dtype=x.dtype)
        np.greater_equal(mask, p, out=mask)  # in place: 1.0 with probability 1 - p, else 0.0
        mask *= 1.0 / (1.0 - p)
    return x * mask, (mask, x.shape)


def dropout_backward(dout: Any, cache: tuple) -> np.ndarray:
    """Gradient of :func:`dropout_forward`: ``dout`` times the same scaled mask.

    Parameters
    ----------
    dout : array_like, same shape as ``x``
    cache : tuple
        From :func:`dropout_forward`.

    Returns
    -------
    dx : ndarray, same shape as ``x``
    """
    mask, shape = cache
    dout = _check_dout(dout, shape)
    return dout if mask is None else dout * mask


# ------------------------------------------------------------------ batch norm
class BatchNormCache(NamedTuple):
    """What :func:`batch_norm_forward` keeps for the backward pass.

    ``mean`` and ``var`` are the statistics used to normalise: the batch mean
    and *biased* batch variance in training mode (``batch_stats=True``),
    which :class:`regcore.BatchNorm1d` uses to update its running averages.
    """

    xhat: np.ndarray
    gamma: np.ndarray
    inv_std: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    batch_stats: bool


def batch_norm_forward(x: Any, gamma: Any, beta: Any, eps: float = 1e-5, *,
                       mean: Any | None = None, var: Any | None = None
                       ) -> tuple[np.ndarray, BatchNormCache]:
    """Batch normalisation ``out = gamma * (x - mean) / sqrt(var + eps) + beta``.

    By default (training mode) ``mean`` and ``var`` are the batch mean and the
    biased batch variance of each feature, which needs at least two samples.
    Passing fixed ``mean`` and ``var`` (e.g. running averages) gives
    evaluation mode: the statistics are then constants for the backward pass.

    Parameters
    ----------
    x : array_like, shape (N, C)
    gamma, beta : array_like, shape (C,)
        Scale and shift.
    eps : float, default 1e-5
        Added to the variance; must be positive.
    mean, var : array_like of shape (C,), optional
        Fixed statistics (both or neither); ``var`` must be non-negative.

    Returns
    -------
    out : ndarray, shape (N, C)
    cache : BatchNormCache
        Normalised input, ``gamma``, ``1 / sqrt(var + eps)``, the statistics
        used (``cache.mean``, ``cache.var``, each of shape (C,)) and the mode.
    """
    x = _checked("x", x, ndim=2)
    gamma, beta = _checked("gamma", gamma, ndim=1), _checked("beta", beta, ndim=1)
    c = _check_affine(x, gamma, beta)
    n = x.shape[0]
    eps = check_real("eps", eps, low=0.0, low_inclusive=False)
    if (mean is None) != (var is None):
        raise ValueError("mean and var must be given together (evaluation mode) or both "
                         f"be None (batch statistics); got mean={mean!r}, var={var!r}")
    batch_stats = mean is None
    if batch_stats:
        if n < 2:
            raise ValueError(f"x must have at least 2 samples to compute batch statistics "
                             f"in training mode; got shape {x.shape} (use eval mode for "
                             f"single samples)")
        mean = x.mean(axis=0)
        xc = x - mean
        var = np.einsum("ij,ij->j", xc, xc) / n  # mean of xc**2 over the batch, no (N, C) temporary
    else:
        mean, var = _checked("mean", mean), _checked("var", var)
        _check_shape("mean", mean, (c,))
        _check_shape("var", var, (c,))
        if np.any(var < 0):
            raise ValueError(f"var must be non-negative; got minimum {var.min()!r}")
        xc = x - mean
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc
    xhat *= inv_std            # in place: xc is not needed any more
    out = xhat * gamma
    out += beta                # in place: spares a temporary
    return out, BatchNormCache(xhat, gamma, inv_std, mean, var, batch_stats)


def batch_norm_backward(dout: Any, cache: BatchNormCache, *, need_dx: bool = True
                        ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`batch_norm_forward`.

    With batch statistics, in the compact form (``s = sqrt(var + eps)``,
    ``dy = dout``, sums over the batch)::

        dx = gamma / (N * s) * (N * dy - sum(dy) - xhat * sum(dy * xhat))

    computed as ``gamma / s * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N)``
    (PyTorch's order of operations), where ``sum(dy) = dbeta`` and
    ``sum(dy * xhat) = dgamma``.  With fixed statistics the map is affine and
    ``dx = dy * gamma / s``.

    Parameters
    ----------
    dout : array_like, shape (N, C)
    cache : BatchNormCache
        From :func:`batch_norm_forward`.
    need_dx : bool, default True
        ``False`` skips ``dx`` (returned as ``None``).

    Returns
    -------
    dx : ndarray of shape (N, C), or None
    dgamma : ndarray, shape (C,)
    dbeta : ndarray, shape (C,)
    """
    xhat, gamma, inv_std = cache.xhat, cache.gamma, cache.inv_std
    dy = _check_dout(dout, xhat.shape)
    dbeta = dy.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", dy, xhat)  # sum(dy * xhat) over the batch, no temporary
    if not need_dx:
        return None, dgamma, dbeta
    if cache.batch_stats:
        n = dy.shape[0]
        # in place on one (N, C) array: dx = dy - xhat * dgamma / n - dbeta / n, times gamma / s
        dx = xhat * (dgamma / n)
        np.subtract(dy, dx, out=dx)
        dx -= dbeta / n
        dx *= gamma * inv_std
    else:
        dx = dy * (gamma * inv_std)
    return dx, dgamma, dbeta


# ------------------------------------------------------------------ layer norm
def layer_norm_forward(x: Any, gamma: Any, beta: Any, eps: float = 1e-5
                       ) -> tuple[np.ndarray, tuple]:
    """Layer normalisation over the last dimension (biased variance).

    Each sample is normalised with its own mean and variance over its ``D``
    features, so the result does not depend on the rest of the batch and is
    the same in training and evaluation.

    Parameters
    ----------
    x : array_like, shape (..., D)
    gamma, beta : array_like, shape (D,)
    eps : float, default 1e-5
        Added to the variance; must be positive.

    Returns
    -------
    out : ndarray, shape (..., D)
    cache : tuple
        ``(xhat, gamma, inv_std)`` with ``inv_std`` of shape (..., 1).
    """
    x = _checked("x", x)
    if x.ndim == 0:
        raise ValueError("x must have at least 1 dimension; got a 0-D array")
    gamma, beta = _checked("gamma", gamma, ndim=1), _checked("beta", beta, ndim=1)
    _check_affine(x, gamma, beta)
    eps = check_real("eps", eps, low=0.0, low_inclusive=False)
    xc = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("...j,...j->...", xc, xc)[..., None] / x.shape[-1]  # no temporary xc**2
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc
    xhat *= inv_std            # in place: xc is not needed any more
    out = xhat * gamma
    out += beta                # in place: spares a temporary
    return out, (xhat, gamma, inv_std)


def layer_norm_backward(dout: Any, cache: tuple, *, need_dx: bool = True
                        ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`layer_norm_forward`.

    The batch-norm formula transposed to the feature axis: with
    ``g = dout * gamma`` and sums over the last dimension,
    ``dx = (g * D - sum(g) - xhat * sum(g * xhat)) / (D * s)``, computed as
    ``(g - sum(g) / D - xhat * sum(g * xhat) / D) / s``.

    Parameters
    ----------
    dout : array_like, shape (..., D)
    cache : tuple
        From :func:`layer_norm_forward`.
    need_dx : bool, default True
        ``False`` skips ``dx`` (returned as ``None``).

    Returns
    -------
    dx : ndarray of shape (..., D), or None
    dgamma : ndarray, shape (D,)
    dbeta : ndarray, shape (D,)
    """
    xhat, gamma, inv_std = cache
    dy = _check_dout(dout, xhat.shape)
    d = xhat.shape[-1]
    rows_dy, rows_xhat = dy.reshape(-1, d), xhat.reshape(-1, d)
    dgamma = np.einsum("ij,ij->j", rows_dy, rows_xhat)  # sum(dy * xhat) over samples
    dbeta = rows_dy.sum(axis=0)
    if not need_dx:
        return None, dgamma, dbeta
    g = dy * gamma
    # in place on one array: dx = g - xhat * sum(g * xhat) / D - sum(g) / D, times 1 / s
    dx = xhat * (np.einsum("...j,...j->...", g, xhat)[..., None] / d)
    np.subtract(g, dx, out=dx)
    dx -= g.sum(axis=-1, keepdims=True) / d
    dx *= inv_std
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------- losses
def cross_entropy(logits: Any, targets: Any) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy, averaged over the batch.

    ``loss = mean_i [logsumexp(logits_i) - logits_i[targets_i]]``, computed
    with the max-shift so that large logits do not overflow.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Unnormalised class scores.
    targets : array_like of int, shape (N,)
        Class indices in ``[0, C)``.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (N, C)
        ``(softmax(logits) - onehot(targets)) / N``.
    """
    logits = _checked("logits", logits, ndim=2)
    n, c = logits.shape
    if n == 0 or c == 0:
        raise ValueError(f"logits must have at least one sample and one class; "
                         f"got shape {logits.shape}")
    t = check_array("targets", targets, ndim=1, dtype=None)
    if t.dtype.kind not in "iu":
        raise ValueError(f"targets must be integer class indices in [0, {c}); "
                         f"got an array of dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"targets must have shape ({n},) to match logits of shape "
                         f"{logits.shape}; got shape {t.shape}")
    if t.min() < 0 or t.max() >= c:
        raise ValueError(f"targets must be class indices in [0, {c}); got values in "
                         f"[{t.min()}, {t.max()}]")
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) - z[rows, t]))
    dlogits = e / s
    dlogits[rows, t] -= 1.0
    dlogits /= n
    return loss, dlogits


def mse(pred: Any, target: Any) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements, ``mean((pred - target)**2)``.

    Parameters
    ----------
    pred : array_like, any shape
    target : array_like, same shape as ``pred`` (no broadcasting)

    Returns
    -------
    loss : float
    dpred : ndarray, same shape as ``pred``
        ``2 * (pred - target) / pred.size``.
    """
    pred, target = _checked("pred", pred), _checked("target", target)
    if pred.shape != target.shape:
        raise ValueError(f"target must have the shape of pred {pred.shape}; "
                         f"got shape {target.shape}")
    if pred.size == 0:
        raise ValueError("pred must have at least one element; got an empty array")
    diff = pred - target
    return float(np.mean(diff * diff)), diff * (2.0 / diff.size)
