"""Datasets: shapes, seeds, true log-densities that integrate to one, the digits split, bits per dim."""

from __future__ import annotations

import math

import pytest
import torch

from flowlib import (
    DIGIT_LEVELS,
    TARGETS,
    TOYS,
    bits_per_dim,
    digits_data,
    grid_points,
    target_log_normalizer,
    target_log_prob,
    toy_data,
    toy_entropy,
    toy_log_prob,
)

KNOWN_DENSITY = ("eight_gaussians", "checkerboard")


@pytest.mark.parametrize("name", TOYS)
def test_toy_shapes_and_seeds(name):
    x = toy_data(name, 500, seed=3)
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert torch.equal(toy_data(name, 500, seed=3), x)  # a seed gives the same points...
    assert not torch.equal(toy_data(name, 500, seed=4), x)  # ...and another seed others
    assert toy_data(name, 0).shape == (0, 2)
    before = torch.get_rng_state()
    toy_data(name, 10)
    assert torch.equal(torch.get_rng_state(), before)  # the global generator is left alone


def test_toys_lie_where_they_should():
    circle = toy_data("eight_gaussians", 4000)
    radius = circle.norm(dim=-1)
    assert abs(float(radius.mean()) - 2.5) < 0.02 and float(radius.std()) < 0.3
    board = toy_data("checkerboard", 4000)
    assert board.abs().max() <= 2.0
    assert torch.isfinite(toy_log_prob("checkerboard", board)).all()  # every point on a dark cell
    moons = toy_data("moons", 4000)
    assert moons.mean(0).abs().max() < 0.15 and moons[:, 0].abs().max() < 3.5  # centred


@pytest.mark.parametrize("name", KNOWN_DENSITY)
def test_true_densities_integrate_to_one(name):
    points, xs, ys = grid_points((-4.3, 4.3, -4.3, 4.3), n=861, dtype=torch.float64)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    mass = float(toy_log_prob(name, points).exp().sum() * cell)
    assert abs(mass - 1) < 2e-3, mass


@pytest.mark.parametrize("name", KNOWN_DENSITY)
def test_true_density_matches_a_histogram_of_the_samples(name):
    """The fraction of samples in a few boxes equals ∫ p over the box: toy_data and toy_log_prob agree."""
    x = toy_data(name, 100_000, seed=5).double()
    for x0, y0 in ((-2.0, -0.5), (0.5, 0.5), (1.5, -2.0), (-0.3, 2.2)):
        box = (x0, x0 + 1, y0, y0 + 1)
        points, xs, ys = grid_points(box, n=101, dtype=torch.float64)
        mass = float(toy_log_prob(name, points).exp().mean())  # the box has area 1
        inside = float(((x[:, 0] >= box[0]) & (x[:, 0] < box[1]) & (x[:, 1] >= box[2]) & (x[:, 1] < box[3])).double().mean())
        assert abs(mass - inside) < 0.01, (box, mass, inside)


def test_entropies():
    assert toy_entropy("checkerboard") == pytest.approx(math.log(8))  # uniform on area 8
    # Eight Gaussians far apart (7.6 std between neighbours): H = log 8 + log(2πe σ²), σ = 0.25.
    assert toy_entropy("eight_gaussians") == pytest.approx(math.log(8) + math.log(2 * math.pi * math.e * 0.25**2), abs=0.01)
    assert toy_entropy("eight_gaussians", seed=1) == pytest.approx(toy_entropy("eight_gaussians"), abs=0.01)


def normalizer(name: str, half_width: float, n: int) -> float:
    """Z = ∫ p̃ over the box [-half_width, half_width]², a Riemann sum."""
    points, xs, ys = grid_points((-half_width, half_width, -half_width, half_width), n=n, dtype=torch.float64)
    log_p = target_log_prob(name, points)
    assert log_p.shape == (len(points),) and torch.isfinite(log_p).all()
    return float(log_p.exp().sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))


@pytest.mark.parametrize("name", TARGETS)
def test_targets_are_normalizable(name):
    """Doubling the box adds (almost) no mass: p̃ has a finite normalizer Z."""
    small, large = normalizer(name, 8, 401), normalizer(name, 16, 801)
    assert 0.1 < large < 100 and abs(small / large - 1) < 0.01


def test_banana_normalizer_is_the_gaussian_one():
    # x₁ ~ N(0, 1.5²) and x₂ | x₁ ~ N(x₁²/2 - 1.5, 0.5²): Z = 2π · 1.5 · 0.5.
    assert normalizer("banana", 16, 801) == pytest.approx(2 * math.pi * 1.5 * 0.5, rel=0.01)


def test_ring_target_peaks_on_the_circle_of_radius_two():
    # On the axes the bimodal x₁ factor does not pull the radial peak away from r = 2.
    axes = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    at_two = target_log_prob("two_arcs", 2 * axes)
    for radius in (1.5, 1.9, 2.1, 2.5):
        assert (at_two > target_log_prob("two_arcs", radius * axes)).all()
    modes = target_log_prob("two_arcs", torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]], dtype=torch.float64))
    assert modes[0] == modes[1] > modes[2]  # the two modes sit at (±2, 0)


def test_digits_split():
    train, test = digits_data()
    assert train.shape == (1500, 64) and test.shape == (297, 64)
    assert train.dtype == test.dtype == torch.float32
    both = torch.cat([train, test])
    assert both.min() >= 0 and both.max() < 1
    levels = torch.floor(both * DIGIT_LEVELS)
    assert levels.min() == 0 and levels.max() == DIGIT_LEVELS - 1  # the integer pixels 0..16 come back
    from sklearn.datasets import load_digits

    original = torch.as_tensor(load_digits().data, dtype=torch.float32)
    # The dequantized rows are a permutation of the original images: same multiset of pixel sums.
    assert torch.equal(levels.sum(1).sort().values, original.sum(1).sort().values)
    again_train, again_test = digits_data()
    assert torch.equal(again_train, train) and torch.equal(again_test, test)  # fixed split and noise
    other_train, _ = digits_data(seed=1)
    assert not torch.equal(other_train, train)
    assert digits_data(n_test=100)[1].shape == (100, 64)


def test_bits_per_dim_on_known_cases():
    # The uniform density on [0, 1)^D is log2(17) bits per dimension: 17 equally likely levels.
    assert bits_per_dim(torch.zeros(10), dim=64) == pytest.approx(math.log2(17), abs=1e-12)
    # Density 17^D on one cell = probability 1 for that pixel vector: zero bits.
    assert bits_per_dim(torch.full((3,), 64 * math.log(17), dtype=torch.float64), dim=64) == pytest.approx(0, abs=1e-9)
    # Each extra nat per image costs 1 / (D log 2) bits per dimension; the mean over the batch is used.
    assert bits_per_dim(torch.tensor([-1.0, -3.0]), dim=4, levels=2) == pytest.approx((2 + 4 * math.log(2)) / (4 * math.log(2)))


def test_target_log_normalizer_banana_is_exact_and_ring_agrees_with_importance_sampling():
    assert abs(target_log_normalizer("banana") - math.log(2 * math.pi * 1.5 * 0.5)) < 1e-8
    for name in TARGETS:
        assert abs(target_log_normalizer(name) - target_log_normalizer(name, n=601)) < 1e-6, name
    g = torch.Generator().manual_seed(0)
    for name in TARGETS:  # Z = E_q[p̃/q] with q = N(0, 3² I): independent of the grid
        x = 3 * torch.randn(400_000, 2, generator=g, dtype=torch.float64)
        log_q = -0.5 * (x / 3).pow(2).sum(1) - math.log(2 * math.pi * 9)
        estimate = float(torch.logsumexp(target_log_prob(name, x) - log_q, 0)) - math.log(len(x))
        assert abs(estimate - target_log_normalizer(name)) < 0.03, name


def test_target_log_normalizer_rejects_bad_input():
    with pytest.raises(ValueError, match="expected one of"):
        target_log_normalizer("moons")
    with pytest.raises(ValueError, match="n must be"):
        target_log_normalizer("two_arcs", n=1)
