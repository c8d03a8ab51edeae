r"""Notebook 04 (RealNVP): the affine coupling's volume change, its propagation figure, and the flow layer by layer.

Slides "Real-NVP: Non-volume preserving extension of NICE". Three demos, each ``NAME.show(*state)``:

- ``VOLUME``: a hand-set 2-D affine coupling x₁ = z₁, x₂ = z₂ exp(α(z₁)) + μ(z₁) with
  α(z₁) = a + b z₁ (sliders a and b) maps the square R = [-1, 1]² to f(R); its area, measured with
  the shoelace formula, against ∫_R det J = ∫_R exp(α(z₁)) dz, which is exp(a) · area(R) when b = 0.
- ``PROPAGATION``: the slides' figure of forward and inverse propagation, drawn from a real
  ``AffineCoupling``: every box shows the value the layer computes (α_θ, μ_θ, exp(α_θ), x, z) for
  the point z chosen with the sliders, and a third panel draws the same step in the plane (a small
  box around z, stretched by exp(α_θ), then shifted by μ_θ).
- ``LAYERS``: a trained flow layer by layer, ``[z, f₁(z), f₂(f₁(z)), …, x]``: samples coloured by
  the angle of their z, and the image of a square grid (``layer_steps`` precomputes both).
"""

from __future__ import annotations

import math

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Polygon

from .._validate import check_points
from ..models import make_realnvp
from ..plotting import sparse_ticks
from ..realnvp import AffineCoupling
from . import Demo
from .change_of_variables import shoelace_area
from .nice import TOY_BOUNDS, TOY_LAYERS  # LAYERS's slider runs over the TOY_LAYERS couplings

__all__ = ["REGION", "square_boundary", "affine_coupling_2d", "image_area", "draw_volume", "VOLUME",
           "propagation_values", "draw_propagation", "PROPAGATION", "layer_steps", "draw_layers", "LAYERS"]

REGION = (-1.0, 1.0, -1.0, 1.0)  # VOLUME's square R = [-1, 1]², area 4

# ---------------------------------------------------------------------------------------------
# VOLUME: the area of f(R) against exp(α)
# ---------------------------------------------------------------------------------------------


def square_boundary(bounds=REGION, per_side: int = 100, dtype=torch.float64) -> torch.Tensor:
    r"""Points around the rectangle ``bounds`` = (x0, x1, y0, y1), counter-clockwise, shape (4 · per_side, 2)."""
    x0, x1, y0, y1 = bounds
    t = torch.linspace(0, 1, per_side + 1, dtype=dtype)[:-1]
    sides = [(x0 + t * (x1 - x0), torch.full_like(t, y0)), (torch.full_like(t, x1), y0 + t * (y1 - y0)),
             (x1 - t * (x1 - x0), torch.full_like(t, y1)), (torch.full_like(t, x0), y1 - t * (y1 - y0))]
    return torch.cat([torch.stack(side, 1) for side in sides])


def affine_coupling_2d(z: torch.Tensor, a: float, b: float) -> torch.Tensor:
    r"""The slide's affine coupling in 2-D (d = 1) with hand-set functions, applied to ``z`` (B, 2):

        x₁ = z₁,   x₂ = z₂ ⊙ exp(α(z₁)) + μ(z₁),   α(z₁) = a + b z₁,   μ(z₁) = 0.6 sin(2 z₁).

    det J = exp(α(z₁)); μ bends the square but changes no area.
    """
    check_points(z, 2, "affine_coupling_2d", "z")
    z1, z2 = z[:, :1], z[:, 1:]
    return torch.cat([z1, z2 * torch.exp(a + b * z1) + 0.6 * torch.sin(2 * z1)], 1)


def _polygon(ax, vertices: np.ndarray, **style):
    # A filled polygon without ax.fill's data-limit update (a Bezier pass over every vertex, the
    # slowest part of these redraws): the callers set their limits themselves.
    ax.add_artist(Polygon(vertices, closed=True, linewidth=0, **style))


def image_area(a: float, b: float, bounds=REGION) -> tuple[float, float]:
    r"""``(measured, predicted)`` area of f(R) for ``affine_coupling_2d`` with α(z₁) = a + b z₁ on R = ``bounds``.

    measured: the shoelace formula on the image of R's boundary (no determinant involved);
    predicted: ∫_R det J dz = (y1 - y0) ∫_{x0}^{x1} exp(a + b z₁) dz₁, in closed form.
    """
    x0, x1, y0, y1 = bounds
    measured = shoelace_area(affine_coupling_2d(square_boundary(bounds, 400), a, b).numpy())
    if abs(b) < 1e-9:
        integral = math.exp(a) * (x1 - x0)
    else:
        integral = (math.exp(a + b * x1) - math.exp(a + b * x0)) / b
    return measured, (y1 - y0) * integral


def draw_volume(alpha: float = 0.5, slope: float = 0.0):
    r"""R = [-1, 1]² and its image under ``affine_coupling_2d`` with α(z₁) = ``alpha`` + ``slope`` · z₁,
    with the measured and predicted areas; right: det J = exp(α(z₁)) across R."""
    a, b = float(alpha), float(slope)
    measured, predicted = image_area(a, b)
    region_area = (REGION[1] - REGION[0]) * (REGION[3] - REGION[2])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [0.75, 1]})
    boundary = square_boundary(REGION, 60)
    _polygon(ax, boundary.numpy(), color="C2", alpha=0.35, label="R (z)")
    _polygon(ax, affine_coupling_2d(boundary, a, b).numpy(), color="C1", alpha=0.45, label="f(R) (x)")
    t = torch.linspace(-1, 1, 40, dtype=torch.float64)
    for k in torch.linspace(-1, 1, 7, dtype=torch.float64):
        for line in (torch.stack([t, k.expand(40)], 1), torch.stack([k.expand(40), t], 1)):
            ax.plot(*affine_coupling_2d(line, a, b).numpy().T, color="C1", lw=0.5)
    ax.set(xlim=(-1.5, 1.5), ylim=(-4.2, 4.2), aspect="equal", xlabel="z₁, x₁",
           title=f"x₂ = z₂ exp({a:+.2f} {b:+.2f} z₁) + 0.6 sin 2z₁")
    ax.legend(loc="lower right", fontsize=7)
    z1 = np.linspace(-1, 1, 100)
    det = np.exp(a + b * z1)
    ax2.plot(z1, det, color="C1", label="det J = exp(α(z₁))")
    ax2.axhline(measured / region_area, color="C3", ls="--", lw=1, label="area f(R) / area R (shoelace)")
    ax2.axhline(1.0, color="0.5", lw=0.7, label="1: volume preserving (NICE)")
    ax2.set(xlabel="z₁", ylim=(0, max(3.0, 1.1 * float(det.max()))), title="the local volume change across R")
    ax2.legend(loc="upper left", fontsize=7)
    for axis in (ax, ax2):
        axis.title.set_fontsize(9)
    lines = (f"area f(R) by shoelace = {measured:.3f}     ∫ over R of exp(α(z₁)) dz = {predicted:.3f}     "
             f"exp(a) · area R = {math.exp(a) * region_area:.3f}" + ("" if b == 0 else " (b ≠ 0: α varies, so this differs)"))
    fig.suptitle(lines, fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.11, top=0.88, wspace=0.15)
    return sparse_ticks(fig)


def _volume_sliders():
    return {"alpha": ipywidgets.FloatSlider(value=0.5, min=-1.5, max=1.5, step=0.05, description="a"),
            "slope": ipywidgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.05, description="b")}


VOLUME = Demo(draw_volume, _volume_sliders, special=({"alpha": 0.0, "slope": 0.0}, {"alpha": -1.5, "slope": 1.0}))

# ---------------------------------------------------------------------------------------------
# PROPAGATION: the slides' forward / inverse figure, from a real layer's μ_θ and α_θ
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def propagation_values(layer: AffineCoupling, z) -> dict:
    r"""Every intermediate value of one ``AffineCoupling`` step on one point ``z`` (n,), both directions.

    Returns a dict of 1-D tensors (and index tensors ``kept``, ``changed``):
    forward: ``z``, ``alpha`` = α_θ(z_{1:d}), ``mu`` = μ_θ(z_{1:d}), ``scaled`` = z ⊙ exp(α_θ), ``x`` = scaled + μ_θ;
    inverse: ``alpha_inv`` = α_θ(x_{1:d}), ``mu_inv`` = μ_θ(x_{1:d}), ``shifted`` = x - μ_θ, ``z_back`` = shifted ⊙ exp(-α_θ).
    α and μ are those of the changed coordinates z_{d+1:n}; ``x`` and ``z_back`` are what the layer's
    own ``forward`` and ``inverse`` return.
    """
    if not isinstance(layer, AffineCoupling):
        raise TypeError(f"propagation_values: expected an AffineCoupling layer, got {type(layer).__name__}")
    param = next(layer.parameters())
    z = torch.as_tensor(z, dtype=param.dtype, device=param.device).reshape(1, -1)
    check_points(z, layer.dim, "propagation_values", "z")
    kept, changed = layer.mask.bool().nonzero().squeeze(1), (~layer.mask.bool()).nonzero().squeeze(1)
    mu, alpha = layer.mu_alpha(z * layer.mask)
    x = layer(z)[0]
    mu_inv, alpha_inv = layer.mu_alpha(x * layer.mask)
    shifted = x - mu_inv
    z_back = layer.inverse(x)[0]
    pick = lambda t: t[0, changed].cpu()  # the changed coordinates of a (1, n) tensor
    return {"kept": kept.cpu(), "changed": changed.cpu(), "z": z[0].cpu(), "x": x[0].cpu(), "z_back": z_back[0].cpu(),
            "alpha": pick(alpha), "mu": pick(mu), "scaled": pick(z * alpha.exp()),
            "alpha_inv": pick(alpha_inv), "mu_inv": pick(mu_inv), "shifted": pick(shifted)}


def _fmt(t: torch.Tensor) -> str:
    values = [f"{float(v):+.2f}" for v in t.reshape(-1)]
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


_SUBSCRIPTS = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")


def _name(letter: str, idx: torch.Tensor) -> str:
    return letter + ",".join(str(int(i) + 1) for i in idx).translate(_SUBSCRIPTS)  # 1-based, as on the slides


def _node(ax, xy, text, color="white"):
    return ax.text(*xy, text, ha="center", va="center", fontsize=8,
                   bbox={"boxstyle": "round,pad=0.35", "facecolor": color, "edgecolor": "0.3"})


def _arrow(ax, source, target, side=("right", "left"), label=None, color="0.2", below=False):
    # Anchored to the boxes' own outlines, so an arrow starts and ends at a box's edge whatever its size.
    anchors = {"right": (1.0, 0.5), "left": (0.0, 0.5), "bottom": (0.5, 0.0), "top": (0.5, 1.0)}
    ax.annotate("", xy=anchors[side[1]], xycoords=target, xytext=anchors[side[0]], textcoords=source,
                arrowprops={"arrowstyle": "->", "color": color, "lw": 1.1, "shrinkA": 1, "shrinkB": 1})
    if label:
        (x0, y0), (x1, y1) = source.get_position(), target.get_position()
        y = (y0 + y1) / 2 + (-0.42 if below else 0.12)
        ax.text((x0 + x1) / 2, y, label, ha="center", va="top" if below else "bottom", fontsize=7, color=color)


_A, _M = "α", "μ"  # plain text: mathtext (α_θ) costs more to lay out than all the rest of the figure


def _graph(ax, v: dict, inverse: bool):
    a, m = (v["alpha_inv"], v["mu_inv"]) if inverse else (v["alpha"], v["mu"])
    src, dst = (v["x"], v["z_back"]) if inverse else (v["z"], v["x"])
    s, d = ("x", "z") if inverse else ("z", "x")
    k, c = v["kept"], v["changed"]
    top, middle, bottom = 3.3, 2.0, 0.5
    src_kept = _node(ax, (0.9, top), f"{_name(s, k)} = {_fmt(src[k])}", "#d9ead3")
    dst_kept = _node(ax, (9.1, top), f"{_name(d, k)} = {_fmt(dst[k])}", "#fce5cd")
    _arrow(ax, src_kept, dst_kept, label="identity")
    net = _node(ax, (2.5, middle), f"network of {_name(s, k)}\n{_A} = {_fmt(a)}\n{_M} = {_fmt(m)}", "#cfe2f3")
    _arrow(ax, src_kept, net, ("bottom", "top"))
    src_changed = _node(ax, (0.9, bottom), f"{_name(s, c)} = {_fmt(src[c])}", "#d9ead3")
    if inverse:
        first = _node(ax, (4.5, bottom), f"− {_M}\n{_M} = {_fmt(m)}")
        second = _node(ax, (7.0, bottom), f"⊙ exp(−{_A})\nexp(−{_A}) = {_fmt((-a).exp())}")
        between, first_input, second_input = v["shifted"], _M, _A
    else:
        first = _node(ax, (4.5, bottom), f"⊙ exp({_A})\nexp({_A}) = {_fmt(a.exp())}")
        second = _node(ax, (7.0, bottom), f"+ {_M}\n{_M} = {_fmt(m)}")
        between, first_input, second_input = v["scaled"], _A, _M
    dst_changed = _node(ax, (9.1, bottom), f"{_name(d, c)} = {_fmt(dst[c])}", "#fce5cd")
    _arrow(ax, src_changed, first)
    _arrow(ax, first, second, label=_fmt(between), below=True)
    _arrow(ax, second, dst_changed)
    _arrow(ax, net, first, ("bottom", "top"), color="C0")
    _arrow(ax, net, second, ("right", "top"), color="C0")
    ax.text(3.3, 1.15, first_input, fontsize=7, color="C0")
    ax.text(5.4, 1.75, second_input, fontsize=7, color="C0")
    ax.set(xlim=(-0.4, 10.4), ylim=(-0.2, 3.8), xticks=[], yticks=[])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("(b) inverse propagation x ↦ z" if inverse else "(a) forward propagation z ↦ x", fontsize=9)


@torch.no_grad()
def _plane(ax, layer: AffineCoupling, v: dict, half: float = 0.4):
    k, c = int(v["kept"][0]), int(v["changed"][0])
    param = next(layer.parameters())
    centre = v["z"].to(param)
    box = square_boundary((-half, half, -half, half), 25, dtype=param.dtype).to(param.device)
    pts = centre.expand(len(box), -1).clone()
    pts[:, k] += box[:, 0]
    pts[:, c] += box[:, 1]
    mu, alpha = layer.mu_alpha(pts * layer.mask)
    scaled, image = pts * alpha.exp(), pts * alpha.exp() + mu  # image = the layer's forward of the box
    for shape, style, label in ((pts, dict(color="C2", alpha=0.35), "box around z"),
                                (scaled, dict(color="C0", alpha=0.2), f"⊙ exp({_A})"),
                                (image, dict(color="C1", alpha=0.45), f"+ {_M}: f(box)")):
        _polygon(ax, shape[:, [k, c]].cpu().numpy(), label=label, **style)
    zk, zc = float(v["z"][k]), float(v["z"][c])
    sc, xc = float(v["scaled"][0]), float(v["x"][c])
    ax.annotate("", (zk, sc), (zk, zc), arrowprops={"arrowstyle": "->", "color": "C0", "lw": 1.3})
    ax.annotate("", (zk, xc), (zk, sc), arrowprops={"arrowstyle": "->", "color": "C1", "lw": 1.3})
    ax.plot([zk], [zc], "o", color="C2", ms=4)
    ax.plot([zk], [xc], "o", color="C1", ms=4)
    ratio = abs(shoelace_area(image[:, [k, c]].cpu().numpy())) / (2 * half) ** 2
    ax.set_title(f"area f(box) / area box = {ratio:.3f}\nexp({_A}(z)) = {float(v['alpha'][0].exp()):.3f}", fontsize=9)
    ax.set(xlabel=f"kept coordinate {k + 1}", ylabel=f"changed coordinate {c + 1}", aspect="equal")
    ax.legend(loc="lower left", fontsize=6)
    ys = torch.cat([pts[:, c], scaled[:, c], image[:, c]]).cpu()
    lo, hi = float(ys.min()) - 0.3, float(ys.max()) + 0.3
    ax.set(ylim=(lo, hi), xlim=(zk - (hi - lo) / 2, zk + (hi - lo) / 2))


def draw_propagation(layer: AffineCoupling, z1: float = 0.5, z2: float = -1.0):
    r"""The slides' forward and inverse propagation figure for a real 2-D ``AffineCoupling`` at z = (z₁, z₂).

    (a) forward: the kept coordinate passes unchanged and feeds the network; the changed one is
    multiplied by exp(α_θ) and shifted by μ_θ. (b) inverse, from the x that (a) produced: shift back,
    divide by exp(α_θ); the network sees x_{1:d} = z_{1:d}, so it returns the same α_θ and μ_θ.
    (c) the same step in the plane. Every number is computed by the layer (``propagation_values``).
    """
    if layer.dim != 2:
        raise ValueError(f"draw_propagation: expected a 2-D AffineCoupling, got dim={layer.dim}")
    v = propagation_values(layer, [float(z1), float(z2)])
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), gridspec_kw={"width_ratios": [1.25, 1.25, 0.8]})
    _graph(axes[0], v, inverse=False)
    _graph(axes[1], v, inverse=True)
    _plane(axes[2], layer, v)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.13, top=0.86, wspace=0.08)
    return sparse_ticks(fig)


def _propagation_sliders():
    return {"z1": ipywidgets.FloatSlider(value=0.5, min=-3.0, max=3.0, step=0.1, description="z₁"),
            "z2": ipywidgets.FloatSlider(value=-1.0, min=-3.0, max=3.0, step=0.1, description="z₂")}


def _propagation_example():
    layer = AffineCoupling(2, hidden=(16,))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # a new layer is the identity (zero last layer): move it to see something
        for p in layer.parameters():
            p.add_(0.5 * torch.randn(p.shape, generator=g))
    return (layer,)


PROPAGATION = Demo(draw_propagation, _propagation_sliders, special=({"z1": 0.0, "z2": 0.0},), example_state=_propagation_example)

# ---------------------------------------------------------------------------------------------
# LAYERS: a trained flow step by step
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def layer_steps(flow, z: torch.Tensor, bounds=(-3.0, 3.0, -3.0, 3.0), lines: int = 13, points: int = 60):
    r"""The points and a square grid after every layer of a 2-D ``flow``, for ``draw_layers``.

    Returns ``(samples, grids, names)``: K + 1 arrays (B, 2) from ``flow.forward_steps(z)``; K + 1
    arrays (2 · lines, points, 2), the grid lines of ``bounds`` carried the same way; and K + 1 titles.
    """
    check_points(z, 2, "layer_steps", "z")
    t = torch.linspace(0, 1, points, dtype=z.dtype, device=z.device)
    x0, x1, y0, y1 = bounds
    rows = []
    for k in torch.linspace(0, 1, lines, dtype=z.dtype, device=z.device):
        rows.append(torch.stack([x0 + t * (x1 - x0), (y0 + k * (y1 - y0)).expand(points)], 1))
        rows.append(torch.stack([(x0 + k * (x1 - x0)).expand(points), y0 + t * (y1 - y0)], 1))
    grid = torch.cat(rows)  # (2 · lines · points, 2)
    samples = [s.cpu().numpy() for s in flow.forward_steps(z)]
    grids = [g.reshape(2 * lines, points, 2).cpu().numpy() for g in flow.forward_steps(grid)]
    names = ["z ~ N(0, I)"] + [f"after layer {i + 1}: {type(layer).__name__}"
                               + (f" (keeps coordinate {int(layer.mask.argmax()) + 1})" if hasattr(layer, "mask") else "")
                               for i, layer in enumerate(flow.layers)]
    return samples, grids, names


def draw_layers(samples, grids, names, data, step: int = TOY_LAYERS):
    r"""Step ``step`` of a flow (0 = the base samples z): samples coloured by the angle of z, over the
    data in grey; and the image of a square grid. State from ``layer_steps`` plus the data (N, 2)."""
    k = min(max(int(step), 0), len(samples) - 1)
    bounds = TOY_BOUNDS
    z = samples[0]
    hue = (np.arctan2(z[:, 1], z[:, 0]) + np.pi) / (2 * np.pi)
    data = torch.as_tensor(data).detach().cpu().numpy()[:2000]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.5, 4.2))
    ax1.scatter(data[:, 0], data[:, 1], s=2, color="0.8", linewidths=0)
    ax1.scatter(samples[k][:, 0], samples[k][:, 1], s=3, c=hue, cmap="hsv", linewidths=0)
    for line in grids[k]:
        ax2.plot(line[:, 0], line[:, 1], color="C0", lw=0.6)
    for ax, title in ((ax1, "samples (colour: angle of z)"), (ax2, "a square grid of z, carried along")):
        ax.set(xlim=bounds[:2], ylim=bounds[2:], aspect="equal", title=title)
        ax.title.set_fontsize(9)
    fig.suptitle(f"step {k} of {len(samples) - 1}: {names[k]}", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.86, wspace=0.15)
    return sparse_ticks(fig)


def _layers_sliders():
    return {"step": ipywidgets.IntSlider(value=TOY_LAYERS, min=0, max=TOY_LAYERS, step=1, description="layer")}


def _layers_example():
    g = torch.Generator().manual_seed(0)
    flow = make_realnvp(2, layers=TOY_LAYERS, hidden=(8,))
    samples, grids, names = layer_steps(flow, torch.randn(500, 2, generator=g))
    return samples, grids, names, torch.randn(500, 2, generator=g)


LAYERS = Demo(draw_layers, _layers_sliders, special=({"step": 1},), example_state=_layers_example)
