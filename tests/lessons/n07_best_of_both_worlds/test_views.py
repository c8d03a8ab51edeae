"""Notebook 07's lesson (the best of both worlds): the two-mode target, the Gaussian fits by quadrature,
and the drawing functions' edge cases.

The slider demos themselves (DISTILLATION, MODE_SEEKING) are drawn over their ranges by
``tests/lessons/test_sliders_headless.py``.
"""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch

from flowlib import grid_points
from flowlib.lessons.n07_best_of_both_worlds.maths import FIRST_MODE, GAP, MODE_STD, bimodal_data, bimodal_log_prob, gaussian_fits
from flowlib.lessons.n07_best_of_both_worlds.views import DISTILLATION, MODE_SEEKING


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
