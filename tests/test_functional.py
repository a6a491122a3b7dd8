"""regcore.functional against PyTorch autograd (float64) and numerical gradients."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from _helpers import FAST, assert_close, check_backward_numerically, rand, tt
from regcore import functional as F

seeds = st.integers(0, 2**32 - 1)
batch = st.integers(2, 9)          # includes the smallest batch that BN allows
feats = st.integers(1, 12)         # includes a single feature
wide = st.sampled_from([1, 3, 64, 300])


# --------------------------------------------------------------- vs torch
@FAST
@given(n=batch, fin=wide, fout=feats, bias=st.booleans(), seed=seeds)
def test_linear_matches_torch(n, fin, fout, bias, seed):
    x, W, b, dout = rand(seed, n, fin), rand(seed + 1, fout, fin), rand(seed + 2, fout), \
        rand(seed + 3, n, fout)
    out, cache = F.linear_forward(x, W, b if bias else None)
    dx, dW, db = F.linear_backward(dout, cache)
    xt, Wt, bt = tt(x), tt(W), tt(b)
    ot = TF.linear(xt, Wt, bt if bias else None)
    ot.backward(tt(dout, False))
    assert_close(out, ot)
    assert_close(dx, xt.grad)
    assert_close(dW, Wt.grad)
    if bias:
        assert_close(db, bt.grad)
    else:
        assert db is None


@FAST
@given(n=batch, d=feats, seed=seeds, name=st.sampled_from(["relu", "tanh"]))
def test_activations_match_torch(n, d, seed, name):
    x, dout = rand(seed, n, d, scale=3.0), rand(seed + 1, n, d)
    x[0, 0] = 0.0  # the kink of ReLU: derivative 0 there, as in torch
    fwd, bwd, tfn = {"relu": (F.relu_forward, F.relu_backward, torch.relu),
                     "tanh": (F.tanh_forward, F.tanh_backward, torch.tanh)}[name]
    out, cache = fwd(x)
    xt = tt(x)
    ot = tfn(xt)
    ot.backward(tt(dout, False))
    assert_close(out, ot)
    assert_close(bwd(dout, cache), xt.grad)


@FAST
@given(n=batch, c=st.sampled_from([1, 2, 5, 64]), seed=seeds,
       shift=st.sampled_from([0.0, 100.0]), eps=st.sampled_from([1e-5, 1e-3]))
def test_batch_norm_training_matches_torch(n, c, seed, shift, eps):
    x = rand(seed, n, c) * 2.0 + shift
    g, b, dout = rand(seed + 1, c), rand(seed + 2, c), rand(seed + 3, n, c)
    out, cache = F.batch_norm_forward(x, g, b, eps)
    dx, dg, db = F.batch_norm_backward(dout, cache)
    xt, gt, bt = tt(x), tt(g), tt(b)
    ot = TF.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    ot.backward(tt(dout, False))
    for ours, theirs in [(out, ot), (dx, xt.grad), (dg, gt.grad), (db, bt.grad)]:
        assert_close(ours, theirs)
    assert_close(cache.mean, x.mean(axis=0))
    assert_close(cache.var, x.var(axis=0))  # biased (ddof 0)


@FAST
@given(n=st.integers(1, 6), c=feats, seed=seeds)
def test_batch_norm_fixed_statistics_matches_torch_eval(n, c, seed):
    x, g, b, dout = rand(seed, n, c), rand(seed + 1, c), rand(seed + 2, c), rand(seed + 3, n, c)
    mean, var = rand(seed + 4, c), np.abs(rand(seed + 5, c)) + 0.1
    out, cache = F.batch_norm_forward(x, g, b, mean=mean, var=var)
    dx, dg, db = F.batch_norm_backward(dout, cache)
    xt, gt, bt = tt(x), tt(g), tt(b)
    ot = TF.batch_norm(xt, tt(mean, False), tt(var, False), gt, bt, training=False, eps=1e-5)
    ot.backward(tt(dout, False))
    for ours, theirs in [(out, ot), (dx, xt.grad), (dg, gt.grad), (db, bt.grad)]:
        assert_close(ours, theirs)


@FAST
@given(lead=st.sampled_from([(2,), (5,), (3, 4)]), d=st.sampled_from([1, 2, 7, 64]),
       seed=seeds)
def test_layer_norm_matches_torch(lead, d, seed):
    x = rand(seed, *lead, d) + 5.0
    g, b, dout = rand(seed + 1, d), rand(seed + 2, d), rand(seed + 3, *lead, d)
    out, cache = F.layer_norm_forward(x, g, b, 1e-5)
    dx, dg, db = F.layer_norm_backward(dout, cache)
    xt, gt, bt = tt(x), tt(g), tt(b)
    ot = TF.layer_norm(xt, (d,), gt, bt, eps=1e-5)
    ot.backward(tt(dout, False))
    for ours, theirs in [(out, ot), (dx, xt.grad), (dg, gt.grad), (db, bt.grad)]:
        assert_close(ours, theirs)


@FAST
@given(n=st.integers(1, 9), c=st.integers(1, 12), seed=seeds,
       scale=st.sampled_from([1.0, 1e3]))
def test_cross_entropy_matches_torch(n, c, seed, scale):
    logits = rand(seed, n, c, scale=scale)  # scale 1e3: exp would overflow without the shift
    y = np.random.default_rng(seed).integers(0, c, n)
    loss, dlogits = F.cross_entropy(logits, y)
    lt = tt(logits)
    torch_loss = TF.cross_entropy(lt, torch.tensor(y))
    torch_loss.backward()
    assert isinstance(loss, float) and np.isfinite(loss)
    assert_close(loss, torch_loss)
    assert_close(dlogits, lt.grad)


@FAST
@given(shape=st.sampled_from([(1,), (4,), (3, 2), (2, 3, 4)]), seed=seeds)
def test_mse_matches_torch(shape, seed):
    pred, target = rand(seed, *shape), rand(seed + 1, *shape)
    loss, dpred = F.mse(pred, target)
    pt = tt(pred)
    torch_loss = TF.mse_loss(pt, tt(target, False))
    torch_loss.backward()
    assert_close(loss, torch_loss)
    assert_close(dpred, pt.grad)


# ---------------------------------------------------------- vs numerical
@pytest.mark.parametrize("seed", [0, 1])
def test_gradients_match_numerical(seed):
    n, d, k = 4, 3, 2
    x, W, b = rand(seed, n, d), rand(seed + 1, k, d), rand(seed + 2, k)
    g, be = rand(seed + 3, d), rand(seed + 4, d)
    up_k, up_d = rand(seed + 5, n, k), rand(seed + 6, n, d)
    cases = [(F.linear_forward, F.linear_backward, (x, W, b), up_k),
             (F.relu_forward, F.relu_backward, (x,), up_d),
             (F.tanh_forward, F.tanh_backward, (x,), up_d),
             (F.batch_norm_forward, F.batch_norm_backward, (x, g, be), up_d),
             (F.layer_norm_forward, F.layer_norm_backward, (x, g, be), up_d)]
    for fwd, bwd, inputs, up in cases:
        grads = bwd(up, fwd(*inputs)[1])
        grads = grads if isinstance(grads, tuple) else (grads,)
        check_backward_numerically(lambda *a: fwd(*a)[0], grads, inputs, up)


def test_loss_gradients_match_numerical():
    logits, y = rand(3, 5, 4), np.array([0, 3, 1, 1, 2])
    pred, target = rand(4, 3, 2), rand(5, 3, 2)
    _, dl = F.cross_entropy(logits, y)
    check_backward_numerically(lambda z: F.cross_entropy(z, y)[0], (dl,), (logits,), 1.0)
    _, dp = F.mse(pred, target)
    check_backward_numerically(lambda p: F.mse(p, target)[0], (dp,), (pred,), 1.0)


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_zero_rate_and_mean_are_binomial(p):
    n = 200_000
    x = np.full(n, 2.0)
    out, _ = F.dropout_forward(x, p, np.random.default_rng(12345))
    # Each entry is dropped independently with probability p, so the number of
    # zeros is Binomial(n, p): mean n*p, standard deviation sqrt(n*p*(1-p)).
    # A correct implementation lands within 5 sd except with probability < 1e-6.
    zeros = int(np.sum(out == 0.0))
    assert abs(zeros - n * p) < 5 * np.sqrt(n * p * (1 - p))
    # Inverted scaling keeps the mean: out_i = x_i * B_i / (1-p) has mean x_i and
    # variance x_i**2 * p / (1-p), so the sample mean has sd 2 * sqrt(p / ((1-p) n)).
    assert abs(out.mean() - 2.0) < 5 * 2.0 * np.sqrt(p / ((1 - p) * n))


def test_dropout_kept_entries_scaled_and_backward_uses_same_mask():
    x, dout = rand(0, 50, 40) + 0.1, rand(1, 50, 40)
    out, cache = F.dropout_forward(x, 0.3, np.random.default_rng(0))
    kept = out != 0
    assert_close(out[kept], x[kept] / 0.7)
    assert 0 < kept.sum() < x.size
    dx = F.dropout_backward(dout, cache)
    assert_close(dx[kept], dout[kept] / 0.7)
    np.testing.assert_array_equal(dx[~kept], 0.0)
    # the same mask as torch's definition: out = x * m / (1-p) and dx = dout * m / (1-p)
    xt = tt(x)
    (xt * tt(kept.astype(float), False) / 0.7).backward(tt(dout, False))
    assert_close(dx, xt.grad)


def test_dropout_identity_cases_and_p_one():
    x, dout = rand(0, 6, 5), rand(1, 6, 5)
    for p, train in [(0.5, False), (0.0, True), (1.0, False)]:
        out, cache = F.dropout_forward(x, p, None, train=train)
        np.testing.assert_array_equal(out, x)
        np.testing.assert_array_equal(F.dropout_backward(dout, cache), dout)
    out, cache = F.dropout_forward(x, 1.0, None)
    np.testing.assert_array_equal(out, 0.0)
    np.testing.assert_array_equal(F.dropout_backward(dout, cache), 0.0)


def test_dropout_is_reproducible_with_seeded_rng():
    x = rand(0, 30, 30)
    a, _ = F.dropout_forward(x, 0.5, np.random.default_rng(7))
    b, _ = F.dropout_forward(x, 0.5, np.random.default_rng(7))
    c, _ = F.dropout_forward(x, 0.5, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# --------------------------------------------------------------- bad input
def test_bad_inputs_raise_clear_errors():
    x, W, b = rand(0, 4, 3), rand(1, 2, 3), rand(2, 2)
    with pytest.raises(ValueError, match=r"x must have 3 features .* got x of shape \(4, 5\)"):
        F.linear_forward(rand(0, 4, 5), W, b)
    with pytest.raises(ValueError, match=r"x must be a 2-D array; got shape \(3,\)"):
        F.linear_forward(rand(0, 3), W, b)
    with pytest.raises(ValueError, match=r"b must have shape \(2,\); got shape \(3,\)"):
        F.linear_forward(x, W, rand(2, 3))
    x_nan = x.copy()
    x_nan[1, 2] = np.nan
    with pytest.raises(ValueError, match="x must contain only finite numbers; got NaN or inf"):
        F.linear_forward(x_nan, W, b)
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        F.relu_forward(np.array([1.0, np.inf]))
    _, cache = F.linear_forward(x, W, b)
    with pytest.raises(ValueError, match=r"dout .* must have shape \(4, 2\); got shape \(4, 3\)"):
        F.linear_backward(rand(0, 4, 3), cache)


@pytest.mark.parametrize("p", [-0.1, 1.5, np.nan, "0.5"])
def test_dropout_p_out_of_range(p):
    with pytest.raises(ValueError, match=r"p must be a finite real number in \[0.0, 1.0\]"):
        F.dropout_forward(rand(0, 3), p, np.random.default_rng(0))


def test_dropout_needs_a_generator_in_training():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        F.dropout_forward(rand(0, 3), 0.5, None)


def test_norm_bad_arguments():
    x, g, b = rand(0, 4, 3), np.ones(3), np.zeros(3)
    for fn in (F.batch_norm_forward, F.layer_norm_forward):
        with pytest.raises(ValueError, match=r"eps must be a finite real number in \(0.0, inf\)"):
            fn(x, g, b, -1e-5)
        with pytest.raises(ValueError, match=r"x must have 2 features .* got shape \(4, 3\)"):
            fn(x, np.ones(2), np.zeros(2))
        with pytest.raises(ValueError, match=r"beta must have shape \(3,\); got shape \(2,\)"):
            fn(x, g, np.zeros(2))
    with pytest.raises(ValueError, match=r"at least 2 samples .* got shape \(1, 3\)"):
        F.batch_norm_forward(x[:1], g, b)
    with pytest.raises(ValueError, match="mean and var must be given together"):
        F.batch_norm_forward(x, g, b, mean=np.zeros(3))
    with pytest.raises(ValueError, match="var must be non-negative"):
        F.batch_norm_forward(x, g, b, mean=np.zeros(3), var=-np.ones(3))
    with pytest.raises(ValueError, match=r"mean must have shape \(3,\)"):
        F.batch_norm_forward(x, g, b, mean=np.zeros(2), var=np.ones(3))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        F.layer_norm_forward(np.float64(1.0), np.ones(1), np.zeros(1))


def test_loss_bad_targets():
    logits = rand(0, 3, 4)
    with pytest.raises(ValueError, match=r"targets must be integer class indices in \[0, 4\); "
                                         r"got an array of dtype float64"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"targets must be class indices in \[0, 4\); "
                                         r"got values in \[0, 4\]"):
        F.cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"got values in \[-1, 1\]"):
        F.cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"targets must have shape \(3,\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"logits must have at least one sample"):
        F.cross_entropy(np.zeros((0, 4)), np.array([], dtype=int))
    with pytest.raises(ValueError, match="logits must contain only finite numbers"):
        F.cross_entropy(np.full((3, 4), np.nan), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"target must have the shape of pred \(3, 4\); "
                                         r"got shape \(4,\)"):
        F.mse(logits, np.zeros(4))
    with pytest.raises(ValueError, match="pred must have at least one element"):
        F.mse(np.zeros(0), np.zeros(0))


# ------------------------------------------------- need_dx=False and dtypes
def test_backward_functions_can_skip_dx():
    x, W, b = rand(0, 5, 4), rand(1, 3, 4), rand(2, 3)
    out, cache = F.linear_forward(x, W, b)
    dout = rand(3, *out.shape)
    dx, dW, db = F.linear_backward(dout, cache)
    assert F.linear_backward(dout, cache, need_dx=False)[0] is None
    np.testing.assert_array_equal(F.linear_backward(dout, cache, need_dx=False)[1], dW)
    g, be = rand(4, 4), rand(5, 4)
    for fwd, bwd in [(F.batch_norm_forward, F.batch_norm_backward),
                     (F.layer_norm_forward, F.layer_norm_backward)]:
        out, cache = fwd(x, g, be)
        full, part = bwd(dout[:, :1] * x, cache), bwd(dout[:, :1] * x, cache, need_dx=False)
        assert part[0] is None and full[0].shape == x.shape
        np.testing.assert_array_equal(part[1], full[1])
        np.testing.assert_array_equal(part[2], full[2])


def test_float32_in_float32_out_and_other_inputs_become_float64():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    W, b = rng.standard_normal((3, 4)).astype(np.float32), np.zeros(3, np.float32)
    g, be = np.ones(4, np.float32), np.zeros(4, np.float32)
    results = [F.linear_forward(x, W, b), F.relu_forward(x), F.tanh_forward(x),
               F.dropout_forward(x, 0.5, rng), F.batch_norm_forward(x, g, be),
               F.layer_norm_forward(x, g, be)]
    backs = [F.linear_backward, F.relu_backward, F.tanh_backward, F.dropout_backward,
             F.batch_norm_backward, F.layer_norm_backward]
    for (out, cache), back in zip(results, backs):
        assert out.dtype == np.float32
        grads = back(np.ones_like(out), cache)
        for grad in grads if isinstance(grads, tuple) else (grads,):
            assert grad is None or grad.dtype == np.float32
    assert F.cross_entropy(x, np.arange(6) % 4)[1].dtype == np.float32
    assert F.mse(x, x + 1)[1].dtype == np.float32
    # integers and lists are converted to the default float64
    assert F.relu_forward([[1, -2]])[0].dtype == np.float64
    assert F.linear_forward(np.ones((2, 4), dtype=int), W.astype(np.float64), None)[0].dtype \
        == np.float64


def test_finiteness_check_survives_overflowing_values():
    # |x| ~ 1e200 overflows the fast check's dot product to inf: the entry-by-entry test
    # must then accept the finite array and still reject NaN and inf
    x = np.full((2, 3), 1e200)
    assert np.all(F.relu_forward(x)[0] == 1e200)
    for bad in (np.nan, np.inf, -np.inf):
        x[1, 2] = bad
        with pytest.raises(ValueError, match="x must contain only finite numbers"):
            F.relu_forward(x)
    big32 = np.full(4, 1e30, dtype=np.float32)  # overflows a float32 dot product
    assert F.relu_forward(big32)[0].dtype == np.float32
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        F.relu_forward(np.array([[1.0, 2.0]])[:, ::-1] * np.array([np.nan, 1.0]))
