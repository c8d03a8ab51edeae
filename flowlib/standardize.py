r"""Standardized data: ``FixedAffine``, a flow layer without parameters, and ``standardized(flow, data)``.

A flow whose base is N(0, I) learns most easily when the data it sees have mean 0 and standard
deviation 1 in every coordinate (the 8x8 digits' pixels do not). ``standardized`` appends a fixed
affine layer next to x, so the flow's own layers see standardized data while ``log_prob`` and
``sample`` stay in the data's own units: the layer's log-det is the change of variables of the
standardization.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_points
from .flow import Flow

__all__ = ["FixedAffine", "standardized"]


class FixedAffine(nn.Module):
    r"""A flow layer without parameters: a fixed elementwise affine map.

    Forward (z ↦ x): x = loc + scale ⊙ z,       log|det ∂x/∂z| = Σ_i log scale_i.
    Inverse (x ↦ z): z = (x - loc) / scale,     log|det ∂z/∂x| = -Σ_i log scale_i.

    As the last layer of a flow (next to x) it standardizes the data the rest of the flow sees, while
    ``log_prob`` keeps the data's own units: the log-det term is the change of variables of the
    standardization. ``loc`` and ``scale`` are buffers (saved, moved by ``.to``), not parameters.

    Args:
        loc: shape (D,).
        scale: shape (D,), all entries > 0.

    >>> layer = FixedAffine(torch.tensor([1.0, -1.0]), torch.tensor([2.0, 0.5]))
    >>> layer(torch.tensor([[1.0, 2.0]]))
    (tensor([[3., 0.]]), tensor([0.]))
    """

    def __init__(self, loc, scale):
        super().__init__()
        loc, scale = torch.as_tensor(loc), torch.as_tensor(scale)
        if not (loc.is_floating_point() and scale.is_floating_point()):
            loc, scale = loc.float(), scale.float()  # integers (a pixel mean given as ints) become float32
        scale = scale.to(loc.dtype)
        if loc.dim() != 1 or len(loc) == 0 or scale.shape != loc.shape:
            raise ValueError("FixedAffine: loc and scale must both have shape (D,) with D >= 1, "
                             f"got {tuple(loc.shape)} and {tuple(scale.shape)}")
        if not bool(torch.isfinite(loc).all() and torch.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("FixedAffine: loc must be finite and scale finite and > 0 in every coordinate "
                             f"(smallest scale {float(scale.min()):.3g})")
        self.dim = len(loc)
        self.register_buffer("loc", loc.clone())
        self.register_buffer("scale", scale.clone())

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "FixedAffine.forward", "z")
        return self.loc + self.scale * z, self.scale.log().sum().expand(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "FixedAffine.inverse", "x")
        return (x - self.loc) / self.scale, -self.scale.log().sum().expand(x.shape[0])

    def jacobian_sparsity(self) -> torch.Tensor:
        return torch.eye(self.dim, dtype=torch.bool, device=self.loc.device)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def standardized(flow: Flow, data: torch.Tensor, min_std: float = 0.0) -> Flow:
    r"""``flow`` followed by ``FixedAffine(mean, std)`` of ``data`` (N, D): a new ``Flow`` sharing ``flow``'s layers.

    The flow's own layers then see data with mean 0 and standard deviation 1 in every coordinate, as
    its base N(0, I) does; ``log_prob(x)`` is still the density of x itself:
    log p(x) = log p'((x - mean) / std) - Σ_i log std_i.
    ``min_std`` floors each std (MNIST's blank border pixels would otherwise get std ≈ 0.001, and a
    held-out digit with ink there a z in the hundreds).
    """
    check_points(data, flow.dim, "standardized", "data")
    if len(data) < 2:
        raise ValueError(f"standardized: need at least 2 rows of data to estimate a standard deviation, got {len(data)}")
    mean, std = data.mean(0), data.std(0).clamp_min(min_std)
    return Flow(flow.base, [*flow.layers, FixedAffine(mean.cpu(), std.cpu()).to(data.device)])
