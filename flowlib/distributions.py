r"""The base distribution p_Z of a flow: the standard normal N(0, I)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import FlowlibError, check_dim, check_int, check_number, check_points

__all__ = ["StandardNormal"]


class StandardNormal(nn.Module):
    r"""p_Z(z) = N(z; 0, I_D), the simple distribution a flow starts from.

    log p_Z(z) = -\frac{1}{2}\|z\|^2 - \frac{D}{2}\log 2\pi.

    An ``nn.Module`` with a zero-size buffer so that ``.to(device)`` and ``.double()`` move it:
    samples come out on the module's device and dtype.

    >>> p = StandardNormal(2)
    >>> p.sample(5).shape
    torch.Size([5, 2])
    >>> round(float(p.log_prob(torch.zeros(1, 2))[0]), 6)  # -log(2 pi)
    -1.837877
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_dim(dim, 1, "StandardNormal")
        # Carries device and dtype only; not saved, since it holds no information.
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p_Z(z) of a batch ``z`` of shape (B, D); returns shape (B,)."""
        check_points(z, self.dim, "StandardNormal.log_prob", "z")
        return -0.5 * z.pow(2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)

    def sample(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples z ~ N(0, T^2 I) of shape (n, D); ``temperature`` T=1 is p_Z itself."""
        n = check_int(n, "StandardNormal.sample", "n", least=0)
        temperature = check_number(temperature, "StandardNormal.sample", "temperature", non_negative=True, example="1.0")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise FlowlibError("StandardNormal.sample: generator must be a torch.Generator or None, "
                               f"got {type(generator).__name__}")
        z = torch.randn(n, self.dim, device=self._anchor.device, dtype=self._anchor.dtype, generator=generator)
        return z * temperature

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
