"""Notebook 01's lesson (change of variables): its maths and its views.

The slider drawing functions are exercised (every setting, timed) by the shared slider tests; here we
check the mathematics the drawings and the notebooks rely on, and the messages for bad input.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from flowlib import Flow, StandardNormal, check_layer, shoelace_area
from flowlib.lessons.n01_change_of_variables import maths as cov_maths
from flowlib.lessons.n01_change_of_variables import views as cov

F64 = torch.float64


def _texts(fig) -> str:
    """Every text drawn anywhere in a figure, joined (axes texts, titles, labels)."""
    found = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return "\n".join(found)


# --------------------------------------------------------------------------- 1-D monotone maps


def test_target_icdf_inverts_the_cdf_and_the_target_is_a_density():
    u = torch.rand(1000, generator=torch.Generator().manual_seed(0), dtype=F64) * 0.998 + 0.001
    x = cov_maths.target_icdf(u)
    assert (cov_maths.target_cdf(x) - u).abs().max() < 1e-12
    grid = torch.linspace(-10, 10, 20001, dtype=F64)
    assert abs(float(torch.trapezoid(cov_maths.target_pdf(grid), grid)) - 1) < 1e-9


def test_target_icdf_rejects_integers():
    with pytest.raises(TypeError, match="floating-point"):
        cov_maths.target_icdf(torch.tensor([0, 1]))


@pytest.mark.parametrize("base", cov_maths.BASES)
def test_monotone_map_ends_derivative_and_inverse(base):
    v = torch.linspace(0.05, 0.95, 50, dtype=F64) if base == "uniform" else torch.linspace(-3, 3, 50, dtype=F64)
    x0, d0 = cov_maths.monotone_map(v, base, 0.0)
    assert torch.equal(x0, v) and torch.allclose(d0, torch.ones_like(v))  # t = 0: the identity
    x1, _ = cov_maths.monotone_map(v, base, 1.0)
    assert torch.allclose(cov_maths.target_cdf(x1), cov_maths.base_cdf(v, base), atol=1e-12)  # t = 1: T = F*⁻¹ ∘ F_V
    for t in (0.3, 0.7):
        h = 1e-6
        x, slope = cov_maths.monotone_map(v, base, t)
        numeric = (cov_maths.monotone_map(v + h, base, t)[0] - cov_maths.monotone_map(v - h, base, t)[0]) / (2 * h)
        assert torch.allclose(slope, numeric, rtol=1e-5)
        assert (slope > 0).all()  # increasing, hence invertible
        assert torch.allclose(cov_maths.monotone_map_inverse(x, base, t), v, atol=1e-9)


def test_monotone_map_pushforward_matches_the_formula():
    # Histogram of f_t(z) against p_Z(v) / f_t'(v) at v = f_t⁻¹(x): the notebook's claim, on fresh samples.
    g = torch.Generator().manual_seed(3)
    z = torch.randn(200_000, generator=g, dtype=F64)
    x, _ = cov_maths.monotone_map(z, "gaussian", 0.4)
    counts, edges = np.histogram(x.numpy(), bins=40, range=(-4, 4))
    hist = counts / (len(x) * (edges[1] - edges[0]))
    centres = torch.as_tensor((edges[1:] + edges[:-1]) / 2)
    v = cov_maths.monotone_map_inverse(centres, "gaussian", 0.4)
    formula = cov_maths.base_pdf(v, "gaussian") / cov_maths.monotone_map(v, "gaussian", 0.4)[1]
    assert np.abs(hist - formula.numpy()).max() < 0.02


@pytest.mark.parametrize("call", [
    lambda: cov_maths.monotone_map(torch.zeros(3, dtype=F64), "laplace", 0.5),
    lambda: cov_maths.base_pdf(torch.zeros(3), "cauchy"),
    lambda: cov_maths.monotone_map(torch.zeros(3, dtype=F64), "uniform", 1.5),
])
def test_monotone_map_bad_input_names_what_was_expected(call):
    with pytest.raises(ValueError, match="must"):
        call()


# --------------------------------------------------------------------------- x = Az


@pytest.mark.parametrize("seed", range(5))
def test_determinant_equals_shoelace_and_monte_carlo_areas(seed):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.rand(4, generator=g, dtype=F64) * 4 - 2).tolist()
    corners = cov_maths.parallelogram(a, b, c, d)
    assert math.isclose(shoelace_area(corners), a * d - b * c, abs_tol=1e-12)
    area, error = cov_maths.monte_carlo_area(corners, torch.rand(20_000, 2, generator=g, dtype=F64))
    assert abs(area - abs(a * d - b * c)) < 4 * error + 1e-12


def test_monte_carlo_area_of_a_singular_map_is_zero():
    points = torch.rand(1000, 2, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert cov_maths.monte_carlo_area(cov_maths.parallelogram(1, 2, 0.5, 1), points)[0] == 0.0
    assert cov_maths.monte_carlo_area(cov_maths.parallelogram(0, 0, 0, 0), points) == (0.0, 0.0)
    assert cov_maths.is_singular(1, 2, 0.5, 1) and cov_maths.is_singular(0.3, 0.2, 0.6, 0.4)
    assert not cov_maths.is_singular(1, 0, 0, 1e-3)


def test_linear_density_is_one_over_det_on_the_parallelogram_and_integrates_to_one():
    a, b, c, d = -1.2, 0.4, 0.7, 0.9  # det < 0
    matrix = torch.tensor([[a, c], [b, d]], dtype=F64)
    z = torch.rand(500, 2, generator=torch.Generator().manual_seed(1), dtype=F64) * 0.98 + 0.01
    assert torch.allclose(cov_maths.linear_density(matrix, z @ matrix.T), torch.full((500,), 1 / abs(a * d - b * c), dtype=F64))
    corners = cov_maths.parallelogram(a, b, c, d)
    (x0, y0), (x1, y1), n = corners.min(0), corners.max(0), 600
    gx, gy = torch.meshgrid(torch.linspace(x0, x1, n, dtype=F64), torch.linspace(y0, y1, n, dtype=F64), indexing="xy")
    density = cov_maths.linear_density(matrix, torch.stack([gx.reshape(-1), gy.reshape(-1)], 1))
    assert abs(float(density.sum()) * (x1 - x0) * (y1 - y0) / (n - 1) ** 2 - 1) < 0.01


def test_linear_density_refuses_a_singular_matrix_and_bad_shapes():
    with pytest.raises(ValueError, match="singular"):
        cov_maths.linear_density(torch.tensor([[1.0, 0.5], [2.0, 1.0]]), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        cov_maths.linear_density(torch.eye(3), torch.zeros(3, 2))


def test_linear_map_draw_explains_flips_and_singular_matrices():
    state = cov.LINEAR_MAP.example_state()
    for setting, words in (({"a": 0.0, "b": 1.0, "c": 1.0, "d": 0.0}, "orientation flipped"),
                           ({"a": 1.0, "b": 2.0, "c": 0.5, "d": 1.0}, "no density"),
                           ({"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}, "W = A⁻¹ does not exist")):
        fig = cov.LINEAR_MAP.draw(*state, **setting)
        assert words in _shown_texts(fig)
        plt.close(fig)
    # the messages are the view's texts, hidden where they do not apply
    fig = cov.LINEAR_MAP.draw(*state)
    shown = _shown_texts(fig)
    assert not any(words in shown for words in ("orientation flipped", "no density", "does not exist", "nearly singular"))
    plt.close(fig)
    fig = cov.LINEAR_MAP.draw(*state, a=1.0, b=0.9, c=1.1, d=1.0)
    assert "nearly singular" in _shown_texts(fig) and "no density" not in _shown_texts(fig)
    plt.close(fig)


def _shown_texts(fig) -> str:
    """The visible texts of a figure, joined (a view keeps its message boxes, hidden, where they do not apply)."""
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible())


# --------------------------------------------------------------------------- Bend, learning


def test_bend_is_a_correct_flow_layer():
    check_layer(cov_maths.Bend(*cov_maths.THETA_TRUE))
    check_layer(cov_maths.Bend(-0.4, -0.6, 1.0, 1.2))


def test_bend_log_det_and_density():
    bend = cov_maths.Bend(*cov_maths.THETA_TRUE).double()
    z = torch.randn(100, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    x, log_det = bend(z)
    a, s = cov_maths.THETA_TRUE[:2]
    assert torch.allclose(log_det, a + s * z[:, 0])
    flow = Flow(StandardNormal(2), [bend])
    with torch.no_grad():
        assert torch.allclose(cov_maths.bend_log_density(bend, x), flow.log_prob(x))


def test_learning_draw_clamps_the_step():
    state = cov.LEARNING.example_state()
    for step in (-5, 0, cov.FIT_STEPS, cov.FIT_STEPS + 50):
        fig = cov.LEARNING.draw(*state, step=step)
        assert f"step {min(max(step, 0), cov.FIT_STEPS)}:" in _texts(fig)
        plt.close(fig)


# --------------------------------------------------------------------------- 02: Jacobians


