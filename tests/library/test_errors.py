"""Bad input gets a clear error naming what was expected, raised before any computation.

And training that blows up stops with an error naming the step, keeping the last finite parameters.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from layer_registry import BUILDERS as BUILDER_FUNCTIONS
from layer_registry import LAYER_CLASSES, MIN_DIM, WITH_HIDDEN, perturbed
from torch import nn

from flowlib import (
    IAF,
    MADE,
    MAF,
    MLP,
    AdditiveCoupling,
    AffineCoupling,
    Flow,
    FlowlibError,
    MaskedLinear,
    Permutation,
    Reverse,
    Scaling,
    StandardNormal,
    bits_per_dim,
    channel_mask,
    check_layer,
    checkerboard_mask,
    count_parameters,
    coupling_mask,
    digits_data,
    distil,
    estimate_kl,
    fit,
    fit_reverse_kl,
    grid_points,
    jacobian,
    made_masks,
    make_iaf,
    make_maf,
    make_nice,
    make_realnvp,
    plot_density,
    plot_grid_warp,
    plot_layers,
    plot_matrix,
    soft_clamp,
    target_log_prob,
    toy_data,
    toy_entropy,
    toy_log_prob,
)

LAYERS = LAYER_CLASSES
NEEDS_TWO_DIMS = {name: cls for name, cls in {**LAYER_CLASSES, **WITH_HIDDEN}.items() if MIN_DIM[name] == 2}
BUILDERS = tuple(BUILDER_FUNCTIONS.values())

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
    fn = {"toy_log_prob": lambda x: toy_log_prob("eight_gaussians", x),
          "target_log_prob": lambda x: target_log_prob("banana", x)}[who]
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
    with pytest.raises(TypeError, match=r"StandardNormal.sample: n must be an int >= 0, got float \(2.5\)"):
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
    data = toy_data("eight_gaussians", 100)
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
    (torch.zeros(10, 2, dtype=torch.float64), TypeError,
     r"fit: expected data of dtype torch.float32 like the model's parameters, got torch.float64; "
     r"convert the points with data.to\(torch.float32\) or the model with .to\(torch.float64\)"),
])
def test_fit_rejects_bad_data(data, error, message):
    flow = two_d_flow()
    before = snapshot(flow)
    with ComputeCounter(flow) as counter, pytest.raises(error, match=message):
        fit(flow, data, steps=5, progress=False)
    assert counter.calls == 0 and unchanged(flow, before)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"steps": -1}, ValueError, r"fit: steps must be an int >= 0, got -1"),
    ({"steps": 10.0}, ValueError, r"fit: steps must be an int >= 0, got float \(10.0\)"),
    ({"batch_size": 0}, ValueError, r"fit: batch_size must be an int >= 1, got 0"),
    ({"lr": 0.0}, ValueError, r"fit: lr must be a positive finite number such as 1e-3, got 0.0"),
    ({"lr": math.nan}, ValueError, r"fit: lr must be a positive finite number"),
    ({"lr": "1e-3"}, ValueError, r"fit: lr must be a positive finite number .* got str \('1e-3'\)"),
    ({"callback": "print"}, TypeError, r"fit: callback must be a function callback\(step, flow\) or None, got str"),
])
def test_fit_rejects_a_bad_budget(kwargs, error, message):
    flow = two_d_flow()
    with ComputeCounter(flow) as counter, pytest.raises(error, match=message):
        fit(flow, toy_data("eight_gaussians", 100), progress=False, **{"steps": 5, **kwargs})
    assert counter.calls == 0


def test_fit_needs_something_to_train():
    with pytest.raises(ValueError, match=r"fit: the flow has no trainable parameters"):
        fit(Flow(StandardNormal(2), [Reverse(2)]), toy_data("eight_gaussians", 10), steps=3, progress=False)


def test_fit_reverse_kl_rejects_a_target_of_the_wrong_shape_before_any_update():
    flow = two_d_flow()
    before = snapshot(flow)
    with pytest.raises(ValueError, match=r"fit_reverse_kl: target_log_prob must return a tensor of shape \(16,\), "
                                         r"one log-density per point, on the flow's device cpu, got \(16, 1\)"):
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
        fit(flow, toy_data("eight_gaussians", 256), steps=10, lr=0.01, callback=callback, progress=False)
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
    with pytest.raises(FloatingPointError, match=r"fit_reverse_kl: the loss is nan at step 0, before any update, so the "
                                                 r"learning rate is not the cause"):
        fit_reverse_kl(flow, lambda x: x[:, 0] * math.nan, steps=5, batch_size=8, progress=False)
    assert unchanged(flow, before)


# ---------------------------------------------------------------- datasets


def test_dataset_arguments():
    with pytest.raises(ValueError, match=r"toy_data: unknown toy 'spiral'; expected one of "
                                         r"\('moons', 'eight_gaussians', 'checkerboard'"):
        toy_data("spiral", 10)
    with pytest.raises(ValueError, match=r"toy_data: n must be an int >= 0, got -5"):
        toy_data("eight_gaussians", -5)
    with pytest.raises(ValueError, match=r"toy_log_prob: the log-density of 'moons' is not known in closed form"):
        toy_log_prob("moons", torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"toy_entropy: the entropy is known for 'eight_gaussians'.*'checkerboard'.* only, "
                                         r"got 'moons'"):
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


# ---------------------------------------------------------------- dtype and device: one rule at every entry
# Points must have the dtype and device of the model's parameters; flowlib refuses others with a
# message naming the conversion, and never converts silently.

WITH_PARAMETERS = [name for name in LAYERS if name not in ("Permutation", "Reverse")]


@pytest.mark.parametrize("dtype", (torch.float64, torch.float16))
@pytest.mark.parametrize("name", WITH_PARAMETERS)
def test_layers_refuse_another_dtype_with_the_conversion(name, dtype):
    layer = LAYERS[name](3)
    for method, arg in (("forward", "z"), ("inverse", "x")):
        with ComputeCounter(layer) as counter, pytest.raises(
                FlowlibError, match=rf"{name}.{method}: expected {arg} of dtype torch.float32 like the model's parameters, "
                                    rf"got {dtype}; convert the points with {arg}.to\(torch.float32\) or the model with "
                                    rf"\.to\({dtype}\)"):
            getattr(layer, method)(torch.zeros(4, 3, dtype=dtype))
        assert counter.calls == 0


@pytest.mark.parametrize("name", WITH_PARAMETERS)
def test_layers_refuse_another_device(name):
    """The meta device stands for a GPU: a layer there, points on the CPU."""
    layer = LAYERS[name](3).to("meta")
    with pytest.raises(FlowlibError, match=rf"{name}.forward: expected z on meta like the model's parameters, got cpu; "
                                           r"move the points with z.to\('meta'\) or the model with .to\('cpu'\)"):
        layer(torch.zeros(4, 3))


@pytest.mark.parametrize("name", ("Permutation", "Reverse"))
def test_layers_without_parameters_keep_any_floating_dtype(name):
    for dtype in (torch.float16, torch.float64):
        x, log_det = LAYERS[name](3)(torch.randn(4, 3).to(dtype))
        assert x.dtype == log_det.dtype == dtype


def test_nice_never_returns_mixed_dtypes():
    """Before: float16 points through a float32 NICE came out as float32 x with a float16 log_det."""
    with pytest.raises(FlowlibError, match=r"expected z of dtype torch.float32"):
        make_nice(3, layers=2, hidden=(8,))(torch.randn(4, 3).half())
    for dtype in (torch.float16, torch.float64):
        x, log_det = make_nice(3, layers=2, hidden=(8,)).to(dtype)(torch.randn(4, 3, dtype=dtype))
        assert x.dtype == log_det.dtype == dtype


def test_flows_distil_and_estimate_kl_refuse_another_dtype():
    torch.manual_seed(0)
    flow = make_maf(2, layers=1, hidden=(8,))
    x64 = torch.randn(5, 2, dtype=torch.float64)
    for who, call in (("Flow.log_prob", lambda: flow.log_prob(x64)), ("Flow.inverse", lambda: flow.inverse(x64)),
                      ("Flow.forward_steps", lambda: flow.forward_steps(x64)), ("MADE", lambda: flow.layers[0].made(x64))):
        with pytest.raises(FlowlibError, match=rf"{who}: expected [xz] of dtype torch.float32"):
            call()
    teacher = make_maf(2, layers=1, hidden=(8,)).double()
    for who, call in (("distil", lambda: distil(flow, teacher, steps=2, progress=False)),
                      ("estimate_kl", lambda: estimate_kl(flow, teacher, n=10))):
        with pytest.raises(FlowlibError, match=rf"{who}: (the student|q)'s parameters are torch.float32 on cpu but "
                                               r"(the teacher|p)'s are torch.float64 on cpu; move one to the other"):
            call()


def test_plots_make_their_points_like_the_model_or_say_how_to_convert():
    flow = make_realnvp(2, layers=2, hidden=(8,)).double()
    plot_density(flow.log_prob, n=10)  # a float64 model's method: float64 points
    # A plain function tells nothing about the model: float32 points, and the flow says what to do.
    with pytest.raises(FlowlibError, match=r"Flow.forward: expected z of dtype torch.float64 like the model's parameters, "
                                           r"got torch.float32; convert the points with z.to\(torch.float64\)"):
        plot_grid_warp(lambda z: flow.forward(z)[0], lines=3)
    plot_grid_warp(lambda z: flow.forward(z.double())[0], lines=3)


# ---------------------------------------------------------------- fit checks its last update, and divergence


def test_a_huge_final_step_does_not_return_a_broken_model():
    """x = z e^s on data of std 0.1 with lr=1000: the one and only update sends s to about -1000."""
    flow = Flow(StandardNormal(2), [Scaling(2)])
    with pytest.raises(FloatingPointError, match=r"fit: the loss became inf after the last update \(step 0 of 1\); the "
                                                 r"parameters of the last finite step were restored"):
        fit(flow, 0.1 * torch.randn(500, 2), steps=1, lr=1000.0, progress=False)
    assert torch.equal(flow.layers[0].s, torch.zeros(2))
    assert torch.isfinite(flow.log_prob(torch.randn(3, 2))).all()


def test_a_nan_gradient_in_the_last_step_does_not_return_a_broken_model():
    flow = two_d_flow()
    seen = {}

    def callback(step, flow):
        seen[step] = snapshot(flow)
        if step == 3:  # step 4, the last, gets a NaN gradient
            next(flow.parameters()).register_hook(lambda grad: grad * math.nan)

    with pytest.raises(FloatingPointError, match=r"fit: the loss became nan after the last update \(step 4 of 5\)"):
        fit(flow, toy_data("eight_gaussians", 256), steps=5, lr=0.01, callback=callback, progress=False)
    assert unchanged(flow, seen[3])  # the parameters step 4 evaluated its (finite) loss at


def test_the_final_check_leaves_the_random_numbers_as_they_were():
    """Checking the last update draws a batch on a fork of the generator: the caller's next draws do not move."""
    data = toy_data("eight_gaussians", 256)
    draws = []
    for _ in range(2):
        torch.manual_seed(0)
        flow = two_d_flow()
        torch.manual_seed(1)
        fit(flow, data, steps=3, progress=False)
        draws.append(torch.rand(3))
    torch.manual_seed(1)
    for _ in range(3):  # what three steps draw: one batch each
        torch.randint(256, (256,))
    assert torch.equal(draws[0], draws[1]) and torch.equal(draws[0], torch.rand(3))


def test_divergence_with_finite_losses_stops_with_a_clear_error():
    """RealNVP at lr=100 climbs from 5 to 1e24 nats within 20 steps, all finite (before: no warning at all)."""
    torch.manual_seed(0)
    flow = make_realnvp(2, layers=4, hidden=(32, 32))
    evaluated_at = {0: snapshot(flow)}  # the parameters each step's loss is evaluated at
    with pytest.raises(FloatingPointError, match=r"fit: training diverged: the loss climbed from \S+ \(step (\d+)\) to \S+ at "
                                                 r"step \d+ \(of 200\); the parameters of step \1 were restored. Try a "
                                                 r"smaller learning rate than lr=100") as error:
        fit(flow, toy_data("eight_gaussians", 2000), steps=200, lr=100.0, progress=False,
            callback=lambda step, f: evaluated_at.setdefault(step + 1, snapshot(f)))
    best = int(error.value.args[0].split("(step ")[1].split(")")[0])
    assert unchanged(flow, evaluated_at[best])
    with torch.no_grad():
        assert float(-flow.log_prob(toy_data("eight_gaussians", 500, seed=1)).mean()) < 10


def test_a_model_broken_before_fit_is_not_blamed_on_the_learning_rate():
    flow = two_d_flow()
    with torch.no_grad():
        flow.layers[1].net[0].weight[0, 0] = math.nan
    with pytest.raises(FlowlibError, match=r"fit: the flow's parameter layers.1.net.0.weight holds NaN or inf before "
                                           r"training; rebuild the flow"):
        fit(flow, toy_data("eight_gaussians", 100), steps=5, progress=False)
    # Finite parameters, but a density of 0 at the data: x = z e^s with s = -100 (std e^-100).
    squeezed = Flow(StandardNormal(2), [Scaling(2)])
    with torch.no_grad():
        squeezed.layers[0].s.fill_(-100.0)
    with pytest.raises(FloatingPointError, match=r"fit: the loss is inf at step 0, before any update, so the learning rate "
                                                 r"is not the cause"):
        fit(squeezed, toy_data("eight_gaussians", 100), steps=5, progress=False)


def test_fit_trains_inside_no_grad_and_refuses_inference_mode():
    flow = two_d_flow()
    before = snapshot(flow)
    with torch.no_grad():
        losses = fit(flow, toy_data("eight_gaussians", 200), steps=3, lr=1e-2, progress=False)
    assert len(losses) == 3 and not unchanged(flow, before)
    with torch.inference_mode(), pytest.raises(FlowlibError, match=r"fit: called inside torch.inference_mode\(\)"):
        fit(flow, toy_data("eight_gaussians", 200), steps=3, progress=False)


def test_fit_with_its_arguments_swapped():
    flow = two_d_flow()
    with pytest.raises(FlowlibError, match=r"fit: flow must be a Flow \(an nn.Module\), got a tensor of shape \(10, 2\); "
                                           r"are the arguments swapped\?"):
        fit(torch.zeros(10, 2), flow)
    with pytest.raises(FlowlibError, match=r"fit_reverse_kl: flow must be a Flow \(an nn.Module with an int .dim and "
                                           r".sample_with_log_prob\), got function"):
        fit_reverse_kl(lambda x: x, flow)


# ---------------------------------------------------------------- loading, bounds, Flow's layers


def test_affine_coupling_loaded_from_another_parity_computes_the_saved_function():
    torch.manual_seed(0)
    saved = perturbed(AffineCoupling(4, hidden=(8,), parity=1))
    loaded = AffineCoupling(4, hidden=(8,), parity=0)
    loaded.load_state_dict(saved.state_dict())
    z = torch.randn(6, 4)
    assert torch.equal(loaded(z)[0], saved(z)[0]) and torch.equal(loaded.inverse(z)[1], saved.inverse(z)[1])
    with pytest.raises(FlowlibError, match=r"AffineCoupling.load_state_dict: the saved layer keeps 2 coordinates, this one "
                                           r"keeps 1; build the layer with the saved layer's parity or mask"):
        AffineCoupling(3, hidden=(8,), parity=0).load_state_dict(AffineCoupling(3, hidden=(8,), parity=1).state_dict())


@pytest.mark.parametrize("bound", (math.inf, 0, -1.0, math.nan, "3"))
def test_bad_bounds(bound):
    for make in (lambda: AffineCoupling(2, bound=bound), lambda: MAF(2, bound=bound), lambda: IAF(2, bound=bound)):
        with pytest.raises(FlowlibError, match=r"(AffineCoupling|MAF|IAF): bound must be a positive finite number such as 3.0"):
            make()
    with pytest.raises(FlowlibError, match=r"soft_clamp: bound must be a positive finite number"):
        soft_clamp(torch.zeros(3), bound)


def test_a_huge_bound_does_not_quantize_alpha():
    """Before: 2b·σ(2α/b) - b cancelled, so with b = 1e6 every |α| < 0.06 came out as 0 or ±0.0625 in float32."""
    alpha = torch.linspace(-1, 1, 201)
    torch.testing.assert_close(soft_clamp(alpha, 1e6), alpha, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(soft_clamp(alpha, 3.0), 3 * torch.tanh(alpha / 3), rtol=1e-6, atol=1e-7)


class ColumnLogDet(nn.Module):
    """A layer whose log-det has shape (B, 1): before, Flow.log_prob broadcast it to (B, B)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.s = nn.Parameter(torch.zeros(dim))

    def forward(self, z):
        return z * self.s.exp(), self.s.sum().expand(z.shape[0], 1)

    def inverse(self, x):
        return x * (-self.s).exp(), (-self.s.sum()).expand(x.shape[0], 1)


def test_flow_refuses_what_is_not_a_flow_layer():
    with pytest.raises(FlowlibError, match=r"Flow: layer 1 must be a flow layer \(an nn.Module with an int .dim "
                                           r"and .forward and .inverse\), got Linear"):
        Flow(StandardNormal(2), [Scaling(2), nn.Linear(2, 2)])
    with pytest.raises(FlowlibError, match=r"Flow: layers must be a list of flow layers, got Scaling; wrap a single layer"):
        Flow(StandardNormal(2), Scaling(2))
    flow = Flow(StandardNormal(2), [ColumnLogDet(2)])
    for call in (lambda: flow.log_prob(torch.zeros(4, 2)), lambda: flow.sample(4)):
        with pytest.raises(FlowlibError, match=r"Flow: layer 0 \(ColumnLogDet\).(inverse|forward) must return \(points of "
                                               r"shape \(4, 2\), log_det of shape \(4,\)\), got \(\(4, 2\), \(4, 1\)\)"):
            call()


# ---------------------------------------------------------------- messages that were unreadable, inputs accepted silently


@pytest.mark.parametrize(("make", "message"), [
    (lambda: AffineCoupling(3, hidden=64), r"AffineCoupling: hidden must be a tuple of layer widths such as \(64, 64\) "
                                           r"\(for one layer of 64 write hidden=\(64,\)\), got int \(64\)"),
    (lambda: make_maf(3, hidden=64), r"make_maf: hidden must be a tuple of layer widths"),
    (lambda: AdditiveCoupling(3, hidden=(0,)), r"AdditiveCoupling: hidden must hold layer widths that are ints >= 1, "
                                               r"such as \(64, 64\), got \(0,\)"),
    (lambda: MAF(3, hidden=(8.5,)), r"MAF: hidden must hold layer widths that are ints >= 1"),
    (lambda: AffineCoupling(3, parity=None), r"AffineCoupling: parity must be 0 \(keep the first half\) or 1 \(keep the "
                                             r"second half\), got None; alternate it when stacking layers"),
    (lambda: make_realnvp(2, layers=2.0), r"make_realnvp: layers must be an int >= 1 such as 4, got float \(2.0\)"),
    (lambda: make_nice(2, layers=-1), r"make_nice: layers must be an int >= 1 such as 4, got -1"),
    (lambda: make_iaf(2, layers=0), r"make_iaf: layers must be an int >= 1 such as 4, got 0"),
    (lambda: Permutation(3, perm=[0.5, 1.5, 2.0]), r"Permutation: perm must be a sequence of int indices holding each of "
                                                    r"0..2 once, such as \[2, 1, 0\], got \[0.5, 1.5, 2.0\]"),
    (lambda: toy_data("eight_gaussians", 5, seed=None),
     r"toy_data: seed must be an int such as 0 \(a fixed seed makes the result repeatable\), got None"),
    (lambda: digits_data(seed=None), r"digits_data: seed must be an int such as 0"),
    (lambda: toy_entropy("eight_gaussians", n=0), r"toy_entropy: n must be an int >= 1, got 0"),
    (lambda: check_layer(Scaling(2), batch=0), r"check_layer: batch must be an int >= 1 such as 5, got 0"),
    (lambda: check_layer(Scaling(2), seed=None), r"check_layer: seed must be an int such as 0"),
    (lambda: check_layer(nn.Linear(2, 2)), r"check_layer: layer must be a flow layer \(an nn.Module with an int "
                                            r".dim and .forward and .inverse\), got Linear"),
    (lambda: plot_grid_warp(make_realnvp(2, layers=2).forward), r"plot_grid_warp \(the image of fn\): expected points of "
                                                                r"shape \(B, 2\), got a tuple of 2 tensors \(a layer's "
                                                                r"\(x, log_det\)\?\); pass the points only, e\.g\. lambda z: "
                                                                r"flow\.forward\(z\)\[0\]"),
    (lambda: plot_layers([]), r"plot_layers: steps must be a non-empty list of \(B, 2\) point tensors, such as "
                              r"flow.forward_steps\(z\), got an empty list"),
    (lambda: make_maf(2).sample(4, temperature=math.nan), r"StandardNormal.sample: temperature must be a non-negative "
                                                          r"finite number such as 1.0, got nan"),
    (lambda: plot_density(lambda x: -x.pow(2).sum(-1), bounds=(1, -1, 0, 1)), r"plot_density: bounds must be \(x0, x1, "
                                                                               r"y0, y1\) with x0 < x1 and y0 < y1"),
    (lambda: grid_points(n=1), r"grid_points: n must be an int >= 2 such as 200, got 1"),
    (lambda: coupling_mask(4, parity=2), r"coupling_mask: parity must be 0 .* or 1"),
    # the image masks took any parity: 0.5 gave an all-zero checkerboard (a coupling keeping nothing), 2 gave 0
    (lambda: checkerboard_mask((1, 4, 4), parity=0.5), r"checkerboard_mask: parity must be an int from 0 to 1 such as "
                                                       r"k % 2, got float \(0.5\)"),
    (lambda: checkerboard_mask((1, 4, 4), parity=2), r"checkerboard_mask: parity must be an int from 0 to 1 .*, got 2"),
    (lambda: channel_mask((2, 4, 4), parity=-1), r"channel_mask: parity must be an int from 0 to 1 .*, got -1"),
    (lambda: checkerboard_mask((1, 28)), r"checkerboard_mask: shape must be an image shape \(C, H, W\)"),
    (lambda: made_masks(3, hidden=()), r"made_masks: hidden must name at least one hidden layer width"),
    (lambda: MaskedLinear(3, 2, torch.ones(3, 2)), r"MaskedLinear: mask must be a 0/1 tensor of shape \(n_out, n_in\) = "
                                                   r"\(2, 3\), got \(3, 2\)"),
    (lambda: MLP(2, 2, hidden=16), r"MLP: hidden must be a tuple of layer widths"),
    (lambda: count_parameters([1, 2]), r"count_parameters: expected an nn.Module \(a layer or a Flow\), got list"),
    (lambda: jacobian(Scaling(2).forward, torch.zeros(2)), r"jacobian: v must be a floating-point tensor of shape \(B, D\), "
                                                           r"got torch.float32 of shape \(2,\)"),
    (lambda: MADE(3).output_i(torch.zeros(4, 3), 3), r"MADE.output_i: i must be an int from 0 to 2, got 3"),
    (lambda: plot_matrix(torch.zeros(2, 2, 2)), r"plot_matrix: m must be a matrix \(a 2-D tensor or array\), got shape "
                                                r"\(2, 2, 2\)"),
], ids=lambda v: "" if callable(v) else None)
def test_each_slip_gets_one_sentence_naming_what_was_expected(make, message):
    with pytest.raises(FlowlibError, match=message):
        make()


def test_numpy_integers_are_ints():
    """torch and NumPy hand out numpy.int64 (len of an array, an argmax): flowlib takes them wherever it takes an int."""
    assert torch.equal(toy_data("eight_gaussians", np.int64(5), seed=np.int64(3)), toy_data("eight_gaussians", 5, seed=3))
    assert make_maf(np.int64(3), layers=np.int64(2), hidden=(np.int64(8),)).sample(np.int64(4)).shape == (4, 3)
    assert check_layer(Scaling(2), batch=np.int64(3), seed=np.int64(1))["round trip z -> x -> z"] < 1e-12
    assert AffineCoupling(np.int64(4), parity=np.int64(1)).mask.tolist() == [0, 0, 1, 1]


def test_the_error_class_is_a_value_error_and_a_type_error():
    assert issubclass(FlowlibError, ValueError) and issubclass(FlowlibError, TypeError)


def test_a_flow_checks_its_points_once_and_a_layer_called_directly_still_checks(monkeypatch):
    """Checks belong at the door: Flow.log_prob, sample and fit check their points once (one walk of the
    module tree for the dtype and device), not again in each of a five-layer MAF's layers and MADEs; a
    layer called on its own still refuses bad points."""
    import flowlib._validate as validate

    walks = []
    original = validate.reference_tensor
    monkeypatch.setattr(validate, "reference_tensor", lambda module: walks.append(type(module).__name__) or original(module))
    flow = make_maf(3, layers=5, hidden=(8,))
    flow.log_prob(torch.randn(4, 3))
    flow.sample(4)
    assert walks == ["Flow"]  # log_prob's entry; sample draws its own z, nothing to check
    with pytest.raises(FlowlibError, match=r"MAF.inverse: expected x of shape \(B, 3\)"):
        flow.layers[0].inverse(torch.randn(4, 2))
    with pytest.raises(FlowlibError, match=r"expected x of dtype torch.float32"):
        flow.layers[0].inverse(torch.randn(4, 3, dtype=torch.float64))
    walks.clear()
    fit(flow, torch.randn(64, 3), steps=3, batch_size=16, progress=False)
    assert walks == ["Flow"]  # fit's entry checks the data once; its steps do not check again
