r"""MAF and IAF: the same affine autoregressive transform, with the parallel direction swapped.

    MAF (Papamakarios, Pavlakou and Murray, 2017): x_i = z_i exp(α_i(x_{<i})) + μ_i(x_{<i})
        inverse x ↦ z (density): one MADE pass.  forward z ↦ x (sampling): D sequential passes.
    IAF (Kingma, Salimans, Jozefowicz, Chen, Sutskever and Welling, 2016):
        x_i = z_i exp(α_i(z_{<i})) + μ_i(z_{<i})
        forward z ↦ x (sampling): one MADE pass.  inverse x ↦ z (density): D sequential passes.

The sequential direction is a loop of D MADE passes: pass i computes coordinate i from the
coordinates < i, already computed, exactly as the slide's equation reads (``MADE.output_i``).
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_bound, check_dim, check_hidden, check_points
from .made import MADE
from .nets import soft_clamp

__all__ = ["MAF", "IAF"]


class _Autoregressive(nn.Module):
    def __init__(self, dim: int, hidden=(64, 64), bound: float = 3.0, activation=nn.ReLU):
        super().__init__()
        self.dim = check_dim(dim, 2, type(self).__name__)
        self.bound = check_bound(bound, type(self).__name__)
        self.made = MADE(dim, check_hidden(hidden, type(self).__name__, at_least_one=True), activation)

    def mu_alpha(self, v: torch.Tensor):
        """One MADE pass: (μ, α), each (B, D), with α soft-clamped (see ``soft_clamp``)."""
        mu, alpha = self.made(v)
        return mu, soft_clamp(alpha, self.bound)

    def mu_alpha_i(self, v: torch.Tensor, i: int):
        """(μ_i, α_i), each (B,), from v[:, :i] alone (one pass of the sequential direction)."""
        mu, alpha = self.made.output_i(v, i)
        return mu, soft_clamp(alpha, self.bound)

    def jacobian_sparsity(self) -> torch.Tensor:
        """Lower triangular: x_i depends on z_{≤i} only."""
        return torch.ones(self.dim, self.dim, dtype=torch.bool, device=self.made.net[0].weight.device).tril()

    def extra_repr(self) -> str:
        return f"dim={self.dim}, bound={self.bound}"


class MAF(_Autoregressive):
    r"""Masked autoregressive flow layer: fast density, slow sampling.

    Forward (generative, z ↦ x; sequential, D MADE passes):
        x_i = z_i exp(α_i(x_{<i})) + μ_i(x_{<i}),  log|det ∂x/∂z| = Σ_i α_i
    Inverse (x ↦ z; parallel, one MADE pass):
        z_i = (x_i - μ_i(x_{<i})) exp(-α_i(x_{<i})),  log|det ∂z/∂x| = -Σ_i α_i

    Args:
        dim: D, at least 2.  hidden: MADE's hidden widths.  bound: α is soft-clamped to (-bound, bound).
    """

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "MAF.forward", "z", like=self)
        x = z[:, :0]  # x_{<1}: no coordinate yet, (B, 0)
        log_det = z.new_zeros(z.shape[0])
        for i in range(self.dim):  # pass i: x_i from x_{<i}
            mu, alpha = self.mu_alpha_i(x, i)
            # A new tensor each pass (not an in-place write), so autograd can go through the loop.
            x = torch.cat([x, (z[:, i] * alpha.exp() + mu)[:, None]], dim=1)
            log_det = log_det + alpha
        return x, log_det

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "MAF.inverse", "x", like=self)
        mu, alpha = self.mu_alpha(x)
        z = (x - mu) * (-alpha).exp()
        return z, -alpha.sum(-1)


class IAF(_Autoregressive):
    r"""Inverse autoregressive flow layer: fast sampling, slow density of new data.

    Forward (generative, z ↦ x; parallel, one MADE pass):
        x_i = z_i exp(α_i(z_{<i})) + μ_i(z_{<i}),  log|det ∂x/∂z| = Σ_i α_i
    Inverse (x ↦ z; sequential, D MADE passes):
        z_i = (x_i - μ_i(z_{<i})) exp(-α_i(z_{<i})),  log|det ∂z/∂x| = -Σ_i α_i

    It is MAF with z and x interchanged (slide "IAF vs. MAF"): IAF's forward has the shape of
    MAF's inverse (one MADE pass on the method's input), and IAF's inverse that of MAF's forward.
    """

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "IAF.forward", "z", like=self)
        mu, alpha = self.mu_alpha(z)
        x = z * alpha.exp() + mu
        return x, alpha.sum(-1)

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "IAF.inverse", "x", like=self)
        z = x[:, :0]  # z_{<1}: no coordinate yet, (B, 0)
        log_det = x.new_zeros(x.shape[0])
        for i in range(self.dim):  # pass i: z_i from z_{<i}
            mu, alpha = self.mu_alpha_i(z, i)
            z = torch.cat([z, ((x[:, i] - mu) * (-alpha).exp())[:, None]], dim=1)
            log_det = log_det - alpha
        return z, log_det
