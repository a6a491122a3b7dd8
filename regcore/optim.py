"""SGD, Adam and AdamW, step for step as ``torch.optim`` (single-tensor path).

Each optimizer holds a list of parameters (objects with a ``.data`` float
array and a ``.grad`` array or ``None``; updates are computed in ``.data``'s
dtype, float64 or float32) and a per-parameter ``state`` dict.
``step()`` updates ``.data`` in place from ``.grad``; a parameter whose
``.grad`` is ``None`` is skipped and its state is not advanced, as in PyTorch.
``zero_grad()`` sets every ``.grad`` to ``None`` (PyTorch's default).

The three updates differ in *where* weight decay enters, which is the point of
chapter 5:

* :class:`SGD` and :class:`Adam` add ``weight_decay * theta`` to the gradient
  (an L2 penalty ``(weight_decay / 2) * ||theta||^2`` in disguise); in Adam
  it is then rescaled by the adaptive denominator.
* :class:`AdamW` shrinks the weights directly, ``theta *= 1 - lr * weight_decay``,
  outside the adaptive update (decoupled weight decay, Loshchilov & Hutter).

The order of floating-point operations follows ``torch/optim/sgd.py`` and
``torch/optim/adam.py``, so each step agrees with PyTorch in float64 to a few
units in the last place.  Not bit for bit: PyTorch's CPU kernels fuse
multiply-adds, NumPy rounds the product and the sum separately.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from ._validation import check_real

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class: holds ``params``, the learning rate ``lr`` and per-parameter ``state``.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to update, e.g. ``model.parameters()``; must not be empty.
    lr : float
        Learning rate (``>= 0``).  It is a plain attribute: assign
        ``opt.lr = ...`` to change it between steps (a learning-rate schedule).

    Attributes
    ----------
    params : list of Parameter
    state : list of dict
        ``state[i]`` belongs to ``params[i]``; empty until its first update.
    """

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        if hasattr(params, "data"):
            raise ValueError("params must be an iterable of Parameters, e.g. "
                             f"model.parameters(); got a single {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError("params must contain at least one Parameter; got an empty "
                             "parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(getattr(p, "data", None), np.ndarray) or not hasattr(p, "grad"):
                raise ValueError(f"params[{i}] must be a Parameter (with .data and .grad); "
                                 f"got {type(p).__name__}")
        self.lr = check_real("lr", lr, low=0.0)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to ``None`` (``set_to_none=True`` in PyTorch)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update, in place, every parameter whose ``.grad`` is not ``None``."""
        for i, (p, state) in enumerate(zip(self.params, self.state)):
            if p.grad is None:
                continue                                   # no gradient: skipped, state kept
            g = np.asarray(p.grad, dtype=p.data.dtype)
            if g.shape != p.data.shape:
                raise ValueError(f"params[{i}].grad must have the shape of its data "
                                 f"{p.data.shape}; got shape {g.shape}")
            for theta_, g_, state_ in self._pieces(p.data, g, state):
                self._update(theta_, g_, state_)

    def _update(self, theta: np.ndarray, g: np.ndarray,
                state: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _pieces(self, theta: np.ndarray, g: np.ndarray,
                state: dict[str, Any]) -> Iterator[tuple[np.ndarray, np.ndarray, dict]]:
        """The arguments of ``_update``: here the whole parameter at once (see SGD)."""
        yield theta, g, state


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate :math:`\\eta \\ge 0`.
    momentum : float, default 0
        Momentum factor :math:`\\mu \\ge 0`.
    dampening : float, default 0
        Dampening :math:`\\tau` of the gradient in the momentum buffer.
    weight_decay : float, default 0
        :math:`w \\ge 0`; adds :math:`w\\theta` to the gradient, i.e. the
        gradient of ``L2(w / 2)``.
    nesterov : bool, default False
        Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.

    Notes
    -----
    One step, with :math:`g` the parameter's ``.grad``:

    .. math::

       g &\\leftarrow g + w\\theta \\\\
       b &\\leftarrow \\mu b + (1 - \\tau) g \\quad (b = g \\text{ on the first step}) \\\\
       g &\\leftarrow g + \\mu b \\text{ if nesterov, else } b \\\\
       \\theta &\\leftarrow \\theta - \\eta g

    The momentum lines are skipped when ``momentum == 0``.
    """

    #: Parameters larger than this (entries) are updated piece by piece (see ``_pieces``).
    piece_size = 16384

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = check_real("momentum", momentum, low=0.0)
        self.dampening = check_real("dampening", dampening)
        self.weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be a bool; got {nesterov!r}")
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening == 0; got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        self.nesterov = bool(nesterov)

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta             # L2-style decay: into the gradient
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()  # first step: b = g, undamped
            else:
                buf *= self.momentum                       # b <- mu * b + (1 - tau) * g,
                buf += g if self.dampening == 0 else (1 - self.dampening) * g  # in place
            g = g + self.momentum * buf if self.nesterov else buf
        theta -= self.lr * g                               # in place: p.data is updated

    def _pieces(self, theta: np.ndarray, g: np.ndarray,
                state: dict[str, Any]) -> Iterator[tuple[np.ndarray, np.ndarray, dict]]:
        """Split the update of a large parameter into pieces of ``piece_size`` entries.

        Performance only: the arithmetic of each entry is unchanged.  The update
        is a few NumPy operations over ``theta``, ``g`` and the momentum buffer;
        on a whole 1024 x 1024 weight each operation streams the arrays from
        memory again, whereas a piece stays in the CPU cache from the first
        operation to the last (about 1.5x faster, and faster than PyTorch).
        """
        buf = state.get("momentum_buffer")
        arrays = [theta, g] + ([] if buf is None else [buf])
        if (theta.size <= self.piece_size or (self.momentum != 0 and buf is None)
                or not all(a.flags.c_contiguous for a in arrays)):
            yield theta, g, state   # small, first step (it creates the buffer) or not contiguous
            return
        flat = [a.reshape(-1) for a in arrays]  # views: updating a piece updates the array
        for start in range(0, theta.size, self.piece_size):
            theta_, g_, *buf_ = (f[start:start + self.piece_size] for f in flat)
            yield theta_, g_, {"momentum_buffer": buf_[0]} if buf_ else {}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with L2-style weight decay, as ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
        Step size :math:`\\eta \\ge 0`.
    betas : tuple of two floats, default (0.9, 0.999)
        Decay rates :math:`(\\beta_1, \\beta_2)` of the moment estimates, each in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\\epsilon \\ge 0`, added to the denominator.
    weight_decay : float, default 0
        :math:`w \\ge 0`; adds :math:`w\\theta` to the gradient *before* the
        moment estimates, so the decay is divided by :math:`\\sqrt{\\hat v}`
        like the rest of the gradient.

    Notes
    -----
    Step :math:`t = 1, 2, \\dots` of one parameter:

    .. math::

       g &\\leftarrow g + w\\theta \\\\
       m &\\leftarrow \\beta_1 m + (1 - \\beta_1) g \\\\
       v &\\leftarrow \\beta_2 v + (1 - \\beta_2) g^2 \\\\
       \\theta &\\leftarrow \\theta - \\frac{\\eta}{1 - \\beta_1^t}\\,
           \\frac{m}{\\sqrt{v} / \\sqrt{1 - \\beta_2^t} + \\epsilon}

    This is the paper's update with :math:`\\epsilon` placed as PyTorch
    places it (added to :math:`\\sqrt{\\hat v}`).
    """

    #: ``True`` in AdamW, whose weight decay shrinks the weights instead of entering the gradient.
    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        self.betas = (check_real("betas[0]", betas[0], low=0.0, high=1.0, high_inclusive=False),
                      check_real("betas[1]", betas[1], low=0.0, high=1.0, high_inclusive=False))
        self.eps = check_real("eps", eps, low=0.0)
        self.weight_decay = check_real("weight_decay", weight_decay, low=0.0)

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(theta), exp_avg_sq=np.zeros_like(theta))
        m, v = state["exp_avg"], state["exp_avg_sq"]       # updated in place below
        state["step"] += 1                                 # t <- t + 1
        t = state["step"]

        if wd != 0:
            if self.decoupled:
                theta *= 1 - lr * wd                       # AdamW: shrink the weights directly
            else:
                g = g + wd * theta                         # Adam: L2 gradient added to g

        m += (1 - beta1) * (g - m)                         # m <- beta1 m + (1 - beta1) g
        v *= beta2                                         # v <- beta2 v + (1 - beta2) g^2,
        v += (1 - beta2) * (g * g)                         #   in two in-place steps
        bias_correction1 = 1 - beta1 ** t                  # m_hat = m / bias_correction1
        bias_correction2 = 1 - beta2 ** t                  # v_hat = v / bias_correction2
        step_size = lr / bias_correction1                  # lr / (1 - beta1^t)
        denom = np.sqrt(v) / bias_correction2 ** 0.5 + eps  # sqrt(v_hat) + eps
        theta -= step_size * m / denom                     # theta <- theta - lr m_hat / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
    betas : tuple of two floats, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        :math:`w \\ge 0`.  Each step first multiplies the weights by
        :math:`1 - \\eta w`, then applies the Adam update *without* decay in
        the gradient, so the decay is not rescaled by :math:`\\sqrt{\\hat v}`.

    Notes
    -----
    .. math::

       \\theta &\\leftarrow (1 - \\eta w)\\,\\theta \\\\
       m &\\leftarrow \\beta_1 m + (1 - \\beta_1) g \\\\
       v &\\leftarrow \\beta_2 v + (1 - \\beta_2) g^2 \\\\
       \\theta &\\leftarrow \\theta - \\frac{\\eta}{1 - \\beta_1^t}\\,
           \\frac{m}{\\sqrt{v} / \\sqrt{1 - \\beta_2^t} + \\epsilon}

    PyTorch multiplies the decay by the learning rate :math:`\\eta`; the
    paper uses a separate schedule multiplier.  With a constant ``lr`` the two
    differ only by a rescaling of ``weight_decay``.
    """

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
