"""Parameter, Module and Sequential: registration, modes, gradients and state."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from _helpers import assert_close, assert_input_grad_can_be_skipped, rand
from regcore import BatchNorm1d, Dropout, Linear, Module, Parameter, ReLU, Sequential


def _net(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(Linear(3, 4, rng=rng), BatchNorm1d(4), ReLU(), Dropout(0.5, rng=rng),
                      Linear(4, 2, rng=rng))


def _torch_net() -> torch.nn.Sequential:
    nn = torch.nn
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4, 2))


def test_parameter_is_a_float64_copy_with_no_grad():
    src = np.arange(3)
    p = Parameter(src)
    assert p.data.dtype == np.float64 and p.grad is None and p.shape == (3,)
    p.data[0] = 7
    assert src[0] == 0
    assert repr(p) == "Parameter(shape=(3,))"


def test_names_and_order_match_torch():
    net, ref = _net(), _torch_net()
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert list(net.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert net.parameters()[0] is net[0].weight and len(net.parameters()) == 6


def test_train_eval_recurse_and_return_self():
    net = _net()
    assert net.eval() is net
    assert not any(m.training for _, m in net.named_modules())
    assert net.train() is net and all(m.training for _, m in net.named_modules())
    assert net.train(False) is net and not net[3].training
    with pytest.raises(ValueError, match="mode must be a bool; got 'yes'"):
        net.train("yes")


def test_zero_grad_sets_none_like_torch_default():
    net = _net()
    net(rand(0, 5, 3))
    net.backward(rand(1, 5, 2))
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_sequential_gradient_accumulation_and_chain():
    net = _net().eval()  # deterministic: dropout off, BN uses running stats
    x, dout = rand(0, 5, 3), rand(1, 5, 2)
    net(x)
    dx1 = net.backward(dout)
    g1 = [p.grad.copy() for p in net.parameters()]
    dx2 = net.backward(dout)
    assert_close(dx1, dx2)
    for p, g in zip(net.parameters(), g1):
        assert_close(p.grad, 2 * g)
    # the chain equals applying the layers one by one
    h = x
    for m in net:
        h = m(h)
    assert_close(net(x), h)


def test_sequential_container_protocol():
    net = _net()
    assert len(net) == 5 and isinstance(net[-1], Linear)
    assert [type(m).__name__ for m in net] == ["Linear", "BatchNorm1d", "ReLU", "Dropout",
                                               "Linear"]
    head = net[:2]
    assert isinstance(head, Sequential) and len(head) == 2 and head[0] is net[0]
    assert repr(net).startswith("Sequential(\n  (0): Linear(in_features=3")
    with pytest.raises(ValueError, match=r"modules\[1\] must be a regcore Module; got int"):
        Sequential(ReLU(), 3)
    with pytest.raises(RuntimeError, match="forward must run first"):
        _net().backward(np.ones((2, 2)))


def test_state_dict_is_a_copy_and_includes_buffers():
    net = _net()
    net(rand(0, 6, 3))
    sd = net.state_dict()
    assert sd["1.num_batches_tracked"].dtype == np.int64 and sd["1.num_batches_tracked"] == 1
    sd["0.weight"][:] = 0.0
    sd["1.running_mean"][:] = 0.0
    assert not np.all(net[0].weight.data == 0) and not np.all(net[1].running_mean == 0)
    before = net.state_dict()
    net[0].weight.data += 1.0
    assert not np.allclose(before["0.weight"], net[0].weight.data)


def test_load_state_dict_restores_parameters_and_buffers():
    net = _net(0)
    net(rand(0, 6, 3))
    saved = net.state_dict()
    other = _net(1)
    other.load_state_dict(saved)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, saved[k])
    assert other[1].num_batches_tracked == 1 and isinstance(other[1].num_batches_tracked, int)
    saved["1.running_var"][:] = 5.0  # the loaded values are copies, not views
    assert not np.any(other[1].running_var == 5.0)
    # torch's state_dict (as arrays) loads too
    ref = _torch_net().double()
    ref.train()(torch.randn(4, 3, dtype=torch.float64))
    other.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    assert_close(other[1].running_mean, ref[1].running_mean)
    assert_close(other[4].bias.data, ref[4].bias)


def test_load_state_dict_errors_leave_module_unchanged():
    net = _net()
    sd = net.state_dict()
    missing = dict(sd)
    del missing["1.running_var"]
    with pytest.raises(ValueError, match=r"missing \['1.running_var'\], unexpected \[\]"):
        net.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['9.weight'\]"):
        net.load_state_dict({**sd, "9.weight": np.ones(2)})
    bad = {**sd, "0.weight": np.zeros((3, 4)), "0.bias": np.zeros(4) + 9}
    with pytest.raises(ValueError, match=r"state_dict\['0.weight'\] must have shape \(4, 3\); "
                                         r"got shape \(3, 4\)"):
        net.load_state_dict(bad)
    assert not np.any(net[0].bias.data == 9)  # nothing was loaded
    with pytest.raises(ValueError, match="state_dict must be a dict; got list"):
        net.load_state_dict([])


def test_custom_module_registers_attributes_like_torch():
    class Affine(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(2))
            self.inner = Linear(2, 2, rng=np.random.default_rng(0))
            self.register_buffer("count", 0)
            self.note = "not state"

        def forward(self, x):
            self.count = self.count + 1
            return self.inner(x) * self.scale.data

    m = Affine()
    assert [n for n, _ in m.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    m(np.ones((1, 2)))
    assert list(m.state_dict()) == ["scale", "count", "inner.weight", "inner.bias"]
    assert m.state_dict()["count"] == 1
    with pytest.raises(NotImplementedError, match="Affine does not implement backward"):
        m.backward(np.ones((1, 2)))
    with pytest.raises(NotImplementedError, match="Module does not implement forward"):
        Module()(np.ones(2))


# ------------------------------------------------ needs_input_grad=False
class _Scale(Module):
    """A custom module written without the needs_input_grad keyword."""

    def __init__(self):
        super().__init__()
        self.s = Parameter(np.full(3, 2.0))

    def forward(self, x):
        self._cache = x
        return x * self.s.data

    def backward(self, grad_out):
        self.s.grad = (grad_out * self._cache).sum(axis=0)
        return grad_out * self.s.data


def test_sequential_backward_without_input_grad():
    full, skip = _net().eval(), _net().eval()
    x, dout = rand(0, 5, 3), rand(1, 5, 2)
    assert_input_grad_can_be_skipped(full, skip, x, dout)
    with pytest.raises(ValueError, match="needs_input_grad must be a bool .*; got 0"):
        skip.backward(dout, needs_input_grad=0)
    empty = Sequential()
    assert empty.backward(dout) is dout and empty.backward(dout, needs_input_grad=False) is None


def test_custom_module_without_the_keyword_still_works_first_in_a_sequential():
    net = Sequential(_Scale(), Linear(3, 2, rng=np.random.default_rng(0)))
    x, dout = rand(0, 4, 3), rand(1, 4, 2)
    net(x)
    dx = net.backward(dout)
    g = net[0].s.grad.copy()
    assert dx.shape == x.shape
    assert net.backward(dout, needs_input_grad=False) is None
    np.testing.assert_array_equal(net[0].s.grad, g)


# ------------------------------------------------------------ dtype: to()
def test_parameter_keeps_float32_and_converts_the_rest_to_float64():
    assert Parameter(np.ones(2, dtype=np.float32)).data.dtype == np.float32
    assert Parameter(np.ones(2, dtype=np.float16)).data.dtype == np.float64
    assert Parameter([1, 2]).data.dtype == np.float64


def test_to_converts_parameters_grads_and_float_buffers_in_place():
    net = _net()
    net(rand(0, 6, 3))
    net.backward(rand(1, 6, 2))
    params = net.parameters()
    before = net.state_dict()
    assert net.to(np.float32) is net
    assert all(a is b for a, b in zip(params, net.parameters()))  # the same Parameter objects
    assert all(p.data.dtype == p.grad.dtype == np.float32 for p in params)
    sd = net.state_dict()
    assert sd["1.running_mean"].dtype == np.float32 and sd["1.running_var"].dtype == np.float32
    assert sd["1.num_batches_tracked"].dtype == np.int64 and net[1].num_batches_tracked == 1
    for k, v in before.items():
        np.testing.assert_allclose(sd[k], v, rtol=1e-7)
    with pytest.raises(RuntimeError, match="forward must run first"):  # the cache is dropped
        net.backward(rand(1, 6, 2))
    assert net.double() is net and all(p.data.dtype == np.float64 for p in params)
    assert net.float()[0].weight.data.dtype == np.float32
    assert net.to("float64")[1].running_var.dtype == np.float64


@pytest.mark.parametrize("bad", [np.int32, "float16", None, "half", True, torch.float32])
def test_to_rejects_other_dtypes(bad):
    with pytest.raises(ValueError, match=r"dtype must be float32 or float64 .*; got "):
        _net().to(bad)
