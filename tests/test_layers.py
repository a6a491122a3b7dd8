"""Linear, ReLU, Tanh and Dropout modules against torch.nn (float64)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _helpers import FAST, assert_close, assert_input_grad_can_be_skipped, rand, tt
from regcore import Dropout, Linear, ReLU, Tanh

seeds = st.integers(0, 2**32 - 1)


@FAST
@given(n=st.integers(2, 9), fin=st.sampled_from([1, 4, 256]), fout=st.integers(1, 10),
       bias=st.booleans(), seed=seeds)
def test_linear_module_matches_torch(n, fin, fout, bias, seed):
    layer = Linear(fin, fout, bias=bias, rng=np.random.default_rng(seed))
    ref = torch.nn.Linear(fin, fout, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.data))
        if bias:
            ref.bias.copy_(torch.from_numpy(layer.bias.data))
    x, dout = rand(seed, n, fin), rand(seed + 1, n, fout)
    xt = tt(x)
    out_t = ref(xt)
    out_t.backward(tt(dout, False))
    assert_close(layer(x), out_t)
    assert_close(layer.backward(dout), xt.grad)
    assert_close(layer.weight.grad, ref.weight.grad)
    if bias:
        assert_close(layer.bias.grad, ref.bias.grad)
    else:
        assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_linear_init_is_torch_default_uniform():
    fin, fout = 100, 200
    layer = Linear(fin, fout, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(fin)
    assert layer.weight.data.shape == (fout, fin) and layer.bias.data.shape == (fout,)
    w = layer.weight.data.ravel()
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(layer.bias.data) <= bound)
    # U(-b, b) has E[w^2] = b^2/3 and Var[w^2] = b^4/5 - b^4/9 = 4 b^4/45, so the mean
    # of n squares has standard error sqrt(4/45) b^2 / sqrt(n); allow 5 of them.
    n = w.size
    assert abs(np.mean(w**2) - bound**2 / 3) < 5 * np.sqrt(4 / 45) * bound**2 / np.sqrt(n)
    assert abs(np.mean(w)) < 5 * bound / np.sqrt(3 * n)
    # torch's own init has the same bound
    ref = torch.nn.Linear(fin, fout)
    assert ref.weight.abs().max().item() <= bound + 1e-7


def test_linear_init_is_reproducible_from_rng():
    a = Linear(3, 4, rng=np.random.default_rng(5))
    b = Linear(3, 4, rng=np.random.default_rng(5))
    c = Linear(3, 4, rng=np.random.default_rng(6))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    assert Linear(3, 4).weight.data.shape == (4, 3)  # rng=None: a fresh generator


@pytest.mark.parametrize("cls,tcls", [(ReLU, torch.nn.ReLU), (Tanh, torch.nn.Tanh)])
def test_activation_modules_match_torch(cls, tcls):
    x, dout = rand(0, 5, 7, scale=2.0), rand(1, 5, 7)
    m, xt = cls(), tt(x)
    out_t = tcls()(xt)
    out_t.backward(tt(dout, False))
    assert_close(m(x), out_t)
    assert_close(m.backward(dout), xt.grad)
    assert repr(m) == repr(tcls())


def test_dropout_module_train_eval_and_backward():
    x, dout = rand(0, 40, 30) + 0.05, rand(1, 40, 30)
    d = Dropout(0.25, rng=np.random.default_rng(3))
    assert d.training
    out = d(x)
    kept = out != 0
    assert_close(out[kept], x[kept] / 0.75)
    dx = d.backward(dout)
    assert_close(dx, dout * kept / 0.75)
    d.eval()
    np.testing.assert_array_equal(d(x), x)
    np.testing.assert_array_equal(d.backward(dout), dout)
    # torch's module: identity in eval as well
    np.testing.assert_array_equal(torch.nn.Dropout(0.25).eval()(tt(x, False)).numpy(), x)


def test_dropout_module_p0_p1_and_reproducibility():
    x = rand(0, 8, 9)
    np.testing.assert_array_equal(Dropout(0.0)(x), x)
    np.testing.assert_array_equal(Dropout(1.0)(x), 0.0)
    a = Dropout(0.5, rng=np.random.default_rng(1))(x)
    b = Dropout(0.5, rng=np.random.default_rng(1))(x)
    np.testing.assert_array_equal(a, b)
    assert repr(Dropout(0.5)) == "Dropout(p=0.5)"


def test_gradient_accumulates_over_backward_calls():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    x, dout = rand(0, 4, 3), rand(1, 4, 2)
    layer(x)
    layer.backward(dout)
    w1, b1 = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.backward(dout)
    assert_close(layer.weight.grad, 2 * w1)
    assert_close(layer.bias.grad, 2 * b1)
    # same as torch accumulating two backward passes
    ref = torch.nn.Linear(3, 2, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.data))
        ref.bias.copy_(torch.from_numpy(layer.bias.data))
    for _ in range(2):
        ref(tt(x, False)).backward(tt(dout, False))
    assert_close(layer.weight.grad, ref.weight.grad)


@pytest.mark.parametrize("m", [Linear(3, 2, rng=np.random.default_rng(0)), ReLU(), Tanh(),
                               Dropout(0.5, rng=np.random.default_rng(0))])
def test_backward_before_forward_raises(m):
    with pytest.raises(RuntimeError, match="backward was called before forward: "
                                           "forward must run first"):
        m.backward(np.ones((1, 2)))


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="in_features must be an integer >= 1; got 0"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="out_features must be an integer >= 1; got 2.5"):
        Linear(3, 2.5)
    with pytest.raises(ValueError, match="bias must be a bool; got 'yes'"):
        Linear(3, 2, bias="yes")
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"p must be a finite real number in \[0.0, 1.0\]; "
                                         r"got 1.2"):
        Dropout(1.2)
    with pytest.raises(ValueError, match=r"p must be .*; got -0.5"):
        Dropout(-0.5)
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x must have 3 features"):
        layer(np.ones((4, 5)))
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        layer(np.array([[1.0, np.nan, 0.0]]))
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        ReLU()(np.array([np.inf]))
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=True)"


# ------------------------------------------------ needs_input_grad=False
@pytest.mark.parametrize("make", [lambda: Linear(3, 2, rng=np.random.default_rng(0)),
                                  lambda: Linear(3, 2, bias=False, rng=np.random.default_rng(0)),
                                  ReLU, Tanh, lambda: Dropout(0.5, rng=np.random.default_rng(0))])
def test_backward_without_input_grad_returns_none_and_same_parameter_grads(make):
    full, skip = make(), make()
    x = rand(0, 4, 3)
    dout = rand(1, 4, make()(x).shape[1])  # a third copy, only for the output width
    assert_input_grad_can_be_skipped(full, skip, x, dout)


@pytest.mark.parametrize("m", [Linear(3, 2, rng=np.random.default_rng(0)), ReLU()])
def test_needs_input_grad_is_checked_and_cache_still_required(m):
    with pytest.raises(RuntimeError, match="forward must run first"):
        m.backward(np.ones((1, 2)), needs_input_grad=False)
    m(np.ones((1, 3)))
    with pytest.raises(ValueError, match="needs_input_grad must be a bool .*; got 'no'"):
        m.backward(np.ones((1, 2 if isinstance(m, Linear) else 3)), needs_input_grad="no")


# ----------------------------------------------------------------- float32
@pytest.mark.parametrize("make", [lambda: Linear(3, 2, rng=np.random.default_rng(0)), ReLU,
                                  Tanh, lambda: Dropout(0.5, rng=np.random.default_rng(0))])
def test_layers_keep_float32(make):
    m = make().to(np.float32)
    x = rand(0, 4, 3).astype(np.float32)
    out = m(x)
    assert out.dtype == np.float32
    assert m.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.data.dtype == p.grad.dtype == np.float32 for p in m.parameters())


def test_dropout_float32_mask_and_p1():
    x = np.ones((50, 40), dtype=np.float32)
    out = Dropout(0.25, rng=np.random.default_rng(0))(x)
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {np.float32(0.0), np.float32(1 / 0.75)}
    assert abs(np.mean(out == 0) - 0.25) < 0.03
    assert Dropout(1.0)(x).dtype == np.float32
