r"""Notebook 02, Jacobians: its slider demos, the example map they draw, and Jacobians of flowlib layers.

Slides "Jacobian matrix" and "Learning and inference" (the cost of a determinant, triangular Jacobians).

- The example map f = g₂ ∘ g₁ of the plane, with k = 0.8 and s = 0.5 (``example_map``):
      g₁: y₁ = z₁,  y₂ = z₂ e^{s z₁}          g₂: x₁ = y₁ + k sin(y₂),  x₂ = y₂
  so x = (z₁ + k sin(z₂ e^{s z₁}), z₂ e^{s z₁}); its inverse ``example_map_inverse``, its Jacobian
  ∂x/∂z written out by hand (``example_jacobian``), det J = e^{s z₁}.
- ``LOCAL_AREA``: a square of side ε around z₀ and its image under f, next to the parallelogram
  f(z₀) + J(z₀)(square - z₀); area(f(square)) / ε² tends to |det J(z₀)| as ε shrinks (``image_area``).
- ``TRIANGULAR``: precomputed Jacobians ∂x/∂z of flowlib layers (``make_layers``, ``layer_jacobians``)
  as heat maps: zeros above the diagonal for couplings and autoregressive layers, so
  log|det J| = Σᵢ log|J_ii|; a stack of couplings is not triangular, yet its log-det is the sum of its layers'.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .._validate import check_points
from ..autoregressive import IAF, MAF
from ..checks import jacobian
from ..models import make_realnvp
from ..nice import AdditiveCoupling
from ..plotting import sparse_ticks
from ..realnvp import AffineCoupling
from . import Demo
from .change_of_variables import shoelace_area

__all__ = ["K", "S", "example_map", "example_map_inverse", "example_jacobian", "square_boundary", "image_area",
           "draw_local_area", "LOCAL_AREA", "LAYER_NAMES", "POINTS", "make_layers", "layer_jacobians",
           "draw_triangular", "TRIANGULAR"]

K, S = 0.8, 0.5  # the example map's bend k and log-scale rate s

# ---------------------------------------------------------------------------------------------
# The example map, and what |det J| means locally
# ---------------------------------------------------------------------------------------------


def example_map(z: torch.Tensor) -> torch.Tensor:
    r"""x = f(z) = (z₁ + k sin(z₂ e^{s z₁}), z₂ e^{s z₁}) for a batch z of shape (B, 2); returns (B, 2).

    >>> example_map(torch.zeros(1, 2))
    tensor([[0., 0.]])
    """
    check_points(z, 2, "example_map", "z")
    y2 = z[:, 1] * torch.exp(S * z[:, 0])  # g₁
    return torch.stack([z[:, 0] + K * torch.sin(y2), y2], 1)  # g₂


def example_map_inverse(x: torch.Tensor) -> torch.Tensor:
    r"""z = f⁻¹(x): undo g₂ (z₁ = x₁ - k sin(x₂)), then g₁ (z₂ = x₂ e^{-s z₁}); shape (B, 2)."""
    check_points(x, 2, "example_map_inverse", "x")
    z1 = x[:, 0] - K * torch.sin(x[:, 1])
    return torch.stack([z1, x[:, 1] * torch.exp(-S * z1)], 1)


def example_jacobian(z: torch.Tensor) -> torch.Tensor:
    r"""∂x/∂z of ``example_map`` by hand, shape (B, 2, 2); with y₂ = z₂ e^{s z₁} and c = k cos(y₂):

        J = [[1 + c s y₂,  c e^{s z₁}],
             [s y₂,        e^{s z₁}  ]],      det J = e^{s z₁}.
    """
    check_points(z, 2, "example_jacobian", "z")
    e = torch.exp(S * z[:, 0])
    y2 = z[:, 1] * e
    c = K * torch.cos(y2)
    return torch.stack([torch.stack([1 + c * S * y2, c * e], -1), torch.stack([S * y2, e], -1)], -2)


def square_boundary(z0, eps, n: int = 64) -> torch.Tensor:
    r"""Points around the square of side ε centred at z₀, counter-clockwise, n per side: shape (E, 4n, 2)
    for a vector of E sizes ``eps`` (float64)."""
    z0 = torch.as_tensor(z0, dtype=torch.float64).reshape(1, 1, 2)
    eps = torch.as_tensor(eps, dtype=torch.float64).reshape(-1, 1, 1)
    t = torch.linspace(-0.5, 0.5, n + 1, dtype=torch.float64)[:-1]
    half = torch.full_like(t, 0.5)
    sides = [torch.stack(p, 1) for p in ((t, -half), (half, t), (-t, half), (-half, -t))]  # bottom, right, top, left
    return z0 + eps * torch.cat(sides)[None]


def image_area(z0, eps, n: int = 64) -> np.ndarray:
    r"""The area of f(square of side ε around z₀), one per entry of ``eps``: shoelace formula on the mapped
    boundary (4n points). f(z₀) is subtracted first so that tiny areas keep their digits."""
    boundary = square_boundary(z0, eps, n)  # (E, 4n, 2)
    x = example_map(boundary.reshape(-1, 2)).reshape(boundary.shape)
    centre = example_map(torch.as_tensor(z0, dtype=torch.float64).reshape(1, 2))
    return np.atleast_1d(shoelace_area((x - centre).numpy()))


_EPS_CURVE = np.geomspace(0.01, 1.5, 24)


def draw_local_area(z0_1: float = 0.5, z0_2: float = 1.0, eps: float = 0.5):
    r"""Three panels: the square of side ε around z₀; its image under f beside the parallelogram
    f(z₀) + J(z₀)(square - z₀); |area(f(square))/ε² - |det J(z₀)|| against ε, the current ε marked."""
    eps = float(eps)
    z0 = torch.tensor([[float(z0_1), float(z0_2)]], dtype=torch.float64)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.9))
    if not eps > 0:
        for ax in axes:
            ax.text(0.5, 0.5, f"ε must be positive, got {eps}", transform=ax.transAxes, ha="center", color="C3")
        return fig
    det = float(torch.linalg.det(example_jacobian(z0))[0])
    ratio = float(image_area(z0[0], [eps])[0]) / eps**2

    # a microscope: both panels zoom on the square (z₀ ± 1.5ε) and its image, with a faint grid of step ε/4
    t = torch.linspace(-1.5, 1.5, 24, dtype=torch.float64)
    lines = torch.cat([torch.stack(p, 1) for k in torch.linspace(-1.5, 1.5, 13, dtype=torch.float64)
                       for p in ((t, k.expand(24)), (k.expand(24), t))]).reshape(26, 24, 2) * eps + z0
    gap = torch.full((26, 1, 2), float("nan"), dtype=torch.float64)
    grid_z = torch.cat([lines, gap], 1).reshape(-1, 2)
    grid_x = torch.cat([example_map(lines.reshape(-1, 2)).reshape(26, 24, 2), gap], 1).reshape(-1, 2)
    square = square_boundary(z0[0], [eps], n=32)[0]
    image = example_map(square)
    centre = example_map(z0)
    corners = torch.tensor([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]], dtype=torch.float64)
    tangent = centre + eps * corners @ example_jacobian(z0)[0].T

    axes[0].plot(*grid_z.numpy().T, color="0.8", lw=0.6)
    axes[0].fill(*square.numpy().T, color="C2", alpha=0.7)
    axes[0].plot(*z0.numpy().T, "k.", ms=4)
    axes[0].set(aspect="equal", adjustable="datalim", title=f"square of side ε = {eps:.2f} around z₀ = ({z0_1:.1f}, {z0_2:.1f})",
                xlabel="z₁", ylabel="z₂")
    axes[1].plot(*grid_x.numpy().T, color="0.8", lw=0.6)
    axes[1].fill(*image.numpy().T, color="C1", alpha=0.7, label="f(square)")
    axes[1].plot(*tangent.numpy().T, color="k", lw=1, ls="--", label="f(z₀) + J(z₀)(square − z₀)")
    axes[1].set(aspect="equal", adjustable="datalim", title="its image under f (zoomed alike)", xlabel="x₁", ylabel="x₂")
    axes[1].legend(loc="lower right", fontsize=7)
    axes[1].text(0.02, 0.98, f"area f(□) / ε² = {ratio:.4f}\n|det J(z₀)| = e^(s z₀₁) = {abs(det):.4f}",
                 transform=axes[1].transAxes, va="top", fontsize=8,
                 bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
    for ax in axes[:2]:
        ax.title.set_fontsize(9)
    errors = np.abs(image_area(z0[0], _EPS_CURVE, n=32) / _EPS_CURVE**2 - abs(det))
    axes[2].loglog(_EPS_CURVE, errors, "o-", ms=3, label="|area/ε² − |det J||")
    axes[2].loglog(_EPS_CURVE, errors[-1] * (_EPS_CURVE / _EPS_CURVE[-1]) ** 2, color="0.6", ls=":", label="∝ ε²")
    axes[2].axvline(eps, color="C3", lw=1)
    axes[2].set(xlabel="ε", title="the ratio converges to |det J(z₀)|")
    axes[2].minorticks_off()  # a log axis's minor ticks cost more than the rest of the redraw
    axes[2].legend(loc="upper left", fontsize=7)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.92, wspace=0.25)  # room for "−1.5" tick labels
    return sparse_ticks(fig)


def _local_area_sliders():
    import ipywidgets as w

    return {
        "z0_1": w.FloatSlider(value=0.5, min=-1.5, max=1.5, step=0.1, description="z₀ (1)"),
        "z0_2": w.FloatSlider(value=1.0, min=-1.5, max=1.5, step=0.1, description="z₀ (2)"),
        "eps": w.FloatSlider(value=0.5, min=0.02, max=1.5, step=0.02, description="ε"),
    }


LOCAL_AREA = Demo(draw_local_area, _local_area_sliders, special=({"eps": 0.02, "z0_1": -1.5, "z0_2": 1.5},))

# ---------------------------------------------------------------------------------------------
# Triangular Jacobians of flowlib layers
# ---------------------------------------------------------------------------------------------

LAYER_NAMES = ("AdditiveCoupling", "AffineCoupling", "MAF", "IAF", "RealNVP stack")
POINTS = 8  # the number of points z at which the notebook evaluates each Jacobian


def make_layers(dim: int = 6, hidden=(32,), scale: float = 0.5, seed: int = 0) -> dict:
    r"""One flowlib layer per name of ``LAYER_NAMES`` (the stack: ``make_realnvp(dim, layers=4)``), float64.

    A new layer is the identity (its last weights are zero), whose Jacobian is I: every parameter is
    moved by ``scale`` · N(0, 1) noise (from a generator seeded with ``seed``) to show the structure.
    """
    layers = {
        "AdditiveCoupling": AdditiveCoupling(dim, hidden), "AffineCoupling": AffineCoupling(dim, hidden),
        "MAF": MAF(dim, hidden), "IAF": IAF(dim, hidden), "RealNVP stack": make_realnvp(dim, layers=4, hidden=hidden),
    }
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in layers.values():
            layer.double()
            for p in layer.parameters():
                p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype).to(p.device))
    return layers


def layer_jacobians(layers: dict, z: torch.Tensor) -> dict:
    r"""``{name: (J, log_det)}``: the autograd Jacobians ∂x/∂z (P, D, D) of each layer's ``forward`` at the
    points ``z`` (P, D), and the log_det (P,) the layer itself returns, both detached on the CPU."""
    out = {}
    for name, layer in layers.items():
        jac = jacobian(layer.forward, z)
        with torch.no_grad():
            log_det = layer.forward(z)[1]
        out[name] = (jac.detach().cpu(), log_det.detach().cpu())
    return out


def draw_triangular(jacobians: dict, layer: str = "AffineCoupling", point: int = 0):
    r"""The Jacobian ∂x/∂z of ``layer`` at point number ``point`` as a heat map (zero: white), and the
    numbers: its entries above the diagonal, log|det J| from slogdet, from the diagonal, from the layer."""
    fig, (ax, info) = plt.subplots(1, 2, figsize=(8.5, 3.8), gridspec_kw={"width_ratios": [1, 1.1]})
    info.axis("off")
    if layer not in jacobians:
        info.text(0, 0.5, f"no Jacobians for {layer!r} in this state;\nit has {sorted(jacobians)}", color="C3")
        ax.axis("off")
        return fig
    jac, log_det = jacobians[layer]
    k = min(max(int(point), 0), len(jac) - 1)
    j = jac[k].double()
    lim = max(float(j.abs().max()), 1e-12)
    ax.imshow(j.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    n = j.shape[0]
    ax.set(title=f"{layer}: ∂x/∂z at point {k}", xticks=range(n), yticks=range(n), xlabel="j (input z_j)",
           ylabel="i (output x_i)")
    above = float(j.triu(1).abs().max())
    from_diagonal = float(j.diagonal().abs().log().sum())
    slogdet = float(torch.linalg.slogdet(j).logabsdet)
    lines = [f"max |J_ij| above the diagonal: {above:.2g}",
             f"log|det J| by slogdet (O(n³)):  {slogdet:+.5f}",
             f"Σᵢ log|J_ii| (O(n)):            {from_diagonal:+.5f}",
             f"log_det returned by the layer:  {float(log_det[k]):+.5f}"]
    if above == 0:
        lines.append("\nlower triangular: det J = Π J_ii")
    else:
        lines.append("\nnot triangular: Σ log|J_ii| is not log|det J|;\n"
                     "the stack's log_det is the sum of its\nlayers' log_dets, each from a triangular J")
    info.text(0, 0.5, "\n".join(lines), va="center", family="monospace", fontsize=8)
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.13, top=0.9, wspace=0.1)
    return fig


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


TRIANGULAR = Demo(draw_triangular, _triangular_sliders, example_state=_triangular_example_state)
