r"""Small networks used inside the layers: a plain MLP and MADE's masked linear layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MLP", "MaskedLinear"]


def MLP(n_in: int, n_out: int, hidden=(64, 64), activation=nn.ReLU) -> nn.Sequential:
    """A multilayer perceptron ``n_in -> hidden... -> n_out``.

    The last layer starts at zero so that the layer holding the network starts as the identity
    (a deviation from a plain MLP, used by NICE, RealNVP and Glow alike for stable training).
    """
    widths = [n_in, *hidden]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), activation()]
    last = nn.Linear(widths[-1], n_out)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    layers.append(last)
    return nn.Sequential(*layers)


class MaskedLinear(nn.Linear):
    """``y = x (W ⊙ M)^T + b``: a linear layer whose connections are cut by a fixed 0/1 mask M."""

    def __init__(self, n_in: int, n_out: int, mask: torch.Tensor):
        super().__init__(n_in, n_out)
        # A buffer, so the mask moves with .to(device) and is saved in the state_dict.
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def soft_clamp(alpha: torch.Tensor, bound: float = 3.0) -> torch.Tensor:
    r"""``bound · tanh(α / bound)``: α unchanged near 0, but |α| < bound.

    A deviation from the slides, which use α_θ as it is: an unbounded log-scale lets exp(α)
    overflow in the first steps of training. With bound 3 one layer scales by at most e^3 ≈ 20.
    """
    # Computed as 2b·σ(2α/b) - b, the same function (tanh u = 2σ(2u) - 1): on CPU torch's sigmoid
    # is about 3x faster than its tanh, and this runs on every output of every layer.
    return torch.sigmoid(alpha * (2 / bound)) * (2 * bound) - bound
