r"""MADE (Germain, Gregor, Murray and Larochelle, 2015): one network giving every μ_i, α_i at once.

Each unit gets a degree; a connection is kept only from lower to higher-or-equal degree (hidden)
or strictly higher degree (output). So output i sees inputs 1..i-1 only: the autoregressive
property, in a single parallel pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import FlowlibError, check_dim, check_hidden, check_int, check_points, inside_checked
from .nets import MaskedLinear

__all__ = ["MADE", "made_masks"]


def _degrees(dim: int, hidden) -> list[torch.Tensor]:
    """The degrees of the inputs (1..D) and of the units of every hidden layer."""
    degrees = [torch.arange(1, dim + 1)]
    for width in hidden:
        # Sorted, so that each mask is drawn as a staircase (``plot_made_masks``).
        degrees.append((torch.arange(width) % (dim - 1) + 1).sort().values)
    return degrees


def made_masks(dim: int, hidden=(64, 64)) -> list[torch.Tensor]:
    r"""The masks of MADE's layers, each of shape (out, in), for inputs and outputs of degree 1..D.

    The degrees 1..D-1 are spread evenly over the units of every hidden layer (unit k gets
    1 + (k mod (D-1)) before sorting), and the units are sorted by degree, which draws each mask
    as a staircase. The last mask (hidden -> output) has 2D rows: the μ outputs, then the α outputs.

    >>> [tuple(m.shape) for m in made_masks(3, hidden=(4,))]
    [(4, 3), (6, 4)]
    """
    dim = check_dim(dim, 2, "made_masks")
    degrees = _degrees(dim, check_hidden(hidden, "made_masks", at_least_one=True))
    masks = [(d_out[:, None] >= d_in[None, :]).float() for d_in, d_out in zip(degrees[:-1], degrees[1:])]
    d_out = torch.arange(1, dim + 1).repeat(2)  # μ_1..μ_D, α_1..α_D
    masks.append((d_out[:, None] > degrees[-1][None, :]).float())
    return masks


class MADE(nn.Module):
    r"""Masked autoencoder: ``made(x) -> (μ, α)``, each (B, D), with μ_i, α_i functions of x_{<i} only.

    μ_1 and α_1 see no input: they are constants (learned biases), as on the slide.

    ``made.output_i(x, i) -> (μ_i, α_i)``, each (B,), is the same output i (0-based) computed from
    x[:, :i] alone, for the sequential direction of MAF and IAF (x may hold just those i columns).

    Args:
        dim: D, at least 2.
        hidden: widths of the hidden layers.

    The output layer starts at zero, so a flow built on a new MADE starts as the identity.

    >>> made = MADE(3, hidden=(8,))
    >>> mu, alpha = made(torch.randn(5, 3))
    >>> mu.shape, alpha.shape
    (torch.Size([5, 3]), torch.Size([5, 3]))
    """

    def __init__(self, dim: int, hidden=(64, 64), activation=nn.ReLU):
        super().__init__()
        self.dim = check_dim(dim, 2, "MADE")
        hidden = check_hidden(hidden, "MADE", at_least_one=True)
        masks = made_masks(dim, hidden)
        layers = []
        for mask in masks:
            layers += [MaskedLinear(mask.shape[1], mask.shape[0], mask), activation()]
        layers.pop()  # no activation after the output layer
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor):
        """One parallel pass: (μ, α), each (B, D), output i from x_{<i} (i = 1..D)."""
        check_points(x, self.dim, "MADE", "x", like=self)
        mu, alpha = self.net(x).chunk(2, dim=-1)
        return mu, alpha

    def output_i(self, x: torch.Tensor, i: int):
        """(μ_i, α_i), each (B,): output i (0-based) from x[:, :i] alone, one pass of the sequential direction.

        ``x`` may hold just those i columns (or more: the others are not read). It is one call of
        the whole network on x_{<i} padded with zeros, which output i never sees (its masks cut them),
        so a forward hook on the MADE sees every pass, parallel or sequential.
        """
        # Why not a pass through only the part of the network that output i sees (slices of the
        # weights, about (i/D)² of a pass): measured on the 2-core CPU, one thread, it sampled a 64-D
        # MAF (4 layers, hidden (128, 128)) in 0.30 s against 0.81 s for 500 points, but in 0.14 s
        # against 0.17 s for 16, and a pass that is not a call of the MADE is invisible to hooks.
        if not inside_checked():  # called directly; inside a Flow, MAF's and IAF's loops pass good i and x
            i = check_int(i, "MADE.output_i", "i", least=0, most=self.dim - 1)
            if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] < i:
                shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise FlowlibError(f"MADE.output_i: expected x of shape (B, >= {i}) holding x_1..x_{i}, got {shape}")
        head = x[:, :i]
        check_points(head, i, "MADE.output_i", "x[:, :i]", like=self)
        mu, alpha = self(F.pad(head, (0, self.dim - i)))
        return mu[:, i], alpha[:, i]

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
