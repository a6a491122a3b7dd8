"""regcore: regularization for multi-layer perceptrons, from scratch in NumPy.

Every layer has a hand-written backward pass, every optimizer follows
``torch.optim`` step for step, and every random draw comes from an explicit
``numpy.random.Generator``.  The layout mirrors ``torch.nn`` so that each
result can be checked against PyTorch (see :mod:`regcore.interop`).

Public names are loaded lazily (PEP 562), so ``import regcore`` is cheap and
never imports torch or scikit-learn.
"""
from __future__ import annotations

import importlib
from typing import Any

# The version of the book and of regcore, in one place (see CONTRIBUTING.md, "Releasing").
__version__ = "1.0.0"

_EXPORTS = {
    # modules and layers
    "Parameter": "regcore.module",
    "Module": "regcore.module",
    "Sequential": "regcore.module",
    "Linear": "regcore.layers",
    "ReLU": "regcore.layers",
    "Tanh": "regcore.layers",
    "Dropout": "regcore.layers",
    "BatchNorm1d": "regcore.normalization",
    "LayerNorm": "regcore.normalization",
    "MLP": "regcore.mlp",
    # penalties and optimizers
    "L1": "regcore.penalties",
    "L2": "regcore.penalties",
    "SGD": "regcore.optim",
    "Adam": "regcore.optim",
    "AdamW": "regcore.optim",
    # early stopping, bias-variance, training
    "EarlyStopping": "regcore.early_stopping",
    "fit": "regcore.training",
    "History": "regcore.training",
    # interop with PyTorch (imports torch lazily, only when called)
    "to_torch": "regcore.interop",
    "from_torch": "regcore.interop",
}

_SUBMODULES = ("functional", "module", "layers", "normalization", "mlp", "penalties",
               "optim", "early_stopping", "bias_variance", "training", "interop",
               "gradcheck", "data", "checks")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"regcore.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'regcore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
