r"""Permutations of the coordinates, placed between couplings or autoregressive layers so that every
coordinate gets changed, and every variable ordering gets used ("layers with different variable
orderings can be stacked"). |det J| = 1, so log_det = 0.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import FlowlibError, check_dim, check_points

__all__ = ["Permutation", "Reverse"]


class Permutation(nn.Module):
    r"""x = z[:, π] (forward, z ↦ x) and z = x[:, π⁻¹] (inverse); log_det = 0.

    Args:
        dim: n, the number of coordinates.
        perm: the permutation π as a sequence of n distinct indices; a random one (from torch's
            global generator: seed it) when omitted.
    """

    def __init__(self, dim: int, perm=None):
        super().__init__()
        self.dim = check_dim(dim, 1, type(self).__name__)
        perm = torch.randperm(dim) if perm is None else _checked_perm(perm, dim, type(self).__name__)
        # Buffers: they move to the GPU and are saved with the model.
        self.register_buffer("perm", perm)
        self.register_buffer("inv_perm", torch.argsort(perm))

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, f"{type(self).__name__}.forward", "z", like=self)
        # index_select, not z[:, perm]: the same gather, about 5x faster on CPU (and in backward).
        return z.index_select(1, self.perm), z.new_zeros(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, f"{type(self).__name__}.inverse", "x", like=self)
        return x.index_select(1, self.inv_perm), x.new_zeros(x.shape[0])

    def jacobian_sparsity(self) -> torch.Tensor:
        """∂x_i/∂z_j is 1 where j = π(i) and 0 elsewhere."""
        pattern = torch.zeros(self.dim, self.dim, dtype=torch.bool, device=self.perm.device)
        pattern[torch.arange(self.dim, device=self.perm.device), self.perm] = True
        return pattern

    def extra_repr(self) -> str:
        return f"dim={self.dim}, perm={self.perm.tolist()}"


def _checked_perm(perm, dim: int, who: str) -> torch.Tensor:
    """``perm`` as a long tensor holding each of 0..dim-1 once (2.0 is not an index: refused, not truncated)."""
    try:
        values = torch.as_tensor(perm)
    except (TypeError, ValueError, RuntimeError):
        values = None
    if values is None or values.dtype.is_floating_point or values.dtype.is_complex or values.dtype == torch.bool:
        raise FlowlibError(f"{who}: perm must be a sequence of int indices holding each of 0..{dim - 1} once, "
                           f"such as {list(range(dim))[::-1]}, got {perm!r}")
    values = values.long().cpu()
    if values.shape != (dim,) or not torch.equal(values.sort().values, torch.arange(dim)):
        raise FlowlibError(f"{who}: perm must hold each of 0..{dim - 1} once, got {values.tolist()}")
    return values


class Reverse(Permutation):
    r"""Reverses the order of the coordinates: x_i = z_{n+1-i}; its own inverse; log_det = 0."""

    def __init__(self, dim: int):
        super().__init__(dim, perm=torch.arange(dim - 1, -1, -1) if isinstance(dim, int) and dim > 0 else None)

    # flip, not Permutation's gather: the same points, without reading an index (1024 x 64: 17 µs against 40
    # on the 2-core CPU; four of them sit in every MAF of make_maf).
    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "Reverse.forward", "z", like=self)
        return z.flip(1), z.new_zeros(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "Reverse.inverse", "x", like=self)
        return x.flip(1), x.new_zeros(x.shape[0])
