"""The small helpers the notebooks share (flowlib.plotting's grids and mosaics, flowlib.testing's randomize, flowlib.snapshots):
their edge cases. Their main uses are tested with the demos that draw them (tests/lessons/)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowlib import FixedAffine, Snapshots, digit_grid, grid_lines, make_maf, randomize
from flowlib.plotting import nan_joined


def test_grid_lines_run_along_each_axis_at_every_level():
    g = grid_lines((-1, 3, 0, 2), lines=3, points=5)
    assert g.shape == (6, 5, 2) and g.dtype == torch.float64
    assert torch.equal(g[0, :, 1], torch.zeros(5)) and torch.equal(g[0, :, 0], torch.linspace(-1, 3, 5, dtype=torch.float64))
    assert torch.equal(g[5, :, 0], torch.full((5,), 3.0, dtype=torch.float64))  # the last vertical line, at x = 3
    joined = nan_joined(g)
    assert joined.shape == (6 * 6, 2) and np.isnan(joined[5::6]).all() and not np.isnan(joined[:5]).any()


def test_digit_grid_needs_square_images():
    with pytest.raises(ValueError, match=r"shape \(B, side²\)"):
        digit_grid(torch.zeros(2, 10))


def test_randomize_can_move_buffers_too():
    layer = FixedAffine(torch.zeros(3), torch.ones(3))  # buffers only, no parameters
    randomize(layer, 0.1, generator=torch.Generator().manual_seed(0))
    assert torch.equal(layer.loc, torch.zeros(3))
    randomize(layer, 0.1, generator=torch.Generator().manual_seed(0), buffers=True)
    assert not torch.equal(layer.loc, torch.zeros(3))


def test_snapshots_record_a_density_only_for_a_2d_flow_with_bounds():
    flow = make_maf(3, layers=1, hidden=(4,))
    with pytest.raises(ValueError, match="bounds .* need a 2-D flow"):
        Snapshots(flow, torch.zeros(4, 3), every=1, bounds=(-1, 1, -1, 1))
    recorder = Snapshots(flow, torch.zeros(4, 3), every=1)
    assert recorder.snapshots[0].density is None and recorder.snapshots[0].samples.shape == (4, 3)
