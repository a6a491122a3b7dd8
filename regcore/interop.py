"""Convert networks between :mod:`regcore` and ``torch.nn`` (float64 by default).

``to_torch(model)`` builds the same network from ``torch.nn`` modules with
identical weights, batch-norm buffers and train/eval modes, in the model's
dtype (float64 unless converted with ``model.to(np.float32)``), so any result
of :mod:`regcore` can be checked against PyTorch's autograd; ``from_torch``
goes the other way, in float64.  PyTorch is imported only inside these functions, so
``import regcore`` never imports it.

Supported modules: ``Sequential``, ``Linear``, ``ReLU``, ``Tanh``,
``Dropout``, ``BatchNorm1d``, ``LayerNorm``.  Dropout masks come from
different random generators in the two libraries and never coincide.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_rng
from .layers import Dropout, Linear, ReLU, Tanh
from .module import Module, Sequential
from .normalization import BatchNorm1d, LayerNorm

__all__ = ["to_torch", "from_torch"]


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - torch is installed in the test env
        raise ImportError("regcore.interop needs PyTorch, which is not installed; "
                          "install the CPU build, e.g. `pip install torch "
                          "--index-url https://download.pytorch.org/whl/cpu`") from err
    return torch


def to_torch(model: Module) -> Any:
    """The same network as ``torch.nn`` modules, in the model's dtype.

    Parameters
    ----------
    model : Module
        A regcore ``Sequential`` (e.g. an ``MLP``) or a single supported layer.

    Returns
    -------
    torch.nn.Module
        With copies of every parameter and buffer, in the same train/eval mode
        and the dtype of the model's parameters: float64 (the default) or
        float32 after ``model.to(np.float32)``.
    """
    torch = _import_torch()
    nn = torch.nn
    if not isinstance(model, Module):
        raise ValueError(f"model must be a regcore Module; got {type(model).__name__}")
    params = model.parameters()
    dtype = torch.float32 if params and params[0].data.dtype == np.float32 else torch.float64

    def t(a: Any) -> Any:
        return torch.tensor(np.asarray(a), dtype=dtype)

    def convert(m: Module, where: str) -> Any:
        if isinstance(m, Sequential):
            out = nn.Sequential(*(convert(c, f"{where}[{i}]") for i, c in enumerate(m)))
        elif isinstance(m, Linear):
            out = nn.Linear(m.in_features, m.out_features, bias=m.bias is not None, dtype=dtype)
        elif isinstance(m, ReLU):
            out = nn.ReLU()
        elif isinstance(m, Tanh):
            out = nn.Tanh()
        elif isinstance(m, Dropout):
            out = nn.Dropout(m.p)
        elif isinstance(m, BatchNorm1d):
            out = nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, dtype=dtype)
        elif isinstance(m, LayerNorm):
            out = nn.LayerNorm(m.normalized_shape, eps=m.eps, dtype=dtype)
        else:
            raise ValueError(f"{where} is a {type(m).__name__}, which to_torch cannot "
                             f"convert; supported: Sequential, Linear, ReLU, Tanh, "
                             f"Dropout, BatchNorm1d, LayerNorm")
        if not isinstance(m, Sequential):
            with torch.no_grad():
                for name, p in m._parameters.items():
                    getattr(out, name).copy_(t(p.data))
                for name, b in m._buffers.items():
                    getattr(out, name).copy_(torch.as_tensor(np.asarray(b)))
        return out.train(m.training)

    return convert(model, "model")


def from_torch(module: Any, *, rng: np.random.Generator | None = None) -> Module:
    """The same network as regcore modules (float64 copies of the weights).

    Parameters
    ----------
    module : torch.nn.Module
        An ``nn.Sequential`` of supported layers, or one supported layer.
        ``BatchNorm1d`` needs ``affine=True`` and ``track_running_stats=True``;
        ``LayerNorm`` a single normalised dimension with weight and bias.
    rng : numpy.random.Generator, optional
        Source of the masks of ``Dropout`` layers (a fresh
        ``np.random.default_rng()`` if ``None``).

    Returns
    -------
    Module
        A regcore ``Sequential`` or layer, in the same train/eval mode.
    """
    torch = _import_torch()
    nn = torch.nn
    rng = np.random.default_rng() if rng is None else check_rng("rng", rng)
    init = np.random.default_rng(0)  # placeholder init, overwritten by the copy below

    def bad(where: str, m: Any, why: str = "") -> ValueError:
        return ValueError(f"{where} is a {type(m).__name__}{why}, which from_torch cannot "
                          f"convert; supported: nn.Sequential, nn.Linear, nn.ReLU, nn.Tanh, "
                          f"nn.Dropout, nn.BatchNorm1d (affine, tracking running stats), "
                          f"nn.LayerNorm (one dimension, with weight and bias)")

    def convert(m: Any, where: str) -> Module:
        if isinstance(m, nn.Sequential):
            out: Module = Sequential(*(convert(c, f"{where}[{i}]") for i, c in enumerate(m)))
        elif isinstance(m, nn.Linear):
            out = Linear(m.in_features, m.out_features, bias=m.bias is not None, rng=init)
        elif isinstance(m, nn.ReLU):
            out = ReLU()
        elif isinstance(m, nn.Tanh):
            out = Tanh()
        elif isinstance(m, nn.Dropout):
            out = Dropout(m.p, rng=rng)
        elif isinstance(m, nn.BatchNorm1d):
            if not (m.affine and m.track_running_stats):
                raise bad(where, m, " without affine parameters or running statistics")
            out = BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum)
        elif isinstance(m, nn.LayerNorm):
            if len(m.normalized_shape) != 1 or m.weight is None or m.bias is None:
                raise bad(where, m, f" over {m.normalized_shape} or without weight/bias")
            out = LayerNorm(m.normalized_shape, eps=m.eps)
        else:
            raise bad(where, m)
        if not isinstance(out, Sequential):
            state = {k: v.detach().cpu().double().numpy().copy()
                     if v.is_floating_point() else v.detach().cpu().numpy().copy()
                     for k, v in m.state_dict().items()}
            out.load_state_dict(state)
        return out.train(bool(m.training))

    if not isinstance(module, nn.Module):
        raise ValueError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    return convert(module, "module")
