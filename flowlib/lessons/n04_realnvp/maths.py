r"""Notebook 04's maths that the notebook uses but does not show.

A hand-set 2-D affine coupling and the areas it makes, one coupling step's intermediate values, and a flow's
points layer by layer.
"""

from __future__ import annotations

import math

import torch

from ... import check_points, image_area
from ...plotting import grid_lines
from ...realnvp import AffineCoupling

__all__ = ["REGION", "affine_coupling_2d", "region_areas", "propagation_values", "layer_steps"]


REGION = (-1.0, 1.0, -1.0, 1.0)  # VOLUME's square R = [-1, 1]², area 4


def affine_coupling_2d(z: torch.Tensor, a: float, b: float) -> torch.Tensor:
    r"""The slide's affine coupling in 2-D (d = 1) with hand-set functions, applied to ``z`` (B, 2):

        x₁ = z₁,   x₂ = z₂ ⊙ exp(α(z₁)) + μ(z₁),   α(z₁) = a + b z₁,   μ(z₁) = 0.6 sin(2 z₁).

    det J = exp(α(z₁)); μ bends the square but changes no area.
    """
    check_points(z, 2, "affine_coupling_2d", "z")
    z1, z2 = z[:, :1], z[:, 1:]
    return torch.cat([z1, z2 * torch.exp(a + b * z1) + 0.6 * torch.sin(2 * z1)], 1)


def region_areas(a: float, b: float) -> tuple[float, float]:
    r"""``(measured, predicted)`` area of f(R) for ``affine_coupling_2d`` with α(z₁) = a + b z₁ on R = ``REGION``.

    measured: the shoelace formula on the image of R's boundary (``flowlib.image_area``, no determinant);
    predicted: ∫_R det J dz = (y1 - y0) ∫_{x0}^{x1} exp(a + b z₁) dz₁, in closed form.
    """
    x0, x1, y0, y1 = REGION
    measured = float(image_area(lambda z: affine_coupling_2d(z, a, b), ((x0 + x1) / 2, (y0 + y1) / 2), [x1 - x0], 400)[0])
    if abs(b) < 1e-9:
        integral = math.exp(a) * (x1 - x0)
    else:
        integral = (math.exp(a + b * x1) - math.exp(a + b * x0)) / b
    return measured, (y1 - y0) * integral


@torch.no_grad()
def propagation_values(layer: AffineCoupling, z) -> dict:
    r"""Every intermediate value of one ``AffineCoupling`` step on one point ``z`` (n,), both directions;
    on a batch ``z`` (B, n), each value gets a leading batch dimension.

    Returns a dict of 1-D tensors (and index tensors ``kept``, ``changed``):
    forward: ``z``, ``alpha`` = α_θ(z_{1:d}), ``mu`` = μ_θ(z_{1:d}), ``scaled`` = z ⊙ exp(α_θ), ``x`` = scaled + μ_θ;
    inverse: ``alpha_inv`` = α_θ(x_{1:d}), ``mu_inv`` = μ_θ(x_{1:d}), ``shifted`` = x - μ_θ, ``z_back`` = shifted ⊙ exp(-α_θ).
    α and μ are those of the changed coordinates z_{d+1:n}; ``x`` and ``z_back`` are what the layer's
    own ``forward`` and ``inverse`` return.
    """
    if not isinstance(layer, AffineCoupling):
        raise TypeError(f"propagation_values: expected an AffineCoupling layer, got {type(layer).__name__}")
    param = next(layer.parameters())
    z = torch.as_tensor(z, dtype=param.dtype, device=param.device)
    one = z.dim() == 1
    z = z.reshape(1, -1) if one else z
    check_points(z, layer.dim, "propagation_values", "z")
    kept, changed = layer.mask.bool().nonzero().squeeze(1), (~layer.mask.bool()).nonzero().squeeze(1)
    mu, alpha = layer.mu_alpha(z * layer.mask)
    x = layer(z)[0]
    mu_inv, alpha_inv = layer.mu_alpha(x * layer.mask)
    shifted = x - mu_inv
    z_back = layer.inverse(x)[0]
    values = {"z": z, "x": x, "z_back": z_back, "alpha": alpha[:, changed], "mu": mu[:, changed],
              "scaled": (z * alpha.exp())[:, changed], "alpha_inv": alpha_inv[:, changed], "mu_inv": mu_inv[:, changed],
              "shifted": shifted[:, changed]}
    return {"kept": kept.cpu(), "changed": changed.cpu(), **{name: (v[0] if one else v).cpu() for name, v in values.items()}}


@torch.no_grad()
def layer_steps(flow, z: torch.Tensor, bounds=(-3.0, 3.0, -3.0, 3.0), lines: int = 13, points: int = 60):
    r"""The points and a square grid after every layer of a 2-D ``flow``, for ``LAYERS``.

    Returns ``(samples, grids, names)``: K + 1 arrays (B, 2) from ``flow.forward_steps(z)``; K + 1
    arrays (2 · lines, points, 2), the grid lines of ``bounds`` carried the same way; and K + 1 titles.
    """
    check_points(z, 2, "layer_steps", "z")
    grid = grid_lines(bounds, lines, points, dtype=z.dtype, device=z.device).reshape(-1, 2)  # (2 · lines · points, 2)
    samples = [s.cpu().numpy() for s in flow.forward_steps(z)]
    grids = [g.reshape(2 * lines, points, 2).cpu().numpy() for g in flow.forward_steps(grid)]
    names = ["z ~ N(0, I)"] + [f"after layer {i + 1}: {type(layer).__name__}"
                               + (f" (keeps coordinate {int(layer.mask.argmax()) + 1})" if hasattr(layer, "mask") else "")
                               for i, layer in enumerate(flow.layers)]
    return samples, grids, names
