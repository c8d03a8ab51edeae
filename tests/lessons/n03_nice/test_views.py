"""Notebook 03's lesson (NICE): its training view.

(Every demo's ``draw`` is drawn over its sliders' ranges by ``tests/lessons/test_sliders_headless.py``.)
"""

from __future__ import annotations

import pytest
import torch

from flowlib import (
    Snapshots,
    make_nice,
    randomize,
)
from flowlib.lessons.course import TOY_BOUNDS
from flowlib.lessons.n03_nice.views import TrainingView


def _moved(layer, seed=0, std=0.4):
    return randomize(layer, std, generator=torch.Generator().manual_seed(seed))




def test_training_view_shows_the_nearest_snapshot():
    flow = make_nice(2, layers=2, hidden=(4,))
    recorder = Snapshots(flow, torch.zeros(5, 2), every=50, bounds=TOY_BOUNDS, n=8)
    for done in (50, 100):
        recorder.record(done, flow)
    view = TrainingView(recorder.snapshots, torch.zeros(10, 2), [1.0] * 100)
    view.update(step=70)
    assert view.title.get_text() == "density p_θ(x) after 50 steps"
    assert len(view.progress.get_xdata()) == 50  # the loss drawn up to the snapshot shown
    view.update(step=100)
    assert view.title.get_text() == "density p_θ(x) after 100 steps"
    with pytest.raises(ValueError, match="at least one snapshot"):
        TrainingView([], torch.zeros(10, 2), [1.0])




