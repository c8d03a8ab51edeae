"""Notebook 04's lesson (RealNVP): its maths (the hand-set coupling, propagation values, layer steps) and its views.

(Every demo's ``draw`` is drawn over its sliders' ranges by ``tests/lessons/test_sliders_headless.py``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from flowlib import (
    AdditiveCoupling,
    AffineCoupling,
    Flow,
    StandardNormal,
    randomize,
    square_boundary,
)
from flowlib.lessons.n04_realnvp.maths import affine_coupling_2d, layer_steps, propagation_values, region_areas
from flowlib.lessons.n04_realnvp.views import LayersView, PropagationView, VolumeView


def _moved(layer, seed=0, std=0.4):
    return randomize(layer, std, generator=torch.Generator().manual_seed(seed))


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


def _shown(view) -> str:  # the boxes' and (c)'s texts as shown, one a line (View.numbers: words stage, numbers dynamic)
    return "\n".join(numbers.get_text() for numbers in [*(box for box, _ in view.boxes), view.title])


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


def _titles(view) -> str:  # VolumeView's title and summary (View.numbers: words stage, numbers dynamic)
    return view.formula.get_text() + "\n" + view.summary.get_text()


def test_volume_view_shows_both_areas_and_the_remark_only_when_alpha_varies():
    view = VolumeView()
    view.update(alpha=0.3, slope=0.0)
    measured, predicted = region_areas(0.3, 0.0)
    shown = _titles(view)
    assert all(number in shown for number in (f"{measured:.3f}", f"{predicted:.3f}", "exp(+0.30 +0.00 z₁)"))
    assert "α varies" not in shown
    view.update(alpha=-0.4, slope=0.5)
    shown = _titles(view)
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
