r"""Checkers for notebook 04b (RealNVP on images): the squeeze.

The student's ``squeeze(v)`` turns images (B, C, H, W) into (B, 4C, H/2, W/2), each 2x2 block of pixels one
pixel with 4 channels, channel 4c + 2a + b holding pixel (2i + a, 2j + b) of channel c. It is compared with
``flowlib.squeeze`` on random images of several shapes (float64), and the usual mistakes are named: a plain
reshape (which keeps the row-major order instead of cutting 2x2 blocks), the two offsets a, b swapped, and the
block's position put before the channel.
"""

from __future__ import annotations

import torch

from ...squeeze import squeeze as flowlib_squeeze
from ..grading import WRONG, call, compare, compare_gradients, exercise, fail, generator, leaf, output, passed

__all__ = ["squeeze"]

RESHAPE_ONLY = "a reshape instead of 2x2 blocks"
OFFSETS_SWAPPED = "row and column offsets swapped"
CHANNEL_LAST = "the block position before the channel"


def _mistakes(v: torch.Tensor):
    b, c, h, w = v.shape
    blocks = v.reshape(b, c, h // 2, 2, w // 2, 2)  # (B, C, i, a, j, b)
    return (
        (RESHAPE_ONLY, v.reshape(b, 4 * c, h // 2, w // 2),
         "squeeze is a plain reshape: reshape keeps the row-major order, so channel 0 gets the top rows of the image, "
         "not the top-left pixel of every 2x2 block.",
         "cut the blocks first: v.reshape(B, C, H/2, 2, W/2, 2), then move the two 2's next to C with permute."),
        (OFFSETS_SWAPPED, blocks.permute(0, 1, 5, 3, 2, 4).reshape(b, 4 * c, h // 2, w // 2),
         "the row offset a and the column offset b are swapped: channel 4c + 2a + b should hold pixel (2i + a, 2j + b), "
         "so channel 1 is the top-right pixel of each block, not the bottom-left.",
         "after v.reshape(B, C, H/2, 2, W/2, 2) the order is (B, C, i, a, j, b): permute(0, 1, 3, 5, 2, 4)."),
        (CHANNEL_LAST, blocks.permute(0, 3, 5, 1, 2, 4).reshape(b, 4 * c, h // 2, w // 2),
         "the block position comes before the channel: channel 4c + 2a + b should hold pixel (2i + a, 2j + b) of channel "
         "c, so the 4 channels made from one input channel must be neighbours.",
         "keep C first: permute(0, 1, 3, 5, 2, 4) of v.reshape(B, C, H/2, 2, W/2, 2)."),
    )


@exercise(RESHAPE_ONLY, OFFSETS_SWAPPED, CHANNEL_LAST)
def squeeze(squeeze_fn):
    r"""RealNVP's squeeze: ``squeeze(v)``, (B, C, H, W) -> (B, 4C, H/2, W/2), channel 4c + 2a + b holding pixel
    (2i + a, 2j + b) of channel c. Checked on random images of shapes (2, 1, 4, 4), (3, 2, 6, 8) and (1, 3, 2, 2)."""
    for shape in ((2, 1, 4, 4), (3, 2, 6, 8), (1, 3, 2, 2)):
        b, c, h, w = shape
        v = leaf(torch.randn(shape, generator=generator(sum(shape)), dtype=torch.float64))
        want = flowlib_squeeze(v)  # the reference first; a squeeze sits inside a trained flow: its gradient must flow
        got = output(call(squeeze_fn, v, signature=f"squeeze(v) with v of shape {shape}"),
                     f"squeeze of a {shape} batch", (b, 4 * c, h // 2, w // 2), like=v,
                     hint="four times the channels, half the height and half the width.")
        if not torch.equal(got.flatten().sort().values, v.flatten().sort().values):
            fail(WRONG, f"squeeze of a {shape} batch does not hold the same numbers as its input: a squeeze only moves them "
                 "(a permutation, log|det J| = 0).", "use reshape and permute only, no arithmetic.")
        compare(got, want.detach(), f"squeeze of a {shape} batch", _mistakes(v.detach()), atol=0.0,
                hint="channel 4c + 2a + b holds pixel (2i + a, 2j + b) of channel c: "
                     "v.reshape(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2).")
        compare_gradients(got, want, f"squeeze of a {shape} batch", [("v", [v])], seed=sum(shape))
    return passed("squeeze: (B, C, H, W) -> (B, 4C, H/2, W/2), channel 4c + 2a + b holding pixel (2i + a, 2j + b) of channel c, "
                  "equal to flowlib's squeeze on three shapes, values and gradients.")
