r"""``Snapshots``: a training callback that records a flow while it learns, for a slider to scrub.

Nothing is retrained when a slider moves: the notebooks train once with a recorder and show its
``snapshots``. ``fit``, ``fit_reverse_kl`` and ``distil`` call ``callback(step, flow)`` after each step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ._validate import check_int, check_points
from .plotting import grid_points

__all__ = ["Snapshot", "Snapshots"]


class Snapshot(NamedTuple):
    r"""The flow after ``step`` steps: ``density`` (n, n) array of p_θ(x) on a grid over the recorder's
    ``bounds`` (rows along x₂; None without bounds) and ``samples`` (B, D) array, x = f_θ(z)."""

    step: int
    density: np.ndarray | None
    samples: np.ndarray


class Snapshots:
    r"""A training callback: the flow's samples of one fixed latent batch, and its density on a grid.

    ``Snapshots(flow, z, every, bounds=None, n=60)`` records the untrained flow at once (step 0),
    then, passed as ``callback=`` to ``fit`` (or ``distil``, ...), after every ``every``-th step. The
    samples are x = f_θ(z) of one fixed batch ``z`` (B, D): no random numbers are drawn (training is
    the same with or without the recorder) and the eye can follow each point across steps. With
    ``bounds`` = (x0, x1, y0, y1) (2-D flows), the density p_θ(x) on an n x n grid over them too.

    ``snapshots.snapshots`` is a list of ``Snapshot(step, density, samples)``.

    >>> from flowlib import make_nice
    >>> flow = make_nice(2, layers=2, hidden=(8,))
    >>> recorder = Snapshots(flow, torch.randn(5, 2), every=2, bounds=(-1, 1, -1, 1), n=4)
    >>> for step in range(4):  # what fit does after each step
    ...     recorder(step, flow)
    >>> [(s.step, s.density.shape, s.samples.shape) for s in recorder.snapshots]
    [(0, (4, 4), (5, 2)), (2, (4, 4), (5, 2)), (4, (4, 4), (5, 2))]
    """

    def __init__(self, flow, z: torch.Tensor, every: int, bounds=None, n: int = 60):
        check_points(z, flow.dim, "Snapshots", "z")
        every = check_int(every, "Snapshots", "every", least=1, example="50")
        if bounds is not None and (flow.dim != 2 or len(bounds) != 4):
            raise ValueError(f"Snapshots: bounds (x0, x1, y0, y1) need a 2-D flow, got bounds {bounds!r} for D = {flow.dim}")
        self.z, self.every, self.n = z, every, n
        self.bounds = None if bounds is None else tuple(float(b) for b in bounds)
        self.snapshots: list[Snapshot] = []
        self.record(0, flow)

    @torch.no_grad()
    def record(self, step: int, flow) -> None:
        """Store the snapshot of ``flow`` after ``step`` training steps."""
        density = None
        if self.bounds is not None:
            points, _, _ = grid_points(self.bounds, self.n, dtype=self.z.dtype, device=self.z.device)
            density = flow.log_prob(points).exp().reshape(self.n, self.n).cpu().numpy()
        self.snapshots.append(Snapshot(step, density, flow(self.z)[0].cpu().numpy()))

    def __call__(self, step: int, flow) -> None:
        done = step + 1  # the callback runs after step ``step`` (counted from 0) is done
        if done % self.every == 0:
            self.record(done, flow)
