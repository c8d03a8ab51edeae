"""Bad input gets a clear error naming what was expected, raised before any computation.

And training that blows up stops with an error naming the step, keeping the last finite parameters.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from flowlib import (
    IAF,
    MADE,
    MAF,
    AdditiveCoupling,
    AffineCoupling,
    Flow,
    Permutation,
    Reverse,
    Scaling,
    StandardNormal,
    bits_per_dim,
    digits_data,
    fit,
    fit_reverse_kl,
    make_iaf,
    make_maf,
    make_nice,
    make_realnvp,
    target_log_prob,
    toy_data,
    toy_entropy,
    toy_log_prob,
)

LAYERS = {
    "AdditiveCoupling": AdditiveCoupling, "Scaling": Scaling, "AffineCoupling": AffineCoupling,
    "Permutation": Permutation, "Reverse": Reverse, "MAF": MAF, "IAF": IAF,
}
NEEDS_TWO_DIMS = {"AdditiveCoupling": AdditiveCoupling, "AffineCoupling": AffineCoupling, "MADE": MADE, "MAF": MAF, "IAF": IAF}
BUILDERS = (make_nice, make_realnvp, make_maf, make_iaf)

# (bad input, exception, message): each message names what was expected, for a layer of dim 3.
BAD_POINTS = {
    "wrong last dimension": (torch.zeros(4, 5), ValueError, r"expected {name} of shape \(B, 3\), got last dimension 5"),
    "a single point, not a batch": (torch.zeros(3), ValueError,
                                    r"expected {name} of shape \(B, 3\) \(a 2-D batch\), got shape \(3,\)"),
    "an image batch": (torch.zeros(4, 1, 3), ValueError,
                       r"expected {name} of shape \(B, 3\) \(a 2-D batch\), got shape \(4, 1, 3\)"),
    "integer dtype": (torch.zeros(4, 3, dtype=torch.long), TypeError,
                      r"expected a floating-point {name} \(float32 or float64\), got dtype torch.int64; "
                      r"convert with {name}.float\(\)"),
    "a numpy array": (torch.zeros(4, 3).numpy(), TypeError,
                      r"expected {name} to be a torch.Tensor of shape \(B, 3\), got ndarray"),
}


class ComputeCounter:
    """Counts calls of every submodule (networks, linear layers) of a module: 0 means no computation ran."""

    def __init__(self, module: nn.Module):
        self.calls = 0
        self.handles = [m.register_forward_pre_hook(self._count) for m in module.modules() if m is not module]

    def _count(self, *args):
        self.calls += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()


@pytest.mark.parametrize("case", BAD_POINTS)
@pytest.mark.parametrize("name", LAYERS)
def test_layers_reject_bad_points_before_computing(name, case):
    layer = LAYERS[name](3)
    bad, error, message = BAD_POINTS[case]
    for method, arg in (("forward", "z"), ("inverse", "x")):
        with ComputeCounter(layer) as counter, pytest.raises(error, match=f"{name}.{method}: " + message.format(name=arg)):
            getattr(layer, method)(bad)
        assert counter.calls == 0


@pytest.mark.parametrize("case", BAD_POINTS)
def test_flows_made_and_densities_reject_bad_points(case):
    bad, error, message = BAD_POINTS[case]
    flow = make_maf(3, layers=2, hidden=(8,))
    calls = {
        "Flow.forward": (flow.forward, "z"), "Flow.inverse": (flow.inverse, "x"), "Flow.log_prob": (flow.log_prob, "x"),
        "Flow.forward_steps": (flow.forward_steps, "z"), "Flow.inverse_steps": (flow.inverse_steps, "x"),
        "StandardNormal.log_prob": (StandardNormal(3).log_prob, "z"), "MADE": (MADE(3), "x"),
    }
    for who, (fn, arg) in calls.items():
        with ComputeCounter(flow) as counter, pytest.raises(error, match=f"{who}: " + message.format(name=arg)):
            fn(bad)
        assert counter.calls == 0, who


@pytest.mark.parametrize("who", ("toy_log_prob", "target_log_prob"))
def test_densities_of_the_toys_reject_bad_points(who):
    fn = {"toy_log_prob": lambda x: toy_log_prob("ring", x), "target_log_prob": lambda x: target_log_prob("banana", x)}[who]
    with pytest.raises(ValueError, match=rf"{who}: expected x of shape \(B, 2\), got last dimension 3"):
        fn(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=rf"{who}: expected x of shape \(B, 2\) \(a 2-D batch\), got shape \(2,\)"):
        fn(torch.zeros(2))
    with pytest.raises(TypeError, match=rf"{who}: expected a floating-point x"):
        fn(torch.zeros(4, 2, dtype=torch.int64))


@pytest.mark.parametrize("dim", (1, 0, -2))
@pytest.mark.parametrize("name", NEEDS_TWO_DIMS)
def test_couplings_and_autoregressive_layers_need_two_dims(name, dim):
    with pytest.raises(ValueError, match=rf"{name}: dim must be >= 2 .*, got dim={dim}"):
        NEEDS_TWO_DIMS[name](dim)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_builders_need_two_dims(builder):
    with pytest.raises(ValueError, match=r"dim must be >= 2 \(a coupling or autoregressive layer changes some coordinates "
                                         r"as a function of the others, so it needs at least two\), got dim=1"):
        builder(1)


@pytest.mark.parametrize("name", LAYERS)
def test_dim_must_be_an_int(name):
    with pytest.raises(TypeError, match=rf"{name}: dim must be an int, got float \(3.0\)"):
        LAYERS[name](3.0)
    least = 1 if name in ("Scaling", "Permutation", "Reverse") else 2
    with pytest.raises(ValueError, match=rf"{name}: dim must be >= {least}\b.*, got dim=0"):
        LAYERS[name](0)


def test_bad_masks_permutations_and_widths():
    with pytest.raises(ValueError, match=r"AffineCoupling: mask must keep between 1 and 2 coordinates \(1 <= d < n\), "
                                         r"it keeps 3"):
        AffineCoupling(3, mask=torch.ones(3))
    with pytest.raises(ValueError, match=r"AdditiveCoupling: mask must be a 0/1 tensor of shape \(3,\), got \[1.0, 0.5, 0.0\]"):
        AdditiveCoupling(3, mask=torch.tensor([1, 0.5, 0]))
    with pytest.raises(ValueError, match=r"AffineCoupling: mask must be a 0/1 tensor of shape \(3,\)"):
        AffineCoupling(3, mask=torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"Permutation: perm must hold each of 0..2 once, got \[0, 0, 1\]"):
        Permutation(3, perm=[0, 0, 1])
    with pytest.raises(ValueError, match=r"MADE: hidden must name at least one hidden layer width"):
        MADE(3, hidden=())
    with pytest.raises(ValueError, match=r"Flow: layer 0 \(Scaling\) has dim 2, the base has dim 3"):
        Flow(StandardNormal(3), [Scaling(2)])
    with pytest.raises(ValueError, match=r"StandardNormal.sample: n must be a non-negative int, got 2.5"):
        make_maf(2).sample(2.5)


# ---------------------------------------------------------------- the training loops


def two_d_flow() -> Flow:
    torch.manual_seed(0)
    return make_realnvp(2, layers=2, hidden=(8,))


def snapshot(flow: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in flow.parameters()]


def unchanged(flow: nn.Module, before: list[torch.Tensor]) -> bool:
    return all(torch.equal(p, q) for p, q in zip(flow.parameters(), before))


@pytest.mark.parametrize("bad", (math.nan, math.inf, -math.inf))
def test_fit_rejects_data_with_nan_or_inf_before_training(bad):
    flow = two_d_flow()
    data = toy_data("ring", 100)
    data[[7, 42], 1] = bad
    before = snapshot(flow)
    with ComputeCounter(flow) as counter, pytest.raises(ValueError, match=r"fit: data must be finite, but 2 of its 100 rows "
                                                                          r"hold NaN or inf \(the first: row 7\)"):
        fit(flow, data, steps=5, progress=False)
    assert counter.calls == 0 and unchanged(flow, before)


@pytest.mark.parametrize(("data", "error", "message"), [
    (torch.zeros(10, 3), ValueError, r"fit: expected data of shape \(B, 2\), got last dimension 3"),
    (torch.zeros(10, 2, dtype=torch.int32), TypeError, r"fit: expected a floating-point data .* got dtype torch.int32"),
    (torch.zeros(2), ValueError, r"fit: expected data of shape \(B, 2\) \(a 2-D batch\)"),
    (torch.zeros(0, 2), ValueError, r"fit: data has no rows"),
    (torch.zeros(10, 2, dtype=torch.float64), ValueError,
     r"fit: data is torch.float64 on cpu, but the flow's parameters are torch.float32 on cpu; move one to the other"),
])
def test_fit_rejects_bad_data(data, error, message):
    flow = two_d_flow()
    before = snapshot(flow)
    with ComputeCounter(flow) as counter, pytest.raises(error, match=message):
        fit(flow, data, steps=5, progress=False)
    assert counter.calls == 0 and unchanged(flow, before)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"steps": -1}, ValueError, r"fit: steps must be an int >= 0, got -1"),
    ({"steps": 10.0}, ValueError, r"fit: steps must be an int >= 0, got 10.0"),
    ({"batch_size": 0}, ValueError, r"fit: batch_size must be an int >= 1, got 0"),
    ({"lr": 0.0}, ValueError, r"fit: lr must be a positive finite number such as 1e-3, got 0.0"),
    ({"lr": math.nan}, ValueError, r"fit: lr must be a positive finite number"),
    ({"lr": "1e-3"}, ValueError, r"fit: lr must be a positive finite number .* got '1e-3'"),
    ({"callback": "print"}, TypeError, r"fit: callback must be a function callback\(step, flow\) or None, got str"),
])
def test_fit_rejects_a_bad_budget(kwargs, error, message):
    flow = two_d_flow()
    with ComputeCounter(flow) as counter, pytest.raises(error, match=message):
        fit(flow, toy_data("ring", 100), progress=False, **{"steps": 5, **kwargs})
    assert counter.calls == 0


def test_fit_needs_something_to_train():
    with pytest.raises(ValueError, match=r"fit: the flow has no trainable parameters"):
        fit(Flow(StandardNormal(2), [Reverse(2)]), toy_data("ring", 10), steps=3, progress=False)


def test_fit_reverse_kl_rejects_a_target_of_the_wrong_shape_before_any_update():
    flow = two_d_flow()
    before = snapshot(flow)
    with pytest.raises(ValueError, match=r"fit_reverse_kl: target_log_prob must return a tensor of shape \(16,\), "
                                         r"one log-density per point, got \(16, 1\)"):
        fit_reverse_kl(flow, lambda x: -x.pow(2).sum(-1, keepdim=True), steps=5, batch_size=16, progress=False)
    assert unchanged(flow, before)
    with pytest.raises(TypeError, match=r"fit_reverse_kl: target_log_prob must be a function"):
        fit_reverse_kl(flow, "banana", steps=5, progress=False)
    with pytest.raises(ValueError, match=r"fit_reverse_kl: batch_size must be an int >= 1, got -3"):
        fit_reverse_kl(flow, lambda x: target_log_prob("banana", x), batch_size=-3, progress=False)


def test_a_loss_that_becomes_nan_stops_training_and_keeps_the_last_finite_parameters():
    """A NaN injected into a parameter after step 3 makes step 4's loss NaN."""
    flow = two_d_flow()
    seen = {}

    def callback(step, flow):
        seen[step] = snapshot(flow)  # the parameters the next step evaluates its loss at
        if step == 3:
            with torch.no_grad():
                next(flow.parameters())[0] = math.nan

    with pytest.raises(FloatingPointError, match=r"fit: the loss became nan at step 4 \(of 10\); the parameters of the last "
                                                 r"finite step were restored. Try a smaller learning rate than lr=0.01"):
        fit(flow, toy_data("ring", 256), steps=10, lr=0.01, callback=callback, progress=False)
    assert all(torch.isfinite(p).all() for p in flow.parameters())
    assert unchanged(flow, seen[2])  # step 3's loss was the last finite one, evaluated after step 2's update
    assert not unchanged(flow, seen[1])


def test_a_learning_rate_that_is_far_too_large_blows_up_with_a_clear_error():
    """x = z e^s fitted to data of std 0.1: Adam's first step moves s by -lr = -1000 and e^{1000} overflows."""
    flow = Flow(StandardNormal(2), [Scaling(2)])
    with pytest.raises(FloatingPointError, match=r"fit: the loss became inf at step 1 \(of 50\).*"
                                                 r"smaller learning rate than lr=1000"):
        fit(flow, 0.1 * torch.randn(500, 2), steps=50, lr=1000.0, progress=False)
    assert torch.equal(flow.layers[0].s, torch.zeros(2))  # back at the parameters of step 0, the last finite loss


def test_fit_reverse_kl_stops_on_a_nan_target():
    flow = two_d_flow()
    before = snapshot(flow)
    with pytest.raises(FloatingPointError, match=r"fit_reverse_kl: the loss became nan at step 0 \(of 5\)"):
        fit_reverse_kl(flow, lambda x: x[:, 0] * math.nan, steps=5, batch_size=8, progress=False)
    assert unchanged(flow, before)


# ---------------------------------------------------------------- datasets


def test_dataset_arguments():
    with pytest.raises(ValueError, match=r"toy_data: unknown toy 'spiral'; expected one of \('moons', 'ring', 'checkerboard'"):
        toy_data("spiral", 10)
    with pytest.raises(ValueError, match=r"toy_data: n must be an int >= 0, got -5"):
        toy_data("ring", -5)
    with pytest.raises(ValueError, match=r"toy_log_prob: the log-density of 'moons' is not known in closed form"):
        toy_log_prob("moons", torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"toy_entropy: the entropy is known for 'ring'.*'checkerboard'.* only, got 'moons'"):
        toy_entropy("moons")
    with pytest.raises(ValueError, match=r"target_log_prob: unknown target 'donut'; expected one of"):
        target_log_prob("donut", torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"digits_data: n_test must be an int from 1 to 1796, got 1797"):
        digits_data(n_test=1797)
    with pytest.raises(ValueError, match=r"bits_per_dim: log_prob must be a non-empty tensor of shape \(B,\), "
                                         r"one log p\(x\) per image, got \(4, 1\)"):
        bits_per_dim(torch.zeros(4, 1), dim=64)
    with pytest.raises(ValueError, match=r"bits_per_dim: dim must be an int >= 1, got 0"):
        bits_per_dim(torch.zeros(4), dim=0)
