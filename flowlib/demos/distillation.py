r"""Notebook 07 (the best of both worlds): probability density distillation, mode seeking, and costs.

- ``network_passes(module, call)``: run ``call()`` and count the passes of the networks inside
  ``module``: every MADE (MAF, IAF) and every coupling network (NICE's m_θ, RealNVP's (μ_θ, α_θ)).
  The slides' cost unit, for the series table (``flowlib.demos.maf.record_made_passes`` sees MADEs only).
- ``Snapshots``: a ``distil`` callback keeping the student's samples of one fixed latent batch.
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

import functools
import math

import contourpy
import ipywidgets
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.legend import Legend
from matplotlib.ticker import NullFormatter

from .._validate import check_points
from ..autoregressive import IAF, MAF
from ..nice import AdditiveCoupling
from ..plotting import sparse_ticks
from ..realnvp import AffineCoupling
from . import Demo, View

__all__ = ["network_passes", "SNAPSHOTS", "Snapshots", "DistillationView", "DISTILLATION",
           "FIRST_MODE", "MODE_STD", "GAP", "bimodal_log_prob", "bimodal_data", "gaussian_fits",
           "ModeSeekingView", "MODE_SEEKING"]


def network_passes(module: torch.nn.Module, call) -> tuple[object, int]:
    r"""Run ``call()`` and count the network passes made inside ``module`` (a layer or a ``Flow``).

    A network pass is one call of a MAF/IAF layer's MADE or of a coupling layer's network, on a
    whole batch: the unit in which the slides count cost ("one pass" vs "D sequential passes").
    Forward hooks count them; they are removed afterwards, also when ``call`` raises.

    Returns:
        ``(result, passes)``: what ``call()`` returned, and the number of passes.

    >>> from flowlib import make_maf, make_realnvp
    >>> maf, nvp = make_maf(5, layers=2, hidden=(8,)), make_realnvp(5, layers=2, hidden=(8,))
    >>> z = torch.randn(3, 5)
    >>> [network_passes(f, lambda: f.forward(z))[1] for f in (maf, nvp)]  # sampling: K·D vs K
    [10, 2]
    """
    if not callable(call):
        raise TypeError(f"network_passes: call must be a function of no arguments, got {type(call).__name__}")
    nets = []
    for layer in module.modules():
        if isinstance(layer, (MAF, IAF)):
            nets.append(layer.made)
        elif isinstance(layer, (AdditiveCoupling, AffineCoupling)):
            nets.append(layer.net)
    if not nets:
        raise ValueError(f"network_passes: {type(module).__name__} holds no MAF, IAF or coupling layer, so there is "
                         "nothing to count; expected a flow such as make_maf(...) or make_realnvp(...)")
    count = [0]

    def hook(_module, _args, _out):
        count[0] += 1

    hooks = [net.register_forward_hook(hook) for net in nets]
    try:
        result = call()
    finally:
        for h in hooks:
            h.remove()
    return result, count[0]


SNAPSHOTS = 12  # DISTILLATION's slider runs over snapshots 0..SNAPSHOTS (0 = before distillation)


class Snapshots:
    r"""A ``distil`` (or ``fit``) callback: the student's samples x = f_θ(z) of one fixed batch ``z``.

    ``Snapshots(student, z, every)`` records the student at once (step 0), then after every
    ``every``-th step. A fixed ``z`` draws no random numbers (distillation runs the same with or
    without the recorder) and lets the eye follow each point. ``snapshots.snapshots`` is a list of
    ``(step, samples (B, 2) array)``.
    """

    def __init__(self, student, z: torch.Tensor, every: int):
        check_points(z, student.dim, "Snapshots", "z")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Snapshots: every must be a positive int, got {every!r}")
        self.z, self.every = z, every
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self.record(0, student)

    @torch.no_grad()
    def record(self, step: int, student) -> None:
        """Store the student's samples after ``step`` steps."""
        self.snapshots.append((step, student(self.z)[0].cpu().numpy()))

    def __call__(self, step: int, student) -> None:
        done = step + 1  # the callback runs after step ``step`` (counted from 0)
        if done % self.every == 0:
            self.record(done, student)


class DistillationView(View):
    r"""The student during distillation: its samples on the teacher's density, and the loss so far.

    State: ``snapshots``, a list of ``(step, samples (m, 2))``; ``teacher_density``, an (n, n) array of
    the teacher's p(x) over ``bounds`` = (x0, x1, y0, y1), rows along x₂; ``losses``, the loss of every
    step. The slider's ``index`` picks the snapshot (clipped to the list).
    """

    def __init__(self, snapshots, teacher_density, bounds, losses):
        if not len(snapshots):
            raise ValueError("DistillationView: expected at least one snapshot (step, samples), got none")
        self.snapshots = [(step, np.asarray(samples)) for step, samples in snapshots]
        bounds = tuple(bounds)
        self.losses = losses = np.asarray(losses, dtype=float)
        self.fig = fig = self.figure(figsize=(8.4, 3.4))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.3)  # fixed: tight_layout costs ~50 ms
        ax1.imshow(np.asarray(teacher_density), origin="lower", extent=bounds, cmap="Greys", aspect="auto")
        self.samples = self.dynamic(ax1.scatter(*self.snapshots[0][1][:, :2].T, s=2, color="C1", alpha=0.6, linewidths=0))
        ax1.set(xlim=bounds[:2], ylim=bounds[2:], title=" ", xlabel="x₁", ylabel="x₂")
        self.title = self.dynamic(ax1.title)
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
        step, samples = self.snapshots[int(min(max(index, 0), len(self.snapshots) - 1))]
        self.samples.set_offsets(samples[:, :2])
        self.title.set_text(f"student samples, step {step}")
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
    snaps = [(50 * i, torch.randn(1000, 2, generator=g).numpy()) for i in range(SNAPSHOTS + 1)]
    density = torch.rand(60, 60, generator=g).numpy()
    losses = (4 * torch.rand(600, generator=g) * torch.linspace(1, 0.01, 600)).tolist()
    return snaps, density, (-4.5, 4.5, -2.5, 5.5), losses


DISTILLATION = Demo(DistillationView, _distillation_sliders, special=({"index": 1},), example_state=_distillation_example)


FIRST_MODE, MODE_STD = -2.0, 0.5  # the bimodal target: modes at FIRST_MODE and FIRST_MODE + gap, each of std MODE_STD
GAP = 5.0  # the gap of the notebook's experiment: the start N(0, 1) sits nearer the first mode


def _log_p1(x1: torch.Tensor, gap: float) -> torch.Tensor:
    """log p(x₁) of the mixture ½N(FIRST_MODE, s²) + ½N(FIRST_MODE + gap, s²), s = MODE_STD."""
    centres = torch.tensor([FIRST_MODE, FIRST_MODE + gap], dtype=x1.dtype, device=x1.device)
    log_normal = -0.5 * ((x1[..., None] - centres) / MODE_STD) ** 2 - math.log(math.sqrt(2 * math.pi) * MODE_STD)
    return torch.logsumexp(log_normal, -1) - math.log(2)


def bimodal_log_prob(x: torch.Tensor, gap: float = GAP) -> torch.Tensor:
    r"""log p(x) of the two-mode target, shape (B,): x₁ ~ ½N(-2, 0.5²) + ½N(-2 + gap, 0.5²), x₂ ~ N(0, 0.5²).

    >>> peak = -2 * math.log(math.sqrt(2 * math.pi) * 0.5) - math.log(2)  # at a mode, the other one far away
    >>> abs(float(bimodal_log_prob(torch.tensor([[-2.0, 0.0]]), gap=8.0)[0]) - peak) < 1e-6
    True
    """
    check_points(x, 2, "bimodal_log_prob", "x")
    log_p2 = -0.5 * (x[:, 1] / MODE_STD) ** 2 - math.log(math.sqrt(2 * math.pi) * MODE_STD)
    return _log_p1(x[:, 0], gap) + log_p2


def bimodal_data(n: int, gap: float = GAP, seed: int = 0) -> torch.Tensor:
    r"""``n`` samples (n, 2) float32 of ``bimodal_log_prob``, from their own generator seeded by ``seed``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"bimodal_data: n must be an int >= 0, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    second = torch.rand(n, generator=g, dtype=torch.float64) < 0.5
    x = MODE_STD * torch.randn(n, 2, generator=g, dtype=torch.float64)
    x[:, 0] += FIRST_MODE + gap * second.double()
    return x.float()


_MU = np.linspace(-4.0, 7.0, 89)  # the (μ, σ) grid of gaussian_fits: μ in steps of 0.125 ...
_SIGMA = 0.25 * 2 ** (np.arange(44) / 10)  # ... σ from 0.25 to 4.9, log-spaced, 7% apart (0.5, 1, 2 exactly)
_BASIN = (8, 4)  # grid cells: ±1 in μ, ±30% in σ
_X = np.linspace(-12.0, 16.0, 281)  # quadrature nodes, 0.1 apart: every q and p of the grid lives well inside


@functools.cache
def _gaussian_grid():
    """log q(x) at the nodes for every (μ, σ) of the grid, (M·S, X), and Σ q log q dx, (M·S,): no p in them."""
    mu, sigma = _MU[:, None, None], _SIGMA[None, :, None]
    log_q = (-0.5 * ((_X - mu) / sigma) ** 2 - np.log(np.sqrt(2 * np.pi) * sigma)).reshape(-1, len(_X))
    q = np.exp(log_q)
    dx = _X[1] - _X[0]
    return log_q, q, (q * log_q).sum(-1) * dx


def gaussian_fits(gap: float = GAP) -> dict:
    r"""The single Gaussian q = N(μ, σ²) closest to x₁'s two-mode mixture p, by each KL.

    Both KLs are computed by quadrature (nodes 0.1 apart: for smooth integrands on the line this
    sum is exact to many digits) for every (μ, σ) of a grid (μ from -4 to 7 in steps of 0.125,
    σ from 0.25 to 4.9 log-spaced, 7% apart):

        forward KL(p ‖ q) = ∫ p log(p / q) dx   (maximum likelihood: the teacher's objective)
        reverse KL(q ‖ p) = ∫ q log(q / p) dx   (distillation: the student's objective)

    Returns a dict with ``"forward"``: (μ, σ) of the forward-KL minimum; ``"reverse"``: a list of
    (μ, σ, KL) for every local minimum of the reverse KL on the grid (lowest KL first);
    ``"mu"``, ``"sigma"``, ``"forward_kl"``, ``"reverse_kl"``: the grid and both KLs, (len μ, len σ).

    >>> fits = gaussian_fits(5.0)
    >>> fits["forward"]  # moment matching: mean 0.5, std √(0.5² + 2.5²) ≈ 2.55, to the grid's 7%
    (0.5, 2.64)
    >>> [(mu, sigma) for mu, sigma, _ in fits["reverse"]][:2]  # one mode each, both as good
    [(-2.0, 0.5), (3.0, 0.5)]
    """
    if isinstance(gap, bool) or not (isinstance(gap, (int, float)) and math.isfinite(gap) and 0 <= gap <= 8):
        raise ValueError(f"gaussian_fits: gap must be a number from 0 to 8, got {gap!r}")
    log_q, q, q_log_q = _gaussian_grid()
    dx = _X[1] - _X[0]
    log_p = _log_p1(torch.from_numpy(_X), float(gap)).numpy()  # (X,)
    p = np.exp(log_p)
    shape = (len(_MU), len(_SIGMA))
    reverse = (q_log_q - q @ log_p * dx).reshape(shape)
    forward = ((p * log_p).sum() * dx - log_q @ p * dx).reshape(shape)
    i, j = np.unravel_index(np.argmin(forward), shape)
    # Local minima of the reverse KL: lower than all 8 neighbours (outside the grid counts as higher).
    padded = np.pad(reverse, 1, constant_values=np.inf)
    is_min = np.ones(shape, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= reverse < padded[1 + di:1 + di + shape[0], 1 + dj:1 + dj + shape[1]]
    # On a grid, a flat valley shows ripples of false minima a cell or two apart: keep a minimum only
    # if it is also the lowest point within ±1 in μ and ±30% in σ (distinct basins are farther apart).
    kept = [(a, b) for a, b in zip(*np.nonzero(is_min))
            if reverse[a, b] <= reverse[max(a - _BASIN[0], 0):a + _BASIN[0] + 1, max(b - _BASIN[1], 0):b + _BASIN[1] + 1].min()]
    minima = sorted(((round(float(_MU[a]), 2), round(float(_SIGMA[b]), 2), float(reverse[a, b])) for a, b in kept),
                    key=lambda m: (round(m[2], 6), m[0]))
    return {"forward": (round(float(_MU[i]), 2), round(float(_SIGMA[j]), 2)), "reverse": minima,
            "mu": _MU, "sigma": _SIGMA, "forward_kl": forward, "reverse_kl": reverse}


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
                xlim=(_MU[0], _MU[-1]), ylim=(_SIGMA[0], _SIGMA[-1]))  # the grid, as contour() would set
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
        p = np.exp(_log_p1(torch.from_numpy(self.x), float(gap)).numpy())
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
