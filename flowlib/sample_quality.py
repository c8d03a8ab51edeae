r"""How good are a model's samples? Ask a digit classifier (the idea of the Inception score, Salimans et al. 2016).

A small classifier p(y | x) is trained on the training digits (``train_digit_classifier``: a fully connected
network, a few seconds on a CPU). Then, for a batch of images x_1 … x_N (real digits, or a model's samples),
``sample_quality`` measures

- the fraction **confidently classified**: max_y p(y | x_i) ≥ 0.9, i.e. the classifier reads a definite digit;
- the **score** exp( (1/N) Σ_i KL(p(y | x_i) ‖ p(y)) ), with p(y) = (1/N) Σ_i p(y | x_i): it runs from 1 (every
  image gives the same class probabilities: blurs, or the same digit each time) to 10 (each image one definite
  digit, all ten digits equally often). Both need definite digits *and* variety to be high;

each with its standard error: sqrt(f(1 - f)/N) for the fraction, a bootstrap over the N images for the score.
Neither is a likelihood: a model can score well here and badly in bits per dimension, and the other way round.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import FlowlibError, check_int, check_number, check_seed
from .nets import MLP

__all__ = ["train_digit_classifier", "sample_quality", "CONFIDENT"]

CONFIDENT = 0.9  # "confidently classified": the classifier's largest probability is at least this


def train_digit_classifier(x: torch.Tensor, labels: torch.Tensor, hidden=(256,), epochs: int = 20,
                           batch_size: int = 100, lr: float = 1e-3, seed: int = 0) -> nn.Module:
    r"""A fully connected digit classifier, x (N, D) with pixels in [0, 1] ↦ logits (N, 10), trained with
    Adam on the cross-entropy for ``epochs`` passes; returned in eval mode, with ``requires_grad`` off.

    >>> from flowlib import mnist_data, mnist_labels
    >>> x, _ = mnist_data(); y, _ = mnist_labels()
    >>> classifier = train_digit_classifier(x[:500], y[:500], epochs=1)
    >>> classifier(x[:3]).shape
    torch.Size([3, 10])
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or not x.is_floating_point():
        raise FlowlibError(f"train_digit_classifier: x must be a float tensor of shape (N, D), got "
                           f"{type(x).__name__ if not isinstance(x, torch.Tensor) else tuple(x.shape)}")
    if not isinstance(labels, torch.Tensor) or labels.shape != (len(x),) or labels.is_floating_point():
        got = type(labels).__name__ if not isinstance(labels, torch.Tensor) else tuple(labels.shape)
        raise FlowlibError(f"train_digit_classifier: labels must be an integer tensor of shape ({len(x)},), "
                           f"one digit per row of x, got {got}")
    if len(labels) and not bool(((labels >= 0) & (labels <= 9)).all()):
        raise FlowlibError("train_digit_classifier: labels must be digits 0 to 9")
    epochs = check_int(epochs, "train_digit_classifier", "epochs", least=1, example="20")
    batch_size = check_int(batch_size, "train_digit_classifier", "batch_size", least=1, example="100")
    lr = check_number(lr, "train_digit_classifier", "lr", positive=True, example="1e-3")
    g = torch.Generator().manual_seed(check_seed(seed, "train_digit_classifier"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = MLP(x.shape[1], 10, hidden).to(x.device)
        for layer in net.modules():  # MLP starts its last layer at zero (for couplings): a classifier wants it random
            if isinstance(layer, nn.Linear) and not bool(layer.weight.any()):
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g).to(x.device)
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            loss = nn.functional.cross_entropy(net(x[idx]), labels[idx].to(x.device))
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


@torch.no_grad()
def sample_quality(classifier: nn.Module, x: torch.Tensor, threshold: float = CONFIDENT, bootstrap: int = 200,
                   seed: int = 0) -> dict[str, float]:
    r"""The classifier's verdict on images x (N, D): a dict with

    - ``"confident"``, ``"confident se"``: the fraction with max_y p(y | x) ≥ ``threshold``, and its standard error;
    - ``"score"``, ``"score se"``: exp(mean_i KL(p(y | x_i) ‖ p(y))), p(y) the mean of p(y | x_i), and the standard
      deviation of ``bootstrap`` resamples of the N images (its standard error);
    - ``"classes"``: how many images the classifier assigns to each digit (a list of 10 counts).

    Pixels are clamped to [0, 1] first (a flow's samples may overshoot slightly).

    >>> from flowlib import mnist_data, mnist_labels
    >>> x, _ = mnist_data(); y, _ = mnist_labels()
    >>> classifier = train_digit_classifier(x, y, epochs=3)
    >>> noise = sample_quality(classifier, torch.rand(200, 784))
    >>> real = sample_quality(classifier, x[:200])
    >>> real["score"] > 5 > 2 > noise["score"]  # uniform noise: read as the same digit every time
    True
    """
    if not isinstance(classifier, nn.Module):
        raise FlowlibError("sample_quality: classifier must be an nn.Module (train_digit_classifier's), "
                           f"got {type(classifier).__name__}")
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or len(x) < 2 or not x.is_floating_point():
        raise FlowlibError("sample_quality: x must be a float tensor of shape (N, D) with N >= 2 images, got "
                           f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    if not bool(torch.isfinite(x).all()):
        raise FlowlibError("sample_quality: x holds NaN or inf; a sample that is not a number is not a digit: "
                           "check the model first")
    threshold = check_number(threshold, "sample_quality", "threshold", positive=True, example="0.9")
    bootstrap = check_int(bootstrap, "sample_quality", "bootstrap", least=2, example="200")
    device = next(classifier.parameters()).device
    p = torch.softmax(classifier(x.clamp(0, 1).to(device)).double(), -1).cpu()  # (N, 10)
    n = len(p)
    confident = float((p.max(-1).values >= threshold).double().mean())

    def score(q):
        marginal = q.mean(0, keepdim=True)
        kl = (q * (q.clamp_min(1e-30).log() - marginal.clamp_min(1e-30).log())).sum(-1)
        return float(kl.mean().exp())

    g = torch.Generator().manual_seed(check_seed(seed, "sample_quality"))
    resampled = [score(p[torch.randint(n, (n,), generator=g)]) for _ in range(bootstrap)]
    return {"confident": confident, "confident se": math.sqrt(confident * (1 - confident) / n),
            "score": score(p), "score se": float(torch.tensor(resampled).std()),
            "classes": torch.bincount(p.argmax(-1), minlength=10).tolist()}
