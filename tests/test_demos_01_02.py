"""Tests of the helpers behind notebooks 01 (change of variables) and 02 (Jacobians).

The slider drawing functions are exercised (every setting, timed) by the shared slider tests; here we
check the mathematics the drawings and the notebooks rely on, and the messages for bad input.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from flowlib import Flow, StandardNormal, check_layer, image_area, jacobian, shoelace_area, square_boundary  # noqa: E402
from flowlib.demos import change_of_variables as cov  # noqa: E402
from flowlib.demos import jacobians as jac  # noqa: E402

F64 = torch.float64


def _texts(fig) -> str:
    """Every text drawn anywhere in a figure, joined (axes texts, titles, labels)."""
    found = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return "\n".join(found)


# --------------------------------------------------------------------------- 1-D monotone maps


def test_target_icdf_inverts_the_cdf_and_the_target_is_a_density():
    u = torch.rand(1000, generator=torch.Generator().manual_seed(0), dtype=F64) * 0.998 + 0.001
    x = cov.target_icdf(u)
    assert (cov.target_cdf(x) - u).abs().max() < 1e-12
    grid = torch.linspace(-10, 10, 20001, dtype=F64)
    assert abs(float(torch.trapezoid(cov.target_pdf(grid), grid)) - 1) < 1e-9


def test_target_icdf_rejects_integers():
    with pytest.raises(TypeError, match="floating-point"):
        cov.target_icdf(torch.tensor([0, 1]))


@pytest.mark.parametrize("base", cov.BASES)
def test_monotone_map_ends_derivative_and_inverse(base):
    v = torch.linspace(0.05, 0.95, 50, dtype=F64) if base == "uniform" else torch.linspace(-3, 3, 50, dtype=F64)
    x0, d0 = cov.monotone_map(v, base, 0.0)
    assert torch.equal(x0, v) and torch.allclose(d0, torch.ones_like(v))  # t = 0: the identity
    x1, _ = cov.monotone_map(v, base, 1.0)
    assert torch.allclose(cov.target_cdf(x1), cov.base_cdf(v, base), atol=1e-12)  # t = 1: T = F*⁻¹ ∘ F_V
    for t in (0.3, 0.7):
        h = 1e-6
        x, slope = cov.monotone_map(v, base, t)
        numeric = (cov.monotone_map(v + h, base, t)[0] - cov.monotone_map(v - h, base, t)[0]) / (2 * h)
        assert torch.allclose(slope, numeric, rtol=1e-5)
        assert (slope > 0).all()  # increasing, hence invertible
        assert torch.allclose(cov.monotone_map_inverse(x, base, t), v, atol=1e-9)


def test_monotone_map_pushforward_matches_the_formula():
    # Histogram of f_t(z) against p_Z(v) / f_t'(v) at v = f_t⁻¹(x): the notebook's claim, on fresh samples.
    g = torch.Generator().manual_seed(3)
    z = torch.randn(200_000, generator=g, dtype=F64)
    x, _ = cov.monotone_map(z, "gaussian", 0.4)
    counts, edges = np.histogram(x.numpy(), bins=40, range=(-4, 4))
    hist = counts / (len(x) * (edges[1] - edges[0]))
    centres = torch.as_tensor((edges[1:] + edges[:-1]) / 2)
    v = cov.monotone_map_inverse(centres, "gaussian", 0.4)
    formula = cov.base_pdf(v, "gaussian") / cov.monotone_map(v, "gaussian", 0.4)[1]
    assert np.abs(hist - formula.numpy()).max() < 0.02


@pytest.mark.parametrize("call", [
    lambda: cov.monotone_map(torch.zeros(3, dtype=F64), "laplace", 0.5),
    lambda: cov.base_pdf(torch.zeros(3), "cauchy"),
    lambda: cov.monotone_map(torch.zeros(3, dtype=F64), "uniform", 1.5),
])
def test_monotone_map_bad_input_names_what_was_expected(call):
    with pytest.raises(ValueError, match="must"):
        call()


# --------------------------------------------------------------------------- x = Az


def test_shoelace_area_signed_and_batched():
    square = [[0, 0], [1, 0], [1, 1], [0, 1]]
    assert shoelace_area(square) == 1.0
    assert shoelace_area(square[::-1]) == -1.0
    batch = np.stack([cov.parallelogram(2, 0, 0, 3), cov.parallelogram(0, 1, 1, 0)])
    assert np.allclose(shoelace_area(batch), [6.0, -1.0])
    assert shoelace_area(torch.tensor(square, dtype=F64)) == 1.0
    with pytest.raises(ValueError, match=r"shape \(K, 2\)"):
        shoelace_area([[0, 0], [1, 1]])


@pytest.mark.parametrize("seed", range(5))
def test_determinant_equals_shoelace_and_monte_carlo_areas(seed):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.rand(4, generator=g, dtype=F64) * 4 - 2).tolist()
    corners = cov.parallelogram(a, b, c, d)
    assert math.isclose(shoelace_area(corners), a * d - b * c, abs_tol=1e-12)
    area, error = cov.monte_carlo_area(corners, torch.rand(20_000, 2, generator=g, dtype=F64))
    assert abs(area - abs(a * d - b * c)) < 4 * error + 1e-12


def test_monte_carlo_area_of_a_singular_map_is_zero():
    points = torch.rand(1000, 2, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert cov.monte_carlo_area(cov.parallelogram(1, 2, 0.5, 1), points)[0] == 0.0
    assert cov.monte_carlo_area(cov.parallelogram(0, 0, 0, 0), points) == (0.0, 0.0)
    assert cov.is_singular(1, 2, 0.5, 1) and cov.is_singular(0.3, 0.2, 0.6, 0.4) and not cov.is_singular(1, 0, 0, 1e-3)


def test_linear_density_is_one_over_det_on_the_parallelogram_and_integrates_to_one():
    a, b, c, d = -1.2, 0.4, 0.7, 0.9  # det < 0
    matrix = torch.tensor([[a, c], [b, d]], dtype=F64)
    z = torch.rand(500, 2, generator=torch.Generator().manual_seed(1), dtype=F64) * 0.98 + 0.01
    assert torch.allclose(cov.linear_density(matrix, z @ matrix.T), torch.full((500,), 1 / abs(a * d - b * c), dtype=F64))
    corners = cov.parallelogram(a, b, c, d)
    (x0, y0), (x1, y1), n = corners.min(0), corners.max(0), 600
    gx, gy = torch.meshgrid(torch.linspace(x0, x1, n, dtype=F64), torch.linspace(y0, y1, n, dtype=F64), indexing="xy")
    density = cov.linear_density(matrix, torch.stack([gx.reshape(-1), gy.reshape(-1)], 1))
    assert abs(float(density.sum()) * (x1 - x0) * (y1 - y0) / (n - 1) ** 2 - 1) < 0.01


def test_linear_density_refuses_a_singular_matrix_and_bad_shapes():
    with pytest.raises(ValueError, match="singular"):
        cov.linear_density(torch.tensor([[1.0, 0.5], [2.0, 1.0]]), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        cov.linear_density(torch.eye(3), torch.zeros(3, 2))


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
    check_layer(cov.Bend(*cov.THETA_TRUE))
    check_layer(cov.Bend(-0.4, -0.6, 1.0, 1.2))


def test_bend_log_det_and_density():
    bend = cov.Bend(*cov.THETA_TRUE).double()
    z = torch.randn(100, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    x, log_det = bend(z)
    a, s = cov.THETA_TRUE[:2]
    assert torch.allclose(log_det, a + s * z[:, 0])
    flow = Flow(StandardNormal(2), [bend])
    with torch.no_grad():
        assert torch.allclose(cov._bend_log_prob(bend, x), flow.log_prob(x))


def test_learning_draw_clamps_the_step():
    state = cov.LEARNING.example_state()
    for step in (-5, 0, cov.FIT_STEPS, cov.FIT_STEPS + 50):
        fig = cov.LEARNING.draw(*state, step=step)
        assert f"step {min(max(step, 0), cov.FIT_STEPS)}:" in _texts(fig)
        plt.close(fig)


# --------------------------------------------------------------------------- 02: Jacobians


def test_example_jacobian_by_hand_matches_autograd_and_its_determinant():
    z = torch.randn(20, 2, generator=torch.Generator().manual_seed(4), dtype=F64)
    by_hand = jac.example_jacobian(z)
    assert torch.allclose(by_hand, jacobian(lambda v: (jac.example_map(v), None), z), atol=1e-12)
    assert torch.allclose(torch.linalg.det(by_hand), torch.exp(jac.S * z[:, 0]), atol=1e-12)
    assert torch.allclose(jac.example_map_inverse(jac.example_map(z)), z, atol=1e-12)


def test_square_boundary_runs_counter_clockwise_around_the_square():
    boundary = square_boundary([0.3, -0.2], [0.5, 2.0], n=8)
    assert boundary.shape == (2, 32, 2)
    assert np.allclose(shoelace_area(boundary.numpy()), [0.25, 4.0])
    assert torch.allclose(boundary[1].mean(0), torch.tensor([0.3, -0.2], dtype=F64))


def test_image_area_ratio_converges_to_det_like_eps_squared():
    z0 = torch.tensor([-0.7, 1.3], dtype=F64)
    det = float(torch.linalg.det(jac.example_jacobian(z0[None]))[0])
    eps = 0.5 ** np.arange(2, 9)
    errors = np.abs(image_area(jac.example_map, z0, eps) / eps**2 - det)
    assert np.all(np.diff(errors) < 0)
    assert 1.8 < np.polyfit(np.log(eps), np.log(errors), 1)[0] < 2.2


def test_local_area_draw_never_raises_on_a_degenerate_size():
    for eps in (0.0, -1.0, float("nan")):
        fig = jac.LOCAL_AREA.draw(eps=eps)
        assert "ε must be positive" in _texts(fig)


def test_made_layers_are_triangular_and_not_the_identity():
    layers = jac.make_layers(dim=5, hidden=(8,), seed=1)
    assert set(layers) == set(jac.LAYER_NAMES)
    z = torch.randn(3, 5, generator=torch.Generator().manual_seed(5), dtype=F64)
    out = jac.layer_jacobians(layers, z)
    eye = torch.eye(5, dtype=F64)
    for name, (j, log_det) in out.items():
        assert j.shape == (3, 5, 5) and log_det.shape == (3,)
        assert (j - eye).abs().max() > 1e-3, f"{name} is still the identity"
        assert torch.allclose(torch.linalg.slogdet(j).logabsdet, log_det, atol=1e-10)
        triangular = bool((j.triu(1) == 0).all())
        assert triangular == (name != "RealNVP stack"), name
        if triangular:
            assert torch.allclose(j.diagonal(dim1=1, dim2=2).abs().log().sum(-1), log_det, atol=1e-10)



def test_made_layers_depend_on_the_seed_alone():
    """Same seed, same weights, whatever the global random state; the caller's stream is left alone."""
    def weights(layers):
        return [t.clone() for layer in layers.values() for t in layer.state_dict().values()]

    torch.manual_seed(11)
    first = weights(jac.make_layers(dim=4, hidden=(8,), seed=3))
    after = torch.randn(3)
    torch.manual_seed(11)
    torch.randn(7)  # another global state
    again = weights(jac.make_layers(dim=4, hidden=(8,), seed=3))
    other = weights(jac.make_layers(dim=4, hidden=(8,), seed=4))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
    torch.manual_seed(11)
    assert torch.equal(torch.randn(3), after), "make_layers moved the caller's random stream"

def test_triangular_draw_handles_a_state_without_that_layer():
    state = jac.TRIANGULAR.example_state()
    fig = jac.TRIANGULAR.draw({"MAF": state[0]["MAF"]}, layer="IAF", point=99)
    assert "no Jacobians for 'IAF'" in _texts(fig)
    fig = jac.TRIANGULAR.draw(*state, layer="MAF", point=99)  # the point is clamped to the last one
    assert "at point 7" in _texts(fig) and "lower triangular" in _texts(fig)
    fig = jac.TRIANGULAR.draw(*state, layer="RealNVP stack")
    assert "not triangular" in _texts(fig) and "lower triangular" not in _texts(fig)
