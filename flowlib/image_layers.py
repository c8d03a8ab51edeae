r"""The rest of RealNVP's recipe for images (Dinh, Sohl-Dickstein and Bengio, 2017, sections 4.1 and 3.7).

- ``LogitTransform(dim, alpha)``: the logit preprocessing. Pixels x ∈ [0, 1) (dequantized) are squeezed
  into [α, 1 - α] and mapped to the real line, y = logit(α + (1 - 2α) x). A flow's layers then see data
  without hard edges, and no pixel, not even one that is blank in every training image, can be modelled
  as an ever narrower spike at 0: the α keeps every value a finite distance from the logit's poles. Its
  log-det is part of ``log_prob``, so bits per dimension stay those of the pixels x.
- ``ActNorm(shape)``: a per-channel affine flow layer (Kingma and Dhariwal, 2018), the flow form of a
  normalisation: x = loc + exp(log_scale) ⊙ z per channel, log-det H·W·Σ log_scale. Its parameters start
  from the statistics of the first data batch (``actnorm_data_init``), so the couplings after it see
  each channel with mean 0 and standard deviation 1, as batch norm would give them, but the layer is an
  ordinary invertible map with the same output in training and in evaluation.
- ``resnet(c_in, c_out, width, blocks)``: the ResNet-style coupling network (3x3 convolutions with
  residual blocks), its last convolution at zero so that a coupling holding it starts as the identity.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

from ._validate import FlowlibError, check_int, check_number, check_points
from .image_masks import image_shape

__all__ = ["LogitTransform", "ActNorm", "actnorm_data_init", "resnet", "ResidualBlock"]


class LogitTransform(nn.Module):
    r"""RealNVP's logit preprocessing as a flow layer; put it last, next to the pixels x.

    Inverse (x ↦ z, data to latent):  z = logit(α + (1 - 2α) x),  x ∈ (-α/(1-2α), (1-α)/(1-2α)) ⊇ [0, 1).
    Forward (z ↦ x, generative):      x = (σ(z) - α) / (1 - 2α).
    log|det ∂x/∂z| = Σ_i [log σ(z_i) + log(1 - σ(z_i))] - D log(1 - 2α), shape (B,);
    the inverse returns minus that at the same pair, i.e. Σ_i -log(y_i (1 - y_i)) + D log(1 - 2α) with y = α + (1 - 2α) x.

    Args:
        dim: D, the number of pixels.
        alpha: α ∈ (0, 0.5): how far from 0 and 1 the pixels are kept before the logit (the paper: 0.05).

    >>> layer = LogitTransform(3, alpha=0.05)
    >>> x = torch.tensor([[0.0, 0.5, 0.99]])
    >>> z, log_det = layer.inverse(x)
    >>> torch.allclose(layer(z)[0], x), torch.allclose(layer(z)[1], -log_det)
    (True, True)
    """

    def __init__(self, dim: int, alpha: float = 0.05):
        super().__init__()
        self.dim = check_int(dim, "LogitTransform", "dim", least=1, example="784")
        alpha = check_number(alpha, "LogitTransform", "alpha", positive=True, example="0.05")
        if not alpha < 0.5:
            raise FlowlibError(f"LogitTransform: alpha must be in (0, 0.5), e.g. 0.05 (the pixels are kept in "
                               f"[alpha, 1 - alpha] before the logit), got {alpha!r}")
        self.alpha = alpha
        # The x values whose logit is finite: the open interval (low, high) around [0, 1].
        self.domain = (-alpha / (1 - 2 * alpha), (1 - alpha) / (1 - 2 * alpha))

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "LogitTransform.forward", "z")
        a = self.alpha
        x = (torch.sigmoid(z) - a) / (1 - 2 * a)
        # log σ(z) + log(1 - σ(z)) = -softplus(-z) - softplus(z): no log of a rounded 0 for large |z|
        log_det = (-nn.functional.softplus(-z) - nn.functional.softplus(z)).sum(-1) - self.dim * math.log(1 - 2 * a)
        return x, log_det

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "LogitTransform.inverse", "x")
        low, high = self.domain
        if not bool(((x > low) & (x < high)).all()):
            raise FlowlibError(f"LogitTransform.inverse: x must lie in ({low:.4g}, {high:.4g}) (pixels in [0, 1), "
                               f"dequantized), got values from {float(x.min()):.4g} to {float(x.max()):.4g}; "
                               "scale the pixels to [0, 1) first, e.g. (v + u) / 256")
        a = self.alpha
        y = a + (1 - 2 * a) * x
        z = torch.log(y) - torch.log1p(-y)
        log_det = -(torch.log(y) + torch.log1p(-y)).sum(-1) + self.dim * math.log(1 - 2 * a)
        return z, log_det

    def jacobian_sparsity(self) -> torch.Tensor:
        return torch.eye(self.dim, dtype=torch.bool)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, alpha={self.alpha}"


class ActNorm(nn.Module):
    r"""Per-channel affine normalisation as a flow layer (Glow's act norm), on flat images of ``shape`` (C, H, W).

    Forward (z ↦ x):  x_c = loc_c + exp(s_c) · z_c in every pixel of channel c.
    Inverse (x ↦ z):  z_c = (x_c - loc_c) · exp(-s_c).
    log|det ∂x/∂z| = H·W·Σ_c s_c, shape (B,); the inverse returns minus that.

    ``loc`` and ``log_scale`` (s) are parameters; under ``actnorm_data_init(flow)`` the first inverse pass
    sets them from its batch, so that z has mean 0 and standard deviation 1 per channel (the layer is then
    trained as any other). ``initialized`` (a buffer, saved with the weights) records that it happened.

    >>> layer = ActNorm((2, 1, 2))
    >>> with actnorm_data_init(layer):
    ...     z, _ = layer.inverse(torch.tensor([[0.0, 2.0, 10.0, 30.0], [2.0, 4.0, 20.0, 40.0]]))
    >>> per_channel = z.detach().reshape(2, 2, 2).transpose(0, 1).reshape(2, 4)  # (C, B·H·W)
    >>> per_channel.mean(1).abs().max() < 1e-6, per_channel.std(1, unbiased=False)
    (tensor(True), tensor([1.0000, 1.0000]))
    """

    def __init__(self, shape):
        super().__init__()
        self.shape = image_shape(shape, "ActNorm")
        c, h, w = self.shape
        self.dim = c * h * w
        self.loc = nn.Parameter(torch.zeros(c))
        self.log_scale = nn.Parameter(torch.zeros(c))
        self.register_buffer("initialized", torch.tensor(False))
        self.pending_init = False  # set by actnorm_data_init; a plain bool, not state

    def _per_channel(self, p: torch.Tensor) -> torch.Tensor:
        c, h, w = self.shape
        return p[:, None].expand(c, h * w).reshape(self.dim)

    @torch.no_grad()
    def _init_from(self, x: torch.Tensor) -> None:
        c, h, w = self.shape
        v = x.reshape(len(x), c, h * w).transpose(0, 1).reshape(c, -1)  # (C, B·H·W)
        self.loc.copy_(v.mean(1))
        self.log_scale.copy_(v.std(1, unbiased=False).clamp_min(1e-6).log())
        self.initialized.fill_(True)
        self.pending_init = False

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "ActNorm.forward", "z")
        x = self._per_channel(self.loc) + self._per_channel(self.log_scale).exp() * z
        return x, (self.shape[1] * self.shape[2] * self.log_scale.sum()).expand(len(z))

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "ActNorm.inverse", "x")
        if self.pending_init:
            if len(x) < 2:
                raise FlowlibError(f"ActNorm: data-dependent initialisation needs a batch of at least 2 images, got {len(x)}")
            self._init_from(x)
        z = (x - self._per_channel(self.loc)) * (-self._per_channel(self.log_scale)).exp()
        return z, (-self.shape[1] * self.shape[2] * self.log_scale.sum()).expand(len(x))

    def jacobian_sparsity(self) -> torch.Tensor:
        return torch.eye(self.dim, dtype=torch.bool, device=self.loc.device)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


@contextlib.contextmanager
def actnorm_data_init(module: nn.Module):
    r"""Within the block, the next inverse pass of every ``ActNorm`` in ``module`` that is not yet
    initialised sets its parameters from its batch (data-dependent initialisation), in the order of the
    inverse pass, so each sees the output of the layers already initialised. Use it once, before training:

    >>> from flowlib import Flow, StandardNormal
    >>> flow = Flow(StandardNormal(4), [ActNorm((1, 2, 2))])
    >>> with actnorm_data_init(flow):
    ...     _ = flow.log_prob(3 + 2 * torch.randn(64, 4))
    >>> bool(flow.layers[0].initialized)
    True
    """
    if not isinstance(module, nn.Module):
        raise FlowlibError(f"actnorm_data_init: expected a Flow or a layer (an nn.Module), got {type(module).__name__}")
    layers = [m for m in module.modules() if isinstance(m, ActNorm) and not bool(m.initialized)]
    for m in layers:
        m.pending_init = True
    try:
        yield module
    finally:
        for m in layers:
            m.pending_init = False


class ResidualBlock(nn.Module):
    """x + conv1x1(relu(conv3x3(relu(x)))): a residual block of constant width (pre-activation style)."""

    def __init__(self, width: int, kernel: int = 3):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(width, width, kernel, padding=kernel // 2),
                                  nn.ReLU(), nn.Conv2d(width, width, 1))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return v + self.body(v)


def resnet(c_in: int, c_out: int, width: int = 32, blocks: int = 2, kernel: int = 3) -> nn.Sequential:
    """RealNVP's ResNet-style coupling network: a ``kernel`` x ``kernel`` convolution to ``width``
    channels, ``blocks`` residual blocks, ReLU and a last convolution to ``c_out`` channels that starts
    at zero (so that the coupling holding it starts as the identity). Same spatial size throughout."""
    c_in = check_int(c_in, "resnet", "c_in", least=1)
    c_out = check_int(c_out, "resnet", "c_out", least=1)
    width = check_int(width, "resnet", "width", least=1, example="32")
    blocks = check_int(blocks, "resnet", "blocks", least=0, example="2")
    if isinstance(kernel, bool) or not isinstance(kernel, int) or kernel < 1 or kernel % 2 == 0:
        raise FlowlibError(f"resnet: kernel must be an odd positive int (3 keeps the image size), got {kernel!r}")
    last = nn.Conv2d(width, c_out, kernel, padding=kernel // 2)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(nn.Conv2d(c_in, width, kernel, padding=kernel // 2),
                         *[ResidualBlock(width, kernel) for _ in range(blocks)], nn.ReLU(), last)
