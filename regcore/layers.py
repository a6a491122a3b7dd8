"""``Linear``, ``ReLU``, ``Tanh`` and ``Dropout``: thin modules over :mod:`regcore.functional`.

Each module stores the ``cache`` of its latest forward pass and calls the
matching backward function, so every derivative is written once, in
:mod:`regcore.functional`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional as F
from ._validation import check_bool, check_int, check_real, check_rng
from .module import Module, Parameter, _accumulate

__all__ = ["Linear", "ReLU", "Tanh", "Dropout"]


def _make_rng(rng: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng() if rng is None else check_rng("rng", rng)


class Linear(Module):
    """Affine layer ``y = x @ weight.T + bias``, as ``torch.nn.Linear``.

    Both ``weight`` and ``bias`` are drawn from PyTorch's default
    ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample (positive).
    bias : bool, default True
        Whether to learn an additive bias.
    rng : numpy.random.Generator, optional
        Source of the initial weights.  ``None`` uses a fresh
        ``np.random.default_rng()``, so the initialisation is then *not*
        reproducible; pass a seeded generator for reproducible results.

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
    bias : Parameter of shape (out_features,), or None

    Notes
    -----
    Input shape ``(N, in_features)``, output shape ``(N, out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = check_int("in_features", in_features, low=1)
        self.out_features = check_int("out_features", out_features, low=1)
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"bias must be a bool; got {bias!r}")
        rng = _make_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (self.out_features, self.in_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, self.out_features)) if bias else None

    def forward(self, x: Any) -> np.ndarray:
        out, self._cache = F.linear_forward(
            x, self.weight.data, None if self.bias is None else self.bias.data)
        return out

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        dx, dW, db = F.linear_backward(grad_out, self._require_cache(),
                                       need_dx=check_bool("needs_input_grad", needs_input_grad))
        _accumulate(self.weight, dW)
        if self.bias is not None:
            _accumulate(self.bias, db)
        return dx

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")


class ReLU(Module):
    """Element-wise ``max(x, 0)``, as ``torch.nn.ReLU`` (any input shape)."""

    def forward(self, x: Any) -> np.ndarray:
        out, self._cache = F.relu_forward(x)
        return out

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        cache = self._require_cache()
        if not check_bool("needs_input_grad", needs_input_grad):
            return None                  # no parameters: nothing to compute
        return F.relu_backward(grad_out, cache)

    def __repr__(self) -> str:
        return "ReLU()"


class Tanh(Module):
    """Element-wise hyperbolic tangent, as ``torch.nn.Tanh`` (any input shape)."""

    def forward(self, x: Any) -> np.ndarray:
        out, self._cache = F.tanh_forward(x)
        return out

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        cache = self._require_cache()
        if not check_bool("needs_input_grad", needs_input_grad):
            return None                  # no parameters: nothing to compute
        return F.tanh_backward(grad_out, cache)

    def __repr__(self) -> str:
        return "Tanh()"


class Dropout(Module):
    """Inverted dropout, as ``torch.nn.Dropout``.

    In training mode each entry is zeroed with probability ``p`` and the kept
    entries are scaled by ``1 / (1 - p)``; in evaluation mode the layer is the
    identity.  The backward pass reuses the mask of the latest forward pass.

    Parameters
    ----------
    p : float, default 0.5
        Drop probability, in ``[0, 1]``; ``p = 1`` outputs zeros.
    rng : numpy.random.Generator, optional
        Source of the masks.  ``None`` uses a fresh ``np.random.default_rng()``,
        so the masks are then *not* reproducible.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_real("p", p, low=0.0, high=1.0)
        self.rng = _make_rng(rng)

    def forward(self, x: Any) -> np.ndarray:
        out, self._cache = F.dropout_forward(x, self.p, self.rng, train=self.training)
        return out

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        cache = self._require_cache()
        if not check_bool("needs_input_grad", needs_input_grad):
            return None                  # no parameters: nothing to compute
        return F.dropout_backward(grad_out, cache)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
