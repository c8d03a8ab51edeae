r"""Input checks shared by every layer: fail early, with a message that says what was expected.

A flow layer silently broadcasting a ``(D,)`` vector or an integer image tensor produces NaNs or
a stack trace from deep inside torch; these checks run before any computation instead.
"""

from __future__ import annotations

import torch

__all__ = ["check_points", "check_dim"]


def check_dim(dim: int, minimum: int, who: str) -> int:
    """Return ``dim`` as an int after checking that it is an integer of at least ``minimum``."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{who}: dim must be an int, got {type(dim).__name__} ({dim!r})")
    if dim < minimum:
        why = (" (a coupling or autoregressive layer changes some coordinates as a function of the others, "
               "so it needs at least two)") if minimum == 2 else ""
        raise ValueError(f"{who}: dim must be >= {minimum}{why}, got dim={dim}")
    return dim


def check_points(x, dim: int, who: str, name: str = "x") -> None:
    """Check that ``x`` is a floating-point tensor of shape ``(B, dim)``.

    Raises:
        TypeError: not a tensor, or not floating point (integer pixels must be dequantized first).
        ValueError: not 2-D, or a last dimension other than ``dim``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who}: expected {name} to be a torch.Tensor of shape (B, {dim}), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"{who}: expected a floating-point {name} (float32 or float64), got dtype {x.dtype}; "
            f"convert with {name}.float() (integer data should be dequantized first)"
        )
    if x.dim() != 2:
        raise ValueError(f"{who}: expected {name} of shape (B, {dim}) (a 2-D batch), got shape {tuple(x.shape)}")
    if x.shape[1] != dim:
        raise ValueError(f"{who}: expected {name} of shape (B, {dim}), got last dimension {x.shape[1]} (shape {tuple(x.shape)})")
