"""The non-trivial helpers of notebooks 03 (NICE) and 04 (RealNVP): ``flowlib.demos.nice`` and ``flowlib.demos.realnvp``.

(Every demo's ``draw`` is drawn over its sliders' ranges by ``tests/test_sliders_headless.py``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.text import Text

from flowlib import (
    AdditiveCoupling,
    AffineCoupling,
    FixedAffine,
    Flow,
    Snapshots,
    StandardNormal,
    check_layer,
    fit,
    make_nice,
    make_realnvp,
    randomize,
    square_boundary,
    standardized,
)
from flowlib.course import TOY_BOUNDS
from flowlib.demos.nice import TrainingView
from flowlib.demos.realnvp import (
    LayersView,
    PropagationView,
    VolumeView,
    affine_coupling_2d,
    layer_steps,
    propagation_values,
    region_areas,
)


def _moved(layer, seed=0, std=0.4):
    return randomize(layer, std, generator=torch.Generator().manual_seed(seed))


# --- flowlib.standardize, flowlib.snapshots, flowlib.demos.nice ----------------------------

def test_fixed_affine_passes_the_layer_check():
    layer = FixedAffine(torch.tensor([0.5, -1.0, 2.0]), torch.tensor([0.1, 1.0, 3.0]))
    report = check_layer(layer)
    assert report["forward log_det = slogdet(∂x/∂z)"] < 1e-7


@pytest.mark.parametrize("loc, scale, match", [
    (torch.zeros(3), torch.tensor([1.0, 0.0, 1.0]), "scale finite and > 0"),
    (torch.zeros(3), torch.ones(2), "shape"),
    (torch.zeros(2, 2), torch.ones(2, 2), "shape"),
    (torch.zeros(0), torch.ones(0), "D >= 1"),
    (torch.tensor([0.0, math.nan]), torch.ones(2), "finite"),
])
def test_fixed_affine_rejects_bad_parameters(loc, scale, match):
    with pytest.raises(ValueError, match=match):
        FixedAffine(loc, scale)


def test_fixed_affine_keeps_a_floating_dtype_and_converts_integers():
    assert FixedAffine(torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)).scale.dtype == torch.float64
    layer = FixedAffine([1, 2], [3, 4])
    assert layer.loc.dtype == layer.scale.dtype == torch.float32


def test_standardized_keeps_the_data_units():
    g = torch.Generator().manual_seed(0)
    data = 3.0 + 0.2 * torch.randn(400, 4, generator=g)
    inner = _moved(make_nice(4, layers=2, hidden=(8,)))
    flow = standardized(inner, data)
    mean, std = data.mean(0), data.std(0)
    x = 3.0 + 0.2 * torch.randn(10, 4, generator=g)
    expected = inner.log_prob((x - mean) / std) - std.log().sum()  # the change of variables by hand
    with torch.no_grad():
        assert torch.allclose(flow.log_prob(x), expected, atol=1e-5)
        # An untrained flowlib flow is the identity, so sampling gives back mean + std ⊙ z.
        samples = standardized(make_nice(4, layers=2), data).sample(20_000)
    assert torch.allclose(samples.mean(0), mean, atol=0.01)
    assert torch.allclose(samples.std(0), std, rtol=0.03)
    assert list(flow.layers)[:-1] == list(inner.layers)  # shares the layers: training one trains the other


def test_standardized_rejects_a_single_row():
    with pytest.raises(ValueError, match="at least 2 rows"):
        standardized(make_nice(2, layers=2), torch.zeros(1, 2))


def test_snapshots_record_the_right_steps_and_do_not_change_training():
    data = torch.randn(500, 2, generator=torch.Generator().manual_seed(0)) * torch.tensor([1.0, 0.3])
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))

    def train(with_recorder):
        torch.manual_seed(0)
        flow = make_realnvp(2, layers=2, hidden=(8,))
        recorder = Snapshots(flow, z, every=10, bounds=TOY_BOUNDS, n=12) if with_recorder else None
        losses = fit(flow, data, steps=30, batch_size=64, lr=1e-2, callback=recorder, progress=False)
        return flow, recorder, losses

    flow_a, recorder, losses_a = train(True)
    flow_b, _, losses_b = train(False)
    assert losses_a == losses_b
    for p, q in zip(flow_a.parameters(), flow_b.parameters()):
        assert torch.equal(p, q)
    assert [s for s, _, _ in recorder.snapshots] == [0, 10, 20, 30]
    step, density, samples = recorder.snapshots[-1]
    assert density.shape == (12, 12) and samples.shape == (50, 2)
    with torch.no_grad():
        assert torch.allclose(torch.as_tensor(samples), flow_a(z)[0])
    # the untrained snapshot is the identity flow: the samples are z itself
    assert torch.allclose(torch.as_tensor(recorder.snapshots[0][2]), z)


def test_snapshots_reject_bad_arguments():
    flow = make_nice(2, layers=2)
    with pytest.raises(ValueError, match="every must be a positive int"):
        Snapshots(flow, torch.zeros(3, 2), every=0)
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        Snapshots(flow, torch.zeros(3, 3), every=1)


def test_training_view_shows_the_nearest_snapshot():
    flow = make_nice(2, layers=2, hidden=(4,))
    recorder = Snapshots(flow, torch.zeros(5, 2), every=50, bounds=TOY_BOUNDS, n=8)
    for done in (50, 100):
        recorder.record(done, flow)
    view = TrainingView(recorder.snapshots, torch.zeros(10, 2), [1.0] * 100)
    view.update(step=70)
    assert view.fig.axes[0].get_title() == "density p_θ(x) after 50 steps"
    assert len(view.progress.get_xdata()) == 50  # the loss drawn up to the snapshot shown
    view.update(step=100)
    assert view.fig.axes[0].get_title() == "density p_θ(x) after 100 steps"
    with pytest.raises(ValueError, match="at least one snapshot"):
        TrainingView([], torch.zeros(10, 2), [1.0])


# --- flowlib.demos.realnvp ------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [(0.0, 0.0), (0.7, 0.0), (-1.2, 0.0), (0.3, 0.8), (-0.5, -1.0)])
def test_image_area_matches_the_integral_of_det_j(a, b):
    measured, predicted = region_areas(a, b)
    assert measured == pytest.approx(predicted, rel=1e-3)
    if b == 0.0:
        assert predicted == pytest.approx(4 * math.exp(a))


def test_affine_coupling_2d_keeps_z1_and_square_boundary_is_closed_counter_clockwise():
    boundary = square_boundary((0.0, 0.0), [2.0], 10)[0]
    assert boundary.shape == (40, 2)
    x = affine_coupling_2d(boundary, 0.4, 0.2)
    assert torch.equal(x[:, 0], boundary[:, 0])
    assert region_areas(0.0, 0.0)[0] > 0  # counter-clockwise: a positive shoelace area


@pytest.mark.parametrize("parity", [0, 1])
def test_propagation_values_are_the_layers_own(parity):
    layer = _moved(AffineCoupling(2, hidden=(16,), parity=parity)).double()
    z = torch.tensor([0.7, -1.3], dtype=torch.float64)
    v = propagation_values(layer, z)
    k, c = int(v["kept"][0]), int(v["changed"][0])
    assert {k, c} == {0, 1} and k == (0 if parity == 0 else 1)
    with torch.no_grad():
        x = layer(z[None])[0][0]
    assert torch.allclose(v["x"], x)
    assert torch.allclose(v["z_back"], z)
    # the slide's formulas, step by step
    assert torch.allclose(v["scaled"], z[c] * v["alpha"].exp())
    assert torch.allclose(v["x"][c], v["scaled"] + v["mu"])
    assert torch.allclose(v["shifted"], v["x"][c] - v["mu_inv"])
    assert torch.allclose(v["z_back"][c], v["shifted"] * (-v["alpha_inv"]).exp())
    # x_{1:d} = z_{1:d}, so the inverse sees the same α and μ
    assert torch.allclose(v["alpha"], v["alpha_inv"]) and torch.allclose(v["mu"], v["mu_inv"])
    assert abs(float(v["alpha"][0])) > 1e-3  # a moved layer: not the identity


def test_propagation_values_rejects_other_layers():
    with pytest.raises(TypeError, match="AffineCoupling"):
        propagation_values(AdditiveCoupling(2), torch.zeros(2))


def test_layer_steps_end_at_the_flows_output():
    flow = Flow(StandardNormal(2), [_moved(AffineCoupling(2, hidden=(8,), parity=k % 2), seed=k) for k in range(3)])
    z = torch.randn(30, 2, generator=torch.Generator().manual_seed(0))
    samples, grids, names = layer_steps(flow, z, lines=5, points=7)
    assert len(samples) == len(grids) == len(names) == 4
    assert grids[0].shape == (10, 7, 2)
    with torch.no_grad():
        assert torch.allclose(torch.as_tensor(samples[-1]), flow(z)[0], atol=1e-6)
        grid_in, grid_out = (torch.as_tensor(g).reshape(-1, 2) for g in (grids[0], grids[-1]))
        assert torch.allclose(grid_out, flow(grid_in)[0], atol=1e-5)
    assert names[0] == "z ~ N(0, I)" and "AffineCoupling" in names[1]


def _shown(view) -> str:  # every visible text of the view, one a line: a box's words and numbers are one text
    return "\n".join(text.get_text() for text in view.fig.findobj(Text) if text.get_visible())


def _number(value) -> str:  # as the figure writes a number: two decimals, a sign, U+2212 for minus
    return f"{float(value):+.2f}".replace("-", "−")


@pytest.mark.parametrize("parity", [0, 1])
def test_propagation_view_shows_the_layers_own_numbers(parity):
    layer = _moved(AffineCoupling(2, hidden=(16,), parity=parity))
    view = PropagationView(layer)
    for z1, z2 in [(0.7, -1.3), (-2.0, 2.5)]:
        view.update(z1=z1, z2=z2)
        v = propagation_values(layer, [z1, z2])
        k, c = int(v["kept"][0]), int(v["changed"][0])
        expected = [v["z"][k], v["z"][c], v["x"][c], v["alpha"][0], v["mu"][0], v["alpha"][0].exp(),
                    v["scaled"][0], v["alpha_inv"][0], v["mu_inv"][0], (-v["alpha_inv"][0]).exp(), v["shifted"][0]]
        shown = _shown(view)
        assert all(_number(value) in shown for value in expected)
        assert f"α = {_number(v['alpha'][0])}" in shown and f"μ = {_number(v['mu'][0])}" in shown
        assert f"{float(v['alpha'][0].exp()):.3f}" in shown  # (c)'s title
    # the boxes are named after the layer's mask, 1-based as on the slides
    assert f"z{'₁₂'[k]} = " in shown and f"x{'₁₂'[c]} = " in shown
    assert _number(0.7) not in shown  # nothing left of the first setting
    with pytest.raises(TypeError, match="AffineCoupling"):
        PropagationView(AdditiveCoupling(2))
    with pytest.raises(ValueError, match="2-D"):
        PropagationView(AffineCoupling(3))


def test_volume_view_shows_both_areas_and_the_remark_only_when_alpha_varies():
    view = VolumeView()
    view.update(alpha=0.3, slope=0.0)
    measured, predicted = region_areas(0.3, 0.0)
    shown = _shown(view)
    assert all(number in shown for number in (f"{measured:.3f}", f"{predicted:.3f}", "exp(+0.30 +0.00 z₁)"))
    assert "α varies" not in shown
    view.update(alpha=-0.4, slope=0.5)
    shown = _shown(view)
    assert f"{region_areas(-0.4, 0.5)[0]:.3f}" in shown and "−0.40" in shown
    assert "α varies" in shown


def test_layers_view_shows_the_chosen_step():
    flow = Flow(StandardNormal(2), [_moved(AffineCoupling(2, hidden=(8,), parity=k % 2), seed=k) for k in range(2)])
    samples, grids, names = layer_steps(flow, torch.randn(20, 2, generator=torch.Generator().manual_seed(0)),
                                        lines=3, points=5)
    view = LayersView(samples, grids, names, torch.zeros(5, 2))
    view.update(step=1)
    assert view.title.get_text() == f"step 1 of 2: {names[1]}"
    assert np.array_equal(view.points.get_offsets(), samples[1])
    assert all(np.array_equal(drawn, line) for drawn, line in zip(view.lines.get_segments(), grids[1]))
    view.update(step=9)  # past the end: the last step
    assert view.title.get_text().startswith("step 2 of 2")
    with pytest.raises(ValueError, match="one per step"):
        LayersView(samples, grids[:-1], names, torch.zeros(5, 2))
