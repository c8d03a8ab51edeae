r"""Small networks used inside the layers: a plain MLP and MADE's masked linear layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import FlowlibError, check_bound, check_hidden, check_int, inside_checked

__all__ = ["MLP", "MaskedLinear"]


def MLP(n_in: int, n_out: int, hidden=(64, 64), activation=nn.ReLU) -> nn.Sequential:
    """A multilayer perceptron ``n_in -> hidden... -> n_out``.

    The last layer starts at zero so that the layer holding the network starts as the identity
    (a deviation from a plain MLP, used by NICE, RealNVP and Glow alike for stable training).
    """
    n_in, n_out = check_int(n_in, "MLP", "n_in", least=1), check_int(n_out, "MLP", "n_out", least=1)
    widths = [n_in, *check_hidden(hidden, "MLP")]
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
        n_in, n_out = check_int(n_in, "MaskedLinear", "n_in", least=1), check_int(n_out, "MaskedLinear", "n_out", least=1)
        if not isinstance(mask, torch.Tensor) or mask.shape != (n_out, n_in):
            shape = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise FlowlibError(f"MaskedLinear: mask must be a 0/1 tensor of shape (n_out, n_in) = ({n_out}, {n_in}), got {shape}")
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
    # Not as 2b·σ(2α/b) - b (the same function, a little faster on CPU: 20-60 µs of a 2.7 ms training
    # step): its subtraction cancels, and quantizes α in float32 to steps of about b·1e-7.
    if not inside_checked():  # inside a Flow, the layer's bound was checked when it was built
        bound = check_bound(bound, "soft_clamp")
    return bound * torch.tanh(alpha / bound)
