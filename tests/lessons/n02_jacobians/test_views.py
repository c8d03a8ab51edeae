"""Tests of notebook 02's lesson (Jacobians): the example map, the layers it draws, and its views.

The slider drawing functions are exercised (every setting, timed) by the shared slider tests.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import torch

from flowlib import image_area, jacobian
from flowlib.lessons.n02_jacobians import maths as jac_maths
from flowlib.lessons.n02_jacobians import views as jac

F64 = torch.float64


def _texts(fig) -> str:
    """Every text shown in a figure (axes texts, titles, labels), joined without separators: the pieces of a
    ``View.numbers`` text, its words and its numbers, then read as one."""
    return "".join(t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible())


def test_example_jacobian_by_hand_matches_autograd_and_its_determinant():
    z = torch.randn(20, 2, generator=torch.Generator().manual_seed(4), dtype=F64)
    by_hand = jac_maths.example_jacobian(z)
    assert torch.allclose(by_hand, jacobian(lambda v: (jac_maths.example_map(v), None), z), atol=1e-12)
    assert torch.allclose(torch.linalg.det(by_hand), torch.exp(jac_maths.S * z[:, 0]), atol=1e-12)
    assert torch.allclose(jac_maths.example_map_inverse(jac_maths.example_map(z)), z, atol=1e-12)


def test_local_area_draw_never_raises_on_a_degenerate_size():
    for eps in (0.0, -1.0, float("nan")):
        fig = jac.LOCAL_AREA.draw(eps=eps)
        assert "ε must be positive" in _texts(fig)


def test_made_layers_are_triangular_and_not_the_identity():
    layers = jac_maths.make_layers(dim=5, hidden=(8,), seed=1)
    assert set(layers) == set(jac_maths.LAYER_NAMES)
    z = torch.randn(3, 5, generator=torch.Generator().manual_seed(5), dtype=F64)
    out = jac_maths.layer_jacobians(layers, z)
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
    first = weights(jac_maths.make_layers(dim=4, hidden=(8,), seed=3))
    after = torch.randn(3)
    torch.manual_seed(11)
    torch.randn(7)  # another global state
    again = weights(jac_maths.make_layers(dim=4, hidden=(8,), seed=3))
    other = weights(jac_maths.make_layers(dim=4, hidden=(8,), seed=4))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
    torch.manual_seed(11)
    assert torch.equal(torch.randn(3), after), "make_layers moved the caller's random stream"


def test_triangular_draw_handles_a_state_without_that_layer():
    state = jac.TRIANGULAR.example_state()
    fig = jac.TRIANGULAR.draw({"MAF": state[0]["MAF"]}, layer="IAF", point=99)
    assert "no Jacobians for 'IAF'" in _texts(fig)
    fig = jac.TRIANGULAR.draw(*state, layer="MAF", point=99)  # the point is clamped to the last one
    assert "MAF: ∂x/∂z at point 7" in _texts(fig) and "lower triangular" in _texts(fig)
    fig = jac.TRIANGULAR.draw(*state, layer="RealNVP stack")
    assert "not triangular" in _texts(fig) and "lower triangular" not in _texts(fig)


def test_image_area_ratio_converges_to_det_like_eps_squared():
    z0 = torch.tensor([-0.7, 1.3], dtype=F64)
    det = float(torch.linalg.det(jac_maths.example_jacobian(z0[None]))[0])
    eps = 0.5 ** np.arange(2, 9)
    errors = np.abs(image_area(jac_maths.example_map, z0, eps) / eps**2 - det)
    assert np.all(np.diff(errors) < 0)
    assert 1.8 < np.polyfit(np.log(eps), np.log(errors), 1)[0] < 2.2
