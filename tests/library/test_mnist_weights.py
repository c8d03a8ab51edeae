"""The MNIST weights shipped in flowlib/weights/ (made by `make mnist-weights`): they load, on CPU and on
CUDA where there is one, reproduce the scores recorded next to them (held-out bits per dimension with its
standard error, and the sample quality a digit classifier measures), meet issue 25's goals, and stay small."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from flowlib import mnist_data, mnist_labels, sample_quality, train_digit_classifier
from flowlib.mnist_models import MNIST_MODELS, WEIGHTS_DIR, load_mnist_model, mnist_model, mnist_record, save_mnist_model

ROOT = Path(__file__).resolve().parents[2]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"))]


def per_digit_bpd(log_p: torch.Tensor) -> torch.Tensor:
    return (-log_p.double().cpu() + 784 * math.log(256)) / (784 * math.log(2))


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
        bpd = per_digit_bpd(flow.log_prob(held_out.to(device)))
    assert float(bpd.mean()) == pytest.approx(record["held-out bits/dim"], abs=0.002)
    assert float(bpd.std() / math.sqrt(len(bpd))) == pytest.approx(record["held-out standard error"], abs=0.002)
    # No blank-pixel artefact in the convolutional model: every one of the 500 held-out digits scores better than the
    # uniform model's 8 bits/dim (NICE's per-pixel scaling still gives a few digits with ink on always-blank pixels more)
    if name == "multi-scale RealNVP":
        assert float(bpd.max()) < 8
    assert record["parameters"] == sum(p.numel() for p in flow.parameters())


def test_the_record_ranks_the_models_as_the_notebooks_say():
    record = mnist_record()
    multiscale, fc, nice = record["multi-scale RealNVP"], record["RealNVP"], record["NICE"]
    assert multiscale["held-out bits/dim"] < fc["held-out bits/dim"] - 5 * fc["held-out standard error"]
    assert fc["held-out bits/dim"] < nice["held-out bits/dim"] - 3 * nice["held-out standard error"]
    best = max(multiscale["samples (N = 500, seed 0)"].values(), key=lambda q: q["score"])
    best_nice = max(nice["samples (N = 500, seed 0)"].values(), key=lambda q: q["score"])
    for key in ("score", "confident"):  # ahead by more than 2 standard errors of the difference
        assert best[key] - best_nice[key] > 2 * math.hypot(best[f"{key} se"], best_nice[f"{key} se"]), key
    # the whole of `make mnist-weights` within 2 hours of one CPU thread: the recorded run (timed end to end on
    # 2026-12-07, 5815 s with the sample scores) trained for 5758 s
    assert fc["seconds"] + nice["seconds"] + multiscale["seconds"] < 2 * 3600


def test_the_bits_per_dimension_goal_of_issue_25_holds_in_the_record():
    assert mnist_record()["multi-scale RealNVP"]["held-out bits/dim"] <= 1.5


@pytest.mark.xfail(strict=True, reason="issue 25's sample-quality goals were not reached by the shipped run (70 epochs "
                                       "on one CPU thread: 44 % confident, score 5.6); remove this mark when a retrained "
                                       "model meets them")
def test_the_sample_goals_of_issue_25_hold_in_the_record():
    best = max(mnist_record()["multi-scale RealNVP"]["samples (N = 500, seed 0)"].values(), key=lambda q: q["score"])
    assert best["confident"] >= 0.7 and best["score"] >= 7


@pytest.mark.slow
def test_sample_quality_reproduces_the_record():
    record = mnist_record()
    train_x, test_x = mnist_data()
    train_y, _ = mnist_labels()
    classifier = train_digit_classifier(train_x, train_y)
    real = sample_quality(classifier, test_x)
    assert real["score"] == pytest.approx(record["classifier"]["real held-out digits"]["score"], abs=0.3)
    for name in MNIST_MODELS:
        flow = load_mnist_model(name)
        for t, want in record[name]["samples (N = 500, seed 0)"].items():
            torch.manual_seed(0)
            with torch.no_grad():
                got = sample_quality(classifier, flow.sample(500, temperature=float(t)))
            # a classifier trained on another CPU differs a little: within 3 standard errors
            assert abs(got["confident"] - want["confident"]) <= 3 * want["confident se"] + 0.01, (name, t)
            assert abs(got["score"] - want["score"]) <= 3 * want["score se"] + 0.05, (name, t)


def test_weights_are_small_and_declared_as_package_data():
    files = sorted(WEIGHTS_DIR.glob("*.pt"))
    assert len(files) == len(MNIST_MODELS)
    assert sum(f.stat().st_size for f in files) < 5e6
    pyproject = (ROOT / "pyproject.toml").read_text()  # a wheel (Colab's install) carries them only if declared
    assert '[tool.setuptools.package-data]\nflowlib = ["weights/*.pt", "weights/*.json"]' in pyproject


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    data = torch.rand(20, 784)
    for name in MNIST_MODELS:
        flow = mnist_model(name, data)
        with torch.no_grad():
            for p in flow.parameters():
                p.add_(0.01 * torch.randn_like(p))
        save_mnist_model(flow, name, folder=tmp_path)
        loaded = load_mnist_model(name, folder=tmp_path)
        with torch.no_grad():  # float16 storage: close, not equal
            assert torch.allclose(loaded.log_prob(data), flow.log_prob(data), rtol=1e-3, atol=0.5)
    with pytest.raises(FileNotFoundError, match="make mnist-weights"):
        load_mnist_model("RealNVP", folder=tmp_path / "empty")
    with pytest.raises(ValueError, match="unknown model 'Glow'"):
        load_mnist_model("Glow")
