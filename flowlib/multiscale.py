r"""RealNVP's multi-scale architecture (Dinh, Sohl-Dickstein and Bengio, 2017, section 3.6).

In the data-to-latent direction, each scale applies couplings with ``checkerboard_mask``, a
``Squeeze`` (C, H, W) -> (4C, H/2, W/2), couplings with ``channel_mask``, and then **factors out** half
of the variables: they are final latent coordinates, and only the other half goes on to the next
scale. Later scales thus see fewer variables (cheaper), and the factored-out ones model local,
fine detail while the rest model coarser structure.

- ``FactorOut(dim, active, layers)``: ``layers`` act on the coordinates marked by ``active``; the
  others pass through unchanged (they were set aside, straight to p_Z).
- ``make_multiscale_realnvp(shape, scales, ...)``: the whole model as a ``Flow``.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_dim, check_points
from .conv_coupling import ConvAffineCoupling
from .distributions import StandardNormal
from .flow import Flow
from .image_layers import ActNorm
from .image_masks import channel_mask, checkerboard_mask, image_shape
from .squeeze import Squeeze

__all__ = ["FactorOut", "make_multiscale_realnvp"]


class FactorOut(nn.Module):
    r"""Layers that act on part of the variables; the rest are factored out (identity, log_det 0).

    With A the coordinates where ``active`` is 1 and F = the others (factored out):
    Forward (generative, z ↦ x):  x_A = g(z_A) with g = layers[-1] ∘ … ∘ layers[0],  x_F = z_F.
    Inverse (x ↦ z):              z_A = g^{-1}(x_A),  z_F = x_F.
    log|det ∂x/∂z| = log|det ∂g/∂z_A| (the Jacobian is block diagonal, I on F); shape (B,).

    Args:
        dim: n, the number of coordinates.
        active: a 0/1 tensor of shape (n,), 1 on the coordinates that ``layers`` act on.
        layers: flow layers of dim = the number of active coordinates.
    """

    def __init__(self, dim: int, active, layers):
        super().__init__()
        self.dim = check_dim(dim, 2, "FactorOut")
        active = torch.as_tensor(active, dtype=torch.float32)
        if active.shape != (dim,) or not bool(((active == 0) | (active == 1)).all()) or not 0 < int(active.sum()) < dim:
            raise ValueError(f"FactorOut: active must be a 0/1 tensor of shape ({dim},) marking between 1 and {dim - 1} "
                             f"coordinates, got shape {tuple(active.shape)} with {int(active.sum())} marked")
        self.register_buffer("active", active)
        # The positions of A, derived from the mask, so not saved.
        self.register_buffer("index", active.nonzero().squeeze(1), persistent=False)
        self.layers = nn.ModuleList(layers)
        for i, layer in enumerate(self.layers):
            if getattr(layer, "dim", None) != len(self.index):
                raise ValueError(f"FactorOut: layer {i} ({type(layer).__name__}) has dim {getattr(layer, 'dim', None)}, "
                                 f"expected {len(self.index)}, the number of active coordinates")

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "FactorOut.forward", "z")
        v, log_det = z.index_select(1, self.index), z.new_zeros(z.shape[0])
        for layer in self.layers:
            v, ld = layer(v)
            log_det = log_det + ld
        return z.index_copy(1, self.index, v), log_det

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "FactorOut.inverse", "x")
        v, log_det = x.index_select(1, self.index), x.new_zeros(x.shape[0])
        for layer in reversed(self.layers):
            v, ld = layer.inverse(v)
            log_det = log_det + ld
        return x.index_copy(1, self.index, v), log_det

    def jacobian_sparsity(self) -> torch.Tensor:
        """(n, n) bool: the identity on the factored-out coordinates, a full block on the active ones."""
        a = self.active.bool()
        return torch.eye(self.dim, dtype=torch.bool, device=a.device) | (a[:, None] & a[None, :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, active={len(self.index)}"


def _couplings(shape, mask_fn, count: int, hidden, blocks, actnorm: bool) -> list[nn.Module]:
    """``count`` couplings in the data-to-latent order, each after an ``ActNorm`` if ``actnorm``."""
    layers = []
    for k in range(count):
        if actnorm:
            layers.append(ActNorm(shape))
        layers.append(ConvAffineCoupling(shape, mask_fn(shape, parity=k % 2), hidden, blocks=blocks))
    return layers


def _scale(shape, scales: int, couplings: int, hidden, blocks, actnorm) -> list[nn.Module]:
    """The layers of ``scales`` scales on images of ``shape``, in the data-to-latent order."""
    c, h, w = shape
    if scales == 1:  # the last scale: checkerboard couplings only (one more, as in the paper)
        return _couplings(shape, checkerboard_mask, couplings + 1, hidden, blocks, actnorm)
    squeeze = Squeeze(shape)
    c4, h2, w2 = squeeze.squeezed_shape
    # Inverse direction: checkerboard couplings, squeeze, channel couplings, then half the channels go on.
    inner = _scale((c4 // 2, h2, w2), scales - 1, couplings, hidden, blocks, actnorm)  # data-to-latent order
    active = channel_mask(squeeze.squeezed_shape, parity=0)  # the first 2C channels stay active
    # FactorOut's layers are in generative order (layers[0] next to z): reverse the inner list.
    return [*_couplings(shape, checkerboard_mask, couplings, hidden, blocks, actnorm), squeeze,
            *_couplings(squeeze.squeezed_shape, channel_mask, couplings, hidden, blocks, actnorm),
            FactorOut(c * h * w, active, inner[::-1])]


def make_multiscale_realnvp(shape=(1, 28, 28), scales: int = 2, couplings: int = 3, hidden=(32, 32),
                            blocks: int | None = None, actnorm: bool = False) -> Flow:
    r"""RealNVP's multi-scale flow on images of ``shape`` (C, H, W), inputs flattened to (B, C·H·W).

    Data-to-latent, each of the first ``scales - 1`` scales: ``couplings`` checkerboard couplings,
    a squeeze, ``couplings`` channel-wise couplings, and half the variables factored out; the last
    scale: ``couplings + 1`` checkerboard couplings on what is left. Every coupling is a
    ``ConvAffineCoupling`` with hidden channel widths ``hidden``, alternating the mask's parity.
    With ``blocks`` (an int), each coupling's network is RealNVP's ResNet (``resnet``) of width
    ``hidden[0]`` with that many residual blocks; with ``actnorm``, an ``ActNorm`` precedes every coupling
    (data to latent), the flow form of the paper's batch normalisation.
    The returned ``Flow`` lists the same layers in the generative order (``layers[0]`` next to z).

    >>> flow = make_multiscale_realnvp((1, 4, 4), scales=2, couplings=1, hidden=(4,))
    >>> [type(layer).__name__ for layer in flow.layers]
    ['FactorOut', 'ConvAffineCoupling', 'Squeeze', 'ConvAffineCoupling']
    """
    c, h, w = image_shape(shape, "make_multiscale_realnvp")
    for name, value, least in (("scales", scales, 1), ("couplings", couplings, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"make_multiscale_realnvp: {name} must be an int >= {least}, got {value!r}")
    if h % 2 ** (scales - 1) or w % 2 ** (scales - 1):
        raise ValueError(f"make_multiscale_realnvp: {scales} scales squeeze {scales - 1} times, so height and width must be "
                         f"multiples of {2 ** (scales - 1)}, got shape {tuple(shape)}")
    if not isinstance(actnorm, bool):
        raise ValueError(f"make_multiscale_realnvp: actnorm must be True or False, got {actnorm!r}")
    return Flow(StandardNormal(c * h * w), _scale((c, h, w), scales, couplings, hidden, blocks, actnorm)[::-1])
