r"""Notebook 01, the change of variables formula: its slider demos and the small helpers they draw.

Slides "Motivation" to "Learning and inference". Four demos, each ``NAME.show(*state)`` in the notebook
and each a ``View`` (``MonotoneMapView``, ``LinearMapView``, ``BendView``, ``LearningView``): the figure
is built once for the notebook's samples and a slider move redraws only what it changes.

- ``MONOTONE_MAP``: "any two distributions can be converted to each other" in 1-D. A monotone map
  x = f_t(v) = (1 - t) v + t T(v), where T = F*⁻¹ ∘ F_V sends a uniform or a Gaussian v exactly to a
  bimodal target p* (``target_pdf``); the histogram of pushed samples against
  p_X(x) = p_V(f⁻¹(x)) |df⁻¹/dx| = p_V(v) / f_t'(v) at x = f_t(v).
- ``LINEAR_MAP``: the slides' 2x2 example, z uniform on the unit square and x = Az with
  A = (a c; b d): square and parallelogram, det A = ad - bc beside the shoelace area and a Monte
  Carlo area, the density p_X(x) = p_Z(Wx)|det W| (W = A⁻¹) against a histogram of x = Az.
  A negative determinant and a singular A are drawn with a message, never an exception.
- ``BEND_MAP``: the generalized formula P_X(x) = P_Z(f⁻¹(x)) |det ∂f⁻¹/∂x| for ``Bend``, a
  non-linear invertible 2-D map with four parameters (a, s, b, φ).
- ``LEARNING``: a maximum-likelihood fit of ``Bend`` scrubbed step by step (precomputed snapshots):
  the model density over the data, the latents z = f_θ⁻¹(x), the loss.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.legend import Legend

from ... import check_points, shoelace_area
from ...plotting import grid_lines, grid_points, nan_joined, sparse_ticks
from ..demo import Demo
from ..view import View, clamped_index, number
from .maths import (
    BASES,
    THETA_TRUE,
    Bend,
    base_cdf,
    base_pdf,
    bend_log_density,
    check_base,
    check_t,
    is_singular,
    linear_density,
    monotone_map,
    monte_carlo_area,
    parallelogram,
    target_icdf,
    target_pdf,
)

__all__ = [
    "MonotoneMapView", "MONOTONE_MAP", "LinearMapView", "LINEAR_MAP",
    "BendView", "BEND_MAP", "FIT_STEPS", "LearningView", "LEARNING",
]

# ---------------------------------------------------------------------------------------------
# 1-D: a monotone map turns a uniform (or a Gaussian) into a bimodal target
# ---------------------------------------------------------------------------------------------

_HIST_RANGE, _HIST_BINS = (-4.0, 4.0), 64


def _support_grid(base: str, n: int = 200) -> torch.Tensor:
    """A grid of v over the base's support, where the map and the formula p_V(v) / f_t'(v) are drawn."""
    if base == "uniform":
        return torch.linspace(0, 1, n, dtype=torch.float64)[1:-1]
    return torch.linspace(-4.5, 4.5, n, dtype=torch.float64)


class MonotoneMapView(View):
    r"""Two panels: the map v ↦ f_t(v); the histogram of pushed samples against the formula and p*.

    State: ``u`` uniform and ``z`` Gaussian base samples (1-D), with ``x_u = T(u)`` and ``x_z = T(z)``
    precomputed (``target_icdf(base_cdf(v, base))``), so a slider move only mixes (1 - t) v + t T(v)
    and bins. Sliders: ``t`` in [0, 1] and the ``base``. One stage per base: its axis label and limits
    (the density axis holds p_V(v) / f_t'(v) for every t: up to 1.2 from the uniform, 0.7 from N(0, 1)).
    """

    _YMAX = {"uniform": 1.2, "gaussian": 0.7}  # max(0.7, 1.2 max_x p_X) over t in [0, 1]

    def __init__(self, u, x_u, z, x_z):
        self.samples = {}
        for base, v, big_t in (("uniform", u, x_u), ("gaussian", z, x_z)):
            v, big_t = (torch.as_tensor(a).detach().cpu().double().reshape(-1).numpy() for a in (v, big_t))
            if v.shape != big_t.shape:
                raise ValueError(f"MonotoneMapView: the {base} samples and their images T(v) must have the same "
                                 f"length, got {len(v)} and {len(big_t)}")
            self.samples[base] = (v, big_t)
        # Over a grid of each base's support: v, T(v), p_V(v) and T'(v), computed once (T by bisection),
        # so that a move only mixes f_t(v) = (1 - t) v + t T(v) and f_t'(v) = (1 - t) + t T'(v).
        self.curves = {}
        for base in BASES:
            v = _support_grid(base)
            big_t, dt = monotone_map(v, base, 1.0)  # t = 1: f_1 = T
            self.curves[base] = tuple(a.numpy() for a in (v, big_t, base_pdf(v, base), dt))
        grid = torch.linspace(*_HIST_RANGE, 200, dtype=torch.float64)

        self.fig = fig = self.figure(figsize=(9, 3.4))
        self.ax0, ax1 = fig.subplots(1, 2)
        self.ax0.set(ylim=(-4.5, 4.5), ylabel="x = f_t(v)")
        # t in the title, not in the legend: a legend is stage (a dynamic one costs as much as the rest)
        self.ax0.set_title(" ")
        self.title = self.numbers(self.ax0.title, "the monotone map f_t, t = {t}", t="0.00")
        self.map_line = self.dynamic(self.ax0.plot([], [], color="C1", label="f_t")[0])
        self.identity = self.dynamic(self.ax0.plot([], [], color="gray", lw=0.8, ls=":", label="identity (t = 0)")[0])
        self.ax0.legend(loc="upper left", fontsize=8)
        self.ax1 = ax1
        edges = np.linspace(*_HIST_RANGE, _HIST_BINS + 1)
        self.hist = self.dynamic(ax1.stairs(np.zeros(_HIST_BINS), edges, fill=True, color="C0", alpha=0.4,
                                            label="histogram of f_t(v)"))
        self.curve = self.dynamic(ax1.plot([], [], color="C1", lw=1.8, label="formula p_V(v) / f_t'(v)")[0])
        # p* is the same at every t, but it is drawn over the histogram and the formula's curve (at t = 1
        # they coincide), so it is painted with them
        self.target = self.dynamic(ax1.plot(grid.numpy(), target_pdf(grid).numpy(), color="k", lw=1, ls="--",
                                            label="target p*")[0])
        self.legends = [ax1.legend(loc="upper left", fontsize=7)]
        # From the uniform at small t the histogram reaches up into the legend: there a copy of the legend
        # is painted over it, as in a figure drawn in one go. A dynamic legend costs as much as the rest
        # of the update, so it is shown only there.
        self.legends.append(self.dynamic(ax1.add_artist(Legend(ax1, *ax1.get_legend_handles_labels(),
                                                               loc="upper left", fontsize=7))))
        ax1.set(xlim=_HIST_RANGE, xlabel="x", title="pushed samples vs the formula")
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.91, wspace=0.22)
        sparse_ticks(fig)

    def update(self, t: float = 0.5, base: str = "uniform") -> None:
        check_base(base, "MonotoneMapView")
        t = check_t(t)
        # the stage of this base: the base's name on the axis, the limits autoscaling would give
        grid_v, grid_t, p_v, dt = self.curves[base]
        margin = 0.05 * (grid_v[-1] - grid_v[0])
        self.ax0.set_xlim(grid_v[0] - margin, grid_v[-1] + margin)
        self.ax0.set_xlabel(f"v ~ {base}")
        self.ax1.set_ylim(0, self._YMAX[base])
        for legend in self.legends:
            legend.get_texts()[0].set_text(f"histogram of f_t(v), {len(self.samples[base][0])} samples")
        self.restage(base)

        v, big_t = self.samples[base]
        x = (1 - t) * v + t * big_t
        counts, edges = np.histogram(x, bins=_HIST_BINS, range=_HIST_RANGE)
        # normalised by all samples, also those outside the range
        self.hist.set_data(counts / (len(x) * (edges[1] - edges[0])))
        grid_x, grid_p = (1 - t) * grid_v + t * grid_t, p_v / ((1 - t) + t * dt)  # x = f_t(v), p_V(v) / f_t'(v)
        if base == "uniform":  # the density drops to 0 at both ends of the image of [0, 1]
            grid_x, grid_p = np.r_[grid_x[0], grid_x, grid_x[-1]], np.r_[0.0, grid_p, 0.0]
        self.curve.set_data(grid_x, grid_p)
        self.map_line.set_data(grid_v, (1 - t) * grid_v + t * grid_t)
        self.identity.set_data(grid_v, grid_v)
        self.title.set(t=number(t, "{:.2f}"))
        self.legends[1].set_visible(base == "uniform" and t < 0.2)  # only there does the histogram reach it


def _monotone_sliders():
    import ipywidgets as w

    return {
        "t": w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="t"),
        "base": w.Dropdown(options=list(BASES), value="uniform", description="base"),
    }


def _monotone_example_state():
    g = torch.Generator().manual_seed(0)
    u = torch.rand(2000, generator=g, dtype=torch.float64)
    z = torch.randn(2000, generator=g, dtype=torch.float64)
    return u, target_icdf(base_cdf(u, "uniform")), z, target_icdf(base_cdf(z, "gaussian"))


MONOTONE_MAP = Demo(MonotoneMapView, _monotone_sliders, special=({"t": 1.0, "base": "gaussian"},),
                    example_state=_monotone_example_state)

# ---------------------------------------------------------------------------------------------
# 2-D linear: x = Az on the unit square
# ---------------------------------------------------------------------------------------------

# LinearMapView's square views, half a side: 15% beyond the parallelogram when its corners stay within
# ±2.2 (most settings), else beyond ±4, the farthest corner A(e₁ + e₂) of entries in [-2, 2].
_FITS_SMALL = 2.2
_VIEW_SMALL, _VIEW_LARGE = 1.15 * _FITS_SMALL, 1.15 * 4.0


def _message(ax, text: str = "", color: str = "C3"):
    """A message box at the centre of ``ax`` (a Text: a view marks it dynamic and shows it when it applies)."""
    return ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=9, color=color,
                   wrap=True, bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": color})


class LinearMapView(View):
    r"""Three panels for x = Az, A = (a c; b d): square → parallelogram with det, shoelace and Monte Carlo
    areas; the density p_Z(Wx)|det W| as a heat map; a histogram of x = Az for the samples ``z``.

    State: ``z`` (N, 2) uniform on the unit square; ``unit_points`` (M, 2) uniform on [0, 1]² for Monte Carlo.
    det A < 0, det A = 0 and a nearly singular A are drawn with a message, never an exception.

    The three panels share one square view, ``_VIEW_SMALL`` when the parallelogram fits in it, else
    ``_VIEW_LARGE`` (every A with entries in [-2, 2]): areas compare by eye between panels and settings.
    The heat map and the histogram cover the parallelogram's bounding box (their resolution follows
    it), on the colour of density 0 elsewhere, both on the scale [0, 2 / |det A|].
    """

    def __init__(self, z, unit_points):
        self.zs = torch.as_tensor(z).detach().cpu().double().numpy()
        self.unit_points = torch.as_tensor(unit_points).detach().cpu().double().numpy()
        for name, points in (("z", self.zs), ("unit_points", self.unit_points)):
            if points.ndim != 2 or points.shape[1] != 2 or not len(points):
                raise ValueError(f"LinearMapView: expected {name} of shape (N, 2) with N >= 1, got shape {points.shape}")
        self.fig = fig = self.figure(figsize=(12, 3.9))
        self.axes = axes = fig.subplots(1, 3)
        ax = axes[0]
        ax.fill(*parallelogram(1, 0, 0, 1).T, color="C2", alpha=0.5, label="unit square (z)")
        self.shape = self.dynamic(ax.fill(*parallelogram(1, 0, 0, 1).T, color="C1", alpha=0.45, label="A · square (x)")[0])
        self.arrows = [self.dynamic(ax.annotate("", (0, 0), (0, 0), arrowprops={"arrowstyle": "->", "color": "k", "lw": 1.2}))
                       for _ in range(2)]
        self.names = [self.dynamic(ax.text(0, 0, name, fontsize=9)) for name in ("Ae₁", "Ae₂")]
        self.info = self.dynamic(ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", fontsize=8,
                                         bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85}))
        ax.legend(loc="lower right", fontsize=7)  # stage: the parallelogram is painted over it
        for ax in axes:
            ax.set(aspect="equal")
            ax.set_title(" ")
        self.titles = [self.dynamic(ax.title) for ax in axes[:2]]  # the third changes only with the stage
        self.images, self.outlines = [], []
        for ax in axes[1:]:
            self.images.append(self.dynamic(ax.imshow(np.zeros((2, 2)), origin="lower", extent=(0, 1, 0, 1),
                                                      cmap="viridis", aspect="equal")))
            self.outlines.append(self.dynamic(ax.plot([], [], color="w", lw=0.8)[0]))
        self.scatter = self.dynamic(axes[2].scatter(np.zeros(0), np.zeros(0), s=2, color="C0"))
        self.no_density = self.dynamic(_message(axes[1], "det A = 0: W = A⁻¹ does not exist.\nAll the mass sits on "
                                                "a set of area 0,\nso p_X(x) = p_Z(Wx)|det W| is undefined:\n"
                                                "there is no density."))
        self.no_histogram = self.dynamic(_message(axes[2], "x = Az lies on a line:\nno histogram density can exist"))
        self.nearly = self.dynamic(_message(axes[1], color="C1"))
        self._zero = self.images[0].cmap(0.0)  # density 0 outside the heat map's box
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.08, top=0.92, wspace=0.18)
        sparse_ticks(fig)

    def _stage(self, half: float, singular: bool) -> None:
        """The stage of one view size, with or without a density: limits, ticks, background."""
        for ax in self.axes:
            ax.set(xlim=(-half, half), ylim=(-half, half))
        # det A = 0: no density, so no scale to read it on: a blank panel with the message
        self.axes[1].tick_params(bottom=not singular, left=not singular, labelbottom=not singular,
                                 labelleft=not singular)
        for ax in self.axes[1:]:
            ax.set_facecolor("white" if singular else self._zero)
        title = self.axes[2].set_title("samples x = Az" if singular else f"histogram of x = Az, {len(self.zs)} samples")
        if not singular:  # set_title gave the default size
            title.set_fontsize(9)
        self.restage((half, singular))

    def update(self, a: float = 1.5, b: float = 0.5, c: float = 0.4, d: float = 1.2) -> None:
        a, b, c, d = (float(v) for v in (a, b, c, d))
        det = a * d - b * c
        singular = is_singular(a, b, c, d)
        corners = parallelogram(a, b, c, d)
        self._stage(_VIEW_SMALL if np.abs(corners).max() <= _FITS_SMALL else _VIEW_LARGE, singular)

        mc_area, mc_error = monte_carlo_area(corners, self.unit_points)
        self.shape.set_xy(corners)
        for arrow, name, corner in zip(self.arrows, self.names, (corners[1], corners[3])):
            arrow.xy = tuple(corner)
            name.set_position(tuple(corner))
        lines = [f"det A = ad − bc = {det:+.3f}", f"shoelace (signed) = {shoelace_area(corners):+.3f}",
                 f"Monte Carlo area = {mc_area:.3f} ± {mc_error:.3f}"]
        if singular:
            lines.append("det A = 0: the square is flattened\nonto a line, area 0")
        elif det < 0:
            lines.append("det A < 0: orientation flipped\n(Ae₁ → Ae₂ turns clockwise); area = |det A|")
        self.info.set_text("\n".join(lines))
        self.titles[0].set_text(f"A = [[{a:.2f}, {c:.2f}], [{b:.2f}, {d:.2f}]]")

        for artist in (*self.images, *self.outlines):
            artist.set_visible(not singular)
        for artist in (self.scatter, self.no_density, self.no_histogram):
            artist.set_visible(singular)
        self.nearly.set_visible(not singular and abs(det) < 0.05)
        if singular:
            xs = self.zs[:400] @ np.array([[a, b], [c, d]])  # x = Az, row by row
            self.scatter.set_offsets(xs)
            self.titles[1].set_text("p_X(x) = p_Z(Wx) |det W|")
            self.titles[1].set_fontsize(self.titles[0].get_fontsize())
            return
        xs = self.zs @ np.array([[a, b], [c, d]])
        low, high = corners.min(0), corners.max(0)
        pad = 0.08 * (high - low).max()
        low, high = low - pad, high + pad
        extent = (low[0], high[0], low[1], high[1])
        n = 48
        gx, gy = np.meshgrid(np.linspace(low[0], high[0], n), np.linspace(low[1], high[1], n))
        grid = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1))
        density = linear_density(torch.tensor([[a, c], [b, d]], dtype=torch.float64), grid).reshape(n, n).numpy()
        # fewer bins than pixels: with 20 000 samples a bin then holds ~25 of them (±20% noise)
        counts, ex, ey = np.histogram2d(xs[:, 0], xs[:, 1], bins=28, range=[extent[:2], extent[2:]])
        hist = counts.T / (len(xs) * (ex[1] - ex[0]) * (ey[1] - ey[0]))
        for image, outline, data in zip(self.images, self.outlines, (density, hist)):
            image.set_data(data)
            image.set_extent(extent)
            image.set_clim(0, 2.0 / abs(det))  # one colour scale for both: the two panels compare
            outline.set_data(*np.vstack([corners, corners[:1]]).T)
        self.titles[1].set_text(f"p_Z(Wx)|det W|: 1/|det A| = {1 / abs(det):.3f}")
        self.titles[1].set_fontsize(9)
        if abs(det) < 0.05:
            self.nearly.set_text(f"nearly singular: |det A| = {abs(det):.3f},\np_X = {1 / abs(det):.0f} on a thin sliver")


def _linear_sliders():
    import ipywidgets as w

    defaults = {"a": 1.5, "b": 0.5, "c": 0.4, "d": 1.2}
    return {k: w.FloatSlider(value=v, min=-2.0, max=2.0, step=0.1, description=k) for k, v in defaults.items()}


def _linear_example_state():
    g = torch.Generator().manual_seed(0)
    return torch.rand(2000, 2, generator=g, dtype=torch.float64), torch.rand(2000, 2, generator=g, dtype=torch.float64)


LINEAR_MAP = Demo(
    LinearMapView, _linear_sliders,
    special=({"a": 0.0, "b": 1.0, "c": 1.0, "d": 0.0},  # a swap: det = -1, orientation flipped
             {"a": 1.0, "b": 2.0, "c": 0.5, "d": 1.0},  # det = 0: a line
             {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0},  # det = 0: a point
             {"a": 1.0, "b": 0.9, "c": 1.1, "d": 1.0}),  # det = 0.01: nearly singular
    example_state=_linear_example_state)

# ---------------------------------------------------------------------------------------------
# 2-D non-linear: Bend, a tiny invertible map with four parameters; learning and inference
# ---------------------------------------------------------------------------------------------

FIT_STEPS = 300  # the notebook's maximum-likelihood fit: LEARNING's slider runs over its steps
_BOX = (-7.0, 6.0, -3.5, 9.5)  # where the data of THETA_TRUE lie (0.1% to 99.9% quantiles)


def _grid(n: int):
    return grid_points(_BOX, n, dtype=torch.float64)[0]


def _grid_lines(bend: Bend, lines: int = 9, points: int = 40, half: float = 2.5) -> np.ndarray:
    """The image of a square grid of [-half, half]² under the bend, as one polyline broken by NaNs."""
    grid = grid_lines((-half, half, -half, half), lines, points)
    return nan_joined(bend(grid.reshape(-1, 2))[0].reshape(grid.shape))


class BendView(View):
    r"""Three panels for x = f(z) with ``Bend(a, s, b, phi)``: the image of a square grid; the density by the
    generalized formula; a histogram of the pushed samples x = f(z) (state: ``z`` (N, 2) ~ N(0, I)).
    The heat map and the histogram share a colour scale, [0, max of the density], at every setting."""

    def __init__(self, z):
        self.z = torch.as_tensor(z).detach().cpu().double()
        check_points(self.z, 2, "BendView", "z")
        self.grid = _grid(60)
        self.fig = fig = self.figure(figsize=(12, 3.9))
        axes = fig.subplots(1, 3)
        self.grid_lines = self.dynamic(axes[0].plot([], [], color="C0", lw=0.7)[0])
        axes[0].set(xlim=_BOX[:2], ylim=_BOX[2:], aspect="equal", title="f maps the grid of [-2.5, 2.5]²")
        self.images = [self.dynamic(ax.imshow(np.zeros((2, 2)), origin="lower", extent=_BOX, cmap="viridis"))
                       for ax in axes[1:]]
        axes[1].set(title="P_Z(f⁻¹(x)) |det ∂f⁻¹/∂x|")
        axes[2].set(title=f"histogram of f(z), {len(self.z)} samples")
        self.title = self.numbers(fig.suptitle(" ", fontsize=10), "a = {a}, s = {s}, b = {b}, φ = {phi}:  "
                                  "log|det ∂x/∂z| = a + s·z₁", a="+0.00", s="+0.00", b="+0.00", phi="+0.00")
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.08, top=0.86, wspace=0.18)
        sparse_ticks(fig)

    @torch.no_grad()
    def update(self, a: float = THETA_TRUE[0], s: float = THETA_TRUE[1], b: float = THETA_TRUE[2],
               phi: float = THETA_TRUE[3]) -> None:
        bend = Bend(a, s, b, phi).double()
        n = int(math.isqrt(len(self.grid)))
        density = bend_log_density(bend, self.grid).exp().reshape(n, n).numpy()
        x = bend(self.z)[0].numpy()
        counts, ex, ey = np.histogram2d(x[:, 0], x[:, 1], bins=40, range=[_BOX[:2], _BOX[2:]])
        hist = counts.T / (len(x) * (ex[1] - ex[0]) * (ey[1] - ey[0]))
        self.grid_lines.set_data(*_grid_lines(bend).T)
        vmax = float(max(density.max(), 1e-12))
        for image, data in zip(self.images, (density, hist)):
            image.set_data(data)
            image.set_clim(0, vmax)
        self.title.set(a=number(a), s=number(s), b=number(b), phi=number(phi))


def _bend_sliders():
    import ipywidgets as w

    ranges = {"a": (-0.5, 0.5), "s": (-0.6, 0.6), "b": (-1.0, 1.0), "phi": (-1.5, 1.5)}
    return {name: w.FloatSlider(value=value, min=low, max=high, step=0.05, description=name)
            for (name, (low, high)), value in zip(ranges.items(), THETA_TRUE)}


def _bend_example_state():
    return (torch.randn(2000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64),)


BEND_MAP = Demo(BendView, _bend_sliders, special=({"a": 0.0, "s": 0.0, "b": 0.0, "phi": 0.0},),
                example_state=_bend_example_state)


class LearningView(View):
    r"""Learning and inference at one step of a maximum-likelihood fit of ``Bend``: three panels.

    State: ``data`` (N, 2), ``thetas`` (K, 4) the parameters before the first step and after each step
    (K = steps + 1), ``losses`` the K - 1 losses. Panels: the model density p_θ (on its own colour
    scale) with the data; the latents z = f_θ⁻¹(x) of the data against N(0, I); the loss with the
    current step marked. A ``step`` outside [0, K - 1] is clamped to it.
    """

    def __init__(self, data, thetas, losses):
        self.thetas = torch.as_tensor(thetas).detach().cpu().double()
        if self.thetas.ndim != 2 or self.thetas.shape[1] != 4 or not len(self.thetas):
            raise ValueError(f"LearningView: expected thetas of shape (K, 4) with K >= 1 (θ = (a, s, b, φ) per step), "
                             f"got shape {tuple(self.thetas.shape)}")
        self.x = torch.as_tensor(data).detach().cpu().double()[:1000]
        check_points(self.x, 2, "LearningView", "data")
        self.n_losses = len(losses)
        self.grid = _grid(50)
        self.fig = fig = self.figure(figsize=(12, 3.8))
        axes = fig.subplots(1, 3)
        self.image = self.dynamic(axes[0].imshow(np.zeros((2, 2)), origin="lower", extent=_BOX, cmap="viridis"))
        # the data are the same at every step, but they lie over the density, so they are painted with it
        self.data = self.dynamic(axes[0].scatter(self.x[:, 0], self.x[:, 1], s=1, color="w", alpha=0.5))
        axes[0].set(xlim=_BOX[:2], ylim=_BOX[2:])
        axes[0].set_title(" ")
        self.title = self.dynamic(axes[0].title)
        self.latents = self.dynamic(axes[1].scatter(np.zeros(0), np.zeros(0), s=1, alpha=0.5))
        circle = np.linspace(0, 2 * np.pi, 100)
        for r in (1, 2):  # over the latents, as in a figure drawn in one go
            self.dynamic(axes[1].plot(r * np.cos(circle), r * np.sin(circle), color="k", lw=0.7, ls="--")[0])
        axes[1].set(xlim=(-4, 4), ylim=(-4, 4), aspect="equal", title="latents z = f_θ⁻¹(x); circles: N(0, I)")
        losses = np.asarray(torch.as_tensor(losses).detach().cpu())
        axes[2].plot(losses, lw=0.8)
        axes[2].set(xlim=axes[2].get_xlim(), ylim=axes[2].get_ylim())  # autoscaled to the losses, then fixed
        self.marker = self.dynamic(axes[2].axvline(0, color="C3"))
        axes[2].set(xlabel="step", ylabel="loss (nats)", title="-mean log p_θ(x) of a batch")
        for ax in axes[:2]:
            ax.title.set_fontsize(9)
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.12, top=0.92, wspace=0.22)
        sparse_ticks(fig)

    @torch.no_grad()
    def update(self, step: int = FIT_STEPS) -> None:
        k = clamped_index(step, len(self.thetas))
        bend = Bend(*self.thetas[k].tolist()).double()
        n = int(math.isqrt(len(self.grid)))
        density = bend_log_density(bend, self.grid).exp().reshape(n, n).numpy()
        nll = float(-bend_log_density(bend, self.x).mean())
        self.image.set_data(density)
        self.image.set_clim(density.min(), density.max())  # each step on its own colour scale, as imshow autoscales
        self.title.set_text(f"p_θ(x) and the data, step {k}: NLL {nll:.3f}")
        self.latents.set_offsets(bend.inverse(self.x)[0].numpy())
        at = min(k, max(self.n_losses - 1, 0))
        self.marker.set_xdata([at, at])


def _learning_sliders():
    import ipywidgets as w

    return {"step": w.IntSlider(value=FIT_STEPS, min=0, max=FIT_STEPS, step=5, description="step")}


def _learning_example_state():
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        data = Bend(*THETA_TRUE).double()(torch.randn(500, 2, generator=g, dtype=torch.float64))[0]
    thetas = torch.linspace(0, 1, FIT_STEPS + 1, dtype=torch.float64)[:, None] * torch.tensor(THETA_TRUE, dtype=torch.float64)
    losses = torch.linspace(3.5, 2.9, FIT_STEPS)
    return data, thetas, losses


LEARNING = Demo(LearningView, _learning_sliders, example_state=_learning_example_state)
