r"""Notebook 02, Jacobians: its slider demos, the example map they draw, and Jacobians of flowlib layers.

Slides "Jacobian matrix" and "Learning and inference" (the cost of a determinant, triangular Jacobians).

- The example map f = g₂ ∘ g₁ of the plane, with k = 0.8 and s = 0.5 (``example_map``):
      g₁: y₁ = z₁,  y₂ = z₂ e^{s z₁}          g₂: x₁ = y₁ + k sin(y₂),  x₂ = y₂
  so x = (z₁ + k sin(z₂ e^{s z₁}), z₂ e^{s z₁}); its inverse ``example_map_inverse``, its Jacobian
  ∂x/∂z written out by hand (``example_jacobian``), det J = e^{s z₁}.
- ``LOCAL_AREA`` (``LocalAreaView``): a square of side ε around z₀ and its image under f, next to the
  parallelogram f(z₀) + J(z₀)(square - z₀), both seen through a microscope of magnification 1/ε;
  area(f(square)) / ε² tends to |det J(z₀)| as ε shrinks (``flowlib.image_area``).
- ``TRIANGULAR`` (``TriangularView``): precomputed Jacobians ∂x/∂z of flowlib layers (``make_layers``,
  ``layer_jacobians``) as heat maps: zeros above the diagonal for couplings and autoregressive layers, so
  log|det J| = Σᵢ log|J_ii|; a stack of couplings is not triangular, yet its log-det is the sum of its layers'.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import image_area, shoelace_area, square_boundary
from ...plotting import grid_lines, nan_joined, sparse_ticks
from ..demo import Demo
from ..view import View, clamped_index, number, padded
from .maths import LAYER_NAMES, example_jacobian, example_map, layer_jacobians, make_layers

__all__ = ["LocalAreaView", "LOCAL_AREA", "POINTS", "TriangularView", "TRIANGULAR"]


# ---------------------------------------------------------------------------------------------
# The example map, and what |det J| means locally
# ---------------------------------------------------------------------------------------------


_EPS_CURVE = np.geomspace(0.01, 1.5, 24)
# The panels are drawn in units of ε around z₀ and around f(z₀), u = (z - z₀)/ε and (x - f(z₀))/ε, so that
# their limits (the stage) stay fixed: in these units the square is always the same, its image tends to
# J(z₀) u as ε shrinks and has area area(f(□))/ε². Limits cover the whole slider range: the image of the
# square stays within |u₁| < 2, |u₂| < 2.6 and the error curves within [4.9e-7, 0.051] for z₀ ∈ [-1.5, 1.5]².
# The half-widths (horizontal, vertical) of the first two panels: 3.5% wider than tall, like each
# panel's 3.19 x 3.08 inch slot, which they then fill at equal aspect.
_Z_HALF, _X_HALF, _ERROR_LIM = (1.71, 1.65), (2.85, 2.75), (2e-7, 0.15)


class LocalAreaView(View):
    r"""Three panels: the square of side ε around z₀; its image under f beside the parallelogram
    f(z₀) + J(z₀)(square - z₀); |area(f(square))/ε² - |det J(z₀)|| against ε, the current ε marked.

    The first two panels are a microscope of magnification 1/ε: they show u = (z - z₀)/ε and
    (x - f(z₀))/ε, so the square is always [-½, ½]², the parallelogram is J(z₀)[-½, ½]², and the orange
    image, whose area there is area(f(□))/ε², closes in on it as ε shrinks. No state: the map is ``example_map``.
    """

    def __init__(self):
        self.fig = fig = self.figure(figsize=(12, 3.9))
        axes = fig.subplots(1, 3)
        # the microscope's faint grid in units of ε: 13 lines each way over [-1.5, 1.5] (step ε/4), as one polyline
        self.grid_u = torch.as_tensor(nan_joined(grid_lines((-1.5, 1.5, -1.5, 1.5), 13, 24)))
        self.square_u = square_boundary((0.0, 0.0), [1.0])[0]  # the unit square, (256, 2): image_area's n = 64
        self.corners_u = torch.tensor([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]], dtype=torch.float64)

        # the left panel is the same at every ε and z₀ (only its title changes), and disappears when ε <= 0
        self.square = [self.dynamic(axes[0].plot(*self.grid_u.numpy().T, color="0.8", lw=0.6)[0]),
                       self.dynamic(axes[0].fill(*self.square_u.numpy().T, color="C2", alpha=0.7)[0]),
                       self.dynamic(axes[0].plot([0.0], [0.0], "k.", ms=4)[0])]
        axes[0].set_title(" ")
        self.title = self.numbers(axes[0].title, "square of side ε = {eps} around z₀ = ({z0_1}, {z0_2})",
                                  eps="0.00", z0_1="+0.0", z0_2="+0.0")
        axes[0].set(aspect="equal", xlim=(-_Z_HALF[0], _Z_HALF[0]), ylim=(-_Z_HALF[1], _Z_HALF[1]),
                    xlabel="(z₁ − z₀₁) / ε", ylabel="(z₂ − z₀₂) / ε")

        self.grid_x = self.dynamic(axes[1].plot([], [], color="0.8", lw=0.6)[0])
        self.image = self.dynamic(axes[1].fill(*self.square_u.numpy().T, color="C1", alpha=0.7, label="f(square)")[0])
        self.tangent = self.dynamic(axes[1].plot([], [], color="k", lw=1, ls="--", label="f(z₀) + J(z₀)(square − z₀)")[0])
        axes[1].set(aspect="equal", xlim=(-_X_HALF[0], _X_HALF[0]), ylim=(-_X_HALF[1], _X_HALF[1]),
                    title="its image under f (zoomed alike)", xlabel="(x₁ − f₁(z₀)) / ε", ylabel="(x₂ − f₂(z₀)) / ε")
        # The box of numbers is stage: its words, with blanks as wide as "0.0000" (figure and punctuation
        # spaces) where the numbers go, right-aligned, and the numbers alone over the blanks (dynamic).
        blank = "\u2007\u2008\u2007\u2007\u2007\u2007"
        words = axes[1].text(0.02, 0.98, f"area f(□) / ε² = {blank}\n|det J(z₀)| = e^(s z₀₁) = {blank}",
                             transform=axes[1].transAxes, va="top", multialignment="right", fontsize=8,
                             bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
        self.numbers = self.dynamic(axes[1].annotate("", (1, 1), xycoords=words, ha="right", va="top", fontsize=8))
        legends = [axes[1].legend(loc="lower right", fontsize=7)]
        for ax in axes[:2]:
            ax.title.set_fontsize(9)

        axes[2].set(xscale="log", yscale="log", xlim=(_EPS_CURVE[0] / 1.3, _EPS_CURVE[-1] * 1.3), ylim=_ERROR_LIM,
                    xlabel="ε", title="the ratio converges to |det J(z₀)|")
        self.errors = self.dynamic(axes[2].plot(_EPS_CURVE, _EPS_CURVE, "o-", ms=3, label="|area/ε² − |det J||")[0])
        self.reference = self.dynamic(axes[2].plot(_EPS_CURVE, _EPS_CURVE, color="0.6", ls=":", label="∝ ε²")[0])
        self.marker = self.dynamic(axes[2].axvline(1.0, color="C3", lw=1))
        legends.append(axes[2].legend(loc="upper left", fontsize=7))
        for ax in axes[1:]:  # the frames over the data that reach the edges, as before
            for spine in ax.spines.values():
                self.dynamic(spine)
        # shown instead of everything else when ε <= 0 (a still picture's argument: the slider stops at 0.02)
        self.messages = [self.dynamic(ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", color="C3")) for ax in axes]
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.92, wspace=0.25)  # room for "−1.5" tick labels
        sparse_ticks(fig)  # also: no minor ticks on the log axes, decades as plain text
        # Legends and the box of numbers are stage, yet belong over the data, which is painted after the
        # stage: the data are clipped out of their boxes instead (a legend text would cost 5-10 ms a redraw).
        renderer = fig.canvas.get_renderer()
        words.update_bbox_position_size(renderer)
        self.keep_clear(axes[1], [words.get_bbox_patch(), legends[0]], [self.grid_x, self.image, self.tangent])
        self.keep_clear(axes[2], [legends[1]], [self.errors, self.reference, self.marker])
        self.boxes = [words, *legends]  # stage, shown only for a valid ε: one stage for each case

    def update(self, z0_1: float = 0.5, z0_2: float = 1.0, eps: float = 0.5) -> None:
        eps = float(eps)
        valid = eps > 0  # False for NaN too
        for artist in (*self.square, self.grid_x, self.image, self.tangent, self.numbers,
                       self.errors, self.reference, self.marker, *self.boxes):
            artist.set_visible(valid)
        self.restage(valid)
        for message in self.messages:
            message.set_text("" if valid else f"ε must be positive, got {eps}")
            message.set_visible(not valid)
        self.title.set_visible(valid)  # its words are stage: one stage for each case
        if not valid:
            return
        self.title.set(eps=number(eps, "{:.2f}"), z0_1=number(z0_1, "{:+.1f}"), z0_2=number(z0_2, "{:+.1f}"))
        z0 = torch.tensor([[float(z0_1), float(z0_2)]], dtype=torch.float64)
        jac = example_jacobian(z0)[0]
        det = float(torch.linalg.det(jac))
        # (f(z₀ + ε u) - f(z₀)) / ε, the image in the microscope's units, of z₀, the grid and the square at once
        # (one call of the map: each torch call on these small batches costs more than its arithmetic)
        x = example_map(torch.cat([z0, z0 + eps * self.grid_u, z0 + eps * self.square_u]))
        zoomed = ((x[1:] - x[:1]) / eps).numpy()
        grid_x, image = zoomed[:len(self.grid_u)], zoomed[len(self.grid_u):]
        ratio = shoelace_area(image)  # = image_area(z₀, ε) / ε², the same 4n-gon scaled by 1/ε

        self.grid_x.set_data(*grid_x.T)
        self.image.set_xy(image)
        self.tangent.set_data(*(self.corners_u @ jac.T).numpy().T)  # (f(z₀) + J(z₀) ε u - f(z₀)) / ε = J(z₀) u
        self.numbers.set_text(f"{ratio:.4f}\n{abs(det):.4f}")  # area f(□) / ε², |det J(z₀)| = e^(s z₀₁)
        areas = image_area(example_map, z0[0], _EPS_CURVE, n=32)  # torch on one thread here: Demo runs every update so
        errors = np.abs(areas / _EPS_CURVE**2 - abs(det))
        self.errors.set_ydata(errors)
        self.reference.set_ydata(errors[-1] * (_EPS_CURVE / _EPS_CURVE[-1]) ** 2)
        self.marker.set_xdata([eps, eps])


def _local_area_sliders():
    import ipywidgets as w

    return {
        "z0_1": w.FloatSlider(value=0.5, min=-1.5, max=1.5, step=0.1, description="z₀ (1)"),
        "z0_2": w.FloatSlider(value=1.0, min=-1.5, max=1.5, step=0.1, description="z₀ (2)"),
        "eps": w.FloatSlider(value=0.5, min=0.02, max=1.5, step=0.02, description="ε"),
    }


LOCAL_AREA = Demo(LocalAreaView, _local_area_sliders, special=({"eps": 0.02, "z0_1": -1.5, "z0_2": 1.5},))

# ---------------------------------------------------------------------------------------------
# Triangular Jacobians of flowlib layers
# ---------------------------------------------------------------------------------------------

POINTS = 8  # the number of points z at which the notebook evaluates each Jacobian


# TRIANGULAR's box, one monospace text: every number right-aligned in 9 characters, so that the numbers
# line up and the box keeps its size at every point
_TRIANGULAR_BOX = ("max |J_ij| above the diagonal: {above}\n"
                   "log|det J| by slogdet (O(n³)): {slogdet}\n"
                   "Σᵢ log|J_ii| (O(n)):           {diagonal}\n"
                   "log_det returned by the layer: {log_det}\n\n")  # and the verdict
# monospace: any 10 characters fill a field (a log-det up to ±999.99999)
_TRIANGULAR_FORMATS = {"above": "{:10.2g}", "slogdet": "{:+10.5f}", "diagonal": "{:+10.5f}", "log_det": "{:+10.5f}"}
_TRIANGULAR_VERDICTS = {True: "lower triangular: det J = Π J_ii",
                        False: "not triangular: Σ log|J_ii| is not log|det J|;\nthe stack's log_det is the sum of its\n"
                               "layers' log_dets, each from a triangular J"}


class TriangularView(View):
    r"""The Jacobian ∂x/∂z of ``layer`` at point number ``point`` as a heat map (zero: white), and the
    numbers: its entries above the diagonal, log|det J| from slogdet, from the diagonal, from the layer.

    State: ``jacobians``, ``{name: (J (P, D, D), log_det (P,))}`` as ``layer_jacobians`` returns; a
    ``point`` beyond the P points is clamped to the last one, a ``layer`` not in the state gets a message.
    The axes and ticks are stage, one per size D; the box of words and numbers is one dynamic text, rewritten
    at every move (a redraw takes about 21 ms on the 2-core machine, where the goal is 100 ms).
    """

    def __init__(self, jacobians: dict):
        self.jacobians = jacobians
        self.fig = fig = self.figure(figsize=(8.5, 3.8))
        self.ax, info = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})
        info.axis("off")
        first = next(iter(jacobians.values()), (torch.zeros(1, 1, 1),))[0][0]
        # "nearest": the same pixels as the default here (each entry is many pixels wide), drawn faster
        self.image = self.dynamic(self.ax.imshow(first.double().numpy(), cmap="RdBu_r", vmin=-1, vmax=1,
                                                 interpolation="nearest"))
        self.ax.set(xlabel="j (input z_j)", ylabel="i (output x_i)")
        self.ax.set_title(" ")
        # the words are stage (one stage for each layer and verdict), only the numbers dynamic (View.numbers)
        self.last = max((len(jac) - 1 for jac, _ in jacobians.values()), default=0)
        self.titles = {name: self.numbers(self.ax.title, f"{name}: ∂x/∂z at point {{k}}", k=padded(0, self.last))
                       for name in jacobians}
        self.boxes = {triangular: self.numbers(info.text(0, 0.5, " ", va="center", family="monospace", fontsize=8),
                                               _TRIANGULAR_BOX + verdict, **dict.fromkeys(_TRIANGULAR_FORMATS, "0" * 10))
                      for triangular, verdict in _TRIANGULAR_VERDICTS.items()}
        self.missing = self.dynamic(info.text(0, 0.5, "", color="C3"))
        self.frame = [self.dynamic(spine) for spine in self.ax.spines.values()]  # over the heat map, as before
        fig.subplots_adjust(left=0.08, right=0.99, bottom=0.13, top=0.9, wspace=0.1)

    def update(self, layer: str = "AffineCoupling", point: int = 0) -> None:
        present = layer in self.jacobians
        for artist in (self.image, *self.frame):
            artist.set_visible(present)
        self.missing.set_visible(not present)
        for numbers in (*self.titles.values(), *self.boxes.values()):
            numbers.set_visible(False)  # the one of this layer and verdict is shown below
        if not present:
            self.missing.set_text(f"no Jacobians for {layer!r} in this state;\nit has {sorted(self.jacobians)}")
            self.ax.axis("off")
            self.restage("no layer")
            return
        jac, log_det = self.jacobians[layer]
        k = clamped_index(point, len(jac))
        j = jac[k].double().numpy()  # numpy: torch wakes its thread pool even for a 6 x 6 triu (10 ms, busy machine)
        n = len(j)
        self.ax.axis("on")  # the stage: ticks for the size n
        self.ax.set(xticks=range(n), yticks=range(n), xlim=(-0.5, n - 0.5), ylim=(n - 0.5, -0.5))
        lim = max(float(np.abs(j).max()), 1e-12)
        self.image.set_data(j)
        self.image.set_extent((-0.5, n - 0.5, n - 0.5, -0.5))
        self.image.set_clim(-lim, lim)
        above = float(np.abs(np.triu(j, 1)).max(initial=0.0))
        values = {"above": above, "slogdet": float(np.linalg.slogdet(j)[1]),
                  "diagonal": float(np.log(np.abs(np.diagonal(j))).sum()), "log_det": float(log_det[k])}
        title, box = self.titles[layer], self.boxes[above == 0]
        title.set_visible(True)
        box.set_visible(True)
        self.restage((layer, above == 0))  # the words shown: the layer's name, the verdict
        title.set(k=padded(k, self.last))
        box.set(**{name: _TRIANGULAR_FORMATS[name].format(value) for name, value in values.items()})


def _triangular_sliders():
    import ipywidgets as w

    return {
        "layer": w.Dropdown(options=list(LAYER_NAMES), value="AffineCoupling", description="layer"),
        "point": w.IntSlider(value=0, min=0, max=POINTS - 1, step=1, description="point"),
    }


def _triangular_example_state():
    layers = make_layers(dim=4, hidden=(8,))
    z = torch.randn(POINTS, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    return (layer_jacobians(layers, z),)


TRIANGULAR = Demo(TriangularView, _triangular_sliders, example_state=_triangular_example_state)
