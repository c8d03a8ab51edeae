r"""Notebook 06 (IAF): the unnormalized 2-D targets of reverse-KL fitting, and the notebook's slider demo.

- ``TARGET_BOUNDS``: a plotting box for each of ``flowlib.TARGETS`` holding nearly all its mass.
- ``log_normalizer(name)``: log Z = log ∫ p̃(x) dx by quadrature on a fine grid, so that the reverse-KL
  loss E_q[log q - log p̃] = KL(q ‖ p) - log Z can be turned into the KL itself.
- ``REVERSE_KL`` (``ReverseKLView``): a Dropdown picks the target, a slider the training snapshot;
  the IAF's samples are drawn over the target's contours (all fits are trained before the demo is
  shown).
"""

from __future__ import annotations

import ipywidgets
import torch

from ...datasets import TARGETS, target_log_prob
from ...plotting import grid_points, sparse_ticks
from ..demo import Demo
from ..view import View, clamped_index, padded

__all__ = ["TARGET_BOUNDS", "SNAPSHOTS", "ReverseKLView", "REVERSE_KL"]

TARGET_BOUNDS = {"two_arcs": (-3.5, 3.5, -3.5, 3.5), "banana": (-5.0, 5.0, -3.0, 7.0), "wavy": (-5.5, 5.5, -3.0, 3.0)}
SNAPSHOTS = 10  # REVERSE_KL's slider runs over snapshots 0..SNAPSHOTS (0 = before training)



def checked_target(name: str, who: str) -> str:
    if name not in TARGETS:
        raise ValueError(f"{who}: unknown target {name!r}; expected one of {TARGETS}")
    return name

class ReverseKLView(View):
    r"""Samples of an IAF fitted to a target by reverse KL, over the contours of the target p̃.

    State: ``fits``, ``{target name: [(step, samples (m, 2)), ...]}``. The sliders pick the ``target``
    and the snapshot ``index`` (clipped to the list). The contours are those of p̃ itself, at 10%,
    30%, ..., 90% of its peak; each target has its own box (``TARGET_BOUNDS``), so the contours,
    limits and ticks are one stage per target, rendered on the target's first visit.
    """

    def __init__(self, fits: dict):
        self.fits = {name: [(step, torch.as_tensor(s).detach().cpu().numpy()) for step, s in snapshots]
                     for name, snapshots in fits.items()}
        self.fig = self.figure(figsize=(4.2, 4.2))
        self.ax = ax = self.fig.subplots()
        self.contours = {}
        for name in TARGETS:
            if name in fits:
                points, xs, ys = grid_points(TARGET_BOUNDS[name], 70)
                density = target_log_prob(name, points).exp().reshape(70, 70)
                self.contours[name] = ax.contour(xs.numpy(), ys.numpy(), density.numpy(), colors="k", linewidths=0.8,
                                                 levels=(density.max() * torch.linspace(0.1, 0.9, 5)).tolist())
                self.contours[name].set_visible(False)
        self.samples = self.dynamic(ax.scatter([], [], s=3, color="C1", alpha=0.6, linewidths=0))
        ax.set(aspect="equal", title=" ")
        # one title for each target, its words stage (one stage for each target)
        self.last = {name: max(step for step, _ in snapshots) for name, snapshots in self.fits.items()}
        self.titles = {name: self.numbers(ax.title, f"IAF samples on '{name}' after {{step}} steps",
                                          step=padded(0, self.last[name])) for name in self.fits}
        self.fig.subplots_adjust(left=0.12, right=0.97, bottom=0.08, top=0.93)  # fixed margins: tight_layout is slow
        sparse_ticks(self.fig)

    def update(self, target: str = "two_arcs", index: int = SNAPSHOTS) -> None:
        checked_target(target, "ReverseKLView")
        if target not in self.fits:
            raise ValueError(f"ReverseKLView: no fit for target {target!r}; fits has {sorted(self.fits)}")
        for name, contours in self.contours.items():
            contours.set_visible(name == target)
        bounds = TARGET_BOUNDS[target]
        self.ax.set(xlim=bounds[:2], ylim=bounds[2:])
        self.ax.apply_aspect()  # the box of an equal-aspect axes follows its limits: place the samples in this one
        for name, title in self.titles.items():
            title.set_visible(name == target)
        self.restage(target)
        snapshots = self.fits[target]
        step, samples = snapshots[clamped_index(index, len(snapshots))]
        self.samples.set_offsets(samples)
        self.titles[target].set(step=padded(step, self.last[target]))


def _sliders():
    return {"target": ipywidgets.Dropdown(options=list(TARGETS), value="two_arcs", description="target"),
            "index": ipywidgets.IntSlider(value=SNAPSHOTS, min=0, max=SNAPSHOTS, step=1, description="snapshot")}


def _example():
    g = torch.Generator().manual_seed(0)
    # The notebook's size: 1000 samples per snapshot.
    return ({name: [(80 * i, torch.randn(1000, 2, generator=g)) for i in range(SNAPSHOTS + 1)] for name in TARGETS},)


REVERSE_KL = Demo(ReverseKLView, _sliders, special=({"target": "banana", "index": 1}, {"target": "wavy", "index": 0}),
                  example_state=_example)
