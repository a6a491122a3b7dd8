"""Mini-batch training: :func:`fit` and the :class:`History` it returns.

One loop serves every chapter: plain training, an explicit L1/L2 penalty, a
proximal L1 step and early stopping.  Each mini-batch step is exactly what a
hand-written PyTorch loop does (``zero_grad``, forward, loss, backward,
``optimizer.step()``), so a :func:`fit` run can be replayed in PyTorch step
for step; the test suite does so.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import functional as F
from ._validation import check_array, check_choice, check_int, check_rng
from .early_stopping import EarlyStopping
from .layers import Linear
from .module import Module, Parameter, _backward
from .penalties import L1, L2

__all__ = ["History", "fit", "linear_weights"]

_LOSSES = ("cross_entropy", "mse")


@dataclass(repr=False)
class History:
    """Per-epoch record of a :func:`fit` run.

    Attributes
    ----------
    train_loss, val_loss : list of float
        Data loss (without any penalty) on the full training and validation
        sets after each epoch, computed in evaluation mode.  ``val_loss`` is
        empty without validation data.
    train_acc, val_acc : list of float
        Accuracy after each epoch; empty for ``loss="mse"`` (and ``val_acc``
        without validation data).
    best_epoch : int or None
        0-based epoch of the best validation loss: the early stopper's
        ``best_epoch`` if one was given, else the first minimiser of
        ``val_loss``; ``None`` without validation data.
    stopped_epoch : int or None
        0-based epoch at which early stopping fired (the last epoch run);
        ``None`` if all ``epochs`` ran, also when the best weights were
        restored at the end (``restore_best=True``).
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None

    @property
    def epochs_run(self) -> int:
        """Number of epochs that ran."""
        return len(self.train_loss)

    def __repr__(self) -> str:
        parts = [f"epochs_run={self.epochs_run}"]
        if self.train_loss:
            parts.append(f"train_loss={self.train_loss[-1]:.4g}")
        if self.val_loss:
            parts.append(f"val_loss={self.val_loss[-1]:.4g}")
        parts += [f"best_epoch={self.best_epoch}", f"stopped_epoch={self.stopped_epoch}"]
        return f"History({', '.join(parts)})"


def linear_weights(model: Module) -> list[Parameter]:
    """The ``weight`` parameters of every :class:`~regcore.layers.Linear` in ``model``.

    These are the parameters :func:`fit` penalises: biases and normalisation
    parameters are left alone, as the book's chapters assume.

    Parameters
    ----------
    model : Module

    Returns
    -------
    list of Parameter
        In the order of ``model.named_modules()``.
    """
    return [m.weight for _, m in model.named_modules() if isinstance(m, Linear)]


def _targets(name: str, y: Any, n: int, loss: str) -> np.ndarray:
    if loss == "cross_entropy":
        y = check_array(name, y, ndim=1, dtype=None)
        if y.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer class indices for "
                             f"loss='cross_entropy'; got an array of dtype {y.dtype}")
    else:
        y = check_array(name, y, ndim=(1, 2, 3, 4))
    if len(y) != n:
        raise ValueError(f"{name} must have one row per sample of X{name[1:]} ({n}); "
                         f"got {len(y)}")
    return y


def _finite_params(params: list[Parameter]) -> bool:
    # a finite sum proves that every entry is finite; only then is it cheap
    return all(math.isfinite(p.data.sum()) or bool(np.isfinite(p.data).all())
               for p in params)


def _evaluate(model: Module, X: np.ndarray, y: np.ndarray, loss: str,
              where: str) -> tuple[float, float | None]:
    out = model(X)
    if not math.isfinite(out.sum()):
        raise FloatingPointError(f"the model's output on the {where} is not finite; the "
                                 f"learning rate may be too large")
    if loss == "cross_entropy":
        value, _ = F.cross_entropy(out, y)
        return value, float(np.mean(out.argmax(axis=1) == y))
    value, _ = F.mse(out, y)  # shapes match: checked on the first training batch
    if not math.isfinite(value):
        raise FloatingPointError(f"the mse on the {where} is {value}; the learning rate "
                                 f"may be too large")
    return value, None


@np.errstate(over="ignore", invalid="ignore")  # non-finite values raise FloatingPointError
def fit(model: Module, optimizer: Any, X: Any, y: Any, *, loss: str = "cross_entropy",
        epochs: int, batch_size: int, rng: np.random.Generator, X_val: Any = None,
        y_val: Any = None, penalty: Any = None, prox: Any = None,
        early_stopping: Any = None, progress: bool = False) -> History:
    """Train ``model`` with mini-batches; return the per-epoch :class:`History`.

    Every epoch visits the training set in the order ``rng.permutation(len(X))``,
    in batches of ``batch_size`` (the last one may be smaller).  For each batch:
    ``model.train()``, ``model.zero_grad()``, forward, data loss, ``backward``
    (with ``needs_input_grad=False``: the gradient with respect to ``X`` is
    never used), then the gradient of ``penalty`` on the :func:`linear_weights`,
    then ``optimizer.step()``, then the proximal step of ``prox`` with step
    size ``optimizer.lr``.  After each epoch the model is evaluated in evaluation
    mode on the full training and validation sets.

    Parameters
    ----------
    model : Module
        The network, e.g. an :class:`~regcore.mlp.MLP`.  Its dropout layers
        draw from their own generators, not from ``rng``.
    optimizer : SGD, Adam or AdamW
        Built on ``model.parameters()``; needs ``step()`` and, with ``prox``,
        an ``lr`` attribute (read at every step).
    X : array_like, shape (n, d)
        Training inputs.
    y : array_like
        Training targets: integer class indices of shape ``(n,)`` for
        ``loss="cross_entropy"``; the model output's shape, e.g. ``(n, 1)``,
        for ``loss="mse"``.
    loss : {"cross_entropy", "mse"}, default "cross_entropy"
        The data loss, :func:`regcore.functional.cross_entropy` or
        :func:`regcore.functional.mse` (means over the batch).
    epochs : int
        Maximum number of passes over the training set, ``>= 1``.
    batch_size : int
        Samples per mini-batch, ``>= 1``; larger than ``n`` means full batch.
    rng : numpy.random.Generator
        Source of the per-epoch shuffles (one ``rng.permutation`` per epoch).
    X_val, y_val : array_like or None
        Validation data, both or neither, shaped like ``X`` and ``y``.
    penalty : L1 or L2 or None
        Explicit penalty on the weights of the ``Linear`` layers (not biases,
        not normalisation parameters): its gradient is added before each
        optimizer step.  The recorded losses exclude it.
    prox : L1 or None
        Proximal L1 on the same weights: after each optimizer step the weights
        are soft-thresholded by ``prox.prox(weights, step=optimizer.lr)``.
    early_stopping : EarlyStopping or None
        Watches the validation loss (requires ``X_val``): after each epoch
        ``early_stopping.step(val_loss, model)``; when it returns ``True``
        training stops and ``early_stopping.restore(model)`` reloads the best
        weights.  If it never fires and the epoch budget runs out, the best
        weights are restored too when ``early_stopping.restore_best`` is
        ``True`` (the default), and the final weights are kept when it is
        ``False`` (Keras' behaviour).  Pass a fresh instance per call: its
        epoch count continues across calls.
    progress : bool, default False
        Print a one-line progress bar to standard output, rewritten with
        ``"\\r"`` after every epoch.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        For bad arguments, shapes or lengths (the message names the argument).
    FloatingPointError
        If the loss, the model's output or a parameter stops being finite;
        the message names the 0-based epoch and batch.

    Notes
    -----
    The model is left in evaluation mode.
    """
    if not isinstance(model, Module):
        raise ValueError(f"model must be a regcore Module; got {type(model).__name__}")
    loss = check_choice("loss", loss, _LOSSES)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    check_rng("rng", rng)
    X = check_array("X", X, ndim=2)
    if len(X) == 0:
        raise ValueError("X must have at least one sample; got shape (0, ...)")
    y = _targets("y", y, len(X), loss)
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together or not at all; got "
                         f"X_val={'None' if X_val is None else 'an array'} and "
                         f"y_val={'None' if y_val is None else 'an array'}")
    has_val = X_val is not None
    if has_val:
        X_val = check_array("X_val", X_val, ndim=2)
        if X_val.shape[1] != X.shape[1] or len(X_val) == 0:
            raise ValueError(f"X_val must have at least one row and {X.shape[1]} columns "
                             f"like X; got shape {X_val.shape}")
        y_val = _targets("y_val", y_val, len(X_val), loss)
        if y_val.shape[1:] != y.shape[1:]:
            raise ValueError(f"y_val must have rows of y's shape {y.shape[1:]}; got shape "
                             f"{y_val.shape}")
    if penalty is not None and not isinstance(penalty, (L1, L2)):
        raise ValueError(f"penalty must be an L1 or L2 instance or None; got "
                         f"{type(penalty).__name__}")
    if prox is not None and not isinstance(prox, L1):
        raise ValueError(f"prox must be an L1 instance or None; got {type(prox).__name__}")
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise ValueError(f"early_stopping must be an EarlyStopping instance or None; "
                             f"got {type(early_stopping).__name__}")
        if not has_val:
            raise ValueError("early_stopping watches the validation loss, so X_val and "
                             "y_val are required; got X_val=None")
    for name in ("step",) + (("lr",) if prox is not None else ()):
        if not hasattr(optimizer, name):
            raise ValueError(f"optimizer must have a {name!r} attribute (an SGD, Adam or "
                             f"AdamW); got {type(optimizer).__name__}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be a bool; got {progress!r}")

    loss_fn = F.cross_entropy if loss == "cross_entropy" else F.mse
    weights = linear_weights(model) if penalty is not None or prox is not None else []
    params = model.parameters()
    history, n = History(), len(X)

    def blew_up(what: str, epoch: int, batch: int) -> FloatingPointError:
        lr = getattr(optimizer, "lr", None)
        return FloatingPointError(
            f"{what} at epoch {epoch}, batch {batch} (0-based); the learning rate "
            f"{'' if lr is None else f'(lr={lr}) '}may be too large")

    for epoch in range(epochs):
        model.train()
        order = rng.permutation(n)
        for batch, start in enumerate(range(0, n, batch_size)):
            idx = order[start:start + batch_size]
            model.zero_grad()
            out = model(X[idx])
            if not math.isfinite(out.sum()):
                raise blew_up("the model's output is not finite", epoch, batch)
            if loss == "mse" and out.shape[1:] != y.shape[1:]:
                raise ValueError(f"y must have the model output's shape for loss='mse': "
                                 f"rows of shape {out.shape[1:]}; got shape {y.shape}")
            value, dout = loss_fn(out, y[idx])
            if not math.isfinite(value):
                raise blew_up(f"the loss is {value}", epoch, batch)
            _backward(model, dout, needs_input_grad=False)  # the data's gradient is not needed
            if penalty is not None:
                penalty.backward(weights)
            optimizer.step()
            if prox is not None:
                prox.prox(weights, step=optimizer.lr)
            if not _finite_params(params):
                raise blew_up("a parameter became non-finite after the update", epoch, batch)

        model.eval()
        value, acc = _evaluate(model, X, y, loss, f"training set after epoch {epoch}")
        history.train_loss.append(value)
        if acc is not None:
            history.train_acc.append(acc)
        if has_val:
            value, acc = _evaluate(model, X_val, y_val, loss,
                                   f"validation set after epoch {epoch}")
            history.val_loss.append(value)
            if acc is not None:
                history.val_acc.append(acc)
        if progress:
            _print_progress(history, epoch, epochs)
        if early_stopping is not None and early_stopping.step(history.val_loss[-1], model):
            early_stopping.restore(model)
            history.stopped_epoch = epoch
            break
    else:  # the epoch budget ran out without the rule firing
        if early_stopping is not None and early_stopping.restore_best:
            early_stopping.restore(model)  # every step got the model: a snapshot exists
    if progress:
        print(file=sys.stdout, flush=True)
    if early_stopping is not None:
        history.best_epoch = early_stopping.best_epoch
    elif has_val:
        history.best_epoch = int(np.argmin(history.val_loss))
    return history


def _print_progress(history: History, epoch: int, epochs: int, width: int = 20) -> None:
    done = round(width * (epoch + 1) / epochs)
    line = (f"\repoch {epoch + 1:>{len(str(epochs))}}/{epochs} "
            f"[{'=' * done}{' ' * (width - done)}] train_loss {history.train_loss[-1]:.4f}")
    if history.val_loss:
        line += f"  val_loss {history.val_loss[-1]:.4f}"
    if history.val_acc:
        line += f"  val_acc {history.val_acc[-1]:.3f}"
    print(line, end="", file=sys.stdout, flush=True)
