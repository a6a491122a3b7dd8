"""``Parameter``, the ``Module`` base class and ``Sequential``.

A :class:`Module` mirrors ``torch.nn.Module``: assigning a :class:`Parameter`
or a sub-module to an attribute registers it, so ``named_parameters`` and
``state_dict`` produce PyTorch's names (``"0.weight"``,
``"1.running_mean"``).  Instead of autograd, every module has a hand-written
``backward(grad_out) -> grad_in`` that *adds* into its parameters' ``.grad``.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Iterator

import numpy as np

from ._validation import FLOAT_DTYPES, check_bool, check_dtype

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter:
    """A trainable array: ``.data`` (float ndarray) and its gradient ``.grad``.

    Parameters
    ----------
    data : array_like
        Initial value; copied.  A float32 array stays float32 (as in PyTorch);
        anything else is converted to float64, the default dtype.

    Attributes
    ----------
    data : ndarray
    grad : ndarray or None
        ``None`` until a backward pass writes it (and after ``zero_grad``).
    """

    def __init__(self, data: Any) -> None:
        data = np.array(data)  # a copy
        self.data = data if data.dtype in FLOAT_DTYPES else data.astype(np.float64)
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data``."""
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape})"


@functools.lru_cache(maxsize=None)
def _takes_needs_input_grad(cls: type) -> bool:
    """Whether ``cls.backward`` accepts ``needs_input_grad`` (a custom module may not)."""
    return "needs_input_grad" in inspect.signature(cls.backward).parameters


def _backward(module: "Module", grad_out: Any, needs_input_grad: bool = True) -> Any:
    """``module.backward(grad_out, needs_input_grad=...)``, also for modules without the keyword.

    A custom module written as ``def backward(self, grad_out)`` is called
    without the keyword, and its input gradient is then discarded when it is
    not needed.
    """
    if needs_input_grad:
        return module.backward(grad_out)
    if _takes_needs_input_grad(type(module)):
        return module.backward(grad_out, needs_input_grad=False)
    module.backward(grad_out)
    return None


def _accumulate(param: Parameter, grad: np.ndarray) -> None:
    """``param.grad += grad``, starting from ``None``.

    ``grad`` is adopted without a copy: callers pass arrays freshly created by
    a backward function, as PyTorch's gradient accumulator does.
    """
    if param.grad is None:
        param.grad = grad
    else:
        param.grad += grad


class Module:
    """Base class of every layer and network.

    Subclasses implement ``forward(x)`` (called by ``module(x)``) and
    ``backward(grad_out)``, which returns the gradient with respect to the
    input of the latest ``forward`` and *accumulates* (``+=``) the parameter
    gradients, as ``loss.backward()`` does in PyTorch.  Calling ``backward``
    twice after one ``forward`` therefore adds the gradients twice.

    Every regcore module's ``backward`` also takes ``needs_input_grad=False``,
    which skips the input gradient and returns ``None``: the first layer of a
    network never needs the gradient with respect to the data, and PyTorch
    skips it too (the data does not ``require_grad``).  :func:`regcore.fit`
    uses it; a module written without the keyword still works everywhere.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_cache", None)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Any) -> None:
        """Register a non-trainable state array (saved in ``state_dict``)."""
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    # -- computation ------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output for the input ``x`` (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out: np.ndarray, *,
                 needs_input_grad: bool = True) -> np.ndarray | None:
        """Return the gradient w.r.t. the input; add parameter gradients into ``.grad``.

        With ``needs_input_grad=False`` only the parameter gradients are
        computed and ``None`` is returned.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x: Any) -> np.ndarray:
        return self.forward(x)

    def _require_cache(self) -> Any:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward: "
                               f"forward must run first")
        return self._cache

    # -- modes ------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``mode=True``) or evaluation mode, recursively; return self."""
        if not isinstance(mode, bool):
            raise ValueError(f"mode must be a bool; got {mode!r}")
        object.__setattr__(self, "training", mode)
        for child in self._modules.values():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode, i.e. ``train(False)``; returns self."""
        return self.train(False)

    # -- dtype ------------------------------------------------------------
    def to(self, dtype: Any) -> "Module":
        """Convert every parameter and floating-point buffer to ``dtype``; return self.

        As ``module.to(torch.float32)``: the :class:`Parameter` objects stay
        the same (only their ``.data`` and ``.grad`` are replaced by converted
        copies), so build optimizers *after* converting, or their state keeps
        the old dtype.  Integer buffers (``num_batches_tracked``) are kept and
        the cache of the latest forward pass is dropped.  Inputs are not
        converted: feed the model arrays of its dtype (e.g. ``X.astype(np.float32)``).

        Parameters
        ----------
        dtype : float32 or float64
            ``np.float32``, ``np.float64`` or their names.
        """
        dtype = check_dtype("dtype", dtype)
        for _, mod in self.named_modules():
            for p in mod._parameters.values():
                p.data = p.data.astype(dtype, copy=False)
                if p.grad is not None:
                    p.grad = np.asarray(p.grad).astype(dtype, copy=False)
            for name, b in mod._buffers.items():
                if isinstance(b, np.ndarray) and b.dtype.kind == "f":
                    setattr(mod, name, b.astype(dtype, copy=False))
            object.__setattr__(mod, "_cache", None)
        return self

    def float(self) -> "Module":
        """``to(np.float32)``, as ``torch.nn.Module.float``; returns self."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """``to(np.float64)``, as ``torch.nn.Module.double``; returns self."""
        return self.to(np.float64)

    # -- parameters and state ---------------------------------------------
    def named_modules(self, prefix: str = "") -> list[tuple[str, "Module"]]:
        """``(name, module)`` for this module and every descendant, in registration order."""
        out = [(prefix, self)]
        for name, child in self._modules.items():
            out += child.named_modules(f"{prefix}.{name}" if prefix else name)
        return out

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs with PyTorch's names, e.g. ``"0.weight"``.

        A list rather than PyTorch's generator, so it can be iterated twice.
        """
        return [(f"{prefix}.{name}" if prefix else name, p)
                for prefix, mod in self.named_modules() for name, p in mod._parameters.items()]

    def parameters(self) -> list[Parameter]:
        """All parameters, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, Any]]:
        """``(name, buffer)`` pairs, e.g. ``"1.running_mean"``."""
        return [(f"{prefix}.{name}" if prefix else name, b)
                for prefix, mod in self.named_modules() for name, b in mod._buffers.items()]

    def zero_grad(self) -> None:
        """Reset every ``.grad`` to ``None`` (PyTorch's default ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and buffers, keyed as in PyTorch.

        Per module, parameters come first and then buffers (``running_mean``,
        ``running_var``, ``num_batches_tracked`` as a 0-d int64 array).
        """
        out: dict[str, np.ndarray] = {}
        for prefix, mod in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, p in mod._parameters.items():
                out[dot + name] = p.data.copy()
            for name, b in mod._buffers.items():
                out[dot + name] = np.array(b, copy=True)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Copy values from ``state_dict`` into the parameters and buffers.

        The keys must be exactly those of :meth:`state_dict` and every value
        must have the current shape; nothing is changed otherwise.
        """
        if not isinstance(state_dict, dict):
            raise ValueError(f"state_dict must be a dict; got {type(state_dict).__name__}")
        params = dict(self.named_parameters())
        expected = list(self.state_dict())
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        if missing or unexpected:
            raise ValueError(f"state_dict keys do not match the module: missing {missing}, "
                             f"unexpected {unexpected}")
        owners = {(f"{prefix}.{n}" if prefix else n): (mod, n)
                  for prefix, mod in self.named_modules() for n in mod._buffers}
        values = {}
        for key in expected:
            value = np.asarray(state_dict[key])
            current = params[key].data if key in params else np.asarray(
                getattr(*owners[key]))
            if value.shape != current.shape:
                raise ValueError(f"state_dict[{key!r}] must have shape {current.shape}; "
                                 f"got shape {value.shape}")
            values[key] = value
        for key, value in values.items():
            if key in params:
                params[key].data[...] = value
            else:
                mod, name = owners[key]
                old = mod._buffers[name]
                setattr(mod, name, value.astype(old.dtype) if isinstance(old, np.ndarray)
                        else type(old)(value))


class Sequential(Module):
    """A chain of modules, applied in order; children are named ``"0"``, ``"1"``, ...

    Indexable (an int gives a module, a slice a new ``Sequential`` sharing the
    modules), has ``len`` and iterates over its modules, like ``torch.nn.Sequential``.
    ``backward`` runs the children's ``backward`` in reverse order; with
    ``needs_input_grad=False`` the first child skips its input gradient.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise ValueError(f"modules[{i}] must be a regcore Module; got "
                                 f"{type(m).__name__}")
            setattr(self, str(i), m)
        object.__setattr__(self, "_layers", list(modules))

    def forward(self, x: Any) -> np.ndarray:
        for m in self._layers:
            x = m.forward(x)
        return x

    def backward(self, grad_out: Any, *, needs_input_grad: bool = True) -> np.ndarray | None:
        needs_input_grad = check_bool("needs_input_grad", needs_input_grad)
        if not self._layers:
            return grad_out if needs_input_grad else None
        for m in reversed(self._layers[1:]):
            grad_out = m.backward(grad_out)
        return _backward(self._layers[0], grad_out, needs_input_grad)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(*self._layers[idx])
        return self._layers[idx]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def __repr__(self) -> str:
        body = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self._layers))
        return f"{type(self).__name__}({body}\n)"
