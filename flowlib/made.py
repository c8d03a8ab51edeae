r"""MADE (Germain, Gregor, Murray and Larochelle, 2015): one network giving every μ_i, α_i at once.

Each unit gets a degree; a connection is kept only from lower to higher-or-equal degree (hidden)
or strictly higher degree (output). So output i sees inputs 1..i-1 only: the autoregressive
property, in a single parallel pass.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_dim, check_points
from .nets import MaskedLinear

__all__ = ["MADE", "made_masks"]


def made_masks(dim: int, hidden=(64, 64)) -> list[torch.Tensor]:
    r"""The masks of MADE's layers, each of shape (out, in), for inputs and outputs of degree 1..D.

    Hidden unit k of every layer has degree 1 + (k mod (D-1)), so all of 1..D-1 are used evenly.
    The last mask (hidden -> output) has 2D rows: the μ outputs, then the α outputs.
    """
    degrees = [torch.arange(1, dim + 1)]
    for width in hidden:
        degrees.append(torch.arange(width) % (dim - 1) + 1)
    masks = [(d_out[:, None] >= d_in[None, :]).float() for d_in, d_out in zip(degrees[:-1], degrees[1:])]
    d_out = torch.arange(1, dim + 1).repeat(2)  # μ_1..μ_D, α_1..α_D
    masks.append((d_out[:, None] > degrees[-1][None, :]).float())
    return masks


class MADE(nn.Module):
    r"""Masked autoencoder: ``made(x) -> (μ, α)``, each (B, D), with μ_i, α_i functions of x_{<i} only.

    μ_1 and α_1 see no input: they are constants (learned biases), as on the slide.

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
        if len(hidden) == 0:
            raise ValueError("MADE: hidden must name at least one hidden layer width, e.g. hidden=(64, 64)")
        masks = made_masks(dim, hidden)
        layers = []
        for mask in masks:
            layers += [MaskedLinear(mask.shape[1], mask.shape[0], mask), activation()]
        layers.pop()  # no activation after the output layer
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor):
        check_points(x, self.dim, "MADE", "x")
        mu, alpha = self.net(x).chunk(2, dim=-1)
        return mu, alpha

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
