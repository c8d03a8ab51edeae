"""The MNIST weights shipped in flowlib/weights/ (made by `make mnist-weights`): they load, on CPU and on
CUDA where there is one, reproduce the held-out bits per dimension recorded next to them, and stay small."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from flowlib import MNIST_LEVELS, bits_per_dim, mnist_data
from flowlib.mnist_models import MNIST_MODELS, WEIGHTS_DIR, load_mnist_model, mnist_model, mnist_record, save_mnist_model

ROOT = Path(__file__).resolve().parents[2]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"))]


@pytest.fixture(scope="module")
def held_out():
    return mnist_data()[1]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", MNIST_MODELS)
def test_shipped_weights_reproduce_the_recorded_score(name, device, held_out):
    record = mnist_record()[name]
    flow = load_mnist_model(name, device)
    assert all(p.device.type == device and p.dtype == torch.float32 for p in flow.parameters())
    with torch.no_grad():
        log_p = flow.log_prob(held_out.to(device))
    bpd = bits_per_dim(log_p, 784, levels=MNIST_LEVELS)
    # rel: the fully connected RealNVP's mean holds a few digits scored at ~1e5 bits/dim (notebook 04 explains)
    assert bpd == pytest.approx(record["held-out bits/dim"], abs=0.01, rel=1e-4)
    assert bits_per_dim(log_p.median()[None], 784, levels=MNIST_LEVELS) < 6  # the typical digit: better than uniform (8)
    assert record["parameters"] == sum(p.numel() for p in flow.parameters())


def test_weights_are_small_and_declared_as_package_data():
    files = sorted(WEIGHTS_DIR.glob("*.pt"))
    assert len(files) == len(MNIST_MODELS)
    assert sum(f.stat().st_size for f in files) < 5e6
    pyproject = (ROOT / "pyproject.toml").read_text()  # a wheel (Colab's install) carries them only if declared
    assert '[tool.setuptools.package-data]\nflowlib = ["weights/*.pt", "weights/*.json"]' in pyproject


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    data = torch.rand(20, 784)
    flow = mnist_model("NICE", data)
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.01 * torch.randn_like(p))
    save_mnist_model(flow, "NICE", folder=tmp_path)
    loaded = load_mnist_model("NICE", folder=tmp_path)
    with torch.no_grad():  # float16 storage: close, not equal
        assert torch.allclose(loaded.log_prob(data), flow.log_prob(data), rtol=1e-3, atol=0.5)
    with pytest.raises(FileNotFoundError, match="make mnist-weights"):
        load_mnist_model("RealNVP", folder=tmp_path)
    with pytest.raises(ValueError, match="unknown model 'Glow'"):
        load_mnist_model("Glow")
