"""regcore.optim against torch.optim (foreach=False, float64), step for step.

Both sides start from the same parameters and run 150 steps; after every step
the parameters must agree to ~1e-12.  Gradients come in two modes:

* ``"random"``: the same seeded random gradients (magnitudes 1e-3 to 10) are
  given to both sides, so the optimizer states evolve on identical inputs.
* ``"function"``: each side computes the gradient of a fixed nonconvex
  function at its *own* current parameters.  For SGD the two trajectories run
  freely (gradient descent on this function contracts rounding differences).
  For Adam/AdamW torch's parameters are reset to ours after each comparison
  (``resync``).  Near a minimum the gradient is itself rounding noise (the
  terms of ``a*theta - b + wd*theta`` cancel) and Adam divides it by
  ``sqrt(v)``, which is just as small, so each step is about ``+-lr`` in a
  direction that rounding decides.  torch's CPU kernels fuse multiply-adds,
  NumPy does not; the free-running trajectories then drift apart by up to
  ~0.3 in 150 steps, on a convex quadratic too.  With the fused multiply-add
  emulated in extended precision they agree to ~1e-15: the gap is rounding,
  not a difference in the algorithm.

Some parameters get no gradient on some steps (``.grad = None``) and must be
skipped, without advancing their state, on both sides.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from regcore.optim import SGD, Adam, AdamW

SHAPES = [(4, 3), (5,), (2, 2, 2)]
STEPS = 150
TOL = 1e-12
MAX_DEV = {"value": 0.0}   # largest deviation seen, printed at the end (-s)


class P:
    """Duck-typed Parameter: the optimizers only use ``.data`` and ``.grad``."""

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None


def _problem(seed):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    a = [rng.uniform(0.5, 3.0, s) for s in SHAPES]
    b = [rng.standard_normal(s) for s in SHAPES]
    return rng, init, a, b


def _grad_j(theta, a, b):
    return a * theta - b + 0.9 * np.cos(3 * theta)


def _run(make_ours, make_torch, grad_mode, seed=0, lr_schedule=None, resync=False):
    """Run both optimizers for STEPS steps; return the max deviation seen.

    ``resync=True`` copies our parameters into torch's after every comparison.
    """
    rng, init, a, b = _problem(seed)
    ours = [P(x) for x in init]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in init]
    opt, topt = make_ours(ours), make_torch(theirs)
    worst = 0.0
    for k in range(STEPS):
        if lr_schedule is not None:
            opt.lr = lr_schedule(k)
            topt.param_groups[0]["lr"] = lr_schedule(k)
        if grad_mode == "random":
            grads = [rng.standard_normal(s) * 10.0 ** rng.uniform(-3, 1) for s in SHAPES]
            for p, t, g in zip(ours, theirs, grads):
                p.grad, t.grad = g.copy(), torch.tensor(g)
        else:
            # Gradient of J(theta) = sum 0.5 a theta^2 - b theta + 0.3 sin(3 theta), a
            # nonconvex function, each side at its own current parameters.  The same
            # NumPy formula serves both: torch's autograd would round differently
            # (~1e-16), and near a minimum, where g is tiny, Adam divides by sqrt(v)
            # and turns such oracle noise into 1e-4 parameter differences.
            for p, t, ai, bi in zip(ours, theirs, a, b):
                p.grad = _grad_j(p.data, ai, bi)
                t.grad = torch.from_numpy(_grad_j(t.detach().numpy(), ai, bi))
        # parameter 1 has no gradient on every third step: skipped by both
        if k % 3 == 1:
            ours[1].grad, theirs[1].grad = None, None
        opt.step()
        with torch.no_grad():
            topt.step()
        for p, t in zip(ours, theirs):
            dev = float(np.max(np.abs(p.data - t.detach().numpy())))
            worst = max(worst, dev)
            assert dev <= TOL * max(1.0, float(np.max(np.abs(p.data)))), \
                f"step {k}: deviation {dev:.3g} from torch"
            if resync:
                with torch.no_grad():
                    t.copy_(torch.from_numpy(p.data))
    MAX_DEV["value"] = max(MAX_DEV["value"], worst)
    return worst


def test_gradient_oracle_matches_autograd():
    _, init, a, b = _problem(0)
    for x, ai, bi in zip(init, a, b):
        t = torch.tensor(x, requires_grad=True)
        (0.5 * torch.tensor(ai) * t ** 2 - torch.tensor(bi) * t + 0.3 * torch.sin(3 * t)).sum() \
            .backward()
        np.testing.assert_allclose(_grad_j(x, ai, bi), t.grad.numpy(), rtol=1e-13, atol=1e-14)


# ------------------------------------------------------------------- SGD
def _ids(kw):
    return "-".join(f"{k}={v}" for k, v in kw.items())


SGD_GRID = [dict(momentum=m, dampening=d, weight_decay=w, nesterov=n)
            for m, d, w, n in itertools.product([0.0, 0.9], [0.0, 0.3], [0.0, 0.05],
                                                [False, True])
            if not (n and (m == 0 or d != 0))]


@pytest.mark.parametrize("grad_mode", ["function", "random"])
@pytest.mark.parametrize("kw", SGD_GRID, ids=_ids)
def test_sgd_matches_torch(kw, grad_mode):
    _run(lambda ps: SGD(ps, lr=0.05, **kw),
         lambda ts: torch.optim.SGD(ts, lr=0.05, foreach=False, **kw), grad_mode)


# ------------------------------------------------------------- Adam/AdamW
ADAM_GRID = [dict(betas=bt, eps=e, weight_decay=w)
             for bt, e, w in itertools.product([(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)],
                                               [1e-8, 1e-3], [0.0, 0.1])]


@pytest.mark.parametrize("grad_mode", ["function", "random"])
@pytest.mark.parametrize("kw", ADAM_GRID, ids=_ids)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_and_adamw_match_torch(name, kw, grad_mode):
    ours_cls = {"Adam": Adam, "AdamW": AdamW}[name]
    torch_cls = getattr(torch.optim, name)
    _run(lambda ps: ours_cls(ps, lr=0.01, **kw),
         lambda ts: torch_cls(ts, lr=0.01, foreach=False, **kw), grad_mode,
         resync=grad_mode == "function")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_defaults_and_changing_lr_match_torch(name):
    # Free-running trajectories (no resync); with the default betas Adam is
    # well-behaved on this problem and the trajectories agree to ~1e-15.
    ours_cls = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}[name]
    kw = {"lr": 0.1} if name == "SGD" else {}   # SGD has no default lr, as in torch
    _run(lambda ps: ours_cls(ps, **kw),
         lambda ts: getattr(torch.optim, name)(ts, foreach=False, **kw), "function",
         seed=3, lr_schedule=lambda k: 0.05 * 0.98 ** k)


def test_defaults_equal_torchs():
    ts = [torch.zeros(1, dtype=torch.float64, requires_grad=True)]
    for ours, theirs in [(Adam([P([0.0])]), torch.optim.Adam(ts)),
                         (AdamW([P([0.0])]), torch.optim.AdamW(ts))]:
        d = theirs.defaults
        assert (ours.lr, ours.betas, ours.eps, ours.weight_decay) == \
            (d["lr"], d["betas"], d["eps"], d["weight_decay"])


def test_adam_and_adamw_differ_only_with_weight_decay():
    # With weight_decay=0 the two are the same algorithm; with decay they differ.
    outs = {}
    for wd in (0.0, 0.1):
        for cls in (Adam, AdamW):
            p = P([1.0, -2.0])
            opt = cls([p], lr=0.1, weight_decay=wd)
            for _ in range(20):
                p.grad = p.data - 0.5
                opt.step()
            outs[cls.__name__, wd] = p.data
    np.testing.assert_array_equal(outs["Adam", 0.0], outs["AdamW", 0.0])
    assert np.max(np.abs(outs["Adam", 0.1] - outs["AdamW", 0.1])) > 1e-3


def test_none_grads_are_skipped_and_state_not_advanced():
    p, q = P([1.0, 2.0]), P([3.0])
    opt = Adam([p, q], lr=0.1)
    for _ in range(4):
        p.grad = np.array([0.5, -0.5])
        opt.step()
    assert opt.state[0]["step"] == 4 and opt.state[1] == {}
    assert q.data.tolist() == [3.0]
    sgd = SGD([q], lr=0.1, momentum=0.9)
    sgd.step()
    assert q.data.tolist() == [3.0] and sgd.state[0] == {}


def test_zero_grad_sets_none_and_grad_is_not_modified():
    p = P([1.0, 2.0])
    g = np.array([0.5, -1.0])
    p.grad = g
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    opt.step()
    opt.step()
    assert g.tolist() == [0.5, -1.0]          # the optimizer never writes into .grad
    opt.zero_grad()
    assert p.grad is None


def test_works_with_regcore_parameters_of_a_module():
    from regcore.layers import Linear
    lin = Linear(3, 2, rng=np.random.default_rng(0))
    w0 = lin.weight.data.copy()
    for p in lin.parameters():
        p.grad = np.ones_like(p.data)
    opt = SGD(lin.parameters(), lr=0.5)
    opt.step()
    np.testing.assert_array_equal(lin.weight.data, w0 - 0.5)
    opt.zero_grad()
    assert all(p.grad is None for p in lin.parameters())


# ------------------------------------------------------------- validation
@pytest.mark.parametrize("build, message", [
    (lambda ps: SGD(ps, lr=-0.1), r"lr must be a finite real number in \[0.0, inf\); got -0.1"),
    (lambda ps: SGD(ps, lr=float("nan")), r"lr must be .*got nan"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), r"momentum must be .*got -0.5"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), r"weight_decay must be .*got -1"),
    (lambda ps: SGD(ps, lr=0.1, dampening=float("inf")), r"dampening must be .*got inf"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True),
     r"nesterov=True requires momentum > 0 and dampening == 0; got momentum=0.0"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     r"requires momentum > 0 and dampening == 0; got momentum=0.9, dampening=0.1"),
    (lambda ps: SGD(ps, lr=0.1, nesterov="yes"), r"nesterov must be a bool; got 'yes'"),
    (lambda ps: Adam(ps, lr=-1e-3), r"lr must be .*got -0.001"),
    (lambda ps: Adam(ps, eps=-1e-8), r"eps must be .*got -1e-08"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"betas\[0\] must be .*\[0.0, 1.0\); got 1.0"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"betas\[1\] must be .*got -0.1"),
    (lambda ps: Adam(ps, betas=0.9), r"betas must be a pair \(beta1, beta2\); got 0.9"),
    (lambda ps: Adam(ps, weight_decay=-0.1), r"weight_decay must be .*got -0.1"),
    (lambda ps: AdamW(ps, weight_decay=-0.1), r"weight_decay must be .*got -0.1"),
    (lambda ps: AdamW(ps, betas=(0.9, 1.0)), r"betas\[1\] must be .*got 1.0"),
])
def test_bad_arguments_raise_like_torch(build, message):
    with pytest.raises(ValueError, match=message):
        build([P([1.0])])


@pytest.mark.parametrize("build", [
    lambda ps: torch.optim.SGD(ps, lr=-0.1),
    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=-0.5),
    lambda ps: torch.optim.SGD(ps, lr=0.1, nesterov=True),
    lambda ps: torch.optim.Adam(ps, eps=-1e-8),
    lambda ps: torch.optim.Adam(ps, betas=(1.0, 0.999)),
    lambda ps: torch.optim.AdamW(ps, weight_decay=-0.1),
])
def test_torch_rejects_the_same_arguments(build):
    # The cases above are errors in torch as well (the check is "as torch's").
    with pytest.raises(ValueError):
        build([torch.zeros(1, requires_grad=True)])


def test_bad_params_raise():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="got a single P"):
        SGD(P([1.0]), lr=0.1)
    with pytest.raises(ValueError, match=r"params\[0\] must be a Parameter"):
        Adam([np.ones(3)])
    p = P([1.0, 2.0])
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"params\[0\].grad must have the shape of its data"):
        SGD([p], lr=0.1).step()


def test_report_largest_deviation():
    # Runs last in this file; `pytest -s` shows the largest deviation measured.
    print(f"\nlargest |regcore - torch| over all optimizer runs: {MAX_DEV['value']:.3g}")
    assert MAX_DEV["value"] <= TOL * 10


# ------------------------------------------- SGD in pieces, and float32
@pytest.mark.parametrize("kw", SGD_GRID, ids=_ids)
def test_sgd_in_pieces_matches_torch_and_the_whole_update(kw, monkeypatch):
    # pieces of 5 entries split every parameter of SHAPES (and one piece is shorter)
    whole = _run(lambda ps: SGD(ps, lr=0.05, **kw),
                 lambda ts: torch.optim.SGD(ts, lr=0.05, foreach=False, **kw), "random")
    monkeypatch.setattr(SGD, "piece_size", 5)
    assert _run(lambda ps: SGD(ps, lr=0.05, **kw),
                lambda ts: torch.optim.SGD(ts, lr=0.05, foreach=False, **kw), "random") == whole


def test_sgd_pieces_with_a_non_contiguous_gradient(monkeypatch):
    monkeypatch.setattr(SGD, "piece_size", 4)
    rng = np.random.default_rng(0)
    p, ref = P(rng.standard_normal((6, 5))), P(None)
    ref.data = p.data.copy()
    opt, ref_opt = SGD([p], lr=0.1, momentum=0.9), SGD([ref], lr=0.1, momentum=0.9)
    for _ in range(3):
        g = rng.standard_normal((5, 6))
        p.grad, ref.grad = g.T, np.ascontiguousarray(g.T)  # a transposed view, and a copy
        opt.step()
        ref_opt.step()
    np.testing.assert_array_equal(p.data, ref.data)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_float32_parameters_are_updated_in_float32_like_torch(name):
    rng = np.random.default_rng(0)
    init = rng.standard_normal((40, 30)).astype(np.float32)  # more than 5 pieces below
    p = P(init)
    p.data = init.copy()
    t = torch.tensor(init, requires_grad=True)
    kw = {"SGD": dict(lr=0.1, momentum=0.9, weight_decay=0.01)}.get(name, dict(lr=0.01))
    cls = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}[name]
    opt, topt = cls([p], **kw), getattr(torch.optim, name)([t], foreach=False, **kw)
    if name == "SGD":
        opt.piece_size = 100  # the update in pieces, too
    for _ in range(5):
        g = rng.standard_normal(init.shape).astype(np.float32)
        p.grad, t.grad = g, torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        assert p.data.dtype == np.float32
        assert all(v.dtype == np.float32 for s in opt.state for v in s.values()
                   if isinstance(v, np.ndarray))
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-5, atol=1e-6)
