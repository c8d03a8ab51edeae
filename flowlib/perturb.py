r"""``randomize``: move a module's parameters away from where they start, by a little noise.

flowlib's couplings, MADE and MLP start with a zero last layer, so a new layer or flow is the
identity map: right for training, useless for showing a Jacobian's structure, a pass-by-pass
sampling loop, or a sign error in a log-det (``check_layer`` perturbs its copy with this).
"""

from __future__ import annotations

import torch

__all__ = ["randomize"]


@torch.no_grad()
def randomize(module: torch.nn.Module, std: float = 0.3, generator: torch.Generator | None = None,
              buffers: bool = False) -> torch.nn.Module:
    r"""Add N(0, std²) noise to every parameter of ``module`` (with ``buffers``, to its floating-point
    buffers too), in place; returns ``module``.

    The noise is drawn on the CPU in the tensor's dtype, from ``generator`` (default: torch's global
    one, so seed torch for repeatable noise), then moved: the same numbers on any device.

    >>> from flowlib import MAF
    >>> layer = randomize(MAF(3, hidden=(8,)), std=0.1, generator=torch.Generator().manual_seed(0))
    >>> bool(layer(torch.ones(1, 3))[0].ne(1).any())  # no longer the identity
    True
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"randomize: expected a torch.nn.Module, got {type(module).__name__}")
    if not std >= 0:
        raise ValueError(f"randomize: std must be >= 0, got {std}")
    tensors = list(module.parameters())
    if buffers:
        tensors += [b for b in module.buffers() if b.is_floating_point()]
    for t in tensors:
        noise = torch.randn(t.shape, generator=generator, dtype=t.dtype)
        t.add_(std * noise.to(t.device))
    return module
