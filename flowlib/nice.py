r"""NICE (Dinh, Krueger and Bengio, 2014): the additive coupling layer and the diagonal scaling layer.

Partition z into z_{1:d} (kept) and z_{d+1:n} (changed). A 0/1 ``mask`` marks the kept part, so any
split works, odd dimensions included; ``coupling_mask`` makes the two halves used for alternation.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_dim, check_points
from .nets import MLP

__all__ = ["coupling_mask", "AdditiveCoupling", "Scaling"]


def coupling_mask(dim: int, parity: int = 0) -> torch.Tensor:
    r"""The 0/1 mask of the kept coordinates z_{1:d}, d = ⌊dim/2⌋; ``parity=1`` gives the complement.

    >>> coupling_mask(5), coupling_mask(5, parity=1)
    (tensor([1., 1., 0., 0., 0.]), tensor([0., 0., 1., 1., 1.]))
    """
    keep = torch.arange(dim) < dim // 2
    if parity % 2:
        keep = ~keep
    return keep.float()


def _coupling_sparsity(mask: torch.Tensor) -> torch.Tensor:
    """Where a coupling's Jacobian may be non-zero: the diagonal, and (changed row, kept column)."""
    keep = mask.bool()
    return torch.eye(len(mask), dtype=torch.bool, device=mask.device) | (~keep[:, None] & keep[None, :])


class AdditiveCoupling(nn.Module):
    r"""NICE's additive coupling layer; volume preserving, log|det J| = 0.

    Forward (generative, z ↦ x; parallel):
        x_{1:d} = z_{1:d},   x_{d+1:n} = z_{d+1:n} + m_θ(z_{1:d})
    Inverse (x ↦ z; parallel):
        z_{1:d} = x_{1:d},   z_{d+1:n} = x_{d+1:n} - m_θ(x_{1:d})

    Args:
        dim: n, the number of coordinates (at least 2).
        hidden: widths of the hidden layers of m_θ.
        parity: 0 keeps the first ⌊n/2⌋ coordinates, 1 the others (alternate it when stacking).
        mask: a custom 0/1 tensor of shape (n,) with 1 on the kept coordinates; overrides parity.

    ``forward(z)`` returns ``(x, log_det)`` and ``inverse(x)`` returns ``(z, log_det)``, both with
    ``log_det`` of shape (B,) (here zeros).

    >>> layer = AdditiveCoupling(3)
    >>> x, log_det = layer(torch.randn(4, 3))
    >>> log_det
    tensor([0., 0., 0., 0.])
    """

    def __init__(self, dim: int, hidden=(64, 64), parity: int = 0, mask: torch.Tensor | None = None, activation=nn.ReLU):
        super().__init__()
        self.dim = check_dim(dim, 2, "AdditiveCoupling")
        mask = coupling_mask(dim, parity) if mask is None else _checked_mask(mask, dim, "AdditiveCoupling")
        self.register_buffer("mask", mask)
        # m_θ sees all n inputs with the changed ones zeroed by the mask: simpler than gathering
        # z_{1:d}, and it works for any split.
        self.m = MLP(dim, dim, hidden, activation)

    def _shift(self, kept: torch.Tensor) -> torch.Tensor:
        return self.m(kept) * (1 - self.mask)  # m_θ(z_{1:d}), zero on the kept part

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "AdditiveCoupling.forward", "z")
        x = z + self._shift(z * self.mask)
        return x, z.new_zeros(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "AdditiveCoupling.inverse", "x")
        z = x - self._shift(x * self.mask)
        return z, x.new_zeros(x.shape[0])

    def jacobian_sparsity(self) -> torch.Tensor:
        """(n, n) bool: where ∂x/∂z may be non-zero (I on the kept rows, a full lower-left block)."""
        return _coupling_sparsity(self.mask)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, kept={int(self.mask.sum())}"


class Scaling(nn.Module):
    r"""NICE's diagonal scaling layer, its only non-volume-preserving part.

    Forward (z ↦ x): x = z ⊙ exp(s), log|det J| = Σ_i s_i.
    Inverse (x ↦ z): z = x ⊙ exp(-s), log|det J| = -Σ_i s_i.

    ``s`` is a learned vector of shape (n,), starting at 0 (the identity).
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_dim(dim, 1, "Scaling")
        self.s = nn.Parameter(torch.zeros(dim))

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "Scaling.forward", "z")
        return z * self.s.exp(), self.s.sum().expand(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "Scaling.inverse", "x")
        return x * (-self.s).exp(), (-self.s.sum()).expand(x.shape[0])

    def jacobian_sparsity(self) -> torch.Tensor:
        return torch.eye(self.dim, dtype=torch.bool, device=self.s.device)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _checked_mask(mask, dim: int, who: str) -> torch.Tensor:
    mask = torch.as_tensor(mask, dtype=torch.float32)
    if mask.shape != (dim,) or not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError(f"{who}: mask must be a 0/1 tensor of shape ({dim},), got {mask.tolist()}")
    kept = int(mask.sum())
    if not 0 < kept < dim:
        raise ValueError(f"{who}: mask must keep between 1 and {dim - 1} coordinates (1 <= d < n), it keeps {kept}")
    return mask
