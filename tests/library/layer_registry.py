"""The one registry of flowlib's layers and builders for every test: add a layer here and the layer
tests (``check_layer`` against autograd, identity at start, devices), the error tests and the
property tests all cover it.
"""

from __future__ import annotations

import torch
from torch import nn

from flowlib import (
    IAF,
    MADE,
    MAF,
    AdditiveCoupling,
    AffineCoupling,
    Permutation,
    Reverse,
    Scaling,
    make_iaf,
    make_maf,
    make_nice,
    make_realnvp,
    randomize,
)


def interleaved_mask(dim: int) -> torch.Tensor:
    """Keeps the odd-numbered coordinates: a split that is not two halves."""
    return (torch.arange(dim) % 2 == 1).float()


def cyclic_shift(dim: int) -> list[int]:
    """A permutation that is never the identity."""
    return [(i + 1) % dim for i in range(dim)]


# Every public layer class, with the least dim it accepts.
LAYER_CLASSES = {
    "AdditiveCoupling": AdditiveCoupling, "Scaling": Scaling, "AffineCoupling": AffineCoupling,
    "Permutation": Permutation, "Reverse": Reverse, "MAF": MAF, "IAF": IAF,
}
MIN_DIM = {"AdditiveCoupling": 2, "AffineCoupling": 2, "MAF": 2, "IAF": 2, "MADE": 2, "Scaling": 1, "Permutation": 1,
           "Reverse": 1}
# Layers with a network: a tuple of hidden widths.
WITH_HIDDEN = {"AdditiveCoupling": AdditiveCoupling, "AffineCoupling": AffineCoupling, "MAF": MAF, "IAF": IAF, "MADE": MADE}

# Each variant of each layer, as a function of dim (the split of a coupling, the permutation).
LAYERS = {
    "AdditiveCoupling-parity0": lambda d: AdditiveCoupling(d, parity=0),
    "AdditiveCoupling-parity1": lambda d: AdditiveCoupling(d, parity=1),
    "AdditiveCoupling-mask": lambda d: AdditiveCoupling(d, mask=interleaved_mask(d)),
    "Scaling": lambda d: Scaling(d),
    "AffineCoupling-parity0": lambda d: AffineCoupling(d, parity=0),
    "AffineCoupling-parity1": lambda d: AffineCoupling(d, parity=1),
    "AffineCoupling-mask": lambda d: AffineCoupling(d, mask=interleaved_mask(d)),
    "Permutation": lambda d: Permutation(d, perm=cyclic_shift(d)),
    "Reverse": lambda d: Reverse(d),
    "MAF": lambda d: MAF(d),
    "IAF": lambda d: IAF(d),
}
# Layers holding a network or a scale vector: a new one is the identity map.
IDENTITY_AT_START = [name for name in LAYERS if not name.startswith(("Permutation", "Reverse"))]

BUILDERS = {"nice": make_nice, "realnvp": make_realnvp, "maf": make_maf, "iaf": make_iaf}


def perturbed(module: nn.Module, seed: int = 0, scale: float = 0.3) -> nn.Module:
    """Moves every parameter away from its initial value: new layers and flows are the identity."""
    return randomize(module, scale, generator=torch.Generator().manual_seed(seed))
