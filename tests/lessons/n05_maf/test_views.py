"""Notebook 05's lesson (MAF): the sequential-sampling states.

The slider demos themselves (RASTER_SAMPLING, TRAINING) are drawn over their ranges by
``tests/lessons/test_sliders_headless.py``.
"""

from __future__ import annotations

import pytest
import torch

from flowlib import (
    MAF,
    make_iaf,
    make_maf,
    randomize,
)
from flowlib.lessons.n05_maf.maths import raster_states


def test_raster_states_are_the_prefixes_of_the_sample():
    torch.manual_seed(0)
    flow = randomize(make_maf(9, layers=2, hidden=(16,)))
    z = torch.randn(4, 9)
    states = raster_states(flow, z)
    x = flow(z)[0]
    assert states.shape == (10, 4, 9)
    assert torch.allclose(states[-1], x)
    for k in range(10):
        assert torch.allclose(states[k, :, :k], x[:, :k]), f"after {k} passes x_1..x_k are final"
        assert torch.isnan(states[k, :, k:]).all() or k == 9, "coordinates not yet computed are NaN"


def test_raster_states_needs_a_maf_last():
    with pytest.raises(ValueError, match="last layer is a MAF"):
        raster_states(make_iaf(4, layers=1), torch.randn(2, 4))
    with pytest.raises(ValueError, match="last layer is a MAF"):
        raster_states(MAF(4), torch.randn(2, 4))


