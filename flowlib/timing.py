r"""Wall-clock timing of a flow's two directions: ``median_seconds`` and ``direction_times``.

Sampling (forward, z ↦ x) and density (inverse, x ↦ z) cost one network pass or D sequential ones,
depending on the layer (MAF: density 1, sampling D; IAF: the opposite). These helpers measure it.
"""

from __future__ import annotations

import functools
import statistics
import time

import torch

from .passes import record_made_passes

__all__ = ["median_seconds", "direction_times"]


def median_seconds(fn, repeats: int = 7, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed runs.

    On CUDA, kernels run asynchronously: the device is synchronised before each clock reading.

    >>> calls = []
    >>> median_seconds(lambda: calls.append(1), repeats=3, warmup=2) >= 0, len(calls)
    (True, 5)
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


@torch.no_grad()
def direction_times(layer_class, dims, batch: int = 256, hidden=(64, 64), repeats: int = 7, device=None) -> list[dict]:
    r"""Time one layer's two directions as D grows.

    For each D in ``dims``: a new ``layer_class(D, hidden)`` (MAF or IAF), a batch of ``batch``
    points, and the median time of ``forward`` (z ↦ x, sampling) and ``inverse`` (x ↦ z, density),
    with the number of MADE passes each makes. ``plotting.plot_direction_times`` draws the rows.

    Returns:
        one dict per D: ``{"D", "forward passes", "inverse passes", "forward s", "inverse s"}``.
    """
    rows = []
    for dim in dims:
        layer = layer_class(dim, hidden).to(device)
        v = torch.randn(batch, dim, device=device)
        row = {"D": dim}
        for direction, method in (("forward", layer.forward), ("inverse", layer.inverse)):
            run = functools.partial(method, v)
            row[f"{direction} passes"] = len(record_made_passes(layer, run)[1])
            row[f"{direction} s"] = median_seconds(run, repeats)
        rows.append(row)
    return rows
