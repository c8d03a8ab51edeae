r"""Notebook 02's maths that the notebook uses but does not show.

The example map and its Jacobian by hand, and flowlib layers with their autograd Jacobians.
"""

from __future__ import annotations

import torch

from ... import check_points, jacobian, randomize
from ...autoregressive import IAF, MAF
from ...models import make_realnvp
from ...nice import AdditiveCoupling
from ...realnvp import AffineCoupling

__all__ = ["K", "S", "example_map", "example_map_inverse", "example_jacobian", "LAYER_NAMES", "make_layers", "layer_jacobians"]


K, S = 0.8, 0.5  # the example map's bend k and log-scale rate s


def example_map(z: torch.Tensor) -> torch.Tensor:
    r"""x = f(z) = (z₁ + k sin(z₂ e^{s z₁}), z₂ e^{s z₁}) for a batch z of shape (B, 2); returns (B, 2).

    >>> example_map(torch.zeros(1, 2))
    tensor([[0., 0.]])
    """
    check_points(z, 2, "example_map", "z")
    y2 = z[:, 1] * torch.exp(S * z[:, 0])  # g₁
    return torch.stack([z[:, 0] + K * torch.sin(y2), y2], 1)  # g₂


def example_map_inverse(x: torch.Tensor) -> torch.Tensor:
    r"""z = f⁻¹(x): undo g₂ (z₁ = x₁ - k sin(x₂)), then g₁ (z₂ = x₂ e^{-s z₁}); shape (B, 2)."""
    check_points(x, 2, "example_map_inverse", "x")
    z1 = x[:, 0] - K * torch.sin(x[:, 1])
    return torch.stack([z1, x[:, 1] * torch.exp(-S * z1)], 1)


def example_jacobian(z: torch.Tensor) -> torch.Tensor:
    r"""∂x/∂z of ``example_map`` by hand, shape (B, 2, 2); with y₂ = z₂ e^{s z₁} and c = k cos(y₂):

        J = [[1 + c s y₂,  c e^{s z₁}],
             [s y₂,        e^{s z₁}  ]],      det J = e^{s z₁}.
    """
    check_points(z, 2, "example_jacobian", "z")
    e = torch.exp(S * z[:, 0])
    y2 = z[:, 1] * e
    c = K * torch.cos(y2)
    return torch.stack([torch.stack([1 + c * S * y2, c * e], -1), torch.stack([S * y2, e], -1)], -2)


LAYER_NAMES = ("AdditiveCoupling", "AffineCoupling", "MAF", "IAF", "RealNVP stack")


def make_layers(dim: int = 6, hidden=(32,), scale: float = 0.5, seed: int = 0) -> dict:
    r"""One flowlib layer per name of ``LAYER_NAMES`` (the stack: ``make_realnvp(dim, layers=4)``), float64.

    A new layer is the identity (its last weights are zero), whose Jacobian is I: every parameter is
    moved by ``scale`` · N(0, 1) noise (from a generator seeded with ``seed``) to show the structure.
    The initial weights come from torch's global generator, seeded with ``seed`` inside a fork of it:
    the same ``seed`` gives the same layers, and the caller's random stream is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = {
            "AdditiveCoupling": AdditiveCoupling(dim, hidden), "AffineCoupling": AffineCoupling(dim, hidden),
            "MAF": MAF(dim, hidden), "IAF": IAF(dim, hidden), "RealNVP stack": make_realnvp(dim, layers=4, hidden=hidden),
        }
    g = torch.Generator().manual_seed(seed)
    for layer in layers.values():
        randomize(layer.double(), scale, generator=g)
    return layers


def layer_jacobians(layers: dict, z: torch.Tensor) -> dict:
    r"""``{name: (J, log_det)}``: the autograd Jacobians ∂x/∂z (P, D, D) of each layer's ``forward`` at the
    points ``z`` (P, D), and the log_det (P,) the layer itself returns, both detached on the CPU."""
    out = {}
    for name, layer in layers.items():
        jac = jacobian(layer.forward, z)
        with torch.no_grad():
            log_det = layer.forward(z)[1]
        out[name] = (jac.detach().cpu(), log_det.detach().cpu())
    return out
