r"""RealNVP's two coupling masks for images (Dinh, Sohl-Dickstein and Bengio, 2017, section 3.4).

An image of shape (C, H, W) is a flat vector of n = C·H·W coordinates (channel, then row, then column:
torch's ``reshape`` order), and a mask marks the kept part z_{1:d} of a coupling with 1:

- ``checkerboard_mask``: the pixels whose row + column is even (``parity=0``), in every channel;
  each changed pixel has its four neighbours kept, which a convolution can read.
- ``channel_mask``: the first C/2 channels (``parity=0``), used after a ``Squeeze``, when each
  channel holds a different pixel of every 2x2 block.

``parity=1`` gives the complement; alternating it makes every coordinate change somewhere.
Both return a flat float tensor of shape (n,), ready for a coupling's ``mask``.
"""

from __future__ import annotations

import torch

from ._validate import FlowlibError, check_int

__all__ = ["image_shape", "checkerboard_mask", "channel_mask"]


def image_shape(shape, who: str) -> tuple[int, int, int]:
    """``shape`` as a (C, H, W) tuple of positive ints, or a clear error."""
    ok = isinstance(shape, (tuple, list, torch.Size)) and len(shape) == 3 and all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)
    if not ok:
        raise FlowlibError(f"{who}: shape must be an image shape (C, H, W) of three positive ints, e.g. (1, 28, 28), "
                           f"got {shape!r}")
    return tuple(shape)


def checkerboard_mask(shape, parity: int = 0) -> torch.Tensor:
    r"""1 on the pixels (i, j) with i + j ≡ ``parity`` (mod 2), in every channel; shape (C·H·W,).

    >>> checkerboard_mask((1, 2, 3)).reshape(2, 3)
    tensor([[1., 0., 1.],
            [0., 1., 0.]])
    """
    c, h, w = image_shape(shape, "checkerboard_mask")
    # parity 0.5 gave an all-zero mask (a coupling that keeps nothing), parity 2 parity 0: both refused.
    parity = check_int(parity, "checkerboard_mask", "parity", least=0, most=1, example="k % 2")
    i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    keep = (i + j) % 2 == parity  # (H, W)
    return keep.expand(c, h, w).reshape(-1).float()


def channel_mask(shape, parity: int = 0) -> torch.Tensor:
    r"""1 on the first C/2 channels (``parity=0``) or on the last C/2 (``parity=1``); shape (C·H·W,).

    >>> channel_mask((2, 1, 2))
    tensor([1., 1., 0., 0.])
    """
    c, h, w = image_shape(shape, "channel_mask")
    parity = check_int(parity, "channel_mask", "parity", least=0, most=1, example="k % 2")
    if c % 2:
        raise FlowlibError(f"channel_mask: the number of channels must be even to split them in half, got shape {shape}; "
                         "squeeze the image first (Squeeze turns C channels into 4C)")
    keep = (torch.arange(c) < c // 2) ^ bool(parity)  # (C,)
    return keep[:, None, None].expand(c, h, w).reshape(-1).float()
