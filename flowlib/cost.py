r"""What a direction costs: network passes (the slides' unit, "one pass" against "D sequential passes")
and seconds.

A network pass is one call, on a whole batch, of a MAF or IAF layer's MADE or of a coupling layer's
network (NICE's m_θ, RealNVP's (μ_θ, α_θ)). Forward hooks see every call; they are removed
afterwards, also when the call raises.

- ``record_made_passes(module, call)``: the input of every MADE pass (their number is the pass
  count; their values are the states of a sequential loop).
- ``network_passes(module, call)``: the number of passes of every network, MADEs and couplings.
- ``interleaved_seconds(calls)``: the fastest wall time of each call, timed in turns (what the notebooks
  assert ratios on); ``direction_times(layer_class, dims)``: a layer's two directions as D grows, with
  the passes each makes (MAF: density 1, sampling D; IAF: the opposite).
"""

from __future__ import annotations

import functools
import time

import torch

from .autoregressive import IAF, MAF
from .made import MADE
from .nice import AdditiveCoupling
from .realnvp import AffineCoupling

__all__ = ["record_made_passes", "network_passes", "interleaved_seconds", "direction_times"]


def _hooked(nets: list, hook, call):
    r"""``call()`` with ``hook`` as a forward hook on every module of ``nets``, removed afterwards."""
    handles = [net.register_forward_hook(hook) for net in nets]
    try:
        return call()
    finally:
        for handle in handles:
            handle.remove()


def _check_call(call, who: str) -> None:
    if not callable(call):
        raise TypeError(f"{who}: call must be a function of no arguments, got {type(call).__name__}")


def record_made_passes(module: torch.nn.Module, call):
    r"""Run ``call()`` and record the input of every MADE pass made inside ``module``.

    A forward hook on every ``MADE`` in ``module`` (a layer, or a whole ``Flow``) stores a detached
    copy of what it was given.

    Returns:
        ``(result, inputs)``: what ``call()`` returned, and the list of MADE inputs in call order;
        ``len(inputs)`` is the number of MADE passes.

    >>> from flowlib import MAF
    >>> layer = MAF(5, hidden=(8,))
    >>> z = torch.randn(3, 5)
    >>> len(record_made_passes(layer, lambda: layer.inverse(z))[1]), len(record_made_passes(layer, lambda: layer(z))[1])
    (1, 5)
    """
    _check_call(call, "record_made_passes")
    made = [m for m in module.modules() if isinstance(m, MADE)]
    if not made:
        raise ValueError(f"record_made_passes: {type(module).__name__} holds no MADE; "
                         "expected a MAF or IAF layer, or a Flow of them")
    inputs: list[torch.Tensor] = []
    result = _hooked(made, lambda _m, args, _out: inputs.append(args[0].detach().clone()), call)
    return result, inputs


def network_passes(module: torch.nn.Module, call) -> tuple[object, int]:
    r"""Run ``call()`` and count the network passes made inside ``module`` (a layer or a ``Flow``):
    every MADE (MAF, IAF) and every coupling network (NICE's m_θ, RealNVP's (μ_θ, α_θ)).

    Returns:
        ``(result, passes)``: what ``call()`` returned, and the number of passes.

    >>> from flowlib import make_maf, make_realnvp
    >>> maf, nvp = make_maf(5, layers=2, hidden=(8,)), make_realnvp(5, layers=2, hidden=(8,))
    >>> z = torch.randn(3, 5)
    >>> [network_passes(f, lambda: f.forward(z))[1] for f in (maf, nvp)]  # sampling: K·D vs K
    [10, 2]
    """
    _check_call(call, "network_passes")
    nets = []
    for layer in module.modules():
        if isinstance(layer, (MAF, IAF)):
            nets.append(layer.made)
        elif isinstance(layer, AdditiveCoupling):
            nets.append(layer.net)
        elif isinstance(layer, AffineCoupling):
            nets.append(layer.net)
    if not nets:
        raise ValueError(f"network_passes: {type(module).__name__} holds no MAF, IAF or coupling layer, so there is "
                         "nothing to count; expected a flow such as make_maf(...) or make_realnvp(...)")
    count = [0]

    def hook(_module, _args, _out):
        count[0] += 1

    return _hooked(nets, hook, call), count[0]


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
