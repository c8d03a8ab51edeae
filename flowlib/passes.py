r"""Counting network passes: the slides' unit of cost ("one pass" against "D sequential passes").

A network pass is one call, on a whole batch, of a MAF or IAF layer's MADE or of a coupling layer's
network (NICE's m_θ, RealNVP's (μ_θ, α_θ)). Forward hooks see every call; they are removed
afterwards, also when the call raises.

- ``record_made_passes(module, call)``: the input of every MADE pass (their number is the pass
  count; their values are the states of a sequential loop).
- ``network_passes(module, call)``: the number of passes of every network, MADEs and couplings.
"""

from __future__ import annotations

import torch

from .autoregressive import IAF, MAF
from .made import MADE
from .nice import AdditiveCoupling
from .realnvp import AffineCoupling

__all__ = ["record_made_passes", "network_passes"]


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
