"""Tests of the non-slider code in flowlib.demos.distillation (notebook 07).

The slider demos themselves (DISTILLATION, MODE_SEEKING) are drawn over their ranges by the generic
slider tests; here: pass counting over every kind of layer, the snapshot recorder, the two-mode
target, the Gaussian fits by quadrature, and the drawing functions' edge cases.
"""

from __future__ import annotations

import math
from functools import partial

import matplotlib
import pytest
import torch

from flowlib import MADE, Snapshots, fit_reverse_kl, grid_points, make_iaf, make_maf, make_nice, make_realnvp, network_passes
from flowlib.demos.distillation import (
    DISTILLATION,
    FIRST_MODE,
    GAP,
    MODE_SEEKING,
    MODE_STD,
    bimodal_data,
    bimodal_log_prob,
    gaussian_fits,
)

matplotlib.use("Agg")


@pytest.mark.parametrize("dim", [2, 5, 16])
@pytest.mark.parametrize("layers", [1, 3])
def test_network_passes_of_every_builder(dim, layers):
    x = torch.randn(4, dim)
    expected = {  # (density of data, sampling): the slides' costs, K = layers
        make_nice: (layers, layers), make_realnvp: (layers, layers),
        make_maf: (layers, layers * dim), make_iaf: (layers * dim, layers),
    }
    for build, (density, sampling) in expected.items():
        flow = build(dim, layers=layers, hidden=(8,))
        log_p, passes = network_passes(flow, partial(flow.log_prob, x))
        assert torch.equal(log_p, flow.log_prob(x)) and passes == density, build.__name__
        assert network_passes(flow, partial(flow.sample, 3))[1] == sampling, build.__name__
        assert network_passes(flow, partial(flow.sample_with_log_prob, 3))[1] == sampling, build.__name__


def test_network_passes_removes_its_hooks_even_when_the_call_raises():
    flow = make_iaf(3, layers=2, hidden=(8,))

    def sample_then_fail():
        flow.sample(2)
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        network_passes(flow, sample_then_fail)
    assert sum(len(m._forward_hooks) for m in flow.modules()) == 0
    assert network_passes(flow, lambda: flow.sample(2))[1] == 2  # and it counts afresh next time


def test_network_passes_bad_input():
    with pytest.raises(TypeError, match="call must be a function of no arguments"):
        network_passes(make_maf(2, layers=1), 3)
    with pytest.raises(ValueError, match="holds no MAF, IAF or coupling layer"):
        network_passes(torch.nn.Linear(2, 2), lambda: None)


def test_network_passes_counts_each_made_call():
    flow = make_maf(4, layers=2, hidden=(8,))
    calls = []
    hooks = [m.register_forward_hook(lambda *a: calls.append(1)) for m in flow.modules() if isinstance(m, MADE)]
    passes = network_passes(flow, lambda: flow.sample(5))[1]
    for h in hooks:
        h.remove()
    assert passes == len(calls) == 8


def test_snapshots_record_the_fixed_batch_without_drawing_random_numbers():
    torch.manual_seed(0)
    student = make_iaf(2, layers=2, hidden=(8,))
    z = torch.randn(50, 2)
    with torch.no_grad():
        before = student(z)[0]
    snapshots = Snapshots(student, z, every=4)
    state = torch.get_rng_state()
    snapshots(0, student)  # after 1 step: not a multiple of 4
    assert torch.equal(torch.get_rng_state(), state)
    assert [s.step for s in snapshots.snapshots] == [0] and snapshots.snapshots[0].density is None  # no bounds
    fit_reverse_kl(student, lambda x: -0.5 * x.pow(2).sum(-1), steps=8, progress=False, callback=snapshots)
    steps = [s.step for s in snapshots.snapshots]
    assert steps == [0, 4, 8]
    assert torch.equal(torch.as_tensor(snapshots.snapshots[0].samples), before)
    assert not torch.allclose(torch.as_tensor(snapshots.snapshots[-1].samples), before)  # it trained
    with torch.no_grad():
        assert torch.allclose(torch.as_tensor(snapshots.snapshots[-1].samples), student(z)[0])
    with pytest.raises(ValueError, match="every must be a positive int"):
        Snapshots(student, z, every=0)
    with pytest.raises(ValueError, match=r"expected z of shape \(B, 2\)"):
        Snapshots(student, torch.randn(5, 3), every=1)


def test_bimodal_target_integrates_to_one_and_matches_its_samples():
    for gap in (0.0, 2.0, GAP):
        points, xs, ys = grid_points((-6.0, 10.0, -4.0, 4.0), n=641, dtype=torch.float64)
        mass = float(bimodal_log_prob(points, gap).exp().sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))
        assert abs(mass - 1) < 1e-6, (gap, mass)
    assert bimodal_data(10).dtype == torch.float32 and torch.equal(bimodal_data(10, seed=1), bimodal_data(10, seed=1))
    x = bimodal_data(100_000, GAP, seed=3).double()
    first = x[:, 0] < FIRST_MODE + GAP / 2
    assert abs(float(first.double().mean()) - 0.5) < 0.01
    assert abs(float(x[first, 0].mean()) - FIRST_MODE) < 0.01 and abs(float(x[~first, 0].mean()) - FIRST_MODE - GAP) < 0.01
    assert abs(float(x[:, 1].std()) - MODE_STD) < 0.01
    # Monte Carlo entropy against quadrature: the samples come from the density.
    points, xs, ys = grid_points((-6.0, 10.0, -4.0, 4.0), n=641, dtype=torch.float64)
    log_p = bimodal_log_prob(points, GAP)
    entropy = float(-(log_p.exp() * log_p).sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))
    assert float(-bimodal_log_prob(x, GAP).mean()) == pytest.approx(entropy, abs=0.01)
    with pytest.raises(ValueError, match="bimodal_data: n must be an int >= 0"):
        bimodal_data(-1)


@pytest.mark.parametrize("gap", [0.0, 1.0, 2.0, 3.0, 5.0, 7.0])
def test_forward_fit_is_moment_matching(gap):
    fits = gaussian_fits(gap)
    mu, sigma = fits["forward"]
    assert abs(mu - (FIRST_MODE + gap / 2)) <= 0.0625 + 1e-9  # half a grid step
    assert abs(math.log(sigma / math.sqrt(MODE_STD**2 + gap**2 / 4))) <= math.log(2) / 10  # one step of the σ grid
    assert fits["forward_kl"].min() >= -1e-9 and fits["reverse_kl"].min() >= -1e-9  # KLs are >= 0


def test_reverse_fit_seeks_modes_only_when_they_are_apart():
    near = gaussian_fits(1.0)["reverse"]
    assert len(near) == 1 and near[0][2] < 0.05  # one wide Gaussian, almost exact
    for gap in (3.0, 5.0, 7.0):
        minima = gaussian_fits(gap)["reverse"]
        on_modes = [(mu, sigma) for mu, sigma, _ in minima[:2]]
        assert on_modes == [(FIRST_MODE, MODE_STD), (FIRST_MODE + gap, MODE_STD)], (gap, minima)
        assert all(abs(kl - math.log(2)) < 0.01 for *_, kl in minima[:2])  # half the mass missed: log 2
        assert all(kl > math.log(2) for *_, kl in minima[2:])  # any other minimum (the wide one) is worse


def test_gaussian_fits_bad_input():
    for gap in (-1.0, 9.0, float("nan"), "5", True):
        with pytest.raises(ValueError, match="gaussian_fits: gap must be a number from 0 to 8"):
            gaussian_fits(gap)


def test_draw_distillation_clips_the_index_and_handles_a_first_snapshot():
    state = DISTILLATION.example_state()
    for index in (-3, 0, 100):
        fig = DISTILLATION.draw(*state, index=index)
        assert isinstance(fig, matplotlib.figure.Figure)


def test_draw_mode_seeking_over_the_slider_range():
    for gap in (0.0, 2.5, 7.0):
        fig = MODE_SEEKING.draw(gap=gap)
        assert len(fig.axes) == 2
