"""BatchNorm1d and LayerNorm against torch.nn (float64): outputs, gradients, buffers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _helpers import FAST, assert_close, assert_input_grad_can_be_skipped, rand, tt
from regcore import BatchNorm1d, LayerNorm

seeds = st.integers(0, 2**32 - 1)


def _twin_bn(c, eps, momentum, seed):
    """A regcore BatchNorm1d with random affine parameters, and its torch twin."""
    bn = BatchNorm1d(c, eps=eps, momentum=momentum)
    bn.weight.data[:] = rand(seed, c)
    bn.bias.data[:] = rand(seed + 1, c)
    ref = torch.nn.BatchNorm1d(c, eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(bn.weight.data))
        ref.bias.copy_(torch.from_numpy(bn.bias.data))
    return bn, ref


def _forward_backward_both(m, ref, x, dout):
    xt = tt(x)
    out_t = ref(xt)
    out_t.backward(tt(dout, False))
    out = m(x)
    dx = m.backward(dout)
    assert_close(out, out_t, "output")
    assert_close(dx, xt.grad, "dx")
    assert_close(m.weight.grad, ref.weight.grad, "dweight")
    assert_close(m.bias.grad, ref.bias.grad, "dbias")


@FAST
@given(n=st.integers(2, 9), c=st.sampled_from([1, 3, 64]), seed=seeds,
       train=st.booleans())
def test_batchnorm_module_matches_torch(n, c, seed, train):
    bn, ref = _twin_bn(c, 1e-5, 0.1, seed)
    for k in range(2):  # give the running statistics something to remember
        bn(rand(seed + 10 + k, 6, c) * 3 + 1)
        ref(tt(rand(seed + 10 + k, 6, c) * 3 + 1, False))
    bn.train(train), ref.train(train)
    bn.zero_grad()
    ref.zero_grad()
    _forward_backward_both(bn, ref, rand(seed + 2, n, c) * 2 - 1, rand(seed + 3, n, c))
    assert_close(bn.running_mean, ref.running_mean)
    assert_close(bn.running_var, ref.running_var)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None, 0.0, 1.0])
def test_batchnorm_running_statistics_match_torch(momentum):
    c = 4
    bn, ref = _twin_bn(c, 1e-5, momentum, 0)
    for k, n in enumerate([2, 5, 16, 3, 8]):  # different batch sizes: N/(N-1) varies
        x = rand(k, n, c) * (k + 1) + k
        bn(x)
        ref(tt(x, False))
        assert bn.num_batches_tracked == ref.num_batches_tracked.item() == k + 1
        assert_close(bn.running_mean, ref.running_mean, f"running_mean after {k + 1}")
        assert_close(bn.running_var, ref.running_var, f"running_var after {k + 1}")
    bn.eval(), ref.eval()
    x = rand(99, 7, c)
    assert_close(bn(x), ref(tt(x, False)))
    assert bn.num_batches_tracked == 5  # eval does not count batches


def test_batchnorm_cumulative_average_is_plain_mean():
    # momentum=None: running_mean is the equal-weight mean of all batch means
    bn = BatchNorm1d(2, momentum=None)
    xs = [rand(k, 4, 2) + k for k in range(3)]
    for x in xs:
        bn(x)
    assert_close(bn.running_mean, np.mean([x.mean(0) for x in xs], axis=0))
    # running_var starts at ones and is averaged in with weight 1/k from batch 1 on
    assert_close(bn.running_var, np.mean([x.var(0, ddof=1) for x in xs], axis=0))


def test_batchnorm_eval_backward_is_affine_and_single_sample_ok():
    bn, ref = _twin_bn(3, 1e-3, 0.1, 4)
    bn(rand(0, 10, 3))
    ref(tt(rand(0, 10, 3), False))
    bn.eval(), ref.eval()
    _forward_backward_both(bn, ref, rand(1, 1, 3), rand(2, 1, 3))  # N=1 is fine in eval


def test_batchnorm_errors():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"x must have at least 2 samples .* in training mode; "
                                         r"got shape \(1, 3\)"):
        bn(np.ones((1, 3)))
    assert bn.num_batches_tracked == 0 and np.all(bn.running_var == 1)  # untouched
    with pytest.raises(ValueError, match=r"x must have 3 features .* got shape \(4, 2\)"):
        bn(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"x must be a 2-D array; got shape \(4, 3, 2\)"):
        bn(np.ones((4, 3, 2)))
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        bn(np.array([[1.0, 2.0, np.nan], [0.0, 1.0, 2.0]]))
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"momentum must be a finite real number in "
                                             r"\[0.0, 1.0\]"):
            BatchNorm1d(3, momentum=bad)
    with pytest.raises(ValueError, match=r"eps must be a finite real number in \(0.0, inf\); "
                                         r"got -1e-05"):
        BatchNorm1d(3, eps=-1e-5)
    with pytest.raises(ValueError, match="num_features must be an integer >= 1; got 0"):
        BatchNorm1d(0)
    with pytest.raises(RuntimeError, match="forward must run first"):
        BatchNorm1d(3).backward(np.ones((2, 3)))


def test_batchnorm_names_and_state_match_torch():
    bn = BatchNorm1d(3, momentum=None)
    ref = torch.nn.BatchNorm1d(3, momentum=None)
    assert [n for n, _ in bn.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert list(bn.state_dict()) == list(ref.state_dict())
    assert repr(bn) == "BatchNorm1d(3, eps=1e-05, momentum=None)"


@FAST
@given(lead=st.sampled_from([(1,), (2,), (6,), (2, 3)]), d=st.sampled_from([1, 2, 5, 64]),
       seed=seeds, train=st.booleans())
def test_layernorm_module_matches_torch(lead, d, seed, train):
    ln = LayerNorm(d)
    ln.weight.data[:] = rand(seed, d)
    ln.bias.data[:] = rand(seed + 1, d)
    ref = torch.nn.LayerNorm(d, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ln.weight.data))
        ref.bias.copy_(torch.from_numpy(ln.bias.data))
    ln.train(train), ref.train(train)  # same in both modes
    _forward_backward_both(ln, ref, rand(seed + 2, *lead, d) * 3, rand(seed + 3, *lead, d))


def test_layernorm_is_independent_of_the_batch_and_mode():
    ln = LayerNorm((4,), eps=1e-6)
    assert ln.normalized_shape == (4,)
    x = rand(0, 5, 4)
    full = ln(x)
    assert_close(ln(x[2:3]), full[2:3])
    assert_close(ln.eval()(x), full)
    assert repr(ln) == "LayerNorm((4,), eps=1e-06)"


def test_layernorm_errors():
    with pytest.raises(ValueError, match=r"normalized_shape must be an int or a tuple of one "
                                         r"int .*; got \(2, 3\)"):
        LayerNorm((2, 3))
    with pytest.raises(ValueError, match="normalized_shape must be an integer >= 1; got 0"):
        LayerNorm(0)
    with pytest.raises(ValueError, match=r"eps must be a finite real number in \(0.0, inf\)"):
        LayerNorm(3, eps=0.0)
    ln = LayerNorm(3)
    with pytest.raises(ValueError, match=r"x must have 3 features .* got shape \(2, 4\)"):
        ln(np.ones((2, 4)))
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        ln(np.array([1.0, np.inf, 0.0]))
    with pytest.raises(RuntimeError, match="forward must run first"):
        ln.backward(np.ones(3))


# ------------------------------------------- needs_input_grad and float32
@pytest.mark.parametrize("make", [lambda: BatchNorm1d(5), lambda: LayerNorm(5)])
@pytest.mark.parametrize("train", [True, False])
def test_norm_backward_without_input_grad(make, train):
    full, skip = make().train(train), make().train(train)
    x, dout = rand(0, 6, 5), rand(1, 6, 5)
    assert_input_grad_can_be_skipped(full, skip, x, dout)
    with pytest.raises(ValueError, match="needs_input_grad must be a bool"):
        skip.backward(dout, needs_input_grad=None)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("cls, tcls", [(BatchNorm1d, torch.nn.BatchNorm1d),
                                       (LayerNorm, torch.nn.LayerNorm)])
def test_norms_in_float32_match_torch_float32(cls, tcls, train):
    m = cls(8).to(np.float32).train(train)
    m.weight.data[:] = rand(3, 8)
    m.bias.data[:] = rand(4, 8)
    ref = tcls(8).train(train)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(m.weight.data))
        ref.bias.copy_(torch.from_numpy(m.bias.data))
    x, dout = rand(0, 16, 8).astype(np.float32), rand(1, 16, 8).astype(np.float32)
    for _ in range(2):  # the second pass in eval mode uses the updated running statistics
        xt = torch.tensor(x, requires_grad=True)
        ot = ref(xt)
        ot.backward(torch.from_numpy(dout))
        out = m(x)
        dx = m.backward(dout)
        assert out.dtype == dx.dtype == np.float32
        np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(m.weight.grad, ref.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
        for name, b in m.named_buffers():
            if np.asarray(b).dtype.kind == "f":
                assert b.dtype == np.float32
                np.testing.assert_allclose(b, getattr(ref, name).numpy(), rtol=1e-5)
