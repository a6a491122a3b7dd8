"""``MLP``: a multi-layer perceptron built as a :class:`~regcore.module.Sequential`."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ._validation import check_choice, check_int, check_real, check_rng
from .layers import Dropout, Linear, ReLU, Tanh
from .module import Module, Sequential
from .normalization import BatchNorm1d, LayerNorm

__all__ = ["MLP"]

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}
_NORMS = {None: None, "batch": BatchNorm1d, "layer": LayerNorm}


class MLP(Sequential):
    """A fully connected network, as the ``torch.nn.Sequential`` of the same layers.

    Each hidden layer is ``Linear -> [BatchNorm1d or LayerNorm] -> activation
    -> [Dropout]`` and a final ``Linear`` produces the outputs (no activation,
    so they are logits or regression values).  Because the model *is* a
    ``Sequential``, parameter names are PyTorch's: with ``norm="batch"`` and
    dropout, ``sizes=[4, 8, 3]`` gives ``"0.weight"``, ``"1.weight"`` (the
    batch norm), ``"4.weight"``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``[in, hidden_1, ..., out]``: at least two positive ints.
    activation : {"relu", "tanh"}, default "relu"
    norm : {None, "batch", "layer"}, default None
        Normalisation after each hidden ``Linear``.
    dropout : float, default 0.0
        Drop probability in ``[0, 1)`` after each hidden activation; ``0``
        adds no ``Dropout`` layer.
    rng : numpy.random.Generator, optional
        Shared by every ``Linear`` (initialisation, drawn in layer order) and
        ``Dropout`` (masks).  ``None`` uses a fresh ``np.random.default_rng()``,
        so the network is then *not* reproducible.

    Notes
    -----
    Input shape ``(N, sizes[0])``, output shape ``(N, sizes[-1])``.
    """

    def __init__(self, sizes: Sequence[int], *, activation: str = "relu",
                 norm: str | None = None, dropout: float = 0.0,
                 rng: np.random.Generator | None = None) -> None:
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
            raise ValueError(f"sizes must be a list of at least 2 positive ints "
                             f"[in, hidden..., out]; got {sizes!r}")
        sizes = [check_int(f"sizes[{i}]", s, low=1) for i, s in enumerate(sizes)]
        act = _ACTIVATIONS[check_choice("activation", activation, tuple(_ACTIVATIONS))]
        norm_cls = _NORMS[check_choice("norm", norm, tuple(_NORMS))]
        p = check_real("dropout", dropout, low=0.0, high=1.0, high_inclusive=False)
        rng = np.random.default_rng() if rng is None else check_rng("rng", rng)
        layers: list[Module] = []
        for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
            layers.append(Linear(fan_in, fan_out, rng=rng))
            if norm_cls is not None:
                layers.append(norm_cls(fan_out))
            layers.append(act())
            if p > 0:
                layers.append(Dropout(p, rng=rng))
        layers.append(Linear(sizes[-2], sizes[-1], rng=rng))
        super().__init__(*layers)
        self.sizes = sizes
        self.activation, self.norm, self.dropout = activation, norm, p
