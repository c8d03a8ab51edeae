r"""What NICE's and RealNVP's coupling layers share: the split of z, and one network reading the kept part.

Partition z into z_{1:d} (kept) and z_{d+1:n} (changed). A 0/1 ``mask`` marks the kept part, so any
split works, odd dimensions included; ``coupling_mask`` makes the two halves used for alternation.
The network reads z_{1:d} only (d inputs, as on the slides) and gives one vector of n - d values per
head: m_θ for NICE's ``AdditiveCoupling``, μ_θ and α_θ for RealNVP's ``AffineCoupling``. Each head
comes back as (B, n), zero on the kept coordinates, so both layers write the slide's equations on
whole vectors: x = z + m_θ and x = z ⊙ exp(α_θ) + μ_θ leave z_{1:d} unchanged exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import FlowlibError, check_dim, check_hidden, check_parity
from .nets import MLP

__all__ = ["coupling_mask", "Coupling"]


def coupling_mask(dim: int, parity: int = 0) -> torch.Tensor:
    r"""The 0/1 mask of the kept coordinates z_{1:d}, d = ⌊dim/2⌋; ``parity=1`` gives the complement.

    >>> coupling_mask(5), coupling_mask(5, parity=1)
    (tensor([1., 1., 0., 0., 0.]), tensor([0., 0., 1., 1., 1.]))
    """
    dim = check_dim(dim, 2, "coupling_mask")
    keep = torch.arange(dim) < dim // 2
    if check_parity(parity, "coupling_mask"):
        keep = ~keep
    return keep.float()


def _checked_mask(mask, dim: int, who: str) -> torch.Tensor:
    try:
        mask = torch.as_tensor(mask, dtype=torch.float32).cpu()
    except (TypeError, ValueError, RuntimeError):
        raise FlowlibError(f"{who}: mask must be a 0/1 tensor of shape ({dim},) with 1 on the kept coordinates, "
                           f"got {type(mask).__name__}") from None
    if mask.shape != (dim,) or not bool(((mask == 0) | (mask == 1)).all()):
        raise FlowlibError(f"{who}: mask must be a 0/1 tensor of shape ({dim},), got {mask.tolist()}")
    kept = int(mask.sum())
    if not 0 < kept < dim:
        raise FlowlibError(f"{who}: mask must keep between 1 and {dim - 1} coordinates (1 <= d < n), it keeps {kept}")
    return mask


def _coupling_sparsity(mask: torch.Tensor) -> torch.Tensor:
    """(n, n) bool: where ∂x/∂z of a coupling with this mask may be non-zero: the diagonal, and (changed row, kept column)."""
    keep = mask.bool()
    return torch.eye(len(mask), dtype=torch.bool, device=mask.device) | (~keep[:, None] & keep[None, :])


class Coupling(nn.Module):
    r"""The plumbing of a coupling layer (subclassed by ``AdditiveCoupling`` and ``AffineCoupling``).

    Holds the ``mask`` of z_{1:d} (a buffer, saved), the positions ``kept`` and ``changed`` derived
    from it (buffers, not saved: rebuilt from the mask when a state_dict is loaded), and ``net``,
    one MLP from the d kept coordinates to ``heads`` vectors of n - d values. ``conditioner(v)``
    evaluates it, in two halves: ``heads_at(v)``, the network's outputs, and ``spread(head)``, one
    written into the changed coordinates. Subclasses add ``forward`` and ``inverse``.
    """

    def __init__(self, dim: int, hidden, parity: int, mask, heads: int, activation):
        super().__init__()
        who = type(self).__name__
        self.dim = check_dim(dim, 2, who)
        hidden = check_hidden(hidden, who)
        mask = coupling_mask(dim, check_parity(parity, who)) if mask is None else _checked_mask(mask, dim, who)
        self.register_buffer("mask", mask)
        self.register_buffer("kept", mask.nonzero().squeeze(1), persistent=False)
        self.register_buffer("changed", (1 - mask).nonzero().squeeze(1), persistent=False)
        self.heads = heads
        # The network of the slides: d inputs, (n - d) outputs per head; its last layer starts at zero,
        # so a new layer is the identity.
        self.net = MLP(len(self.kept), heads * len(self.changed), hidden, activation)

    def conditioner(self, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The network's heads at v_{1:d}, each (B, n) and zero on the kept coordinates.

        Only the kept coordinates of ``v`` (B, n) are read, so z, x or z ⊙ mask give the same result.
        """
        return tuple(self.spread(head) for head in self.heads_at(v))

    def heads_at(self, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The network's heads at v_{1:d} as it gives them: each (B, n - d), one value per changed coordinate."""
        return self.net(v.index_select(1, self.kept)).chunk(self.heads, dim=-1)

    def spread(self, head: torch.Tensor) -> torch.Tensor:
        """A head (B, n - d) written into the changed coordinates of a (B, n) tensor of zeros."""
        return head.new_zeros(head.shape[0], self.dim).index_copy_(1, self.changed, head)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The positions come from the mask: a state_dict saved from another parity or mask must move
        # them too, or the loaded layer would compute another function than the saved one.
        mask = state_dict.get(prefix + "mask")
        if isinstance(mask, torch.Tensor) and mask.shape == self.mask.shape and int(mask.sum()) != len(self.kept):
            raise FlowlibError(f"{type(self).__name__}.load_state_dict: the saved layer keeps {int(mask.sum())} "
                               f"coordinates, this one keeps {len(self.kept)}; build the layer with the saved "
                               "layer's parity or mask before loading")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self.kept = self.mask.nonzero().squeeze(1)
        self.changed = (1 - self.mask).nonzero().squeeze(1)

    def jacobian_sparsity(self) -> torch.Tensor:
        return _coupling_sparsity(self.mask)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, kept={len(self.kept)}"
