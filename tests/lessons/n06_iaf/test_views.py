"""Notebook 06's lesson (IAF): the plotting boxes of the reverse-KL targets.

The slider demo itself (REVERSE_KL) is drawn over its range by ``tests/lessons/test_sliders_headless.py``.
"""

from __future__ import annotations

import math

import torch

from flowlib import (
    grid_points,
    target_log_normalizer,
    target_log_prob,
)
from flowlib.lessons.n06_iaf.views import TARGET_BOUNDS


def test_target_bounds_hold_nearly_all_the_mass():
    for name, bounds in TARGET_BOUNDS.items():
        points, xs, ys = grid_points(bounds, 400, dtype=torch.float64)
        inside = torch.logsumexp(target_log_prob(name, points), 0) + math.log((xs[1] - xs[0]) * (ys[1] - ys[0]))
        assert float(inside) > target_log_normalizer(name) + math.log(0.98), f"{name}: the plotting box misses mass"
