r"""RealNVP (Dinh, Sohl-Dickstein and Bengio, 2017): the affine coupling layer, NICE made non-volume preserving."""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_dim, check_points
from .nets import MLP, soft_clamp
from .nice import _checked_mask, _coupling_sparsity, coupling_mask

__all__ = ["AffineCoupling"]


class AffineCoupling(nn.Module):
    r"""RealNVP's affine coupling layer.

    Forward (generative, z ↦ x; parallel):
        x_{1:d} = z_{1:d},   x_{d+1:n} = z_{d+1:n} ⊙ exp(α_θ(z_{1:d})) + μ_θ(z_{1:d})
    Inverse (x ↦ z; parallel):
        z_{1:d} = x_{1:d},   z_{d+1:n} = (x_{d+1:n} - μ_θ(x_{1:d})) ⊙ exp(-α_θ(x_{1:d}))
    log|det ∂x/∂z| = Σ_{i>d} α_θ(z_{1:d})_i; the inverse returns minus that.

    Args:
        dim: n, the number of coordinates (at least 2).
        hidden: widths of the hidden layers of the network z_{1:d} ↦ (μ_θ, α_θ).
        parity: 0 keeps the first ⌊n/2⌋ coordinates, 1 the others (alternate it when stacking).
        mask: a custom 0/1 tensor of shape (n,) with 1 on the kept coordinates; overrides parity.
        bound: α_θ is soft-clamped to (-bound, bound) (see ``soft_clamp``).

    >>> layer = AffineCoupling(2)
    >>> z = torch.randn(4, 2)
    >>> x, log_det = layer(z)
    >>> torch.allclose(layer.inverse(x)[0], z), log_det.shape
    (True, torch.Size([4]))
    """

    def __init__(self, dim: int, hidden=(64, 64), parity: int = 0, mask: torch.Tensor | None = None,
                 bound: float = 3.0, activation=nn.ReLU):
        super().__init__()
        self.dim = check_dim(dim, 2, "AffineCoupling")
        mask = coupling_mask(dim, parity) if mask is None else _checked_mask(mask, dim, "AffineCoupling")
        self.register_buffer("mask", mask)
        # The positions of z_{1:d} and z_{d+1:n}; derived from the mask, so not saved.
        self.register_buffer("kept", mask.nonzero().squeeze(1), persistent=False)
        self.register_buffer("changed", (1 - mask).nonzero().squeeze(1), persistent=False)
        self.bound = bound
        # One network R^d -> R^{2(n-d)}, two heads: μ_θ and α_θ of the n-d changed coordinates, as
        # on the slide. (Feeding it all n inputs with the changed ones zeroed would work too, at
        # about 1.5 times the cost and parameters.)
        self.net = MLP(len(self.kept), 2 * len(self.changed), hidden, activation)

    def mu_alpha(self, kept: torch.Tensor):
        """(μ_θ, α_θ) of the kept coordinates, each (B, n) and zero on the kept part itself.

        ``kept`` is z ⊙ mask, shape (B, n); only its kept coordinates are read, so z itself works too.
        """
        mu, alpha = self._mu_alpha(kept)
        zeros = kept.new_zeros(kept.shape)
        return zeros.index_copy(1, self.changed, mu), zeros.index_copy(1, self.changed, alpha)

    def _mu_alpha(self, v: torch.Tensor):
        """μ_θ(v_{1:d}), α_θ(v_{1:d}) (α soft-clamped), each (B, n-d): only the changed coordinates."""
        mu, alpha = self.net(v.index_select(1, self.kept)).chunk(2, dim=-1)
        return mu, soft_clamp(alpha, self.bound)

    # forward and inverse work on the n-d changed coordinates only (half the element-wise work of
    # padding μ and α to n coordinates), then put them back beside the unchanged kept ones.
    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "AffineCoupling.forward", "z")
        mu, alpha = self._mu_alpha(z)  # (B, n-d) each
        x_changed = z.index_select(1, self.changed) * alpha.exp() + mu  # x_{d+1:n}
        return z.index_copy(1, self.changed, x_changed), alpha.sum(-1)  # x_{1:d} = z_{1:d}

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "AffineCoupling.inverse", "x")
        mu, alpha = self._mu_alpha(x)  # (B, n-d) each
        z_changed = (x.index_select(1, self.changed) - mu) * (-alpha).exp()  # z_{d+1:n}
        return x.index_copy(1, self.changed, z_changed), -alpha.sum(-1)  # z_{1:d} = x_{1:d}

    def jacobian_sparsity(self) -> torch.Tensor:
        """(n, n) bool: I on the kept rows, diag(exp α) and a full block on the changed rows."""
        return _coupling_sparsity(self.mask)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, kept={int(self.mask.sum())}, bound={self.bound}"
