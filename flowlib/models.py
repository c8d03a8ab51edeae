r"""Ready-made flows, one builder per slide, so that notebooks compare models without copying code.

Each returns ``Flow(StandardNormal(dim), layers)`` with ``layers`` blocks; alternation (parity or
``Reverse``) makes every coordinate change somewhere in the stack.
"""

from __future__ import annotations

from torch import nn

from ._validate import FlowlibError, check_dim, check_hidden, check_int
from .autoregressive import IAF, MAF
from .distributions import StandardNormal
from .flow import Flow
from .nice import AdditiveCoupling, Scaling
from .permutations import Reverse
from .realnvp import AffineCoupling

__all__ = ["make_nice", "make_realnvp", "make_maf", "make_iaf", "count_parameters"]


def make_nice(dim: int, layers: int = 4, hidden=(64, 64)) -> Flow:
    r"""NICE: the diagonal ``Scaling``, then ``layers`` additive couplings of alternating parity.

    As in the paper: its f maps data to latent, x ↦ h, and ends with the scaling, next to the latent; in
    our direction z ↦ x the scaling therefore comes first, x = couplings(exp(s) ⊙ z).
    """
    layers, hidden = _checked("make_nice", dim, layers, hidden)
    blocks = [AdditiveCoupling(dim, hidden, parity=k % 2) for k in range(layers)]
    return Flow(StandardNormal(dim), [Scaling(dim), *blocks])


def make_realnvp(dim: int, layers: int = 4, hidden=(64, 64)) -> Flow:
    """RealNVP: ``layers`` affine couplings of alternating parity."""
    layers, hidden = _checked("make_realnvp", dim, layers, hidden)
    return Flow(StandardNormal(dim), [AffineCoupling(dim, hidden, parity=k % 2) for k in range(layers)])


def _checked(who: str, dim, layers, hidden):
    """``(layers, hidden)`` after checking the builder's arguments, so that the message names the builder."""
    check_dim(dim, 2, who)
    layers = check_int(layers, who, "layers", least=1, example="4")
    return layers, check_hidden(hidden, who, at_least_one=who in ("make_maf", "make_iaf"))


def _autoregressive(layer_class, dim, layers, hidden, who) -> Flow:
    layers, hidden = _checked(who, dim, layers, hidden)
    blocks: list[nn.Module] = []
    for k in range(layers):
        if k:
            blocks.append(Reverse(dim))  # a new variable ordering for every layer
        blocks.append(layer_class(dim, hidden))
    return Flow(StandardNormal(dim), blocks)


def make_maf(dim: int, layers: int = 4, hidden=(64, 64)) -> Flow:
    """MAF: ``layers`` MAF layers with the order reversed between them."""
    return _autoregressive(MAF, dim, layers, hidden, "make_maf")


def make_iaf(dim: int, layers: int = 4, hidden=(64, 64)) -> Flow:
    """IAF: ``layers`` IAF layers with the order reversed between them."""
    return _autoregressive(IAF, dim, layers, hidden, "make_iaf")


def count_parameters(module: nn.Module) -> int:
    """The number of trainable parameters (a masked weight counts in full, as in other libraries)."""
    if not isinstance(module, nn.Module):
        raise FlowlibError(f"count_parameters: expected an nn.Module (a layer or a Flow), got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
