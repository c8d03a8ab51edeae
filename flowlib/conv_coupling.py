r"""RealNVP's affine coupling for images: the same layer as ``AffineCoupling``, with a convolutional
network for μ_θ and α_θ (Dinh, Sohl-Dickstein and Bengio, 2017, section 3.4).

With a fully connected network the mask's pattern does not matter (any split is a permutation of
any other); with a convolution it does: a changed pixel's (μ_θ, α_θ) is read off its kept
neighbours, with the same few weights at every position of the image.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_hidden, check_points
from .coupling import _checked_mask, _coupling_sparsity
from .image_layers import resnet
from .image_masks import image_shape
from .nets import soft_clamp

__all__ = ["ConvAffineCoupling", "conv_net"]


def conv_net(c_in: int, c_out: int, hidden=(32, 32), kernel: int = 3) -> nn.Sequential:
    """Convolutions ``c_in -> hidden... -> c_out`` channels, same spatial size, ReLU between them.

    As in Glow's coupling network (Kingma and Dhariwal, 2018): the first and the last convolution are
    ``kernel`` x ``kernel``, the ones between hidden layers 1x1 (they mix channels only, and cost about a
    ninth of a 3x3). The last convolution starts at zero, so that the coupling holding it starts as the
    identity (as ``MLP``).
    """
    widths = [c_in, *hidden]
    layers = []
    for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        size = kernel if k == 0 else 1
        layers += [nn.Conv2d(a, b, size, padding=size // 2), nn.ReLU()]
    last = nn.Conv2d(widths[-1], c_out, kernel, padding=kernel // 2)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    layers.append(last)
    return nn.Sequential(*layers)


class ConvAffineCoupling(nn.Module):
    r"""RealNVP's affine coupling layer on images, with convolutional μ_θ and α_θ.

    With the mask b (1 on the kept part z_{1:d}, e.g. ``checkerboard_mask`` or ``channel_mask``):
    Forward (generative, z ↦ x; parallel):
        x = b ⊙ z + (1 - b) ⊙ (z ⊙ exp(α_θ(b ⊙ z)) + μ_θ(b ⊙ z))
    Inverse (x ↦ z; parallel):
        z = b ⊙ x + (1 - b) ⊙ (x - μ_θ(b ⊙ x)) ⊙ exp(-α_θ(b ⊙ x))
    log|det ∂x/∂z| = Σ_{changed i} α_θ(b ⊙ z)_i, shape (B,); the inverse returns minus that.

    Args:
        shape: the image shape (C, H, W); inputs are flat, (B, C·H·W).
        mask: a 0/1 tensor of shape (C·H·W,) (or (C, H, W)), 1 on the kept coordinates.
        hidden: channel widths of the hidden convolutions of the network b ⊙ z ↦ (μ_θ, α_θ).
        kernel: the convolutions' kernel size (odd).
        bound: α_θ is soft-clamped to (-bound, bound) (see ``soft_clamp``).
        blocks: None for the plain network of widths ``hidden`` (``conv_net``); an int for RealNVP's
            ResNet-style network (``resnet``) of width ``hidden[0]`` with that many residual blocks.

    >>> from flowlib.image_masks import checkerboard_mask
    >>> layer = ConvAffineCoupling((1, 4, 4), checkerboard_mask((1, 4, 4)))
    >>> z = torch.randn(3, 16)
    >>> x, log_det = layer(z)
    >>> torch.allclose(layer.inverse(x)[0], z), log_det.shape
    (True, torch.Size([3]))
    """

    def __init__(self, shape, mask, hidden=(32, 32), kernel: int = 3, bound: float = 3.0, blocks: int | None = None):
        super().__init__()
        self.shape = image_shape(shape, "ConvAffineCoupling")
        self.dim = self.shape[0] * self.shape[1] * self.shape[2]
        if isinstance(kernel, bool) or not isinstance(kernel, int) or kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"ConvAffineCoupling: kernel must be an odd positive int (3 keeps the image size), got {kernel!r}")
        self.register_buffer("mask", _checked_mask(torch.as_tensor(mask).reshape(-1), self.dim, "ConvAffineCoupling"))
        self.bound = bound
        c = self.shape[0]
        # C channels in, (μ_θ, α_θ) for every channel out
        if blocks is None:
            self.net = conv_net(c, 2 * c, hidden, kernel)
        else:
            width = check_hidden(hidden, "ConvAffineCoupling", at_least_one=True)[0]
            self.net = resnet(c, 2 * c, width=width, blocks=blocks, kernel=kernel)

    def mu_alpha(self, v: torch.Tensor):
        """(μ_θ, α_θ) of the kept part of ``v`` (B, n), each (B, n) and zero on the kept coordinates."""
        b = self.mask
        out = self.net((v * b).reshape(-1, *self.shape))  # (B, 2C, H, W), reads only b ⊙ v
        mu, alpha = out.reshape(len(v), 2, self.dim).unbind(1)
        return mu * (1 - b), soft_clamp(alpha, self.bound) * (1 - b)  # zero on the kept part: x_{1:d} = z_{1:d}

    # With μ = α = 0 on the kept part, z ⊙ exp(α) + μ leaves it exactly as it is: one expression for both parts.
    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "ConvAffineCoupling.forward", "z")
        mu, alpha = self.mu_alpha(z)
        return z * alpha.exp() + mu, alpha.sum(-1)

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "ConvAffineCoupling.inverse", "x")
        mu, alpha = self.mu_alpha(x)
        return (x - mu) * (-alpha).exp(), -alpha.sum(-1)

    def jacobian_sparsity(self) -> torch.Tensor:
        """(n, n) bool: I on the kept rows, diag(exp α) and the kept columns on the changed rows."""
        return _coupling_sparsity(self.mask)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, kept={int(self.mask.sum())}, bound={self.bound}"
