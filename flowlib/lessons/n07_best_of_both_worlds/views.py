r"""Notebook 07 (the best of both worlds): probability density distillation, mode seeking, and costs.

The notebook counts the slides' cost unit with ``flowlib.network_passes`` and records the student with
``flowlib.Snapshots`` (a ``distil`` callback keeping the samples of one fixed latent batch).

- ``DISTILLATION`` (``DistillationView``): slider over those snapshots, the student's samples on the
  teacher's density, and the loss so far.
- A bimodal target for the mode-seeking experiment: in x₁ two equal Gaussians (std ``MODE_STD``) at
  ``FIRST_MODE`` and ``FIRST_MODE + gap``, in x₂ an independent N(0, ``MODE_STD``²)
  (``bimodal_log_prob``, ``bimodal_data``).
- ``gaussian_fits(gap)``: the best single Gaussian q = N(μ, σ²) for x₁'s mixture p by forward
  KL(p ‖ q) and by reverse KL(q ‖ p), both by quadrature on a (μ, σ) grid, with every local
  minimum of the reverse KL.
- ``MODE_SEEKING`` (``ModeSeekingView``): slider ``gap``: the mixture, both fits, and the reverse-KL
  landscape.
"""

from __future__ import annotations

import contourpy
import ipywidgets
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.legend import Legend
from matplotlib.ticker import NullFormatter

from ...plotting import sparse_ticks
from ..demo import Demo
from ..view import View, clamped_index, padded
from .maths import GAP, MU_GRID, SIGMA_GRID, gaussian_fits, log_p1

__all__ = ["SNAPSHOTS", "DistillationView", "DISTILLATION", "ModeSeekingView", "MODE_SEEKING"]


SNAPSHOTS = 12  # DISTILLATION's slider runs over snapshots 0..SNAPSHOTS (0 = before distillation)


class DistillationView(View):
    r"""The student during distillation: its samples on the teacher's density, and the loss so far.

    State: ``snapshots``, a list of ``(step, density, samples (m, 2))`` (``flowlib.Snapshot``; density unused);
    ``teacher_density``, an (n, n) array of
    the teacher's p(x) over ``bounds`` = (x0, x1, y0, y1), rows along x₂; ``losses``, the loss of every
    step. The slider's ``index`` picks the snapshot (clipped to the list).
    """

    def __init__(self, snapshots, teacher_density, bounds, losses):
        if not len(snapshots):
            raise ValueError("DistillationView: expected at least one snapshot (step, density, samples), got none")
        self.snapshots = [(step, np.asarray(samples)) for step, _, samples in snapshots]
        bounds = tuple(bounds)
        self.losses = losses = np.asarray(losses, dtype=float)
        self.fig = fig = self.figure(figsize=(8.4, 3.4))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.3)  # fixed: tight_layout costs ~50 ms
        ax1.imshow(np.asarray(teacher_density), origin="lower", extent=bounds, cmap="Greys", aspect="auto")
        self.samples = self.dynamic(ax1.scatter(*self.snapshots[0][1][:, :2].T, s=2, color="C1", alpha=0.6, linewidths=0))
        ax1.set(xlim=bounds[:2], ylim=bounds[2:], title=" ", xlabel="x₁", ylabel="x₂")
        self.last = max(step for step, _ in self.snapshots)
        self.title = self.numbers(ax1.title, "student samples, step {step}", step=padded(0, self.last))
        steps = np.arange(1, len(losses) + 1)
        ax2.plot(steps, losses, lw=0.6, color="0.75")
        self.progress = self.dynamic(ax2.plot([], [], lw=0.8, color="C1")[0])
        ax2.axhline(0, color="k", lw=0.6, ls=":")
        top = float(np.nanmax(losses[: max(1, len(losses) // 20)])) if len(losses) else 1.0  # the first 5% of steps
        ax2.set(ylim=(-0.05 * top, 1.05 * top), xlabel="step", ylabel="loss ≈ KL(q ‖ p) (nats)", title="distillation loss")
        self.value = self.dynamic(ax2.annotate("", (0, 0), xytext=(0, 12), textcoords="offset points", ha="center",
                                               fontsize=8, color="C1"))
        sparse_ticks(fig)

    def update(self, index: int = SNAPSHOTS) -> None:
        step, samples = self.snapshots[clamped_index(index, len(self.snapshots))]
        self.samples.set_offsets(samples[:, :2])
        self.title.set(step=padded(step, self.last))
        done = min(step, len(self.losses))
        self.progress.set_data(np.arange(1, done + 1), self.losses[:done])
        self.value.set_visible(done > 0)  # no loss yet before the first step
        if done:
            self.value.xy = (done, self.losses[done - 1])
            self.value.set_text(f"{self.losses[done - 1]:.3f}")


def _distillation_sliders():
    return {"index": ipywidgets.IntSlider(value=SNAPSHOTS, min=0, max=SNAPSHOTS, step=1, description="snapshot")}


def _distillation_example():
    g = torch.Generator().manual_seed(0)
    snaps = [(50 * i, None, torch.randn(1000, 2, generator=g).numpy()) for i in range(SNAPSHOTS + 1)]
    density = torch.rand(60, 60, generator=g).numpy()
    losses = (4 * torch.rand(600, generator=g) * torch.linspace(1, 0.01, 600)).tolist()
    return snaps, density, (-4.5, 4.5, -2.5, 5.5), losses


DISTILLATION = Demo(DistillationView, _distillation_sliders, special=({"index": 1},), example_state=_distillation_example)


class ModeSeekingView(View):
    r"""A two-mode p (x₁ of ``bimodal_log_prob``) and its best single Gaussians by forward and reverse KL.

    Left: p, the forward-KL fit (mass covering) and every local minimum of the reverse KL (mode
    seeking). Right: the reverse KL over the (μ, σ) grid, its local minima (orange), the forward fit
    (blue star) and the start of training N(0, 1) (black circle). No state; the slider is ``gap``
    (0 to 8, as ``gaussian_fits``). The axes' limits are fixed over that whole range.
    """

    def __init__(self):
        self.x = np.linspace(-5.0, 8.0, 400)
        self.fits = {}  # gap -> gaussian_fits(gap): 5-15 ms each, and a student slides back and forth
        self.fig = fig = self.figure(figsize=(9, 3.4))
        self.ax1, ax2 = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)  # fixed: tight_layout costs ~50 ms
        ax1 = self.ax1
        self.p = self.dynamic(ax1.fill(self.x, 0 * self.x, facecolor="0.85", edgecolor="none", label="p (two modes)")[0])
        self.forward = self.dynamic(ax1.plot([], [], color="C0", lw=1.5)[0])
        self.best = self.dynamic(ax1.plot([], [], color="C1", lw=1.2, ls="-")[0])  # the lowest reverse-KL minimum
        self.others = self.dynamic(ax1.plot([], [], color="C1", lw=1.2, ls="--")[0])  # the others, NaN-separated
        # The legend has one row per minimum and their number changes with the gap (1 to 3 on the slider):
        # one legend per number of rows, built at its first use, only the current one visible.
        self.legends = {}
        ax1.set(xlabel="x₁", ylabel="density", title=" ", xlim=(-5.65, 8.65), ylim=(0, 1.4))  # x: autoscaling's 5% margins
        self.title = self.dynamic(ax1.title)
        self.contours = self.dynamic(LineCollection([], colors="C1", linewidths=0.6, linestyles="solid"))
        ax2.add_collection(self.contours, autolim=False)
        self.minima = self.dynamic(ax2.plot([], [], "o", color="C1", ms=6)[0])
        self.fit = self.dynamic(ax2.plot([], [], "*", color="C0", ms=11)[0])
        ax2.plot(0.0, 1.0, "o", mfc="none", mec="k", ms=7)
        # A log σ axis with plain tick labels (log axes' default 10^k labels go through slow mathtext).
        ax2.set(yscale="log", xlabel="μ", ylabel="σ", title="reverse KL(q ‖ p) over (μ, σ)",
                xlim=(MU_GRID[0], MU_GRID[-1]), ylim=(SIGMA_GRID[0], SIGMA_GRID[-1]))  # the grid, as contour() would set
        ax2.set_yticks([0.25, 0.5, 1, 2, 4], labels=["0.25", "0.5", "1", "2", "4"])
        ax2.yaxis.set_minor_formatter(NullFormatter())
        sparse_ticks(fig)

    def _normal(self, mu, sigma):
        return np.exp(-0.5 * ((self.x - mu) / sigma) ** 2) / (np.sqrt(2 * np.pi) * sigma)

    def _legend(self, rows: int):
        if rows not in self.legends:
            handles = [self.p, self.forward, self.best, *[self.others] * (rows - 1)]
            labels = ["p (two modes)", *[" "] * (len(handles) - 1)]  # the fits' labels: set in update
            legend = Legend(self.ax1, handles, labels, fontsize=7, loc="upper left")
            self.legends[rows] = self.dynamic(self.ax1.add_artist(legend))  # a child: still() draws it
        return self.legends[rows]

    def update(self, gap: float = GAP) -> None:
        key = (type(gap), gap)  # True is not 1.0: gaussian_fits must still refuse it
        if key not in self.fits:
            self.fits[key] = gaussian_fits(gap)  # raises ValueError outside 0..8
        fits = self.fits[key]
        p = np.exp(log_p1(torch.from_numpy(self.x), float(gap)).numpy())
        self.p.set_xy(np.column_stack([np.r_[self.x, self.x[::-1]], np.r_[p, 0 * p]]))
        mu_f, sigma_f = fits["forward"]
        self.forward.set_data(self.x, self._normal(mu_f, sigma_f))
        minima = fits["reverse"]
        self.best.set_data(self.x, self._normal(*minima[0][:2]))
        others = [np.r_[self._normal(mu, sigma), np.nan] for mu, sigma, _ in minima[1:]]
        self.others.set_data(np.tile(np.r_[self.x, np.nan], len(others)), np.concatenate(others or [[]]))
        for legend in self.legends.values():
            legend.set_visible(False)
        legend = self._legend(len(minima))
        legend.set_visible(True)
        labels = [f"forward KL: N({mu_f:.1f}, {sigma_f:.2f}²)",
                  *(f"reverse KL: N({mu:.1f}, {sigma:.2f}²), KL {kl:.2f}" for mu, sigma, kl in minima)]
        for text, label in zip(legend.texts[1:], labels):
            text.set_text(label)
        self.title.set_text(f"gap between the modes = {gap:g}")
        # The reverse KL's contours, traced here (contourpy, as contour() does) into one dynamic collection.
        reverse_kl = fits["reverse_kl"].T  # (σ, μ)
        levels = np.log(max(reverse_kl.min(), 1e-12) + np.geomspace(0.01, 20, 12))
        log_kl = np.log(np.maximum(reverse_kl, 1e-12))  # the KL is 0 at best: no log of 0
        tracer = contourpy.contour_generator(fits["mu"], fits["sigma"], log_kl, name="mpl2014", corner_mask=True,
                                             line_type=contourpy.LineType.SeparateCode)
        # a closed contour's last point repeats its first: its points alone draw it closed
        self.contours.set_segments([line for level in levels for line in tracer.lines(level)[0]])
        self.minima.set_data([m[0] for m in minima], [m[1] for m in minima])
        self.fit.set_data([mu_f], [sigma_f])


def _mode_sliders():
    return {"gap": ipywidgets.FloatSlider(value=GAP, min=0.0, max=7.0, step=0.25, description="gap")}


MODE_SEEKING = Demo(ModeSeekingView, _mode_sliders, special=({"gap": 1.0}, {"gap": 2.0}))
