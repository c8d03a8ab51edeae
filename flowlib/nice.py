r"""NICE (Dinh, Krueger and Bengio, 2014): the additive coupling layer and the diagonal scaling layer.

The split of z into kept z_{1:d} and changed z_{d+1:n}, and the network reading z_{1:d}, are
``Coupling``'s (``flowlib/coupling.py``), shared with RealNVP's ``AffineCoupling``.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_dim, check_points
from .coupling import Coupling, coupling_mask

__all__ = ["coupling_mask", "AdditiveCoupling", "Scaling"]


class AdditiveCoupling(Coupling):
    r"""NICE's additive coupling layer; volume preserving, log|det J| = 0.

    Forward (generative, z ↦ x; parallel):
        x_{1:d} = z_{1:d},   x_{d+1:n} = z_{d+1:n} + m_θ(z_{1:d})
    Inverse (x ↦ z; parallel):
        z_{1:d} = x_{1:d},   z_{d+1:n} = x_{d+1:n} - m_θ(x_{1:d})

    Args:
        dim: n, the number of coordinates (at least 2).
        hidden: widths of the hidden layers of m_θ, a tuple such as (64, 64).
        parity: 0 keeps the first ⌊n/2⌋ coordinates, 1 the others (alternate it when stacking).
        mask: a custom 0/1 tensor of shape (n,) with 1 on the kept coordinates; overrides parity.

    ``forward(z)`` returns ``(x, log_det)`` and ``inverse(x)`` returns ``(z, log_det)``, both with
    ``log_det`` of shape (B,) (here zeros). Inputs must have the dtype and device of the layer's
    parameters (see ``flowlib._validate``).

    >>> layer = AdditiveCoupling(3)
    >>> x, log_det = layer(torch.randn(4, 3))
    >>> log_det
    tensor([0., 0., 0., 0.])
    """

    def __init__(self, dim: int, hidden=(64, 64), parity: int = 0, mask: torch.Tensor | None = None, activation=nn.ReLU):
        super().__init__(dim, hidden, parity, mask, heads=1, activation=activation)

    def shift(self, v: torch.Tensor) -> torch.Tensor:
        """m_θ(v_{1:d}), shape (B, n), zero on the kept coordinates."""
        (m,) = self.conditioner(v)
        return m

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "AdditiveCoupling.forward", "z", like=self)
        m = self.shift(z)
        return z + m, z.new_zeros(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "AdditiveCoupling.inverse", "x", like=self)
        m = self.shift(x)
        return x - m, x.new_zeros(x.shape[0])


class Scaling(nn.Module):
    r"""NICE's diagonal scaling layer, its only non-volume-preserving part.

    Forward (z ↦ x): x = z ⊙ exp(s), log|det J| = Σ_i s_i.
    Inverse (x ↦ z): z = x ⊙ exp(-s), log|det J| = -Σ_i s_i.

    ``s`` is a learned vector of shape (n,), starting at 0 (the identity).
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_dim(dim, 1, "Scaling")
        self.s = nn.Parameter(torch.zeros(self.dim))

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "Scaling.forward", "z", like=self)
        return z * self.s.exp(), self.s.sum().expand(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "Scaling.inverse", "x", like=self)
        return x * (-self.s).exp(), (-self.s.sum()).expand(x.shape[0])

    def jacobian_sparsity(self) -> torch.Tensor:
        return torch.eye(self.dim, dtype=torch.bool, device=self.s.device)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
