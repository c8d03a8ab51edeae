r"""Notebook 04 (RealNVP): the affine coupling's volume change, its propagation figure, and the flow layer by layer.

Slides "Real-NVP: Non-volume preserving extension of NICE". Three demos, each ``NAME.show(*state)``,
each a ``View`` (``flowlib.lessons.view``: built once, a slider move changes only what depends on it):

- ``VOLUME`` (``VolumeView``): a hand-set 2-D affine coupling x₁ = z₁, x₂ = z₂ exp(α(z₁)) + μ(z₁) with
  α(z₁) = a + b z₁ (sliders a and b) maps the square R = [-1, 1]² to f(R); its area, measured with
  the shoelace formula, against ∫_R det J = ∫_R exp(α(z₁)) dz, which is exp(a) · area(R) when b = 0.
- ``PROPAGATION`` (``PropagationView``): the slides' figure of forward and inverse propagation, drawn
  from a real ``AffineCoupling``: every box shows the value the layer computes (α_θ, μ_θ, exp(α_θ), x,
  z) for the point z chosen with the sliders, and a third panel draws the same step in the plane (a
  small box around z, stretched by exp(α_θ), then shifted by μ_θ). A move rewrites each box (one text)
  and redraws the arrows between them.
- ``LAYERS`` (``LayersView``): a trained flow layer by layer, ``[z, f₁(z), f₂(f₁(z)), …, x]``: samples coloured by
  the angle of their z, and the image of a square grid (``layer_steps`` precomputes both).
"""

from __future__ import annotations

import math
import string

import ipywidgets
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.patches import Polygon

from ... import randomize, shoelace_area, square_boundary
from ...models import make_realnvp
from ...plotting import grid_lines, sparse_ticks
from ...realnvp import AffineCoupling
from ..course import TOY_BOUNDS, TOY_LAYERS  # LAYERS's slider runs over the TOY_LAYERS couplings
from ..demo import Demo
from ..view import View, clamped_index, number
from .maths import REGION, affine_coupling_2d, layer_steps, propagation_values, region_areas

__all__ = ["VolumeView", "VOLUME", "Z_RANGE", "PropagationView", "PROPAGATION", "LayersView", "LAYERS"]


# ---------------------------------------------------------------------------------------------
# VOLUME: the area of f(R) against exp(α)
# ---------------------------------------------------------------------------------------------


def _polygon(ax, vertices: np.ndarray, **style) -> Polygon:
    # A filled polygon without ax.fill's data-limit update (a Bezier pass over every vertex, the
    # slowest part of these redraws): the callers set their limits themselves.
    return ax.add_artist(Polygon(vertices, closed=True, linewidth=0, **style))


_SUBSCRIPTS = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")


def _name(letter: str, idx: torch.Tensor) -> str:
    return letter + ",".join(str(int(i) + 1) for i in idx).translate(_SUBSCRIPTS)  # 1-based, as on the slides


_DIFFERS = "   (b ≠ 0: α varies, so this differs)"
_A, _M = "α", "μ"  # plain text: mathtext (α_θ) costs more to lay out than all the rest of the figure


class VolumeView(View):
    r"""R = [-1, 1]² and its image under ``affine_coupling_2d`` with α(z₁) = ``alpha`` + ``slope`` · z₁,
    with the measured and predicted areas; right: det J = exp(α(z₁)) across R. No state."""

    def __init__(self):
        self.fig = fig = self.figure(figsize=(10, 4.6))
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [0.75, 1]})
        self.ax2 = ax2
        self.boundary = square_boundary((0.0, 0.0), [REGION[1] - REGION[0]], 60)[0]  # R = [-1, 1]²
        _polygon(ax, self.boundary.numpy(), color="C2", alpha=0.35, label="R (z)")
        self.image = self.dynamic(_polygon(ax, self.boundary.numpy(), color="C1", alpha=0.45, label="f(R) (x)"))
        self.grid = grid_lines(REGION, 7, 40).reshape(-1, 2)  # 14 lines of R, (14 · 40, 2)
        # line by line as ax.plot draws them (projecting caps, round joins), in one artist
        self.lines = self.dynamic(ax.add_collection(LineCollection([], colors="C1", linewidths=0.5, capstyle="projecting",
                                                                   joinstyle="round"), autolim=False))
        ax.set(xlim=(-1.5, 1.5), ylim=(-4.2, 4.2), aspect="equal", xlabel="z₁, x₁")
        ax.set_title(" ", fontsize=9)
        # the sliders' a and b: |a|, |b| < 10, 5 characters
        self.formula = self.numbers(ax.title, "x₂ = z₂ exp({a} {b} z₁) + 0.6 sin 2z₁", a="+0.00", b="+0.00")
        self.z1 = np.linspace(-1, 1, 100)
        self.det = self.dynamic(ax2.plot(self.z1, self.z1, color="C1", label="det J = exp(α(z₁))")[0])
        self.ratio = self.dynamic(ax2.axhline(1.0, color="C3", ls="--", lw=1, label="area f(R) / area R (shoelace)"))
        ax2.axhline(1.0, color="0.5", lw=0.7, label="1: volume preserving (NICE)")
        ax2.set(xlabel="z₁", xlim=(-1.1, 1.1), title="the local volume change across R")  # xlim: autoscaling's margins
        ax2.title.set_fontsize(9)
        # the areas, above both panels: below 4 exp(2.5) ≈ 49, 6 characters
        self.summary = self.numbers(fig.suptitle(" ", fontsize=9), "area f(R) by shoelace = {shoelace}     "
                                    "∫ over R of exp(α(z₁)) dz = {integral}     exp(a) · area R = {product}{note}",
                                    shoelace="00.000", integral="00.000", product="00.000", note=_DIFFERS)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.11, top=0.88, wspace=0.15)
        # the legends are stage (a dynamic legend would cost ~10 ms of text a move): keep the curves off them
        self.keep_clear(ax, [ax.legend(loc="lower right", fontsize=7)], [self.image, self.lines])
        self.keep_clear(ax2, [ax2.legend(loc="upper left", fontsize=7)], [self.det, self.ratio])
        sparse_ticks(fig)

    def update(self, alpha: float = 0.5, slope: float = 0.0) -> None:
        a, b = float(alpha), float(slope)
        measured, predicted = region_areas(a, b)
        region_area = (REGION[1] - REGION[0]) * (REGION[3] - REGION[2])
        self.image.set_xy(affine_coupling_2d(self.boundary, a, b).numpy())
        self.lines.set_segments(affine_coupling_2d(self.grid, a, b).numpy().reshape(14, 40, 2))
        det = np.exp(a + b * self.z1)
        self.det.set_ydata(det)
        self.ratio.set_ydata([measured / region_area] * 2)
        # The det axis grows with the largest det J, in a few steps (each step's stage is rendered once):
        # one fixed axis up to exp(2.5) ≈ 12 would flatten the curves near 1 that most settings show.
        need = 1.1 * float(det.max())
        top = next((level for level in (3.0, 4.0, 5.5, 7.5, 10.0, 14.0) if level >= need), need)
        self.ax2.set_ylim(0, top)
        self.restage(top)
        self.formula.set(a=number(a), b=number(b))
        self.summary.set(**{name: number(value, "{:<6.3f}") for name, value in
                            (("shoelace", measured), ("integral", predicted), ("product", math.exp(a) * region_area))},
                         note=_DIFFERS if b != 0 else "")


def _volume_sliders():
    return {"alpha": ipywidgets.FloatSlider(value=0.5, min=-1.5, max=1.5, step=0.05, description="a"),
            "slope": ipywidgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.05, description="b")}


VOLUME = Demo(VolumeView, _volume_sliders, special=({"alpha": 0.0, "slope": 0.0}, {"alpha": -1.5, "slope": 1.0}))

# ---------------------------------------------------------------------------------------------
# PROPAGATION: the slides' forward / inverse figure, from a real layer's μ_θ and α_θ
# ---------------------------------------------------------------------------------------------


_PAD = 0.35  # the padding of PROPAGATION's boxes around their text, in font sizes (boxstyle "round": 0.3)


def _arrow(ax, source, target, side=("right", "left"), color="0.2"):
    # Anchored to the boxes' texts, so an arrow follows a box whatever its size, and shortened at each end
    # by the box's padding (and a point): it starts and ends at the box's outline.
    anchors = {"right": (1.0, 0.5), "left": (0.0, 0.5), "bottom": (0.5, 0.0), "top": (0.5, 1.0)}
    shrink = _PAD * 8 + 1  # in points, for the boxes' 8-point text
    return ax.annotate("", xy=anchors[side[1]], xycoords=target, xytext=anchors[side[0]], textcoords=source,
                       arrowprops={"arrowstyle": "->", "color": color, "lw": 1.1, "shrinkA": shrink, "shrinkB": shrink})


Z_RANGE, Z_STEP = (-3.0, 3.0), 0.1  # PROPAGATION's sliders z₁ and z₂; (c)'s window fits every z of this square


class PropagationView(View):
    r"""The slides' forward and inverse propagation figure for a real 2-D ``AffineCoupling`` at z = (``z1``, ``z2``).

    (a) forward: the kept coordinate passes unchanged and feeds the network; the changed one is
    multiplied by exp(α_θ) and shifted by μ_θ. (b) inverse, from the x that (a) produced: shift back,
    divide by exp(α_θ); the network sees x_{1:d} = z_{1:d}, so it returns the same α_θ and μ_θ.
    (c) the same step in the plane. Every number is computed by the layer (``propagation_values``).

    The boxes of (a) and (b), their words and the arrows between them are stage: each number is as wide as
    the widest any slider setting gives, and only the numbers are drawn at a move (``View.numbers``). (c) is
    drawn in coordinates centred on z, u = (point - z), with limits fixed for the whole slider range (as
    ``LOCAL_AREA``): the box around z is always [-½ side, ½ side]², and a move redraws only the shapes, the
    arrows and the title.
    """

    half = 0.4  # (c): the box around z is [z ± half]²

    def __init__(self, layer: AffineCoupling):
        if not isinstance(layer, AffineCoupling):
            raise TypeError(f"PropagationView: expected an AffineCoupling layer, got {type(layer).__name__}")
        if layer.dim != 2:
            raise ValueError(f"PropagationView: expected a 2-D AffineCoupling, got dim={layer.dim}")
        self.layer = layer
        self.fig = fig = self.figure(figsize=(13, 3.6))
        axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1.25, 0.8]})
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.13, top=0.86, wspace=0.08)
        kept, changed = layer.mask.bool().nonzero().squeeze(1).cpu(), (~layer.mask.bool()).nonzero().squeeze(1).cpu()
        self.k, self.c = int(kept[0]), int(changed[0])
        # Each number of the boxes keeps the width of its widest over the sliders' grid: the boxes, their
        # words and the arrows between them are stage, only the numbers dynamic (View.numbers)
        grid = torch.linspace(*Z_RANGE, round((Z_RANGE[1] - Z_RANGE[0]) / Z_STEP) + 1)
        every = self._numbers(propagation_values(layer, torch.cartesian_prod(grid, grid)))
        self.formats = {inverse: {name: f"{{:+{len(number(values.abs().max()))}.2f}}" for name, values in numbers.items()}
                        for inverse, numbers in every.items()}  # sign, digits, 2 decimals: padded to the widest
        self.boxes = []  # (Numbers, inverse?): update fills their fields with numbers
        self._graph(axes[0], kept, changed, inverse=False)
        self._graph(axes[1], kept, changed, inverse=True)
        self._plane(axes[2])
        sparse_ticks(fig, nbins=4)

    def _graph(self, ax, k, c, inverse: bool):
        # the numbers' names are those of one direction: "in" is z in (a) and x in (b), "out" the other
        s, d = ("x", "z") if inverse else ("z", "x")
        ax.set(xlim=(-0.4, 10.4), ylim=(-0.2, 3.8), xticks=[], yticks=[])

        widest = {name: number(0, fmt) for name, fmt in self.formats[inverse].items()}

        def box(xy, template, facecolor="white"):
            text = ax.text(*xy, " ", ha="center", va="center", fontsize=8, bbox={
                "boxstyle": f"round,pad={_PAD}", "facecolor": facecolor, "edgecolor": "0.3"})
            fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
            self.boxes.append((self.numbers(text, template, **{name: widest[name] for name in fields}), inverse))
            return text

        def arrow(*args, **kwargs):
            _arrow(ax, *args, **kwargs)  # stage, as its boxes are

        top, middle, bottom = 3.3, 2.0, 0.5
        src_kept = box((0.9, top), f"{_name(s, k)} = {{in_k}}", "#d9ead3")
        dst_kept = box((9.1, top), f"{_name(d, k)} = {{out_k}}", "#fce5cd")
        arrow(src_kept, dst_kept)
        ax.text(5.0, top + 0.12, "identity", ha="center", va="bottom", fontsize=7, color="0.2")
        net = box((2.5, middle), f"network of {_name(s, k)}\n{_A} = {{alpha}}\n{_M} = {{mu}}", "#cfe2f3")
        arrow(src_kept, net, ("bottom", "top"))
        src_changed = box((0.9, bottom), f"{_name(s, c)} = {{in_c}}", "#d9ead3")
        if inverse:
            first = box((4.5, bottom), f"− {_M}\n{_M} = {{mu}}")
            second = box((7.0, bottom), f"⊙ exp(−{_A})\nexp(−{_A}) = {{exp}}")
            first_input, second_input = _M, _A
        else:
            first = box((4.5, bottom), f"⊙ exp({_A})\nexp({_A}) = {{exp}}")
            second = box((7.0, bottom), f"+ {_M}\n{_M} = {{mu}}")
            first_input, second_input = _A, _M
        dst_changed = box((9.1, bottom), f"{_name(d, c)} = {{out_c}}", "#fce5cd")
        arrow(src_changed, first)
        arrow(first, second)
        between = ax.text(5.75, bottom - 0.42, " ", ha="center", va="top", fontsize=7, color="0.2")
        self.boxes.append((self.numbers(between, "{between}", between=widest["between"]), inverse))  # between the steps
        arrow(second, dst_changed)
        arrow(net, first, ("bottom", "top"), color="C0")
        arrow(net, second, ("right", "top"), color="C0")
        ax.text(3.3, 1.15, first_input, fontsize=7, color="C0")
        ax.text(5.4, 1.75, second_input, fontsize=7, color="C0")
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title("(b) inverse propagation x ↦ z" if inverse else "(a) forward propagation z ↦ x", fontsize=9)

    def _plane(self, ax):
        k, c = self.k, self.c
        self.shapes = [self.dynamic(_polygon(ax, np.zeros((1, 2)), label=label, **style))
                       for style, label in ((dict(color="C2", alpha=0.35), "box around z"),
                                            (dict(color="C0", alpha=0.2), f"⊙ exp({_A})"),
                                            (dict(color="C1", alpha=0.45), f"+ {_M}: f(box)"))]
        self.arrows = [self.dynamic(ax.annotate("", (0, 0), (0, 0), arrowprops={"arrowstyle": "->", "color": color, "lw": 1.3}))
                       for color in ("C0", "C1")]  # z ↦ z ⊙ exp(α_θ), then + μ_θ
        self.points = [self.dynamic(ax.plot([], [], "o", color=color, ms=4)[0]) for color in ("C2", "C1")]  # z, x
        ax.set_title(" ", fontsize=9)
        # below 100: 6 characters
        self.title = self.numbers(ax.title, f"area f(box) / area box = {{ratio}}\nexp({_A}(z)) = {{exp_alpha}}",
                                  ratio="00.000", exp_alpha="00.000")
        lim = self._limit()
        ax.set(xlabel=f"kept coordinate − {_name('z', [k])}", ylabel=f"changed coordinate − {_name('z', [c])}",
               aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim))  # centred on z: the same window at every z
        legend = ax.legend(handles=self.shapes, loc="lower left", fontsize=6)
        self.keep_clear(ax, [legend], [*self.shapes, *(a.arrow_patch for a in self.arrows), *self.points])

    @torch.no_grad()
    def _shapes(self, z: torch.Tensor):
        r"""The box around each point of ``z`` (P, 2), z ⊙ exp(α_θ) of it, and its image under the layer, in
        coordinates centred on that point: three (P, 4 · 25, 2) tensors, columns (kept, changed)."""
        layer, k, c = self.layer, self.k, self.c
        box = square_boundary((0.0, 0.0), [2 * self.half], 25)[0].to(z)  # (100, 2), columns (kept, changed)
        offsets = z.new_zeros(len(box), 2)
        offsets[:, k], offsets[:, c] = box[:, 0], box[:, 1]
        pts = (z[:, None, :] + offsets).reshape(-1, 2)
        mu, alpha = layer.mu_alpha(pts * layer.mask)  # on one thread in a slider move: Demo runs every update so
        scaled = pts * alpha.exp()
        shapes = (pts, scaled, scaled + mu)  # the last: the layer's forward of the box
        return [(shape.reshape(len(z), len(box), 2) - z[:, None, :])[..., [k, c]] for shape in shapes]

    def _limit(self) -> float:
        r"""Half the side of (c)'s fixed square window: 5% beyond the farthest shape of a 13 x 13 grid of z over ``Z_RANGE``²."""
        param = next(self.layer.parameters())
        grid = torch.linspace(*Z_RANGE, 13, dtype=param.dtype, device=param.device)
        z = torch.cartesian_prod(grid, grid)
        return 1.05 * max(float(shape.abs().max()) for shape in self._shapes(z))

    def _numbers(self, v: dict) -> dict:
        r"""The boxes' numbers, by direction (inverse?) and name, from ``propagation_values`` (of one point or a batch)."""
        k, c = self.k, self.c
        return {False: {"in_k": v["z"][..., k], "in_c": v["z"][..., c], "out_k": v["x"][..., k], "out_c": v["x"][..., c],
                        "alpha": v["alpha"][..., 0], "mu": v["mu"][..., 0], "exp": v["alpha"][..., 0].exp(),
                        "between": v["scaled"][..., 0]},
                True: {"in_k": v["x"][..., k], "in_c": v["x"][..., c], "out_k": v["z_back"][..., k],
                       "out_c": v["z_back"][..., c], "alpha": v["alpha_inv"][..., 0], "mu": v["mu_inv"][..., 0],
                       "exp": (-v["alpha_inv"][..., 0]).exp(), "between": v["shifted"][..., 0]}}

    @torch.no_grad()
    def update(self, z1: float = 0.5, z2: float = -1.0) -> None:
        layer, c, half = self.layer, self.c, self.half
        v = propagation_values(layer, [float(z1), float(z2)])
        shown = {inverse: {name: number(value, self.formats[inverse][name]) for name, value in values.items()}
                 for inverse, values in self._numbers(v).items()}
        for text, inverse in self.boxes:
            text.set(**{name: shown[inverse][name] for name in text.fields})
        # (c): a box around z, z ⊙ exp(α_θ) of it, and its image under the layer, centred on z
        param = next(layer.parameters())
        shapes = self._shapes(v["z"].to(param)[None])
        for polygon, shape in zip(self.shapes, shapes):
            polygon.set_xy(shape[0].cpu().numpy())
        zc, sc, xc = float(v["z"][c]), float(v["scaled"][0]), float(v["x"][c])
        for arrow, (start, end) in zip(self.arrows, ((0.0, sc - zc), (sc - zc, xc - zc))):
            arrow.xy, arrow.xyann = (0.0, end), (0.0, start)
        for point, y in zip(self.points, (0.0, xc - zc)):
            point.set_data([0.0], [y])
        ratio = abs(shoelace_area(shapes[2][0].cpu().numpy())) / (2 * half) ** 2
        self.title.set(ratio=number(ratio, "{:<6.3f}"), exp_alpha=number(v["alpha"][0].exp(), "{:<6.3f}"))


def _propagation_sliders():
    return {"z1": ipywidgets.FloatSlider(value=0.5, min=Z_RANGE[0], max=Z_RANGE[1], step=Z_STEP, description="z₁"),
            "z2": ipywidgets.FloatSlider(value=-1.0, min=Z_RANGE[0], max=Z_RANGE[1], step=Z_STEP, description="z₂")}


def _propagation_example():
    layer = AffineCoupling(2, hidden=(16,))
    return (randomize(layer, 0.5, generator=torch.Generator().manual_seed(0)),)  # a new layer is the identity


PROPAGATION = Demo(PropagationView, _propagation_sliders, special=({"z1": 0.0, "z2": 0.0},), example_state=_propagation_example)

# ---------------------------------------------------------------------------------------------
# LAYERS: a trained flow step by step
# ---------------------------------------------------------------------------------------------


class LayersView(View):
    r"""Step ``step`` of a flow (0 = the base samples z): samples coloured by the angle of z, over the
    data in grey; and the image of a square grid. State from ``layer_steps`` plus the data (N, 2).
    Both panels keep the box ``TOY_BOUNDS`` at every step."""

    def __init__(self, samples, grids, names, data):
        if not len(samples) or not len(samples) == len(grids) == len(names):
            raise ValueError("LayersView: expected samples, grids and names from layer_steps, one per step (at least "
                             f"one), got {len(samples)}, {len(grids)} and {len(names)}")
        self.samples, self.grids, self.names = samples, grids, names
        bounds = TOY_BOUNDS
        z = samples[0]
        hue = (np.arctan2(z[:, 1], z[:, 0]) + np.pi) / (2 * np.pi)
        data = torch.as_tensor(data).detach().cpu().numpy()[:2000]
        self.fig = fig = self.figure(figsize=(8.5, 4.2))
        ax1, ax2 = fig.subplots(1, 2)
        ax1.scatter(data[:, 0], data[:, 1], s=2, color="0.8", linewidths=0)
        self.points = self.dynamic(ax1.scatter(z[:, 0], z[:, 1], s=3, c=hue, cmap="hsv", linewidths=0))
        # the grid's lines as ax.plot draws them (projecting caps, round joins), in one artist
        self.lines = self.dynamic(ax2.add_collection(LineCollection([], colors="C0", linewidths=0.6, capstyle="projecting",
                                                                    joinstyle="round"), autolim=False))
        for ax, title in ((ax1, "samples (colour: angle of z)"), (ax2, "a square grid of z, carried along")):
            ax.set(xlim=bounds[:2], ylim=bounds[2:], aspect="equal", title=title)
            ax.title.set_fontsize(9)
        self.title = self.dynamic(fig.suptitle(" ", fontsize=10))
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.86, wspace=0.15)
        sparse_ticks(fig)

    def update(self, step: int = TOY_LAYERS) -> None:
        k = clamped_index(step, len(self.samples))
        self.points.set_offsets(self.samples[k])
        self.lines.set_segments(self.grids[k])
        self.title.set_text(f"step {k} of {len(self.samples) - 1}: {self.names[k]}")


def _layers_sliders():
    return {"step": ipywidgets.IntSlider(value=TOY_LAYERS, min=0, max=TOY_LAYERS, step=1, description="layer")}


def _layers_example():
    g = torch.Generator().manual_seed(0)
    flow = make_realnvp(2, layers=TOY_LAYERS, hidden=(8,))
    samples, grids, names = layer_steps(flow, torch.randn(500, 2, generator=g))
    return samples, grids, names, torch.randn(500, 2, generator=g)


LAYERS = Demo(LayersView, _layers_sliders, special=({"step": 1},), example_state=_layers_example)
