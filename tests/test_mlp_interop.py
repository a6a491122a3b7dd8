"""MLP against its to_torch twin, and the regcore <-> torch.nn round trips."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from _helpers import FAST, assert_close, rand, tt
from regcore import (MLP, SGD, BatchNorm1d, Dropout, LayerNorm, Linear, Module, ReLU,
                     Sequential)
from regcore import functional as F
from regcore.interop import from_torch, to_torch

nn = torch.nn


@FAST
@given(sizes=st.sampled_from([[3, 2], [1, 4, 1], [5, 8, 6, 3], [4, 64, 2]]),
       activation=st.sampled_from(["relu", "tanh"]),
       norm=st.sampled_from([None, "batch", "layer"]), n=st.integers(2, 8),
       train=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_mlp_forward_and_every_gradient_match_torch(sizes, activation, norm, n, train, seed):
    model = MLP(sizes, activation=activation, norm=norm, rng=np.random.default_rng(seed))
    for _, m in model.named_modules():  # non-trivial gamma/beta so their gradients matter
        if isinstance(m, (BatchNorm1d, LayerNorm)):
            m.weight.data[:] = rand(seed, m.weight.data.size)
            m.bias.data[:] = rand(seed + 1, m.bias.data.size)
    model.train(train)
    twin = to_torch(model)
    assert twin.training == train and isinstance(twin, nn.Sequential)
    x = rand(seed + 2, n, sizes[0])
    y = np.random.default_rng(seed).integers(0, sizes[-1], n)
    logits = model(x)
    loss, dlogits = F.cross_entropy(logits, y)
    dx = model.backward(dlogits)
    xt = tt(x)
    logits_t = twin(xt)
    loss_t = TF.cross_entropy(logits_t, torch.tensor(y))
    loss_t.backward()
    assert_close(logits, logits_t, "logits")
    assert_close(loss, loss_t, "loss")
    assert_close(dx, xt.grad, "dx")
    ours, theirs = dict(model.named_parameters()), dict(twin.named_parameters())
    assert list(ours) == list(theirs)
    for name in ours:
        assert_close(ours[name].grad, theirs[name].grad, name)
    for name, buf in twin.named_buffers():  # BN running statistics after the same batch
        assert_close(model.state_dict()[name], buf, name)


def test_mlp_layer_structure_and_names():
    m = MLP([4, 8, 8, 3], norm="batch", dropout=0.2, rng=np.random.default_rng(0))
    assert isinstance(m, Sequential)
    assert [type(x).__name__ for x in m] == ["Linear", "BatchNorm1d", "ReLU", "Dropout",
                                             "Linear", "BatchNorm1d", "ReLU", "Dropout",
                                             "Linear"]
    ref = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(8, 3))
    assert list(m.state_dict()) == list(ref.state_dict())
    assert [type(x).__name__ for x in MLP([2, 3, 1], activation="tanh", norm="layer")] == \
        ["Linear", "LayerNorm", "Tanh", "Linear"]
    a = MLP([3, 5, 2], rng=np.random.default_rng(1)).state_dict()
    b = MLP([3, 5, 2], rng=np.random.default_rng(1)).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_mlp_with_dropout_matches_torch_in_eval_and_differs_in_train():
    m = MLP([5, 16, 16, 2], norm="layer", dropout=0.5, rng=np.random.default_rng(0))
    twin = to_torch(m.eval())
    x = rand(1, 6, 5)
    assert_close(m(x), twin(tt(x, False)))
    m.train()
    assert not np.allclose(m(x), m(x))  # fresh masks each call


def test_batchnorm_buffers_track_torch_over_training_steps():
    m = MLP([3, 6, 2], norm="batch", rng=np.random.default_rng(0))
    m[1].momentum = None
    twin = to_torch(m)
    assert twin[1].momentum is None
    for k in range(4):
        x = rand(k, 5, 3)
        m(x)
        twin(tt(x, False))
    for name, buf in twin.named_buffers():
        assert_close(m.state_dict()[name], buf, name)
    assert twin[1].num_batches_tracked.item() == m[1].num_batches_tracked == 4


def test_from_torch_round_trip():
    torch.manual_seed(0)
    ref = nn.Sequential(nn.Linear(4, 7), nn.BatchNorm1d(7, momentum=None), nn.Tanh(),
                        nn.Dropout(0.3), nn.Linear(7, 5), nn.LayerNorm(5, eps=1e-4),
                        nn.ReLU(), nn.Linear(5, 2, bias=False))  # float32 on purpose
    ref(torch.randn(8, 4))  # running statistics and num_batches_tracked = 1
    ref.eval()
    model = from_torch(ref, rng=np.random.default_rng(0))
    assert not model.training and isinstance(model[3], Dropout) and model[3].p == 0.3
    assert model[1].momentum is None and model[5].eps == 1e-4 and model[7].bias is None
    sd = model.state_dict()
    for k, v in ref.state_dict().items():
        assert sd[k].dtype == (np.float64 if v.is_floating_point() else np.int64)
        np.testing.assert_array_equal(sd[k], v.double().numpy() if v.is_floating_point()
                                      else v.numpy())
    x = rand(0, 3, 4)
    assert_close(model(x), ref.double()(tt(x, False)))
    back = to_torch(model)
    for k, v in back.state_dict().items():
        assert torch.equal(v, ref.state_dict()[k])
    again = from_torch(back)
    assert all(np.array_equal(v, again.state_dict()[k]) for k, v in sd.items())
    single = from_torch(nn.Linear(3, 2, dtype=torch.float64))
    assert isinstance(single, Linear) and single.training
    assert isinstance(to_torch(ReLU()), nn.ReLU)


def test_mlp_argument_errors():
    with pytest.raises(ValueError, match=r"sizes must be a list of at least 2 positive ints"):
        MLP([3])
    with pytest.raises(ValueError, match=r"sizes must be a list .*; got 5"):
        MLP(5)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be an integer >= 1; got 0"):
        MLP([3, 0, 2])
    with pytest.raises(ValueError, match=r"sizes\[0\] must be an integer >= 1; got 2.0"):
        MLP([2.0, 3])
    with pytest.raises(ValueError, match=r"activation must be one of \('relu', 'tanh'\); "
                                         r"got 'sigmoid'"):
        MLP([2, 3], activation="sigmoid")
    with pytest.raises(ValueError, match=r"norm must be one of \(None, 'batch', 'layer'\); "
                                         r"got 'group'"):
        MLP([2, 3], norm="group")
    for p in (1.0, -0.1):
        with pytest.raises(ValueError, match=r"dropout must be a finite real number in "
                                             r"\[0.0, 1.0\)"):
            MLP([2, 3], dropout=p)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        MLP([2, 3], rng=42)


def test_interop_errors():
    class Custom(Module):
        pass

    with pytest.raises(ValueError, match=r"model\[1\] is a Custom, which to_torch cannot "
                                         r"convert; supported: Sequential"):
        to_torch(Sequential(ReLU(), Custom()))
    with pytest.raises(ValueError, match="model must be a regcore Module; got Linear"):
        to_torch(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"module\[0\] is a Sigmoid, which from_torch cannot"):
        from_torch(nn.Sequential(nn.Sigmoid()))
    with pytest.raises(ValueError, match="without affine parameters or running statistics"):
        from_torch(nn.BatchNorm1d(3, affine=False))
    with pytest.raises(ValueError, match=r"LayerNorm over \(2, 3\)"):
        from_torch(nn.LayerNorm((2, 3)))
    with pytest.raises(ValueError, match="module must be a torch.nn.Module; got Linear"):
        from_torch(Linear(2, 2))


def test_import_regcore_does_not_import_torch():
    code = ("import sys, regcore, regcore.functional, regcore.mlp, regcore.gradcheck, "
            "regcore.interop; regcore.MLP([2, 3]); assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------- float32
@pytest.mark.parametrize("norm, dropout", [(None, 0.0), ("batch", 0.0), ("layer", 0.0),
                                           (None, 0.5)])
def test_float32_training_step_matches_torch_float32(norm, dropout):
    rng = np.random.default_rng(0)
    model = MLP([12, 32, 16, 4], norm=norm, dropout=dropout, rng=rng).to(np.float32)
    if dropout:
        model.eval()  # the two libraries draw different masks: compare the deterministic map
    twin = to_torch(model)
    assert all(p.dtype == torch.float32 for p in twin.parameters())
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    x = rng.standard_normal((16, 12)).astype(np.float32)
    y = rng.integers(0, 4, 16)
    for _ in range(3):
        opt.zero_grad()
        logits = model(x)
        loss, dlogits = F.cross_entropy(logits, y)
        dx = model.backward(dlogits)
        opt.step()
        topt.zero_grad()
        xt = torch.tensor(x, requires_grad=True)
        tloss = TF.cross_entropy(twin(xt), torch.from_numpy(y))
        tloss.backward()
        topt.step()
        assert logits.dtype == dlogits.dtype == dx.dtype == np.float32
        np.testing.assert_allclose(loss, tloss.item(), rtol=1e-5)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
        for (name, p), tp in zip(model.named_parameters(), twin.parameters()):
            assert p.data.dtype == p.grad.dtype == np.float32, name
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=name)
    for name, b in model.named_buffers():
        assert np.asarray(b).dtype == (np.int64 if "num_batches" in name else np.float32)


def test_to_torch_follows_the_model_dtype_and_from_torch_gives_float64():
    model = MLP([3, 4, 2], norm="batch", rng=np.random.default_rng(0))
    assert to_torch(model)[0].weight.dtype == torch.float64
    assert to_torch(model.float())[1].running_var.dtype == torch.float32
    back = from_torch(to_torch(model))
    assert back[0].weight.data.dtype == np.float64
    np.testing.assert_array_equal(back[0].weight.data, model[0].weight.data)
