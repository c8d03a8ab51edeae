r"""Notebook 06's maths that the notebook uses but does not show: the log normalizer log Z of the reverse-KL targets."""

from __future__ import annotations

import math

import torch

from ...datasets import TARGETS, target_log_prob
from ...plotting import grid_points

__all__ = ["log_normalizer"]


def checked_target(name: str, who: str) -> str:
    if name not in TARGETS:
        raise ValueError(f"{who}: unknown target {name!r}; expected one of {TARGETS}")
    return name


# Boxes for the quadrature in log_normalizer, far wider than TARGET_BOUNDS: the banana's arms rise
# as x₁²/2, so its box reaches high in x₂.
_QUADRATURE_BOX = {"ring": (-6.0, 6.0, -6.0, 6.0), "banana": (-10.0, 10.0, -6.0, 54.0), "wavy": (-8.0, 8.0, -5.0, 5.0)}


def log_normalizer(name: str, n: int = 1201) -> float:
    r"""log Z = log ∫ p̃(x) dx of the unnormalized target ``name``, by a grid sum in float64.

    The sum runs over n·n points of a box far wider than the target's mass (the integrands are
    smooth, so the grid sum is accurate to about 1e-9 with the default n).

    >>> abs(log_normalizer("banana") - math.log(2 * math.pi * 1.5 * 0.5)) < 1e-6  # a Gaussian in disguise
    True
    """
    checked_target(name, "log_normalizer")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"log_normalizer: n must be an int >= 2, got {n!r}")
    points, xs, ys = grid_points(_QUADRATURE_BOX[name], n, dtype=torch.float64)
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    return float(torch.logsumexp(target_log_prob(name, points), 0)) + math.log(cell)
