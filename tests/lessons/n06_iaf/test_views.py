"""Notebook 06's lesson (IAF): the log normalizers of the reverse-KL targets and the plotting boxes.

The slider demo itself (REVERSE_KL) is drawn over its range by ``tests/lessons/test_sliders_headless.py``.
"""

from __future__ import annotations

import math

import pytest
import torch

from flowlib import (
    TARGETS,
    grid_points,
    target_log_prob,
)
from flowlib.lessons.n06_iaf.maths import log_normalizer
from flowlib.lessons.n06_iaf.views import TARGET_BOUNDS


def test_log_normalizer_banana_is_exact_and_ring_agrees_with_importance_sampling():
    assert abs(log_normalizer("banana") - math.log(2 * math.pi * 1.5 * 0.5)) < 1e-8
    for name in TARGETS:
        assert abs(log_normalizer(name) - log_normalizer(name, n=601)) < 1e-6, name
    g = torch.Generator().manual_seed(0)
    for name in TARGETS:  # Z = E_q[p̃/q] with q = N(0, 3² I): independent of the grid
        x = 3 * torch.randn(400_000, 2, generator=g, dtype=torch.float64)
        log_q = -0.5 * (x / 3).pow(2).sum(1) - math.log(2 * math.pi * 9)
        estimate = float(torch.logsumexp(target_log_prob(name, x) - log_q, 0)) - math.log(len(x))
        assert abs(estimate - log_normalizer(name)) < 0.03, name


def test_log_normalizer_rejects_bad_input():
    with pytest.raises(ValueError, match="expected one of"):
        log_normalizer("moons")
    with pytest.raises(ValueError, match="n must be"):
        log_normalizer("ring", n=1)


def test_target_bounds_hold_nearly_all_the_mass():
    for name, bounds in TARGET_BOUNDS.items():
        points, xs, ys = grid_points(bounds, 400, dtype=torch.float64)
        inside = torch.logsumexp(target_log_prob(name, points), 0) + math.log((xs[1] - xs[0]) * (ys[1] - ys[0]))
        assert float(inside) > log_normalizer(name) + math.log(0.98), f"{name}: the plotting box misses mass"
