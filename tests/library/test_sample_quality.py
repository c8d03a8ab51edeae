"""The sample-quality measure of notebooks 03 and 04b: a digit classifier trained on the training digits, the
fraction of images it reads confidently and the Inception-style score, with their standard errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from flowlib import FlowlibError, mnist_data
from flowlib.datasets import mnist_labels
from flowlib.sample_quality import sample_quality, train_digit_classifier


class FixedProbabilities(nn.Module):
    """A 'classifier' that returns given class probabilities for row i (the image is ignored)."""

    def __init__(self, probabilities):
        super().__init__()
        self.register_buffer("logits", torch.as_tensor(probabilities, dtype=torch.float64).clamp_min(1e-12).log())
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.logits[: len(x)]


def test_score_runs_from_1_to_10():
    ten = sample_quality(FixedProbabilities(torch.eye(10).repeat(5, 1)), torch.rand(50, 4))
    assert ten["score"] == pytest.approx(10) and ten["confident"] == 1 and ten["classes"] == [5] * 10
    same = sample_quality(FixedProbabilities(torch.eye(10)[[3] * 50]), torch.rand(50, 4))
    assert same["score"] == pytest.approx(1) and same["confident"] == 1  # definite, but always the same digit
    blur = sample_quality(FixedProbabilities(torch.full((50, 10), 0.1)), torch.rand(50, 4))
    assert blur["score"] == pytest.approx(1) and blur["confident"] == 0  # nothing definite


def test_standard_errors():
    p = torch.eye(10)[torch.arange(100) % 10] * 0.95 + 0.005  # definite digits, 0.955 each ...
    p[::4] = 0.1  # ... except every fourth image, a blur
    result = sample_quality(FixedProbabilities(p), torch.rand(100, 4))
    assert result["confident"] == 0.75
    assert result["confident se"] == pytest.approx(math.sqrt(0.75 * 0.25 / 100))
    assert 0 < result["score se"] < 1  # a bootstrap over the 100 images
    again = sample_quality(FixedProbabilities(p), torch.rand(100, 4))
    assert again["score se"] == result["score se"]  # seeded: repeatable


def test_classifier_reads_real_digits_and_not_noise():
    x, x_test = mnist_data()
    y, y_test = mnist_labels()
    classifier = train_digit_classifier(x, y)
    accuracy = float((classifier(x_test).argmax(-1) == y_test).double().mean())
    assert accuracy > 0.88
    real = sample_quality(classifier, x_test)
    assert real["confident"] > 0.7 and real["score"] > 7 and min(real["classes"]) > 20
    noise = torch.randn(500, 784, generator=torch.Generator().manual_seed(0))
    gaussian = sample_quality(classifier, x.mean(0) + x.std(0) * noise)
    assert gaussian["score"] < real["score"] - 3 * (gaussian["score se"] + real["score se"])
    assert not any(p.requires_grad for p in classifier.parameters())


def test_labels_follow_the_split_of_mnist_data():
    train_labels, test_labels = mnist_labels()
    assert train_labels.shape == (4500,) and test_labels.shape == (500,)
    assert torch.bincount(torch.cat([train_labels, test_labels])).tolist() == [500] * 10
    other_train, _ = mnist_labels(seed=1)
    assert not torch.equal(other_train, train_labels)


def test_bad_arguments():
    classifier = FixedProbabilities(torch.full((4, 10), 0.1))
    with pytest.raises(FlowlibError, match="N >= 2 images"):
        sample_quality(classifier, torch.rand(1, 4))
    with pytest.raises(FlowlibError, match="NaN or inf"):
        sample_quality(classifier, torch.full((3, 4), float("nan")))
    with pytest.raises(FlowlibError, match="classifier must be an nn.Module"):
        sample_quality("classifier", torch.rand(3, 4))
    with pytest.raises(FlowlibError, match=r"labels must be an integer tensor of shape \(3,\)"):
        train_digit_classifier(torch.rand(3, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(FlowlibError, match="labels must be digits 0 to 9"):
        train_digit_classifier(torch.rand(3, 4), torch.tensor([0, 1, 10]))
    with pytest.raises(FlowlibError, match="epochs must be an int >= 1"):
        train_digit_classifier(torch.rand(3, 4), torch.tensor([0, 1, 2]), epochs=0)
