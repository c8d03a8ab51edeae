r"""Notebook 07's maths that the notebook uses but does not show.

The bimodal target of the mode-seeking experiment and the best Gaussian fits of it under either KL.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ... import check_int, check_points

__all__ = ["FIRST_MODE", "MODE_STD", "GAP", "bimodal_log_prob", "bimodal_data", "gaussian_fits"]


FIRST_MODE, MODE_STD = -2.0, 0.5  # the bimodal target: modes at FIRST_MODE and FIRST_MODE + gap, each of std MODE_STD


GAP = 5.0  # the gap of the notebook's experiment: the start N(0, 1) sits nearer the first mode


def log_p1(x1: torch.Tensor, gap: float) -> torch.Tensor:
    """log p(x₁) of the mixture ½N(FIRST_MODE, s²) + ½N(FIRST_MODE + gap, s²), s = MODE_STD."""
    centres = torch.tensor([FIRST_MODE, FIRST_MODE + gap], dtype=x1.dtype, device=x1.device)
    log_normal = -0.5 * ((x1[..., None] - centres) / MODE_STD) ** 2 - math.log(math.sqrt(2 * math.pi) * MODE_STD)
    return torch.logsumexp(log_normal, -1) - math.log(2)


def bimodal_log_prob(x: torch.Tensor, gap: float = GAP) -> torch.Tensor:
    r"""log p(x) of the two-mode target, shape (B,): x₁ ~ ½N(-2, 0.5²) + ½N(-2 + gap, 0.5²), x₂ ~ N(0, 0.5²).

    >>> peak = -2 * math.log(math.sqrt(2 * math.pi) * 0.5) - math.log(2)  # at a mode, the other one far away
    >>> abs(float(bimodal_log_prob(torch.tensor([[-2.0, 0.0]]), gap=8.0)[0]) - peak) < 1e-6
    True
    """
    check_points(x, 2, "bimodal_log_prob", "x")
    log_p2 = -0.5 * (x[:, 1] / MODE_STD) ** 2 - math.log(math.sqrt(2 * math.pi) * MODE_STD)
    return log_p1(x[:, 0], gap) + log_p2


def bimodal_data(n: int, gap: float = GAP, seed: int = 0) -> torch.Tensor:
    r"""``n`` samples (n, 2) float32 of ``bimodal_log_prob``, from their own generator seeded by ``seed``."""
    n = check_int(n, "bimodal_data", "n", least=0)
    g = torch.Generator().manual_seed(seed)
    second = torch.rand(n, generator=g, dtype=torch.float64) < 0.5
    x = MODE_STD * torch.randn(n, 2, generator=g, dtype=torch.float64)
    x[:, 0] += FIRST_MODE + gap * second.double()
    return x.float()


MU_GRID = np.linspace(-4.0, 7.0, 89)  # the (μ, σ) grid of gaussian_fits: μ in steps of 0.125 ...


SIGMA_GRID = 0.25 * 2 ** (np.arange(44) / 10)  # ... σ from 0.25 to 4.9, log-spaced, 7% apart (0.5, 1, 2 exactly)


_BASIN = (8, 4)  # grid cells: ±1 in μ, ±30% in σ


_X = np.linspace(-12.0, 16.0, 281)  # quadrature nodes, 0.1 apart: every q and p of the grid lives well inside


@functools.cache
def _gaussian_grid():
    """log q(x) at the nodes for every (μ, σ) of the grid, (M·S, X), and Σ q log q dx, (M·S,): no p in them."""
    mu, sigma = MU_GRID[:, None, None], SIGMA_GRID[None, :, None]
    log_q = (-0.5 * ((_X - mu) / sigma) ** 2 - np.log(np.sqrt(2 * np.pi) * sigma)).reshape(-1, len(_X))
    q = np.exp(log_q)
    dx = _X[1] - _X[0]
    return log_q, q, (q * log_q).sum(-1) * dx


def gaussian_fits(gap: float = GAP) -> dict:
    r"""The single Gaussian q = N(μ, σ²) closest to x₁'s two-mode mixture p, by each KL.

    Both KLs are computed by quadrature (nodes 0.1 apart: for smooth integrands on the line this
    sum is exact to many digits) for every (μ, σ) of a grid (μ from -4 to 7 in steps of 0.125,
    σ from 0.25 to 4.9 log-spaced, 7% apart):

        forward KL(p ‖ q) = ∫ p log(p / q) dx   (maximum likelihood: the teacher's objective)
        reverse KL(q ‖ p) = ∫ q log(q / p) dx   (distillation: the student's objective)

    Returns a dict with ``"forward"``: (μ, σ) of the forward-KL minimum; ``"reverse"``: a list of
    (μ, σ, KL) for every local minimum of the reverse KL on the grid (lowest KL first);
    ``"mu"``, ``"sigma"``, ``"forward_kl"``, ``"reverse_kl"``: the grid and both KLs, (len μ, len σ).

    >>> fits = gaussian_fits(5.0)
    >>> fits["forward"]  # moment matching: mean 0.5, std √(0.5² + 2.5²) ≈ 2.55, to the grid's 7%
    (0.5, 2.64)
    >>> [(mu, sigma) for mu, sigma, _ in fits["reverse"]][:2]  # one mode each, both as good
    [(-2.0, 0.5), (3.0, 0.5)]
    """
    if isinstance(gap, bool) or not (isinstance(gap, (int, float)) and math.isfinite(gap) and 0 <= gap <= 8):
        raise ValueError(f"gaussian_fits: gap must be a number from 0 to 8, got {gap!r}")
    log_q, q, q_log_q = _gaussian_grid()
    dx = _X[1] - _X[0]
    log_p = log_p1(torch.from_numpy(_X), float(gap)).numpy()  # (X,)
    p = np.exp(log_p)
    shape = (len(MU_GRID), len(SIGMA_GRID))
    reverse = (q_log_q - q @ log_p * dx).reshape(shape)
    forward = ((p * log_p).sum() * dx - log_q @ p * dx).reshape(shape)
    i, j = np.unravel_index(np.argmin(forward), shape)
    # Local minima of the reverse KL: lower than all 8 neighbours (outside the grid counts as higher).
    padded = np.pad(reverse, 1, constant_values=np.inf)
    is_min = np.ones(shape, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= reverse < padded[1 + di:1 + di + shape[0], 1 + dj:1 + dj + shape[1]]
    # On a grid, a flat valley shows ripples of false minima a cell or two apart: keep a minimum only
    # if it is also the lowest point within ±1 in μ and ±30% in σ (distinct basins are farther apart).
    kept = [(a, b) for a, b in zip(*np.nonzero(is_min))
            if reverse[a, b] <= reverse[max(a - _BASIN[0], 0):a + _BASIN[0] + 1, max(b - _BASIN[1], 0):b + _BASIN[1] + 1].min()]
    minima = sorted(((round(float(MU_GRID[a]), 2), round(float(SIGMA_GRID[b]), 2), float(reverse[a, b])) for a, b in kept),
                    key=lambda m: (round(m[2], 6), m[0]))
    return {"forward": (round(float(MU_GRID[i]), 2), round(float(SIGMA_GRID[j]), 2)), "reverse": minima,
            "mu": MU_GRID, "sigma": SIGMA_GRID, "forward_kl": forward, "reverse_kl": reverse}
