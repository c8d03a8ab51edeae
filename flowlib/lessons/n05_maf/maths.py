r"""Notebook 05's maths that the notebook uses but does not show: the states of raster-order MAF sampling."""

from __future__ import annotations

import torch

from ... import record_made_passes

__all__ = ["raster_states"]


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
