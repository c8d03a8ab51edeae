r"""Wall-clock timing: ``interleaved_seconds`` (the fastest of repeats taken in turns,
what the notebooks assert ratios on) and ``direction_times`` (a flow's two directions as D grows).

Sampling (forward, z ↦ x) and density (inverse, x ↦ z) cost one network pass or D sequential ones,
depending on the layer (MAF: density 1, sampling D; IAF: the opposite). These helpers measure it.
"""

from __future__ import annotations

import functools
import time

import torch

from .passes import record_made_passes

__all__ = ["interleaved_seconds", "direction_times"]


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
