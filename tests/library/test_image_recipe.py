"""RealNVP's recipe for images, the layers the multi-scale MNIST model adds: the logit preprocessing, act norm
(with its data-dependent initialisation), the ResNet coupling network; each checked by ``check_layer`` (float64:
round trips, log-det against autograd's slogdet, the inverse's log-det minus the forward's) and each refusing
bad input with a FlowlibError that says what was expected."""

from __future__ import annotations

import math

import pytest
import torch

from flowlib import (
    ConvAffineCoupling,
    Flow,
    FlowlibError,
    StandardNormal,
    check_layer,
    checkerboard_mask,
    make_multiscale_realnvp,
    randomize,
)
from flowlib.image_layers import ActNorm, LogitTransform, actnorm_data_init, resnet

RECIPE_LAYERS = {
    "LogitTransform": lambda: LogitTransform(6, alpha=0.05),
    "LogitTransform-alpha0.2": lambda: LogitTransform(3, alpha=0.2),
    "ActNorm-1x3x3": lambda: ActNorm((1, 3, 3)),
    "ActNorm-3x2x2": lambda: ActNorm((3, 2, 2)),
    "ConvAffineCoupling-resnet": lambda: ConvAffineCoupling((1, 4, 4), checkerboard_mask((1, 4, 4), 1), hidden=(6,), blocks=2),
}


@pytest.mark.parametrize("name", RECIPE_LAYERS)
def test_recipe_layers_pass_check_layer(name):
    torch.manual_seed(0)
    report = check_layer(RECIPE_LAYERS[name]())
    for key, error in report.items():
        if key != "parameters reached by gradients":
            assert error <= 1e-7, (key, error)


def test_every_layer_of_the_recipe_model_passes_check_layer():
    torch.manual_seed(0)
    flow = make_multiscale_realnvp((1, 4, 4), scales=2, couplings=1, hidden=(4,), blocks=1, actnorm=True)
    names = [type(f).__name__ for f in flow.layers]
    assert names == ["FactorOut", "ConvAffineCoupling", "ActNorm", "Squeeze", "ConvAffineCoupling", "ActNorm"]
    inner = [type(f).__name__ for f in flow.layers[0].layers]
    # the last scale: 2 checkerboard couplings, each after an ActNorm (data to latent)
    assert inner == ["ConvAffineCoupling", "ActNorm", "ConvAffineCoupling", "ActNorm"]
    for layer in flow.layers:
        check_layer(layer)


def test_logit_transform_is_the_logit_and_its_log_det_the_pixels_change_of_variables():
    layer = LogitTransform(2, alpha=0.1)
    x = torch.tensor([[0.0, 0.5]], dtype=torch.float64)
    z, log_det = layer.double().inverse(x)
    y = 0.1 + 0.8 * x
    assert torch.allclose(z, torch.log(y / (1 - y)))
    # dz/dx = (1 - 2α) / (y (1 - y)) per pixel
    assert log_det.item() == pytest.approx(float(torch.log(0.8 / (y * (1 - y))).sum()))
    # No spike at a blank pixel: whatever x ∈ [0, 1) is, z stays within logit(α) and logit(1 - α)
    edge = LogitTransform(1, alpha=0.05).inverse(torch.tensor([[0.0], [0.999]]))[0]
    assert edge.abs().max() <= math.log(0.95 / 0.05) + 1e-5


def test_logit_transform_refuses_pixels_outside_its_domain():
    layer = LogitTransform(2)
    with pytest.raises(FlowlibError, match=r"x must lie in .*scale the pixels to \[0, 1\)"):
        layer.inverse(torch.tensor([[0.5, 255.0]]))
    with pytest.raises(FlowlibError, match=r"alpha must be in \(0, 0.5\)"):
        LogitTransform(2, alpha=0.5)
    with pytest.raises(FlowlibError, match="alpha must be a positive finite number"):
        LogitTransform(2, alpha=0.0)
    with pytest.raises(FlowlibError, match="dim must be an int >= 1"):
        LogitTransform(0)
    with pytest.raises(FlowlibError, match=r"expected x of shape \(B, 2\)"):
        layer.inverse(torch.rand(3, 4))


def test_actnorm_data_init_standardizes_each_channel_and_happens_once():
    torch.manual_seed(0)
    flow = Flow(StandardNormal(8), [ActNorm((2, 2, 2))])
    data = torch.cat([3 + 2 * torch.randn(100, 4), -1 + 0.5 * torch.randn(100, 4)], 1)  # channel 0 and channel 1
    with torch.no_grad(), actnorm_data_init(flow):
        z, _ = flow.inverse(data)
    per_channel = z.reshape(100, 2, 4).transpose(0, 1).reshape(2, -1)
    assert torch.allclose(per_channel.mean(1), torch.zeros(2), atol=1e-5)
    assert torch.allclose(per_channel.std(1, unbiased=False), torch.ones(2), atol=1e-5)
    layer = flow.layers[0]
    assert bool(layer.initialized) and not layer.pending_init
    before = layer.loc.detach().clone()
    with torch.no_grad(), actnorm_data_init(flow):  # already initialised: a second block changes nothing
        flow.inverse(5 * data)
    assert torch.equal(layer.loc, before)
    # saved with the weights
    assert "layers.0.initialized" in flow.state_dict()


def test_actnorm_log_det_counts_every_pixel_of_a_channel():
    layer = randomize(ActNorm((2, 3, 1)), generator=torch.Generator().manual_seed(0))
    _, log_det = layer(torch.zeros(1, 6))
    assert log_det.detach().item() == pytest.approx(3 * float(layer.log_scale.detach().sum()), rel=1e-6)


def test_actnorm_and_resnet_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"shape must be an image shape \(C, H, W\)"):
        ActNorm(784)
    with pytest.raises(FlowlibError, match="at least 2 images"):
        with actnorm_data_init(ActNorm((1, 2, 2))) as layer:
            layer.inverse(torch.rand(1, 4))
    with pytest.raises(FlowlibError, match="expected a Flow or a layer"):
        with actnorm_data_init("flow"):
            pass
    with pytest.raises(FlowlibError, match="kernel must be an odd positive int"):
        resnet(1, 2, kernel=2)
    with pytest.raises(FlowlibError, match="blocks must be an int >= 0"):
        resnet(1, 2, blocks=-1)
    with pytest.raises(FlowlibError, match="hidden must"):
        ConvAffineCoupling((1, 4, 4), checkerboard_mask((1, 4, 4)), hidden=(), blocks=1)
    with pytest.raises(ValueError, match="actnorm must be True or False"):
        make_multiscale_realnvp((1, 4, 4), actnorm="yes")


def test_resnet_coupling_starts_as_the_identity():
    layer = ConvAffineCoupling((1, 4, 4), checkerboard_mask((1, 4, 4)), hidden=(8,), blocks=2)
    z = torch.randn(3, 16)
    x, log_det = layer(z)
    assert torch.equal(x, z) and torch.equal(log_det, torch.zeros(3))
