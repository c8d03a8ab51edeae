r"""``check_layer``: the one check every flow layer must pass, in float64, against autograd.

Round trips alone do not catch a flipped log-det sign (the commonest bug in this field), so the
log-determinant is compared with ``slogdet`` of the Jacobian that autograd computes.
"""

from __future__ import annotations

import copy
import io

import torch

from .distributions import StandardNormal
from .flow import Flow

__all__ = ["check_layer", "jacobian"]


def jacobian(fn, v: torch.Tensor) -> torch.Tensor:
    r"""The Jacobian ∂fn(v)/∂v of a map of batches, at each row of ``v`` (B, D): shape (B, D, D).

    ``fn`` maps a batch (B, D) to a pair whose first item is a batch (B, D), row by row: a layer's
    ``forward`` or ``inverse``.
    """
    return torch.stack([
        torch.autograd.functional.jacobian(lambda u: fn(u[None])[0][0], row) for row in v
    ])


def _perturb(layer: torch.nn.Module, seed: int, scale: float) -> None:
    # A new layer is the identity (zero last layers), where a sign error in log_det is invisible:
    # move every parameter away from its initial value first.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype).to(p.device))


def check_layer(layer: torch.nn.Module, batch: int = 5, seed: int = 0, scale: float = 0.3,
                atol: float = 1e-7) -> dict[str, float]:
    r"""Check a flow layer against autograd, in float64, on a randomly perturbed copy of it.

    Asserts, for z and x drawn from N(0, I) (B = ``batch`` rows):
      - shapes: outputs (B, D), ``log_det`` (B,), all finite;
      - round trips: inverse(forward(z)) = z and forward(inverse(x)) = x;
      - log|det J|: forward's log_det equals ``slogdet`` of the autograd Jacobian ∂x/∂z per sample,
        and inverse's log_det equals ``slogdet`` of ∂z/∂x;
      - the inverse's log_det is minus the forward's at the same pair (z, x);
      - ∂z/∂x · ∂x/∂z = I (the two Jacobians are inverse matrices);
      - structure: zero wherever ``layer.jacobian_sparsity()`` says so (triangular for MAF/IAF);
      - gradients of log p reach every parameter;
      - ``state_dict`` save and load reproduces ``log_prob``.

    The layer itself is not changed. Returns the largest error of each check (a dict of floats);
    raises ``AssertionError`` naming the first check that fails.
    """
    layer = copy.deepcopy(layer).double()
    _perturb(layer, seed, scale)
    dim = layer.dim
    device = next((t.device for t in [*layer.parameters(), *layer.buffers()]), torch.device("cpu"))
    g = torch.Generator().manual_seed(seed + 1)
    z = torch.randn(batch, dim, generator=g, dtype=torch.float64).to(device)
    x_data = torch.randn(batch, dim, generator=g, dtype=torch.float64).to(device)
    report = {}

    def expect(name, error, tol=atol):
        error = float(error.detach()) if isinstance(error, torch.Tensor) else float(error)
        report[name] = error
        assert error <= tol, f"{type(layer).__name__}: {name} failed (error {float(error):.3g} > {tol:.1g})"

    x, ld_fwd = layer.forward(z)
    z_back, ld_inv = layer.inverse(x)
    assert x.shape == (batch, dim), f"{type(layer).__name__}: forward returned shape {tuple(x.shape)}, expected {(batch, dim)}"
    for name, ld in (("forward", ld_fwd), ("inverse", ld_inv)):
        assert ld.shape == (batch,), f"{type(layer).__name__}: {name} log_det has shape {tuple(ld.shape)}, expected ({batch},)"
    finite = all(bool(torch.isfinite(t).all()) for t in (x, ld_fwd, z_back, ld_inv))
    assert finite, f"{type(layer).__name__}: non-finite output"
    expect("round trip z -> x -> z", (z_back - z).abs().max())
    x2, _ = layer.forward(layer.inverse(x_data)[0])
    expect("round trip x -> z -> x", (x2 - x_data).abs().max())
    expect("inverse log_det = -forward log_det", (ld_inv + ld_fwd).abs().max())

    j_fwd = jacobian(layer.forward, z)  # (B, D, D) = ∂x/∂z
    j_inv = jacobian(layer.inverse, x.detach())  # ∂z/∂x at the image points
    expect("forward log_det = slogdet(∂x/∂z)", (torch.linalg.slogdet(j_fwd).logabsdet - ld_fwd).abs().max())
    expect("inverse log_det = slogdet(∂z/∂x)", (torch.linalg.slogdet(j_inv).logabsdet - ld_inv).abs().max())
    eye = torch.eye(dim, dtype=torch.float64, device=device)
    expect("∂z/∂x · ∂x/∂z = I", (j_inv @ j_fwd - eye).abs().max())
    if hasattr(layer, "jacobian_sparsity"):
        outside = ~layer.jacobian_sparsity()
        expect("Jacobian zero outside the claimed structure", (j_fwd.abs() * outside).max() if outside.any() else 0.0, 0.0)

    flow = Flow(StandardNormal(dim), [layer]).double().to(device)
    params = list(layer.parameters())
    if params:
        flow.zero_grad()
        flow.log_prob(x_data).sum().backward()
    for name, p in layer.named_parameters():
        assert p.grad is not None and bool(p.grad.abs().sum() > 0), f"{type(layer).__name__}: no gradient reaches {name}"
    report["parameters reached by gradients"] = float(len(params))

    buffer = io.BytesIO()
    torch.save(flow.state_dict(), buffer)
    restored = copy.deepcopy(flow)
    _perturb(restored, seed + 2, scale)  # scramble, then load: the load must restore everything
    buffer.seek(0)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    with torch.no_grad():
        expect("state_dict save/load keeps log_prob", (restored.log_prob(x_data) - flow.log_prob(x_data)).abs().max(), 0.0)
    return report
