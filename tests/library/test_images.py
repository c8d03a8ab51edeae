"""RealNVP's image architecture: the two masks, the squeeze, the convolutional coupling, the factor-out,
the multi-scale model; the MNIST data; and the shipped MNIST weights (they load and reproduce their score)."""

from __future__ import annotations

import math

import pytest
import torch

from flowlib import (
    MNIST_LEVELS,
    ConvAffineCoupling,
    FactorOut,
    Squeeze,
    bits_per_dim,
    channel_mask,
    check_layer,
    checkerboard_mask,
    jacobian,
    make_multiscale_realnvp,
    mnist_data,
)
from flowlib.mnist_models import ink_outside_training
from flowlib.squeeze import squeeze, unsqueeze

# Small images, so that check_layer's autograd Jacobians stay quick (n = 16 to 32 coordinates).
IMAGE_LAYERS = {
    "Squeeze-1x4x4": lambda: Squeeze((1, 4, 4)),
    "Squeeze-2x2x4": lambda: Squeeze((2, 2, 4)),
    "ConvAffineCoupling-checkerboard0": lambda: ConvAffineCoupling((1, 4, 4), checkerboard_mask((1, 4, 4), 0), hidden=(8, 8)),
    "ConvAffineCoupling-checkerboard1": lambda: ConvAffineCoupling((2, 4, 4), checkerboard_mask((2, 4, 4), 1), hidden=(8,)),
    "ConvAffineCoupling-channel0": lambda: ConvAffineCoupling((4, 2, 2), channel_mask((4, 2, 2), 0), hidden=(8,)),
    "ConvAffineCoupling-channel1": lambda: ConvAffineCoupling((4, 2, 2), channel_mask((4, 2, 2), 1), hidden=(8,), kernel=1),
    "FactorOut": lambda: FactorOut(16, channel_mask((4, 2, 2)),
                                   [ConvAffineCoupling((2, 2, 2), checkerboard_mask((2, 2, 2), k), hidden=(4,)) for k in (0, 1)]),
}


@pytest.mark.parametrize("name", IMAGE_LAYERS)
def test_image_layers_pass_check_layer(name):
    torch.manual_seed(0)
    report = check_layer(IMAGE_LAYERS[name]())
    for key, error in report.items():
        if key != "parameters reached by gradients":
            assert error <= 1e-7, (key, error)


def test_every_layer_of_a_multiscale_model_passes_check_layer():
    torch.manual_seed(0)
    flow = make_multiscale_realnvp((1, 4, 4), scales=2, couplings=1, hidden=(4,))
    assert [type(f).__name__ for f in flow.layers] == ["FactorOut", "ConvAffineCoupling", "Squeeze", "ConvAffineCoupling"]
    for layer in flow.layers:
        check_layer(layer)


def test_checkerboard_mask_picture():
    board = checkerboard_mask((2, 3, 4)).reshape(2, 3, 4)
    expected = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], dtype=torch.float32)
    assert torch.equal(board[0], expected) and torch.equal(board[1], expected)  # the same board in every channel
    assert torch.equal(checkerboard_mask((2, 3, 4), parity=1), 1 - checkerboard_mask((2, 3, 4)))
    # every changed pixel's four neighbours are kept
    b = checkerboard_mask((1, 6, 6)).reshape(6, 6)
    for i in range(1, 5):
        for j in range(1, 5):
            if b[i, j] == 0:
                assert b[i - 1, j] == b[i + 1, j] == b[i, j - 1] == b[i, j + 1] == 1


def test_channel_mask_picture():
    m = channel_mask((4, 2, 3)).reshape(4, 2, 3)
    assert torch.equal(m[:2], torch.ones(2, 2, 3)) and torch.equal(m[2:], torch.zeros(2, 2, 3))
    assert torch.equal(channel_mask((4, 2, 3), parity=1), 1 - channel_mask((4, 2, 3)))
    with pytest.raises(ValueError, match="channels must be even"):
        channel_mask((3, 2, 2))
    with pytest.raises(ValueError, match=r"image shape \(C, H, W\)"):
        checkerboard_mask((28, 28))


def test_squeeze_moves_each_2x2_block_into_4_channels():
    img = torch.arange(2 * 4 * 6.0).reshape(1, 2, 4, 6)
    s = squeeze(img)
    assert s.shape == (1, 8, 2, 3)
    for c in range(2):
        for a in range(2):
            for b in range(2):
                assert torch.equal(s[0, 4 * c + 2 * a + b], img[0, c, a::2, b::2])
    assert torch.equal(unsqueeze(s), img)
    layer = Squeeze((2, 4, 6))
    x = torch.randn(5, 48)
    z, log_det = layer.inverse(x)
    assert torch.equal(z, squeeze(x.reshape(5, 2, 4, 6)).reshape(5, 48))
    assert torch.equal(layer(z)[0], x) and torch.equal(log_det, torch.zeros(5)) and torch.equal(layer(z)[1], torch.zeros(5))
    assert layer.squeezed_shape == (8, 2, 3)
    with pytest.raises(ValueError, match="must be even"):
        Squeeze((1, 5, 4))


def test_conv_coupling_reads_only_kept_neighbours():
    torch.manual_seed(1)
    shape = (1, 6, 6)
    layer = ConvAffineCoupling(shape, checkerboard_mask(shape), hidden=(8,)).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.3 * torch.randn_like(p))
    J = jacobian(layer.forward, torch.randn(2, 36, dtype=torch.float64))  # (2, 36, 36)
    kept = checkerboard_mask(shape).bool()
    rows, cols = torch.meshgrid(torch.arange(6), torch.arange(6), indexing="ij")
    rows, cols = rows.reshape(-1), cols.reshape(-1)
    reach = ((rows[:, None] - rows[None]).abs() <= 2) & ((cols[:, None] - cols[None]).abs() <= 2)  # two 3x3 convolutions
    off_diagonal = J - torch.diag_embed(torch.diagonal(J, dim1=1, dim2=2))
    assert (off_diagonal[:, kept].abs().max() == 0)  # kept pixels pass unchanged
    assert (off_diagonal[:, :, ~kept].abs().max() == 0)  # nothing depends on a changed pixel but itself
    assert (off_diagonal.abs() * ~reach).max() == 0  # locality: only pixels within the receptive field
    assert off_diagonal[:, ~kept][:, :, kept].abs().max() > 1e-3


def test_factor_out_leaves_the_factored_half_alone():
    torch.manual_seed(0)
    active = channel_mask((4, 2, 2))
    layer = FactorOut(16, active, [ConvAffineCoupling((2, 2, 2), checkerboard_mask((2, 2, 2)), hidden=(4,))])
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.5 * torch.randn_like(p))
        z = torch.randn(7, 16)
        x, log_det = layer(z)
    assert torch.equal(x[:, 8:], z[:, 8:]) and not torch.allclose(x[:, :8], z[:, :8])
    with pytest.raises(ValueError, match="has dim 8, expected 4"):
        FactorOut(8, torch.tensor([1.0, 1, 1, 1, 0, 0, 0, 0]), [ConvAffineCoupling((2, 2, 2), checkerboard_mask((2, 2, 2)))])
    with pytest.raises(ValueError, match="active must be a 0/1 tensor"):
        FactorOut(4, torch.ones(4), [])


def test_multiscale_model_on_mnist_shape():
    torch.manual_seed(0)
    flow = make_multiscale_realnvp((1, 28, 28), scales=2, couplings=1, hidden=(4,))
    names = [type(f).__name__ for f in flow.layers]
    assert names == ["FactorOut", "ConvAffineCoupling", "Squeeze", "ConvAffineCoupling"]
    factor = flow.layers[0]
    assert len(factor.index) == 392 and [lay.shape for lay in factor.layers] == [(2, 14, 14)] * 2  # half of 4x14x14 goes on
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.1 * torch.randn_like(p))
        x = torch.rand(3, 784)
        z, log_det = flow.inverse(x)
        assert torch.allclose(flow(z)[0], x, atol=1e-5) and torch.allclose(flow(z)[1], -log_det, atol=1e-4)
    with pytest.raises(ValueError, match="multiples of 4"):
        make_multiscale_realnvp((1, 6, 6), scales=3)


def test_mnist_data_split_and_dequantization():
    train, test = mnist_data()
    assert train.shape == (4500, 784) and test.shape == (500, 784) and train.dtype == torch.float32
    assert 0 <= float(train.min()) and float(train.max()) < 1
    pixels = torch.floor(torch.cat([train, test]).double() * MNIST_LEVELS)
    assert pixels.min() == 0 and pixels.max() == 255  # the integer pixel values come back
    assert torch.equal(mnist_data()[1], test) and not torch.equal(mnist_data(seed=1)[1], test)
    with pytest.raises(ValueError, match="n_test must be an int from 1 to 4999"):
        mnist_data(n_test=5000)
    outside = ink_outside_training(train, test)  # held-out digits with ink where no training digit has any
    assert outside.shape == (500,) and int(outside.sum()) == 5
    assert not ink_outside_training(train, train[:100]).any()
    # the uniform density on [0, 1)^784: exactly 8 bits per pixel
    assert bits_per_dim(torch.zeros(4), 784, levels=MNIST_LEVELS) == pytest.approx(math.log2(256))
