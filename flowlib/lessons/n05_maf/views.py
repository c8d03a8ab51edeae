r"""Notebook 05 (MAF): its slider demos.

The notebook counts MADE passes with ``flowlib.record_made_passes``, times both directions with
``flowlib.direction_times`` and draws MADE's masks with ``flowlib.plot_made_masks``.

- ``raster_states(flow, z)``: what the last MAF layer of ``flow`` knows after each of its passes.
- ``RASTER_SAMPLING`` (``RasterSamplingView``): slider k = the number of passes of a MAF layer's
  forward done so far; pass k fixes coordinate k, so 8x8 digits appear pixel by pixel in raster order.
- ``TRAINING`` (``TrainingView``): slider over snapshots of a MAF trained on a 2-D toy (density and
  samples).
"""

from __future__ import annotations

import ipywidgets
import matplotlib
import numpy as np
import torch
from matplotlib.patches import Rectangle

from ...plotting import digit_grid, sparse_ticks
from ..demo import Demo
from ..view import View, clamped_index, padded

__all__ = ["RasterSamplingView", "RASTER_SAMPLING", "SNAPSHOTS", "TrainingView", "TRAINING"]


class RasterSamplingView(View):
    r"""The samples of a MAF layer after ``k`` of its D sequential passes.

    State: ``states`` (D+1, n, D), as from ``raster_states``. After k passes the coordinates 1..k are
    final; the others are drawn as not yet known (blue-grey), and coordinate k+1, the one the next
    pass computes, is outlined. D must be a square (8x8 digits: D = 64).
    """

    def __init__(self, states: torch.Tensor):
        n_steps, n, dim = states.shape
        side = int(round(dim ** 0.5))
        if side * side != dim:
            raise ValueError(f"RasterSamplingView: states must hold square images (D = side²), got D={dim}")
        self.side, self.dim = side, dim
        # Every k's mosaic up front (65 small arrays for the notebook's 8 digits): a move only swaps them.
        self.mosaics = []
        for k in range(n_steps):
            known = states[k].clone()
            known[:, k:] = float("nan")  # not yet fixed by a pass
            self.mosaics.append(digit_grid(known, nrow=1))  # 1 - x: ink dark in the "gray" colour map
        self.fig = self.figure(figsize=(1.0 * n + 0.6, 1.7))
        ax = self.fig.subplots()
        cmap = matplotlib.colormaps["gray"].with_extremes(bad="lightsteelblue")  # NaN = not computed yet
        self.image = self.dynamic(ax.imshow(self.mosaics[0], cmap=cmap, vmin=0, vmax=1, interpolation="nearest"))
        self.boxes = [self.dynamic(ax.add_patch(Rectangle((i * (side + 1) - 0.5, -0.5), 1, 1, fill=False, ec="C3", lw=1.5)))
                      for i in range(n)]
        ax.set(xticks=[], yticks=[], title=" ")
        self.title = self.dynamic(ax.title)
        self.fig.subplots_adjust(left=0.02, right=0.98, bottom=0.04, top=0.82)  # fixed margins: tight_layout is slow

    def update(self, k: int = 0) -> None:
        k = clamped_index(k, len(self.mosaics))
        self.image.set_data(self.mosaics[k])
        row, col = divmod(k, self.side)
        for i, box in enumerate(self.boxes):
            box.set_xy((i * (self.side + 1) + col - 0.5, row - 0.5))
            box.set_visible(k < self.dim)  # after the last pass nothing is left to compute
        self.title.set_text(f"after {k} of {self.dim} passes: pixels 1..{k} final" if k else "before the first pass")


def _raster_sliders():
    return {"k": ipywidgets.IntSlider(value=20, min=0, max=64, step=1, description="passes k")}


def _raster_example():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(65, 8, 64, generator=g),)  # the notebook's size: 8 digits, 64 pixels, 0..64 passes


RASTER_SAMPLING = Demo(RasterSamplingView, _raster_sliders, special=({"k": 1}, {"k": 63}), example_state=_raster_example)


SNAPSHOTS = 20  # TRAINING's slider runs over snapshots 0..SNAPSHOTS (0 = after the first step)


class TrainingView(View):
    r"""A MAF during training: its density p_θ(x) (left) and its samples over the data (right).

    State: ``snapshots``, a list of ``(step, density (n, n) array over bounds, samples (m, 2))``;
    ``data`` (N, 2); ``bounds`` = (x0, x1, y0, y1). The slider's ``index`` picks the snapshot
    (clipped to the list).
    """

    def __init__(self, snapshots, data, bounds):
        if not len(snapshots):
            raise ValueError("TrainingView: expected at least one snapshot (step, density, samples), got none")
        # numpy once, not at every move
        self.snapshots = [(step, np.asarray(density), torch.as_tensor(samples).detach().cpu().numpy())
                          for step, density, samples in snapshots]
        bounds = tuple(bounds)
        data = torch.as_tensor(data).detach().cpu().numpy()
        self.fig = fig = self.figure(figsize=(7, 3.4))
        ax1, ax2 = fig.subplots(1, 2)
        _, density, samples = self.snapshots[0]
        self.image = self.dynamic(ax1.imshow(density, origin="lower", extent=bounds, cmap="viridis", aspect="auto"))
        ax1.set(title=" ", xlim=bounds[:2], ylim=bounds[2:])
        self.last = max(step for step, _, _ in self.snapshots)
        self.title = self.numbers(ax1.title, "density p_θ(x) after {step} steps", step=padded(0, self.last))
        ax2.scatter(data[:, 0], data[:, 1], s=2, color="0.75", linewidths=0, label="data")
        self.samples = self.dynamic(ax2.scatter(samples[:, 0], samples[:, 1], s=2, color="C1", linewidths=0, label="samples"))
        ax2.set(title="samples x = f_θ(z)", xlim=bounds[:2], ylim=bounds[2:], aspect="equal")
        ax2.legend(loc="upper right", fontsize=7, markerscale=3)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.92, wspace=0.22)  # fixed: tight_layout is slow
        sparse_ticks(fig)

    def update(self, index: int = 0) -> None:
        step, density, samples = self.snapshots[clamped_index(index, len(self.snapshots))]
        self.image.set_data(density)
        self.image.set_clim(density.min(), density.max())  # each snapshot on its own colour scale
        self.title.set(step=padded(step, self.last))
        self.samples.set_offsets(samples)


def _training_sliders():
    return {"index": ipywidgets.IntSlider(value=SNAPSHOTS, min=0, max=SNAPSHOTS, step=1, description="snapshot")}


def _training_example():
    g = torch.Generator().manual_seed(0)
    # The notebook's sizes: a 60x60 density grid and 1000 samples per snapshot, 2000 data points.
    snaps = [(40 * i, torch.rand(60, 60, generator=g).numpy(), torch.randn(1000, 2, generator=g)) for i in range(SNAPSHOTS + 1)]
    return snaps, torch.randn(2000, 2, generator=g), (-4, 4, -4, 4)


TRAINING = Demo(TrainingView, _training_sliders, special=({"index": 1},), example_state=_training_example)
