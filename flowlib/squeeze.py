r"""RealNVP's squeeze operation (Dinh, Sohl-Dickstein and Bengio, 2017, section 3.6).

Squeezing turns an image of shape (C, H, W) into one of shape (4C, H/2, W/2): each 2x2 block of
pixels becomes one pixel with 4 channels (channel 4c + 2a + b holds pixel (2i + a, 2j + b) of channel c).
It only moves coordinates, so it is a permutation of the flat vector: |det J| = 1, log_det = 0.
It trades spatial size for channels, so that the next couplings can split by channel
(``channel_mask``) and a ``FactorOut`` can set half of the variables aside.
"""

from __future__ import annotations

import torch

from .image_masks import image_shape
from .permutations import Permutation

__all__ = ["squeeze", "unsqueeze", "Squeeze"]


def squeeze(v: torch.Tensor) -> torch.Tensor:
    r"""(B, C, H, W) -> (B, 4C, H/2, W/2): every 2x2 block of pixels becomes 4 channels.

    >>> squeeze(torch.arange(4.0).reshape(1, 1, 2, 2)).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    if v.dim() != 4 or v.shape[2] % 2 or v.shape[3] % 2:
        raise ValueError(f"squeeze: expected images (B, C, H, W) with even H and W, got shape {tuple(v.shape)}")
    b, c, h, w = v.shape
    v = v.reshape(b, c, h // 2, 2, w // 2, 2)  # (B, C, i, a, j, b): pixel (2i + a, 2j + b)
    return v.permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)


def unsqueeze(v: torch.Tensor) -> torch.Tensor:
    r"""(B, 4C, H/2, W/2) -> (B, C, H, W): the inverse of ``squeeze``."""
    if v.dim() != 4 or v.shape[1] % 4:
        raise ValueError(f"unsqueeze: expected (B, 4C, H/2, W/2) with a multiple of 4 channels, got shape {tuple(v.shape)}")
    b, c4, h, w = v.shape
    v = v.reshape(b, c4 // 4, 2, 2, h, w)  # (B, C, a, b, i, j)
    return v.permute(0, 1, 4, 2, 5, 3).reshape(b, c4 // 4, 2 * h, 2 * w)


class Squeeze(Permutation):
    r"""The squeeze as a flow layer on flat vectors; ``shape`` = (C, H, W) is the image on the x side.

    Inverse (x ↦ z, the data-to-latent direction, where the paper squeezes):
        z = squeeze(x), an image (C, H, W) becomes (4C, H/2, W/2), flattened.
    Forward (generative, z ↦ x): x = unsqueeze(z).
    Both are permutations of the n = C·H·W coordinates: log_det = 0, shape (B,).

    ``squeezed_shape`` is (4C, H/2, W/2), the shape the layers on the z side work with.

    >>> layer = Squeeze((1, 4, 4))
    >>> x = torch.randn(2, 16)
    >>> z, log_det = layer.inverse(x)
    >>> torch.equal(z, squeeze(x.reshape(2, 1, 4, 4)).reshape(2, 16)), log_det.tolist()
    (True, [0.0, 0.0])
    """

    def __init__(self, shape):
        c, h, w = image_shape(shape, "Squeeze")
        if h % 2 or w % 2:
            raise ValueError(f"Squeeze: height and width must be even to cut the image into 2x2 blocks, got shape {tuple(shape)}")
        self.shape = (c, h, w)
        self.squeezed_shape = (4 * c, h // 2, w // 2)
        n = c * h * w
        # where each squeezed coordinate comes from: z = x[:, source]; Permutation's x = z[:, perm] needs its inverse
        source = squeeze(torch.arange(n).reshape(1, c, h, w)).reshape(n)
        super().__init__(n, perm=torch.argsort(source))

    def extra_repr(self) -> str:
        return f"shape={self.shape} <-> {self.squeezed_shape}"
