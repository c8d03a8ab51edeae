r"""MADE (Germain, Gregor, Murray and Larochelle, 2015): one network giving every μ_i, α_i at once.

Each unit gets a degree; a connection is kept only from lower to higher-or-equal degree (hidden)
or strictly higher degree (output). So output i sees inputs 1..i-1 only: the autoregressive
property, in a single parallel pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import check_dim, check_points
from .nets import MaskedLinear

__all__ = ["MADE", "made_masks"]


def _degrees(dim: int, hidden) -> list[torch.Tensor]:
    """The degrees of the inputs (1..D) and of the units of every hidden layer."""
    degrees = [torch.arange(1, dim + 1)]
    for width in hidden:
        # Sorted, so that the units of degree <= k are the first ones of their layer: the part of
        # MADE that output k+1 sees is then a slice of every weight matrix (``MADE.forward(x, i)``).
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
    degrees = _degrees(dim, hidden)
    masks = [(d_out[:, None] >= d_in[None, :]).float() for d_in, d_out in zip(degrees[:-1], degrees[1:])]
    d_out = torch.arange(1, dim + 1).repeat(2)  # μ_1..μ_D, α_1..α_D
    masks.append((d_out[:, None] > degrees[-1][None, :]).float())
    return masks


class MADE(nn.Module):
    r"""Masked autoencoder: ``made(x) -> (μ, α)``, each (B, D), with μ_i, α_i functions of x_{<i} only.

    μ_1 and α_1 see no input: they are constants (learned biases), as on the slide.

    ``made(x, i) -> (μ_i, α_i)``, each (B,), is the same output i (0-based) computed from x[:, :i]
    alone, for the sequential direction of MAF and IAF (x may hold just those i columns).

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
        # _seen[l][i]: how many units of hidden layer l output i (0-based) sees, those of degree <= i.
        self._seen = [[int((d <= i).sum()) for i in range(dim)] for d in _degrees(dim, hidden)[1:]]

    def forward(self, x: torch.Tensor, i: int | None = None):
        if i is not None:
            return self._output(x, i)
        check_points(x, self.dim, "MADE", "x")
        mu, alpha = self.net(x).chunk(2, dim=-1)
        return mu, alpha

    def _output(self, x: torch.Tensor, i: int):
        """(μ_i, α_i), each (B,), through the part of the network that output i sees."""
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.dim:
            raise ValueError(f"MADE: the output index i must be an int in 0..{self.dim - 1}, got {i!r}")
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] < i or not x.is_floating_point():
            raise ValueError(f"MADE: made(x, {i}) needs a floating-point x of shape (B, >= {i}), "
                             f"got {tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
        if x.is_cuda:
            return self._output_full(x[:, :i], i)
        return self._output_sliced(x[:, :i], i)

    def _output_sliced(self, h: torch.Tensor, i: int):
        """(μ_i, α_i) from h = x_{<i}, through the slices of the weights that output i sees (CPU)."""
        # Why not the whole network: output i only sees hidden units of degree <= i, the first
        # _seen[l][i] units of each layer, and they only see x_{<i}. Slicing the weights to that
        # part makes pass i cost about (i/D)² of a full pass, so the D sequential passes of MAF's
        # sampling cost about D/3 full passes instead of D. The result is the same numbers.
        depth = 0  # the index of the next linear layer
        for layer in self.net:
            if not isinstance(layer, MaskedLinear):
                h = layer(h)  # the activation
                continue
            # Hidden layer: its first units; output layer: rows i (μ_i) and D + i (α_i).
            rows = slice(0, self._seen[depth][i]) if depth < len(self._seen) else slice(i, None, self.dim)
            cols = slice(0, h.shape[1])
            h = F.linear(h, layer.weight[rows, cols] * layer.mask[rows, cols], layer.bias[rows])
            depth += 1
        return h[:, 0], h[:, 1]

    def _output_full(self, h: torch.Tensor, i: int):
        """(μ_i, α_i) from h = x_{<i}, through the whole network (GPU)."""
        # On a GPU a pass costs its kernel launches, not its FLOPs, and the slicing above adds
        # indexing work to every layer: the whole network is cheaper there. The columns >= i are
        # filled with zeros, which output i never sees (its masks cut them).
        mu, alpha = self.net(F.pad(h, (0, self.dim - i))).chunk(2, dim=-1)
        return mu[:, i], alpha[:, i]

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
