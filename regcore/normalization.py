"""``BatchNorm1d`` and ``LayerNorm``, thin modules over :mod:`regcore.functional`."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional as F
from ._validation import check_bool, check_int, check_real
from .module import Module, Parameter, _accumulate

__all__ = ["BatchNorm1d", "LayerNorm"]


class BatchNorm1d(Module):
    """Batch normalisation over the batch dimension, as ``torch.nn.BatchNorm1d``.

    Training mode normalises each feature with the batch mean and the
    *biased* batch variance, then updates the running averages with the
    batch mean and the *unbiased* variance (factor ``N / (N - 1)``)::

        running = (1 - momentum) * running + momentum * batch

    With ``momentum=None`` the factor is ``1 / num_batches_tracked``, i.e. a
    cumulative (equal-weight) average of all batches seen.  Evaluation mode
    normalises with the running statistics, so the layer is then an affine map
    of each feature and its backward pass is that map's derivative.

    Parameters
    ----------
    num_features : int
        ``C``, the number of features of inputs of shape ``(N, C)``.
    eps : float, default 1e-5
        Added to the variance; must be positive.
    momentum : float or None, default 0.1
        Weight of the newest batch in ``[0, 1]``, or ``None`` for a cumulative average.

    Attributes
    ----------
    weight, bias : Parameter, shape (C,)
        Scale ``gamma`` (ones) and shift ``beta`` (zeros).
    running_mean, running_var : ndarray, shape (C,)
        Buffers, initially zeros and ones.
    num_batches_tracked : int
        Buffer: number of training batches seen.
    """

    def __init__(self, num_features: int, eps: float = 1e-5,
                 momentum: float | None = 0.1) -> None:
        super().__init__()
        self.num_features = check_int("num_features", num_features, low=1)
        self.eps = check_real("eps", eps, low=0.0, low_inclusive=False)
        self.momentum = None if momentum is None else check_real(
            "momentum", momentum, low=0.0, high=1.0)
        self.weight = Parameter(np.ones(self.num_features))
        self.bias = Parameter(np.zeros(self.num_features))
        self.register_buffer("running_mean", np.zeros(self.num_features))
        self.register_buffer("running_var", np.ones(self.num_features))
        self.register_buffer("num_batches_tracked", 0)

    def forward(self, x: Any) -> np.ndarray:
        if self.training:
            out, cache = F.batch_norm_forward(x, self.weight.data, self.bias.data, self.eps)
            n = cache.xhat.shape[0]
            self.num_batches_tracked += 1
            m = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * cache.mean
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1)) * cache.var
        else:
            out, cache = F.batch_norm_forward(x, self.weight.data, self.bias.data, self.eps,
                                              mean=self.running_mean, var=self.running_var)
        self._cache = cache
        return out

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        need_dx = check_bool("needs_input_grad", needs_input_grad)
        dx, dgamma, dbeta = F.batch_norm_backward(grad_out, self._require_cache(), need_dx=need_dx)
        _accumulate(self.weight, dgamma)
        _accumulate(self.bias, dbeta)
        return dx

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


class LayerNorm(Module):
    """Layer normalisation over the last dimension, as ``torch.nn.LayerNorm``.

    Each sample is normalised with the mean and biased variance of its own
    features, so training and evaluation behave identically.

    Parameters
    ----------
    normalized_shape : int or tuple of one int
        ``D``, the size of the last dimension of inputs of shape ``(..., D)``.
    eps : float, default 1e-5
        Added to the variance; must be positive.

    Attributes
    ----------
    normalized_shape : tuple of int
        ``(D,)``, as PyTorch stores it.
    weight, bias : Parameter, shape (D,)
        Scale (ones) and shift (zeros).
    """

    def __init__(self, normalized_shape: int | tuple[int], eps: float = 1e-5) -> None:
        super().__init__()
        shape = normalized_shape
        if isinstance(shape, (tuple, list)) and len(shape) == 1:
            shape = shape[0]
        elif isinstance(shape, (tuple, list)):
            raise ValueError(f"normalized_shape must be an int or a tuple of one int "
                             f"(regcore normalises over the last dimension only); "
                             f"got {normalized_shape!r}")
        d = check_int("normalized_shape", shape, low=1)
        self.normalized_shape = (d,)
        self.eps = check_real("eps", eps, low=0.0, low_inclusive=False)
        self.weight = Parameter(np.ones(d))
        self.bias = Parameter(np.zeros(d))

    def forward(self, x: Any) -> np.ndarray:
        out, self._cache = F.layer_norm_forward(x, self.weight.data, self.bias.data, self.eps)
        return out

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        need_dx = check_bool("needs_input_grad", needs_input_grad)
        dx, dgamma, dbeta = F.layer_norm_backward(grad_out, self._require_cache(), need_dx=need_dx)
        _accumulate(self.weight, dgamma)
        _accumulate(self.bias, dbeta)
        return dx

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"
