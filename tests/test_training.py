"""regcore.training.fit against a hand-written PyTorch float64 training loop.

The reference network is built here from ``torch.nn`` modules with the same
initial weights, trained with ``torch.optim`` on the same batches (the
permutations come from an identically seeded generator), with the penalty
written as an explicit term of the torch loss and the proximal step written
out by hand.  Nothing compares regcore with itself, except where a run is
replayed to get the weights at an earlier epoch.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pytest
import torch

import regcore as rc
from regcore.data import digits, sine_regression, true_sine
from regcore.layers import Linear, ReLU, Tanh
from regcore.normalization import BatchNorm1d, LayerNorm
from regcore.training import History, fit, linear_weights

TOL = 1e-12  # agreement with torch in float64 over a few epochs (observed: < 1e-15)


# ------------------------------------------------------------ torch reference
def torch_copy(model: rc.Sequential) -> torch.nn.Sequential:
    """The same network from torch.nn modules, with copies of every weight."""
    layers = []
    for m in model:
        if isinstance(m, Linear):
            t = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
        elif isinstance(m, BatchNorm1d):
            t = torch.nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum,
                                     dtype=torch.float64)
        elif isinstance(m, LayerNorm):
            t = torch.nn.LayerNorm(m.normalized_shape, eps=m.eps, dtype=torch.float64)
        else:
            t = {ReLU: torch.nn.ReLU, Tanh: torch.nn.Tanh}[type(m)]()
        with torch.no_grad():
            for name, p in m._parameters.items():
                getattr(t, name).copy_(torch.from_numpy(p.data))
        layers.append(t)
    return torch.nn.Sequential(*layers)


def torch_fit(net: torch.nn.Sequential, opt: torch.optim.Optimizer, X, y, *, loss, epochs,
              batch_size, seed, X_val, y_val, l2=0.0, l1=0.0, prox=0.0) -> dict[str, list]:
    """Textbook PyTorch loop: penalty = l2*sum(W**2) + l1*sum|W| on Linear weights only."""
    g = np.random.default_rng(seed)
    X, X_val = torch.from_numpy(X), torch.from_numpy(X_val)
    y, y_val = torch.from_numpy(y), torch.from_numpy(y_val)
    lossf: Callable = (torch.nn.functional.cross_entropy if loss == "cross_entropy"
                       else torch.nn.functional.mse_loss)
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    hist: dict[str, list] = {"train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    for _ in range(epochs):
        net.train()
        perm = torch.from_numpy(g.permutation(len(X)))
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad()
            total = lossf(net(X[idx]), y[idx])
            for W in weights:
                total = total + l2 * (W ** 2).sum() + l1 * W.abs().sum()
            total.backward()
            opt.step()
            with torch.no_grad():
                for W in weights:
                    W.copy_(torch.sign(W) * torch.clamp(W.abs() - opt.param_groups[0]["lr"]
                                                        * prox, min=0.0))
        net.eval()
        with torch.no_grad():
            for split, (Xs, ys) in (("train", (X, y)), ("val", (X_val, y_val))):
                out = net(Xs)
                hist[f"{split}_loss"].append(lossf(out, ys).item())
                if loss == "cross_entropy":
                    hist[f"{split}_acc"].append((out.argmax(1) == ys).double().mean().item())
    return hist


def digits_small(seed: int = 0):
    s = digits(rng=np.random.default_rng(seed), n_train=150)
    return s.X_train, s.y_train, s.X_val[:100], s.y_val[:100]


def sine_data(seed: int = 0):
    x, y = sine_regression(100, rng=np.random.default_rng(seed), noise_std=0.2)
    xv, yv = sine_regression(60, rng=np.random.default_rng(seed + 1), noise_std=0.2)
    return x, y, xv, yv


# name: (data, sizes, MLP kwargs, loss, optimizer pair, penalty, prox, batch_size)
CASES: dict[str, tuple] = {
    "ce-sgd-momentum-L2": (digits_small, [64, 32, 10], {}, "cross_entropy",
                           ("SGD", dict(lr=0.1, momentum=0.9)), ("L2", 1e-3), None, 32),
    "ce-adam-proxL1": (digits_small, [64, 24, 10], dict(activation="tanh"), "cross_entropy",
                       ("Adam", dict(lr=0.01)), None, 1e-3, 32),
    # SGD, not Adam, with batch norm: the bias before BN has a zero gradient in exact
    # arithmetic, and Adam would amplify its rounding noise to steps of size lr
    "ce-batchnorm-sgd-decay-L2": (digits_small, [64, 32, 10], dict(norm="batch"),
                                  "cross_entropy", ("SGD", dict(lr=0.1, momentum=0.9,
                                                                weight_decay=0.01)),
                                  ("L2", 1e-3), None, 32),
    "mse-sgd-L1": (sine_data, [1, 16, 16, 1], dict(activation="tanh"), "mse",
                   ("SGD", dict(lr=0.05)), ("L1", 1e-3), None, 16),
    "mse-layernorm-nesterov-L2-proxL1": (sine_data, [1, 16, 1], dict(norm="layer"), "mse",
                                         ("SGD", dict(lr=0.05, momentum=0.5, nesterov=True)),
                                         ("L2", 1e-3), 2e-3, 16),
    "ce-fullbatch-adamw": (digits_small, [64, 10], {}, "cross_entropy",
                           ("AdamW", dict(lr=0.05, weight_decay=0.05)), None, None, 1000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fit_equals_a_pytorch_training_loop(case):
    data, sizes, kw, loss, (opt_name, opt_kw), pen, prox, batch_size = CASES[case]
    X, y, X_val, y_val = data()
    model = rc.MLP(sizes, rng=np.random.default_rng(1), **kw)
    net = torch_copy(model)
    opt = getattr(rc, opt_name)(model.parameters(), **opt_kw)
    topt = getattr(torch.optim, opt_name)(net.parameters(), foreach=False, **opt_kw)
    penalty = None if pen is None else getattr(rc, pen[0])(pen[1])
    epochs, seed = 4, 123

    hist = fit(model, opt, X, y, loss=loss, epochs=epochs, batch_size=batch_size,
               rng=np.random.default_rng(seed), X_val=X_val, y_val=y_val, penalty=penalty,
               prox=None if prox is None else rc.L1(prox))
    ref = torch_fit(net, topt, X, y, loss=loss, epochs=epochs, batch_size=batch_size,
                    seed=seed, X_val=X_val, y_val=y_val,
                    l2=pen[1] if pen and pen[0] == "L2" else 0.0,
                    l1=pen[1] if pen and pen[0] == "L1" else 0.0, prox=prox or 0.0)

    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        assert len(getattr(hist, key)) == len(ref[key]) == (epochs if "loss" in key or
                                                            loss == "cross_entropy" else 0)
        np.testing.assert_allclose(getattr(hist, key), ref[key], rtol=TOL, atol=TOL,
                                   err_msg=key)
    ours, theirs = model.state_dict(), net.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key].numpy(), rtol=TOL, atol=TOL,
                                   err_msg=key)
    if prox:  # the proximal step leaves exact zeros, as soft-thresholding does in torch
        zeros = sum(int(np.sum(W.data == 0)) for W in linear_weights(model))
        assert zeros == sum(int((m.weight == 0).sum()) for m in net
                            if isinstance(m, torch.nn.Linear))
    assert hist.best_epoch == int(np.argmin(ref["val_loss"]))
    assert hist.stopped_epoch is None and hist.epochs_run == epochs
    assert model.training is False


def test_linear_weights_are_the_weights_of_linear_layers_only():
    model = rc.MLP([3, 4, 4, 2], norm="batch", rng=np.random.default_rng(0))
    names = {id(p): n for n, p in model.named_parameters()}
    assert [names[id(W)] for W in linear_weights(model)] == ["0.weight", "3.weight", "6.weight"]


def test_fit_is_reproducible_and_the_shuffle_follows_rng():
    X, y, Xv, yv = digits_small()

    def run(seed: int) -> dict:
        model = rc.MLP([64, 16, 10], rng=np.random.default_rng(0))
        fit(model, rc.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=16,
            rng=np.random.default_rng(seed))
        return model.state_dict()

    a, b, c = run(1), run(1), run(2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], c["0.weight"])


# ------------------------------------------------------------ early stopping
def u_shaped_problem():
    """Training targets sin(pi x) + noise, validation targets 0.5 sin(pi x).

    Starting near 0 the network's output moves towards sin(pi x), passing
    0.5 sin(pi x) on the way: the validation loss falls, then rises.
    """
    x, y = sine_regression(64, rng=np.random.default_rng(0), noise_std=0.1)
    xv = np.linspace(-1, 1, 50)[:, None]
    return x, y, xv, 0.5 * true_sine(xv)


def run_sine(epochs: int, early_stopping=None) -> tuple[rc.Module, History]:
    x, y, xv, yv = u_shaped_problem()
    model = rc.MLP([1, 32, 1], activation="tanh", rng=np.random.default_rng(3))
    hist = fit(model, rc.SGD(model.parameters(), lr=0.05, momentum=0.9), x, y, loss="mse",
               epochs=epochs, batch_size=16, rng=np.random.default_rng(4), X_val=xv,
               y_val=yv, early_stopping=early_stopping)
    return model, hist


def _weights_equal(model: rc.Module, other: rc.Module) -> None:
    for key, value in other.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)


def _val_loss_by_hand(model: rc.Module) -> float:
    """The validation mse of an MLP([1, 32, 1], tanh), computed in numpy from its weights."""
    _, _, xv, yv = u_shaped_problem()
    W1, b1, W2, b2 = (p.data for p in model.parameters())
    pred = np.tanh(xv @ W1.T + b1) @ W2.T + b2
    return float(np.mean((pred - yv) ** 2))


@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_stops_and_restores_the_best_weights(restore_best):
    patience = 3
    _, ref = run_sine(60)
    # the rule of Keras/Lightning, by hand: stop once `patience` epochs in a row
    # have not improved on the best value so far
    best, best_epoch, wait, stop = np.inf, None, 0, None
    for e, v in enumerate(ref.val_loss):
        if v < best:
            best, best_epoch, wait = v, e, 0
        else:
            wait += 1
            if wait >= patience:
                stop = e
                break
    assert stop is not None and 0 < best_epoch < stop < 59, "the problem must be U-shaped"

    # when the rule fires, both settings of restore_best restore the best weights
    model, hist = run_sine(60, rc.EarlyStopping(patience=patience, restore_best=restore_best))
    assert hist.stopped_epoch == stop and hist.best_epoch == best_epoch
    assert hist.epochs_run == stop + 1
    np.testing.assert_array_equal(hist.val_loss, ref.val_loss[:stop + 1])
    # restored weights = the weights after best_epoch + 1 epochs of a fresh run
    snapshot, _ = run_sine(best_epoch + 1)
    _weights_equal(model, snapshot)
    # and they give the best validation loss, computed by hand in numpy
    assert _val_loss_by_hand(model) == pytest.approx(best, rel=1e-12)
    assert model.training is False


@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_when_the_budget_runs_out(restore_best):
    # patience = the budget: the rule cannot fire within 60 epochs, since epoch 0 improves
    epochs = 60
    _, ref = run_sine(epochs)
    t_best = int(np.argmin(ref.val_loss))
    assert 0 < t_best < epochs - 1, "the best epoch must not be the last one"
    assert ref.val_loss[-1] > ref.val_loss[t_best] * (1 + 1e-6)

    model, hist = run_sine(epochs, rc.EarlyStopping(patience=epochs, restore_best=restore_best))
    # History's semantics do not depend on restore_best: the rule never fired
    assert hist.stopped_epoch is None and hist.epochs_run == epochs
    assert hist.best_epoch == t_best
    np.testing.assert_array_equal(hist.val_loss, ref.val_loss)
    if restore_best:        # the weights of the best epoch (a replay stopped there) ...
        expected, loss = run_sine(t_best + 1)[0], ref.val_loss[t_best]
    else:                   # ... or of the last epoch (Keras' behaviour)
        expected, loss = run_sine(epochs)[0], ref.val_loss[-1]
    _weights_equal(model, expected)
    assert _val_loss_by_hand(model) == pytest.approx(loss, rel=1e-12)
    assert model.training is False


def test_early_stopping_whose_best_is_the_last_epoch_keeps_the_final_weights():
    _, ref = run_sine(4)
    assert int(np.argmin(ref.val_loss)) == 3, "the validation loss must still fall at epoch 3"
    final, _ = run_sine(4)
    for restore_best in (True, False):
        model, hist = run_sine(4, rc.EarlyStopping(patience=50, restore_best=restore_best))
        assert hist.stopped_epoch is None and hist.epochs_run == 4 and hist.best_epoch == 3
        _weights_equal(model, final)
        assert _val_loss_by_hand(model) == pytest.approx(ref.val_loss[3], rel=1e-12)


def test_history_without_validation_and_repr():
    x, y, _, _ = sine_data()
    model = rc.MLP([1, 4, 1], rng=np.random.default_rng(0))
    hist = fit(model, rc.SGD(model.parameters(), lr=0.01), x, y, loss="mse", epochs=2,
               batch_size=200, rng=np.random.default_rng(0))
    assert hist.val_loss == [] and hist.train_acc == [] and hist.val_acc == []
    assert hist.best_epoch is None and hist.stopped_epoch is None and len(hist.train_loss) == 2
    assert re.fullmatch(r"History\(epochs_run=2, train_loss=[\d.e-]+, best_epoch=None, "
                        r"stopped_epoch=None\)", repr(hist))
    assert repr(History()) == "History(epochs_run=0, best_epoch=None, stopped_epoch=None)"


def test_progress_prints_one_rewritten_line(capsys):
    X, y, Xv, yv = digits_small()
    model = rc.MLP([64, 10], rng=np.random.default_rng(0))
    hist = fit(model, rc.SGD(model.parameters(), lr=0.1), X, y, epochs=3, batch_size=50,
               rng=np.random.default_rng(0), X_val=Xv, y_val=yv, progress=True)
    out = capsys.readouterr().out
    assert out.count("\r") == 3 and out.endswith("\n") and out.count("\n") == 1
    assert "epoch 3/3 [====================]" in out
    assert f"val_loss={hist.val_loss[-1]:.4g}, best_epoch=" in repr(hist)
    assert f"val_loss {hist.val_loss[-1]:.4f}" in out and f"val_acc {hist.val_acc[-1]:.3f}" in out
    fit(model, rc.SGD(model.parameters(), lr=0.1), X, y, epochs=1, batch_size=50,
        rng=np.random.default_rng(0))
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------- divergence
def linear_model(w: float, n_in: int = 1) -> rc.Sequential:
    model = rc.Sequential(Linear(n_in, 1, rng=np.random.default_rng(0)))
    model[0].weight.data[...] = w
    model[0].bias.data[...] = 0.0
    return model


def test_huge_learning_rate_raises_floating_point_error():
    x, y, _, _ = sine_data()
    model = rc.MLP([1, 16, 1], rng=np.random.default_rng(0))
    with pytest.raises(FloatingPointError,
                       match=r"at epoch \d+, batch \d+ \(0-based\); the learning rate "
                             r"\(lr=1000.0\) may be too large"):
        fit(model, rc.SGD(model.parameters(), lr=1e3), x, y, loss="mse", epochs=50,
            batch_size=10, rng=np.random.default_rng(0))


@pytest.mark.parametrize("w, lr, target, n_in, match", [
    (1e200, 0.1, 0.0, 1, r"the loss is inf at epoch 0, batch 0"),
    (1e308, 0.1, 0.0, 4, r"the model's output is not finite at epoch 0, batch 0"),
    (1.0, 1e307, 1e3, 1, r"a parameter became non-finite after the update at epoch 0, "
                         r"batch 0"),
])
def test_each_non_finite_quantity_is_caught(w, lr, target, n_in, match):
    X, y = np.ones((4, n_in)), np.full((4, 1), target)
    with pytest.raises(FloatingPointError, match=match + ".*learning rate"):
        model = linear_model(w, n_in)
        fit(model, rc.SGD(model.parameters(), lr=lr), X, y, loss="mse", epochs=1,
            batch_size=4, rng=np.random.default_rng(0))


def test_non_finite_evaluation_is_caught():
    model = linear_model(1.0, 2)
    X, y = np.zeros((4, 2)), np.zeros((4, 1))
    Xv = np.full((1, 2), 1e308)
    with pytest.raises(FloatingPointError, match="validation set after epoch 0.*learning rate"):
        fit(model, rc.SGD(model.parameters(), lr=0.0), X, y, loss="mse", epochs=1,
            batch_size=4, rng=np.random.default_rng(0), X_val=Xv, y_val=np.zeros((1, 1)))
    # each squared error is 1e308 (finite, batch by batch); their sum over the set is not
    model = linear_model(1e154, 1)
    with pytest.raises(FloatingPointError, match="the mse on the training set after epoch 0 "
                                                 "is inf"):
        fit(model, rc.SGD(model.parameters(), lr=0.0), np.ones((2, 1)), np.zeros((2, 1)),
            loss="mse", epochs=1, batch_size=1, rng=np.random.default_rng(0))


# ---------------------------------------------------------- bad arguments
class NoLr:
    def step(self) -> None: ...


def bad_call(**override: Any) -> None:
    X, y, Xv, yv = digits_small()
    model = rc.MLP([64, 10], rng=np.random.default_rng(0))
    kwargs: dict[str, Any] = dict(model=model, optimizer=rc.SGD(model.parameters(), lr=0.1),
                                  X=X, y=y, epochs=1, batch_size=8,
                                  rng=np.random.default_rng(0))
    kwargs.update(override)
    fit(**kwargs)


X0, Y0, XV0, YV0 = digits_small()


@pytest.mark.parametrize("override, match", [
    (dict(model="net"), "model must be a regcore Module; got str"),
    (dict(loss="hinge"), r"loss must be one of \('cross_entropy', 'mse'\); got 'hinge'"),
    (dict(epochs=0), "epochs must be an integer >= 1; got 0"),
    (dict(batch_size=0), "batch_size must be an integer >= 1; got 0"),
    (dict(batch_size=2.0), "batch_size must be an integer >= 1; got 2.0"),
    (dict(rng=0), "rng must be a numpy.random.Generator"),
    (dict(X=X0[0]), r"X must be a 2-D array; got shape \(64,\)"),
    (dict(X=X0[:0], y=Y0[:0]), "X must have at least one sample"),
    (dict(X=np.where(X0 > 0.5, np.nan, X0)), "X must contain only finite numbers"),
    (dict(y=Y0[:-1]), r"y must have one row per sample of X \(150\); got 149"),
    (dict(y=Y0.astype(float)), "y must hold integer class indices for loss='cross_entropy'; "
                               "got an array of dtype float64"),
    (dict(y=Y0[:, None]), "y must be a 1-D array"),
    (dict(y=Y0 + 10), r"targets must be class indices in \[0, 10\)"),
    (dict(X_val=XV0), "X_val and y_val must be given together or not at all"),
    (dict(y_val=YV0), "X_val and y_val must be given together or not at all"),
    (dict(X_val=XV0[:, :5], y_val=YV0), r"X_val must have at least one row and 64 columns "
                                        r"like X; got shape \(100, 5\)"),
    (dict(X_val=XV0, y_val=YV0[:3]), r"y_val must have one row per sample of X_val \(100\)"),
    (dict(penalty=0.1), "penalty must be an L1 or L2 instance or None; got float"),
    (dict(prox=rc.L2(0.1)), "prox must be an L1 instance or None; got L2"),
    (dict(early_stopping=3), "early_stopping must be an EarlyStopping instance or None"),
    (dict(early_stopping=rc.EarlyStopping()), "X_val and y_val are required"),
    (dict(optimizer=object()), "optimizer must have a 'step' attribute"),
    (dict(optimizer=NoLr(), prox=rc.L1(0.1)), "optimizer must have a 'lr' attribute"),
    (dict(progress=1), "progress must be a bool; got 1"),
])
def test_fit_rejects_bad_arguments(override, match):
    with pytest.raises(ValueError, match=match):
        bad_call(**override)


def test_fit_rejects_mse_targets_without_the_output_shape():
    x, y, xv, yv = sine_data()
    model = rc.MLP([1, 4, 1], rng=np.random.default_rng(0))
    opt = rc.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"y must have the model output's shape for "
                                         r"loss='mse': rows of shape \(1,\); got shape \(100,\)"):
        fit(model, opt, x, y[:, 0], loss="mse", epochs=1, batch_size=8,
            rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"y_val must have rows of y's shape \(1,\); got "
                                         r"shape \(60, 2\)"):
        fit(model, opt, x, y, loss="mse", epochs=1, batch_size=8, rng=np.random.default_rng(0),
            X_val=xv, y_val=np.hstack([yv, yv]))
    with pytest.raises(ValueError, match=r"y must have one row per sample of X \(100\); got 3"):
        fit(model, opt, x, y[:3], loss="mse", epochs=1, batch_size=8,
            rng=np.random.default_rng(0))


def test_fit_is_exported_lazily():
    assert rc.fit is fit and rc.History is History


def test_fit_in_float32_stays_float32_and_tracks_the_float64_run():
    X, y, X_val, y_val = digits_small()
    runs = {}
    for dtype in (np.float64, np.float32):
        model = rc.MLP([64, 32, 10], norm="batch", rng=np.random.default_rng(1)).to(dtype)
        opt = rc.SGD(model.parameters(), lr=0.1, momentum=0.9)
        hist = fit(model, opt, X.astype(dtype), y, epochs=3, batch_size=32,
                   rng=np.random.default_rng(0), X_val=X_val.astype(dtype), y_val=y_val,
                   penalty=rc.L2(1e-3))
        assert all(p.data.dtype == dtype for p in model.parameters())
        assert all(s["momentum_buffer"].dtype == dtype for s in opt.state)
        runs[dtype] = hist
    np.testing.assert_allclose(runs[np.float32].train_loss, runs[np.float64].train_loss,
                               rtol=1e-4)


def test_fit_trains_a_custom_module_without_the_needs_input_grad_keyword():
    class Net(rc.Module):  # written before the keyword existed: backward(grad_out) only
        def __init__(self):
            super().__init__()
            self.lin = Linear(2, 2, rng=np.random.default_rng(0))

        def forward(self, x):
            return self.lin(x)

        def backward(self, grad_out):
            return self.lin.backward(grad_out)

    X = np.random.default_rng(0).standard_normal((20, 2))
    model = Net()
    before = model.lin.weight.data.copy()
    hist = fit(model, rc.SGD(model.parameters(), lr=0.1), X, (X[:, 0] > 0).astype(int),
               epochs=2, batch_size=10, rng=np.random.default_rng(0))
    assert hist.epochs_run == 2 and not np.array_equal(model.lin.weight.data, before)
