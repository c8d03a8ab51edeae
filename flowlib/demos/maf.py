r"""Notebook 05 (MAF): counting MADE passes, timing both directions, and the notebook's slider demos.

- ``randomize(module)``: move every parameter by a little noise (a new MADE starts as the identity,
  where triangular structure and pass-by-pass sampling are invisible).
- ``plot_made_masks(masks)``: MADE's masks as connectivity heat maps, and the paths they leave.
- ``record_made_passes(module, call)``: run ``call()`` and record the input of every MADE pass made
  inside ``module`` (a forward hook on each MADE): their number is the pass count of the slides
  (MAF: inverse 1, forward D; IAF: the opposite), their values the states of a sequential loop.
- ``median_seconds(fn)``; ``interleaved_seconds(calls)``: the fastest of repeats taken in turns, the
  timing that notebooks 02 and 05-07 assert ratios on (robust on a busy machine);
  ``direction_times(layer_class, dims)``: wall times of forward (z ↦ x, sampling) and inverse
  (x ↦ z, density) as D grows, with the pass counts; ``plot_direction_times`` draws them on
  log-log axes (notebooks 05 and 06 both use them).
- ``RASTER_SAMPLING`` (``RasterSamplingView``): slider k = the number of passes of a MAF layer's
  forward done so far; pass k fixes coordinate k, so 8x8 digits appear pixel by pixel in raster order.
- ``TRAINING`` (``TrainingView``): slider over snapshots of a MAF trained on a 2-D toy (density and
  samples).
"""

from __future__ import annotations

import functools
import statistics
import time

import ipywidgets
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from ..made import MADE
from ..plotting import sparse_ticks
from . import Demo, View

__all__ = ["randomize", "plot_made_masks", "record_made_passes", "median_seconds", "interleaved_seconds", "direction_times",
           "plot_direction_times",
           "raster_states", "digit_mosaic", "RasterSamplingView", "RASTER_SAMPLING", "SNAPSHOTS", "TrainingView",
           "TRAINING"]


@torch.no_grad()
def randomize(module: torch.nn.Module, std: float = 0.3, generator: torch.Generator | None = None):
    r"""Add N(0, std²) noise to every parameter of ``module``, in place; returns ``module``.

    flowlib's MADE and MLP start with a zero last layer, so a new MAF or IAF is the identity map:
    fine for training, useless for showing a Jacobian's structure. Seed torch (or pass
    ``generator``) for repeatable noise.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"randomize: expected a torch.nn.Module, got {type(module).__name__}")
    if not std >= 0:
        raise ValueError(f"randomize: std must be >= 0, got {std}")
    for p in module.parameters():
        noise = torch.randn(p.shape, generator=generator, dtype=p.dtype)  # drawn on the CPU: same numbers on any device
        p.add_(std * noise.to(p.device))
    return module


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


def record_made_passes(module: torch.nn.Module, call):
    r"""Run ``call()`` and record the input of every MADE pass made inside ``module``.

    A forward hook on every ``MADE`` in ``module`` (a layer, or a whole ``Flow``) stores a detached
    copy of what it was given; the hooks are removed afterwards, also when ``call`` raises.

    Returns:
        ``(result, inputs)``: what ``call()`` returned, and the list of MADE inputs in call order;
        ``len(inputs)`` is the number of MADE passes.

    >>> from flowlib import MAF
    >>> layer = MAF(5, hidden=(8,))
    >>> z = torch.randn(3, 5)
    >>> len(record_made_passes(layer, lambda: layer.inverse(z))[1]), len(record_made_passes(layer, lambda: layer(z))[1])
    (1, 5)
    """
    if not callable(call):
        raise TypeError(f"record_made_passes: call must be a function of no arguments, got {type(call).__name__}")
    made = [m for m in module.modules() if isinstance(m, MADE)]
    if not made:
        raise ValueError(f"record_made_passes: {type(module).__name__} holds no MADE; "
                         "expected a MAF or IAF layer, or a Flow of them")
    inputs: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, args, _out: inputs.append(args[0].detach().clone())) for m in made]
    try:
        result = call()
    finally:
        for hook in hooks:
            hook.remove()
    return result, inputs


def median_seconds(fn, repeats: int = 7, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed runs.

    On CUDA, kernels run asynchronously: the device is synchronised before each clock reading.
    """
    if repeats < 1:
        raise ValueError(f"median_seconds: repeats must be at least 1, got {repeats}")
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_seconds(calls: dict, repeats: int = 5, warmup: int = 1, threads: int | None = 1) -> dict:
    r"""The fastest wall time of each call in ``calls`` ({name: function of no arguments}), timed in turns.

    Each of ``repeats`` rounds times every call once, one after the other, so a burst of load from
    other programs hits all of them alike; the minimum over the rounds is kept, because load only
    ever adds time. Ratios of these minima are what the notebooks assert (with wide margins): a
    median of one call against a single run of another failed when two notebooks shared two cores.
    The clock runs on ``threads`` CPU threads (None: torch's setting), one by default: it counts
    work, not cores, and on cores that other programs share a parallel op waits for its slowest
    thread (measured at load 16 on 2 cores: a 3-layer MAF's log_prob took 270-520 ms on 2 threads,
    0.4 ms on one). On CUDA the device is synchronised before each clock reading.

    >>> seconds = interleaved_seconds({"fast": lambda: None, "slow": lambda: sum(range(10_000))}, repeats=3)
    >>> sorted(seconds), seconds["slow"] > seconds["fast"]
    (['fast', 'slow'], True)
    """
    if repeats < 1:
        raise ValueError(f"interleaved_seconds: repeats must be at least 1, got {repeats}")
    if not isinstance(calls, dict) or not calls or not all(callable(f) for f in calls.values()):
        raise TypeError("interleaved_seconds: calls must be a non-empty dict {name: function of no arguments}")
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for fn in calls.values():
            for _ in range(warmup):
                fn()
        best = {name: float("inf") for name in calls}
        for _ in range(repeats):
            for name, fn in calls.items():
                sync()
                start = time.perf_counter()
                fn()
                sync()
                best[name] = min(best[name], time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)
    return best


@torch.no_grad()
def direction_times(layer_class, dims, batch: int = 256, hidden=(64, 64), repeats: int = 7, device=None) -> list[dict]:
    r"""Time one layer's two directions as D grows.

    For each D in ``dims``: a new ``layer_class(D, hidden)`` (MAF or IAF), a batch of ``batch``
    points, and the time of ``forward`` (z ↦ x, sampling) and ``inverse`` (x ↦ z, density), the
    fastest of ``repeats`` interleaved runs (``interleaved_seconds``), with the number of MADE
    passes each makes.

    Returns:
        one dict per D: ``{"D", "forward passes", "inverse passes", "forward s", "inverse s"}``.
    """
    rows = []
    for dim in dims:
        layer = layer_class(dim, hidden).to(device)
        v = torch.randn(batch, dim, device=device)
        runs = {"forward": functools.partial(layer.forward, v), "inverse": functools.partial(layer.inverse, v)}
        row = {"D": dim}
        for direction, run in runs.items():
            row[f"{direction} passes"] = len(record_made_passes(layer, run)[1])
        for direction, seconds in interleaved_seconds(runs, repeats).items():
            row[f"{direction} s"] = seconds
        rows.append(row)
    return rows


def plot_direction_times(results: dict, ax=None, title="time of one batch as D grows"):
    r"""Log-log plot of ``direction_times`` results, ``{model name: rows}``.

    Colour = model; solid = density (inverse, x ↦ z), dashed = sampling (forward, z ↦ x).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
    else:
        fig = ax.figure
    for k, (name, rows) in enumerate(results.items()):
        dims = [r["D"] for r in rows]
        for direction, what, style in (("inverse", "density x ↦ z", "-"), ("forward", "sampling z ↦ x", "--")):
            ax.plot(dims, [1e3 * r[f"{direction} s"] for r in rows], style, marker="o", ms=3, color=f"C{k}",
                    label=f"{name} {what} ({direction})")
    ax.set(xscale="log", yscale="log", xlabel="D (dimensions)", ylabel="time (ms), fastest of repeats", title=title)
    ax.legend(fontsize=8)
    return fig


@torch.no_grad()
def raster_states(flow, z: torch.Tensor) -> torch.Tensor:
    r"""What the last layer of ``flow`` (a MAF) knows after each of its D sequential passes, while
    ``flow`` maps ``z`` to samples x.

    Returns (D+1, B, D): entry k holds x_1..x_k, final after k passes, and NaN for the coordinates
    not computed yet; entry D is the sample x itself. Read from the MADE passes the layer really
    makes (``record_made_passes``): pass k+1 is given x_1..x_k.
    """
    last = flow.layers[-1] if hasattr(flow, "layers") else None
    if last is None or type(last).__name__ != "MAF":
        raise ValueError(f"raster_states: expected a Flow whose last layer is a MAF, got {type(flow).__name__}"
                         + (f" ending in {type(last).__name__}" if last is not None else ""))
    (x, _), inputs = record_made_passes(last, lambda: flow(z))
    dim = x.shape[1]
    if len(inputs) != dim:
        raise RuntimeError(f"raster_states: the last MAF made {len(inputs)} MADE passes while sampling, expected D={dim}")
    states = x.new_full((dim + 1, *x.shape), float("nan"))
    for k, given in enumerate(inputs):  # the input of pass k+1: x_1..x_k are final
        states[k, :, :k] = given[:, :k]
    states[dim] = x
    return states


def digit_mosaic(images: torch.Tensor, side: int = 8, gap: int = 1) -> np.ndarray:
    """Rows of ``images`` (n, side·side) side by side in one array (side, n·(side+gap) - gap), NaN in the gaps."""
    n = images.shape[0]
    out = np.full((side, n * (side + gap) - gap), np.nan)
    for i, img in enumerate(torch.as_tensor(images).detach().cpu().double().reshape(n, side, side).numpy()):
        out[:, i * (side + gap): i * (side + gap) + side] = img
    return out


class RasterSamplingView(View):
    r"""The samples of a MAF layer after ``k`` of its D sequential passes.

    State: ``states`` (D+1, n, D), as from ``raster_states``. After k passes the coordinates 1..k are
    final; the others are drawn as not yet known (blue-grey), and coordinate k+1, the one the next
    pass computes, is outlined. D must be a square (8x8 digits: D = 64).
    """

    def __init__(self, states: torch.Tensor):
        n_steps, n, dim = states.shape
        side = int(round(dim ** 0.5))
        if side * side != dim:
            raise ValueError(f"RasterSamplingView: states must hold square images (D = side²), got D={dim}")
        self.side, self.dim = side, dim
        # Every k's mosaic up front (65 small arrays for the notebook's 8 digits): a move only swaps them.
        self.mosaics = []
        for k in range(n_steps):
            known = states[k].clone()
            known[:, k:] = float("nan")  # not yet fixed by a pass
            self.mosaics.append(digit_mosaic(known, side))
        self.fig = self.figure(figsize=(1.0 * n + 0.6, 1.7))
        ax = self.fig.subplots()
        cmap = matplotlib.colormaps["gray_r"].with_extremes(bad="lightsteelblue")  # NaN = not computed yet
        self.image = self.dynamic(ax.imshow(self.mosaics[0], cmap=cmap, vmin=0, vmax=1, interpolation="nearest"))
        self.boxes = [self.dynamic(ax.add_patch(Rectangle((i * (side + 1) - 0.5, -0.5), 1, 1, fill=False, ec="C3", lw=1.5)))
                      for i in range(n)]
        ax.set(xticks=[], yticks=[], title=" ")
        self.title = self.dynamic(ax.title)
        self.fig.subplots_adjust(left=0.02, right=0.98, bottom=0.04, top=0.82)  # fixed margins: tight_layout is slow

    def update(self, k: int = 0) -> None:
        k = int(min(max(k, 0), len(self.mosaics) - 1))
        self.image.set_data(self.mosaics[k])
        row, col = divmod(k, self.side)
        for i, box in enumerate(self.boxes):
            box.set_xy((i * (self.side + 1) + col - 0.5, row - 0.5))
            box.set_visible(k < self.dim)  # after the last pass nothing is left to compute
        self.title.set_text(f"after {k} of {self.dim} passes: pixels 1..{k} final" if k else "before the first pass")


def _raster_sliders():
    return {"k": ipywidgets.IntSlider(value=20, min=0, max=64, step=1, description="passes k")}


def _raster_example():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(65, 8, 64, generator=g),)  # the notebook's size: 8 digits, 64 pixels, 0..64 passes


RASTER_SAMPLING = Demo(RasterSamplingView, _raster_sliders, special=({"k": 1}, {"k": 63}), example_state=_raster_example)


SNAPSHOTS = 20  # TRAINING's slider runs over snapshots 0..SNAPSHOTS (0 = after the first step)


class TrainingView(View):
    r"""A MAF during training: its density p_θ(x) (left) and its samples over the data (right).

    State: ``snapshots``, a list of ``(step, density (n, n) array over bounds, samples (m, 2))``;
    ``data`` (N, 2); ``bounds`` = (x0, x1, y0, y1). The slider's ``index`` picks the snapshot
    (clipped to the list).
    """

    def __init__(self, snapshots, data, bounds):
        if not len(snapshots):
            raise ValueError("TrainingView: expected at least one snapshot (step, density, samples), got none")
        # numpy once, not at every move
        self.snapshots = [(step, np.asarray(density), torch.as_tensor(samples).detach().cpu().numpy())
                          for step, density, samples in snapshots]
        bounds = tuple(bounds)
        data = torch.as_tensor(data).detach().cpu().numpy()
        self.fig = fig = self.figure(figsize=(7, 3.4))
        ax1, ax2 = fig.subplots(1, 2)
        _, density, samples = self.snapshots[0]
        self.image = self.dynamic(ax1.imshow(density, origin="lower", extent=bounds, cmap="viridis", aspect="auto"))
        ax1.set(title=" ", xlim=bounds[:2], ylim=bounds[2:])
        self.title = self.dynamic(ax1.title)
        ax2.scatter(data[:, 0], data[:, 1], s=2, color="0.75", linewidths=0, label="data")
        self.samples = self.dynamic(ax2.scatter(samples[:, 0], samples[:, 1], s=2, color="C1", linewidths=0, label="samples"))
        ax2.set(title="samples x = f_θ(z)", xlim=bounds[:2], ylim=bounds[2:], aspect="equal")
        ax2.legend(loc="upper right", fontsize=7, markerscale=3)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.92, wspace=0.22)  # fixed: tight_layout is slow
        sparse_ticks(fig)

    def update(self, index: int = 0) -> None:
        step, density, samples = self.snapshots[int(min(max(index, 0), len(self.snapshots) - 1))]
        self.image.set_data(density)
        self.image.set_clim(density.min(), density.max())  # each snapshot on its own colour scale
        self.title.set_text(f"density p_θ(x) after {step} steps")
        self.samples.set_offsets(samples)


def _training_sliders():
    return {"index": ipywidgets.IntSlider(value=SNAPSHOTS, min=0, max=SNAPSHOTS, step=1, description="snapshot")}


def _training_example():
    g = torch.Generator().manual_seed(0)
    # The notebook's sizes: a 60x60 density grid and 1000 samples per snapshot, 2000 data points.
    snaps = [(40 * i, torch.rand(60, 60, generator=g).numpy(), torch.randn(1000, 2, generator=g)) for i in range(SNAPSHOTS + 1)]
    return snaps, torch.randn(2000, 2, generator=g), (-4, 4, -4, 4)


TRAINING = Demo(TrainingView, _training_sliders, special=({"index": 1},), example_state=_training_example)
