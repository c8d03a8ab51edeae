r"""Plot helpers. Each returns a matplotlib Figure and never calls ``plt.show()``, so a slider
callback is one call and tests can draw without a screen. Pass ``ax=`` to draw into a panel.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter, LogFormatterMathtext, MaxNLocator, NullLocator

from ._validate import FlowlibError, check_int, check_number

__all__ = ["grid_points", "grid_lines", "nan_joined", "plot_density", "plot_samples", "plot_grid_warp", "plot_layers",
           "digit_grid", "digits_figsize", "plot_digits", "plot_loss", "plot_matrix", "plot_made_masks",
           "plot_direction_times", "sparse_ticks"]


def _points(x, width: int, who: str) -> np.ndarray:
    """``x`` (a tensor or array of shape (B, width)) as a NumPy array, or a clear error."""
    if isinstance(x, tuple) and x and isinstance(x[0], torch.Tensor):
        raise FlowlibError(f"{who}: expected points of shape (B, {width}), got a tuple of {len(x)} tensors (a layer's "
                           "(x, log_det)?); pass the points only, e.g. lambda z: flow.forward(z)[0]")
    try:
        x = torch.as_tensor(x).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise FlowlibError(f"{who}: expected points of shape (B, {width}) as a tensor or an array, "
                           f"got {type(x).__name__}") from None
    if x.dim() != 2 or x.shape[1] != width:
        raise FlowlibError(f"{who}: expected points of shape (B, {width}), got shape {tuple(x.shape)}")
    return x.numpy()


def _bounds(bounds, who: str) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)``: four finite numbers with x0 < x1 and y0 < y1."""
    values = () if isinstance(bounds, str) or not hasattr(bounds, "__len__") else tuple(bounds)
    if len(values) != 4:
        raise FlowlibError(f"{who}: bounds must be four numbers (x0, x1, y0, y1) such as (-4, 4, -4, 4), got {bounds!r}")
    x0, x1, y0, y1 = (check_number(v, who, "each of bounds", example="(-4, 4, -4, 4)") for v in values)
    if not (x0 < x1 and y0 < y1):
        raise FlowlibError(f"{who}: bounds must be (x0, x1, y0, y1) with x0 < x1 and y0 < y1, got {bounds!r}")
    return x0, x1, y0, y1


def _map(fn, who: str, what: str):
    if not callable(fn):
        raise FlowlibError(f"{who}: {what} must be a function of points (B, 2), such as flow.log_prob, got {type(fn).__name__}")


def _like_owner(fn, device=None):
    """(device, dtype) for points fed to ``fn``: ``device`` if given, else those of the module whose
    bound method ``fn`` is (``flow.log_prob`` on a GPU gets GPU points), else CPU float32."""
    owner = getattr(fn, "__self__", None)
    anchor = None
    if isinstance(owner, torch.nn.Module):
        anchor = next((t for t in [*owner.parameters(), *owner.buffers()] if t.is_floating_point()), None)
    dtype = anchor.dtype if anchor is not None else torch.float32
    return (device if device is not None else anchor.device if anchor is not None else None), dtype


def _axes(ax, figsize=(4, 4)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def grid_points(bounds=(-4, 4, -4, 4), n: int = 200, dtype=torch.float32, device=None):
    """An (n·n, 2) tensor of grid points over ``bounds`` = (x0, x1, y0, y1), and the two axes."""
    bounds = _bounds(bounds, "grid_points")
    n = check_int(n, "grid_points", "n", least=2, example="200")
    xs = torch.linspace(bounds[0], bounds[1], n, dtype=dtype, device=device)
    ys = torch.linspace(bounds[2], bounds[3], n, dtype=dtype, device=device)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], 1), xs, ys


def grid_lines(bounds=(-1.0, 1.0, -1.0, 1.0), lines: int = 13, points: int = 40, dtype=torch.float64,
               device=None) -> torch.Tensor:
    r"""The lines of a square grid over ``bounds`` = (x0, x1, y0, y1), as points: shape (2 · lines, points, 2).

    Line 2k runs along x₁ at the k-th height, line 2k + 1 along x₂ at the k-th abscissa. Map the points
    (``f(g.reshape(-1, 2)).reshape(g.shape)``) to see how a map bends space; draw them with one
    ``LineCollection``, or as one polyline with ``nan_joined``.

    >>> grid_lines((0, 1, 0, 1), lines=2, points=3)[:2].tolist()
    [[[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]], [[0.0, 0.0], [0.0, 0.5], [0.0, 1.0]]]
    """
    x0, x1, y0, y1 = (float(b) for b in bounds)
    xs, ys = (torch.linspace(lo, hi, points, dtype=dtype, device=device) for lo, hi in ((x0, x1), (y0, y1)))
    kx, ky = (torch.linspace(lo, hi, lines, dtype=dtype, device=device) for lo, hi in ((x0, x1), (y0, y1)))
    rows = []
    for k in range(lines):
        rows += [torch.stack([xs, ky[k].expand(points)], 1), torch.stack([kx[k].expand(points), ys], 1)]
    return torch.stack(rows)


def nan_joined(lines) -> np.ndarray:
    r"""Polylines (L, P, 2) as one (L · (P + 1), 2) array, each line followed by a row of NaN: one ``Line2D``
    then draws them all, as separate lines (cheaper to update than L artists)."""
    lines = np.asarray(torch.as_tensor(lines).detach().cpu(), dtype=np.float64)
    gap = np.full((lines.shape[0], 1, 2), np.nan)
    return np.concatenate([lines, gap], 1).reshape(-1, 2)


@torch.no_grad()
def plot_density(log_prob, bounds=(-4, 4, -4, 4), n: int = 150, ax=None, title=None, cmap="viridis", device=None):
    r"""Heat map of p(x) = exp(log_prob(x)) over a 2-D box; ``log_prob`` maps (B, 2) to (B,).

    The grid points go to ``device``, or to the device and dtype of the module when ``log_prob``
    is a module's method such as ``flow.log_prob``.
    """
    _map(log_prob, "plot_density", "log_prob")
    bounds, n = _bounds(bounds, "plot_density"), check_int(n, "plot_density", "n", least=2, example="150")
    fig, ax = _axes(ax)
    device, dtype = _like_owner(log_prob, device)
    points, _, _ = grid_points(bounds, n, dtype=dtype, device=device)
    values = log_prob(points)
    if not isinstance(values, torch.Tensor) or values.shape != (n * n,):
        shape = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise FlowlibError(f"plot_density: log_prob must map points (B, 2) to log-densities (B,), got {shape} for B = {n * n}")
    density = values.exp().reshape(n, n).cpu().numpy()
    ax.imshow(np.nan_to_num(density), origin="lower", extent=bounds, cmap=cmap, aspect="auto")
    ax.set(title=title, xlim=bounds[:2], ylim=bounds[2:])
    return fig


def plot_samples(x, ax=None, bounds=None, title=None, s: float = 2, alpha: float = 0.5, color="C0"):
    """Scatter plot of 2-D points ``x`` of shape (B, 2)."""
    x = _points(x, 2, "plot_samples")
    bounds = None if bounds is None else _bounds(bounds, "plot_samples")
    fig, ax = _axes(ax)
    ax.scatter(x[:, 0], x[:, 1], s=s, alpha=alpha, color=color, linewidths=0)
    if bounds is not None:
        ax.set(xlim=bounds[:2], ylim=bounds[2:])
    ax.set(title=title, aspect="equal")
    return fig


@torch.no_grad()
def plot_grid_warp(fn, bounds=(-3, 3, -3, 3), lines: int = 15, ax=None, title=None, color="C0", device=None):
    r"""The image of a square grid under ``fn`` ((B, 2) -> (B, 2)): how a map bends space.

    ``fn`` returns the image points only: for a layer or a flow, ``lambda z: flow.forward(z)[0]``.
    The grid points go to ``device``, or to the device and dtype of the module whose method ``fn``
    is, else CPU float32 (as in ``plot_density``).
    """
    _map(fn, "plot_grid_warp", "fn")
    bounds, lines = _bounds(bounds, "plot_grid_warp"), check_int(lines, "plot_grid_warp", "lines", least=1, example="15")
    fig, ax = _axes(ax)
    device, dtype = _like_owner(fn, device)
    for pts in grid_lines(bounds, lines, 100, dtype=dtype, device=device):
        out = _points(fn(pts), 2, "plot_grid_warp (the image of fn)")
        ax.plot(out[:, 0], out[:, 1], color=color, lw=0.7)
    ax.set(title=title, aspect="equal")
    return fig


def plot_layers(steps, titles=None, bounds=None, s: float = 2, ncols: int | None = None):
    """One scatter panel per tensor in ``steps`` (as from ``Flow.forward_steps``): a flow layer by layer."""
    if isinstance(steps, torch.Tensor) or not isinstance(steps, (list, tuple)) or not steps:
        got = "an empty list" if isinstance(steps, (list, tuple)) else type(steps).__name__
        raise FlowlibError(f"plot_layers: steps must be a non-empty list of (B, 2) point tensors, such as "
                           f"flow.forward_steps(z), got {got}")
    if titles is not None and len(titles) != len(steps):
        raise FlowlibError(f"plot_layers: titles must name each of the {len(steps)} steps, got {len(titles)} titles")
    ncols = len(steps) if ncols is None else check_int(ncols, "plot_layers", "ncols", least=1)
    nrows = -(-len(steps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.6 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(steps):
            ax.axis("off")
            continue
        plot_samples(steps[i], ax=ax, bounds=bounds, s=s, title=titles[i] if titles else f"step {i}")
        ax.set(xticks=[], yticks=[])
    fig.tight_layout()
    return fig


def _square_images(x, who: str) -> torch.Tensor:
    """Rows of ``x`` (B, side²) as a (B, side, side) tensor: 8x8 digits (B, 64), 28x28 MNIST (B, 784), ..."""
    x = torch.as_tensor(x).detach().cpu()
    side = int(round(x.shape[-1] ** 0.5)) if x.dim() == 2 else 0
    if x.dim() != 2 or side < 2 or side * side != x.shape[1]:
        raise FlowlibError(f"{who}: expected points of shape (B, 64) or (B, 784): square images of shape (B, side²) "
                          f"flattened row by row (8x8 or 28x28 digits), got shape {tuple(x.shape)}")
    return x.reshape(-1, side, side)


def digit_grid(x, nrow: int = 8) -> np.ndarray:
    """The picture ``plot_digits`` shows: rows of ``x`` (B, side²) as side x side digits, column by column,
    ``nrow`` to a column, one white pixel apart; 1 - x clipped to [0, 1] (ink dark; NaN stays NaN);
    shape ((side + 1) nrow - 1, (side + 1) ncol - 1).

    >>> digit_grid(torch.zeros(3, 64), nrow=2).shape  # 2 rows, 2 columns (one place left white)
    (17, 17)
    >>> digit_grid(torch.zeros(3, 784), nrow=3).shape  # 28x28 MNIST digits, one column
    (86, 28)
    """
    nrow = check_int(nrow, "digit_grid", "nrow", least=1, example="8")
    x = _square_images(x, "digit_grid").double().clamp(0, 1)
    side = x.shape[1]
    ncol = -(-len(x) // nrow)
    canvas = np.ones((nrow * (side + 1) - 1, ncol * (side + 1) - 1))
    for k, img in enumerate(x.numpy()):
        r, c = k % nrow, k // nrow
        canvas[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = 1 - img
    return canvas


def digits_figsize(n: int, nrow: int, side: int = 8) -> tuple[float, float]:
    """The figure size (inches) of ``plot_digits`` for ``n`` images of side x side pixels, ``nrow`` to a column."""
    inch = 0.45 if side <= 8 else 0.8  # per image: 8x8 digits stay small, 28x28 need room for their detail
    ncol = -(-n // nrow)
    return ncol * inch + 0.5, nrow * inch + 0.5


def plot_digits(x, nrow: int = 8, ax=None, title=None):
    """A grid of square digit images from rows of ``x`` (B, 64) or (B, 784) (8x8 or 28x28 pixels), values
    clipped to [0, 1] (``digit_grid``)."""
    side = _square_images(x, "plot_digits").shape[1]
    canvas = digit_grid(x, nrow)
    fig, ax = _axes(ax, figsize=digits_figsize(len(x), nrow, side))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set(title=title, xticks=[], yticks=[])
    return fig


def plot_loss(history, ax=None, title="training loss", label=None):
    """The loss of every training step."""
    fig, ax = _axes(ax, figsize=(5, 3))
    ax.plot(history, lw=0.8, label=label)
    ax.set(title=title, xlabel="step", ylabel="loss (nats)")
    if label:
        ax.legend()
    return fig


def plot_matrix(m, ax=None, title=None, cmap="RdBu_r"):
    """A matrix (a Jacobian, a mask) as a heat map centred on zero, with a colour bar."""
    try:
        m = torch.as_tensor(m).detach().cpu().double()
    except (TypeError, ValueError, RuntimeError):
        raise FlowlibError(f"plot_matrix: m must be a matrix (a 2-D tensor or array), got {type(m).__name__}") from None
    if m.dim() != 2:
        raise FlowlibError(f"plot_matrix: m must be a matrix (a 2-D tensor or array), got shape {tuple(m.shape)}")
    fig, ax = _axes(ax)
    m = m.numpy()
    lim = max(float(np.abs(m).max()), 1e-12)
    im = ax.imshow(m, cmap=cmap, vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set(title=title)
    return fig


def plot_made_masks(masks, titles=None):
    r"""MADE's masks (each (out, in), as from ``made_masks``) as heat maps, and the paths they leave.

    Black = connection kept. The last panel is the number of paths from input j (column) to the μ
    output i (row): the product of the masks, zero on and above the diagonal.
    """
    masks = [torch.as_tensor(m).detach().cpu().double() for m in masks]
    paths = masks[0]
    for m in masks[1:]:
        paths = m @ paths
    dim = masks[0].shape[1]
    panels = [*masks, paths[:dim]]
    titles = titles or [*(f"mask {k + 1} ({m.shape[0]}×{m.shape[1]})" for k, m in enumerate(masks)), "paths: input j → μ_i"]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.8))
    for ax, m, title in zip(axes, panels, titles):
        ax.imshow(m.numpy(), cmap="Greys", vmin=0, interpolation="nearest", aspect="auto")
        ax.set(title=title, xlabel="input unit", ylabel="output unit")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ticks = list(range(dim))
    axes[-1].set(xlabel="input j", ylabel="output i", xticks=ticks, yticks=ticks,
                 xticklabels=[str(j + 1) for j in ticks], yticklabels=[str(i + 1) for i in ticks])  # 1-based, as on the slides
    fig.tight_layout()
    return fig


def plot_direction_times(results: dict, ax=None, title="time of one batch as D grows"):
    r"""Log-log plot of ``direction_times`` results (``flowlib.cost``), ``{model name: rows}``.

    Colour = model; solid = density (inverse, x ↦ z), dashed = sampling (forward, z ↦ x).
    """
    fig, ax = _axes(ax, figsize=(5.5, 3.6))
    for k, (name, rows) in enumerate(results.items()):
        dims = [r["D"] for r in rows]
        for direction, what, style in (("inverse", "density x ↦ z", "-"), ("forward", "sampling z ↦ x", "--")):
            ax.plot(dims, [1e3 * r[f"{direction} s"] for r in rows], style, marker="o", ms=3, color=f"C{k}",
                    label=f"{name} {what} ({direction})")
    ax.set(xscale="log", yscale="log", xlabel="D (dimensions)", ylabel="median time (ms)", title=title)
    ax.legend(fontsize=8)
    return fig


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decade_label(value, _position=None) -> str:
    """A log axis's tick label as plain text: "10⁻²" for 0.01, else "%g"."""
    exponent = round(float(np.log10(value))) if value > 0 else None
    if exponent is not None and np.isclose(value, 10.0**exponent):
        return "10" + str(exponent).translate(_SUPERSCRIPTS)
    return f"{value:g}"


def sparse_ticks(fig, nbins: int = 5):
    r"""Fewer and cheaper ticks on every axes of ``fig``, for figures a slider redraws; returns ``fig``.

    Each tick costs artists and a text layout whenever a figure is rendered in full: a still
    picture, a slider demo's first appearance and each ``View.restage``. Linear axes get at most
    ``nbins`` intervals (matplotlib's default gives up to 9-11 ticks), which saved 15-25% of a full
    render on the 2-core machine (change_of_variables.LINEAR_MAP 375 -> 325 ms, nice.TRAINING
    321 -> 274 ms). Log axes lose their minor ticks and label decades as plain text (10⁻²):
    matplotlib's mathtext parses each $10^{-2}$ anew in every new figure (its cache lives in the
    figure's renderer), ~17 ms a label, 12 labels in jacobians.LOCAL_AREA (445 -> 326 ms with both
    changes). Ticks and labels set by hand (``set_xticks``) stay as they are.

    >>> fig, ax = plt.subplots()
    >>> _ = ax.loglog([0.01, 1.0], [1.0, 100.0])
    >>> _ = sparse_ticks(fig)
    >>> ax.xaxis.get_major_formatter()(0.01), ax.yaxis.get_major_formatter()(100.0)
    ('10⁻²', '10²')
    >>> plt.close(fig)
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            locator = axis.get_major_locator()
            if isinstance(locator, MaxNLocator):  # the default AutoLocator is one
                locator.set_params(nbins=nbins)
            if axis.get_scale() == "log":
                axis.set_minor_locator(NullLocator())
                if isinstance(axis.get_major_formatter(), LogFormatterMathtext):  # the default, not set_yticks' labels
                    axis.set_major_formatter(FuncFormatter(_decade_label))
    return fig
