r"""``check_layer``: the one check every flow layer must pass, in float64, against autograd.

Round trips alone do not catch a flipped log-det sign (the commonest bug in this field), so the
log-determinant is compared with ``slogdet`` of the Jacobian that autograd computes.
"""

from __future__ import annotations

import copy
import io

import torch

from ._validate import FlowlibError, check_int, check_module, check_number, check_seed
from .distributions import StandardNormal
from .flow import Flow
from .perturb import randomize

__all__ = ["check_layer", "jacobian"]


def jacobian(fn, v: torch.Tensor) -> torch.Tensor:
    r"""The Jacobian ∂fn(v)/∂v of a map of batches, at each row of ``v`` (B, D): shape (B, D, D).

    ``fn`` maps a batch (B, D) to a pair whose first item is a batch (B, D), row by row: a layer's
    ``forward`` or ``inverse``.
    """
    if not callable(fn):
        raise FlowlibError(f"jacobian: fn must be a function of a batch (B, D), such as layer.forward, got {type(fn).__name__}")
    if not isinstance(v, torch.Tensor) or v.dim() != 2 or not v.is_floating_point():
        shape = f"{v.dtype} of shape {tuple(v.shape)}" if isinstance(v, torch.Tensor) else type(v).__name__
        raise FlowlibError(f"jacobian: v must be a floating-point tensor of shape (B, D), got {shape}")
    return torch.stack([
        torch.autograd.functional.jacobian(lambda u: fn(u[None])[0][0], row) for row in v
    ])


def _perturb(layer: torch.nn.Module, seed: int, scale: float, buffers: bool = False) -> None:
    # A new layer is the identity (zero last layers), where a sign error in log_det is invisible:
    # move every parameter away from its initial value first. With ``buffers``, floating-point
    # buffers too (to scramble a copy before loading a state_dict into it).
    randomize(layer, scale, generator=torch.Generator().manual_seed(seed), buffers=buffers)


def _plain_tensors(module: torch.nn.Module) -> list[str]:
    """Names of tensors kept as plain attributes: neither moved by ``.to()`` nor saved by ``state_dict``."""
    return [f"{prefix}.{key}" if prefix else key
            for prefix, m in module.named_modules() for key, value in vars(m).items() if isinstance(value, torch.Tensor)]


def check_layer(layer: torch.nn.Module, batch: int = 5, seed: int = 0, scale: float = 0.3,
                atol: float = 1e-7) -> dict[str, float]:
    r"""Check a flow layer against autograd, in float64, on a randomly perturbed copy of it.

    Asserts, for z and x drawn from N(0, I) (B = ``batch`` rows; x uniform inside ``layer.domain`` = (low, high)
    where the layer has one, as ``LogitTransform``, defined on an interval only):
      - shapes: outputs (B, D), ``log_det`` (B,), all finite;
      - round trips: inverse(forward(z)) = z and forward(inverse(x)) = x;
      - log|det J|: forward's log_det equals ``slogdet`` of the autograd Jacobian ∂x/∂z per sample,
        and inverse's log_det equals ``slogdet`` of ∂z/∂x;
      - the inverse's log_det is minus the forward's at the same pair (z, x);
      - ∂z/∂x · ∂x/∂z = I (the two Jacobians are inverse matrices);
      - structure: zero wherever ``layer.jacobian_sparsity()`` says so (triangular for MAF/IAF);
      - gradients of log p reach every parameter;
      - no tensor is kept as a plain attribute, and ``state_dict`` save and load (into a copy whose
        parameters and floating-point buffers were scrambled) reproduces ``log_prob``.

    The layer itself is not changed. Returns the largest error of each check (a dict of floats);
    raises ``AssertionError`` naming the first check that fails, and ``FlowlibError`` for a bad argument.
    """
    check_module(layer, "check_layer", "layer", kind="a flow layer")
    batch = check_int(batch, "check_layer", "batch", least=1, example="5")
    seed = check_seed(seed, "check_layer")
    scale = check_number(scale, "check_layer", "scale", non_negative=True, example="0.3")
    atol = check_number(atol, "check_layer", "atol", positive=True, example="1e-7")
    hidden_state = _plain_tensors(layer)
    if hidden_state:
        raise AssertionError(f"{type(layer).__name__}: tensors kept as plain attributes {hidden_state}; register them "
                             "with register_buffer (or as nn.Parameter) so that .to(device) moves them and state_dict saves them")
    layer = copy.deepcopy(layer).double()
    _perturb(layer, seed, scale)
    dim = layer.dim
    device = next((t.device for t in [*layer.parameters(), *layer.buffers()]), torch.device("cpu"))
    g = torch.Generator().manual_seed(seed + 1)
    z = torch.randn(batch, dim, generator=g, dtype=torch.float64).to(device)
    x_data = torch.randn(batch, dim, generator=g, dtype=torch.float64).to(device)
    if getattr(layer, "domain", None) is not None:  # a layer defined on an interval (LogitTransform): x inside it
        low, high = layer.domain
        x_data = (low + (high - low) * (0.05 + 0.9 * torch.rand(batch, dim, generator=g, dtype=torch.float64))).to(device)
    report = {}
    who = type(layer).__name__

    def require(ok: bool, message: str) -> None:
        # An explicit raise, not ``assert``: the check must also run under ``python -O``.
        if not ok:
            raise AssertionError(f"{who}: {message}")

    def expect(name, error, tol=atol):
        error = float(error.detach()) if isinstance(error, torch.Tensor) else float(error)
        report[name] = error
        require(error <= tol, f"{name} failed (error {error:.3g} > {tol:.1g})")  # a NaN error fails too

    def check_shapes(name, out, ld):
        require(out.shape == (batch, dim), f"{name} returned shape {tuple(out.shape)}, expected {(batch, dim)}")
        require(ld.shape == (batch,), f"{name} log_det has shape {tuple(ld.shape)}, expected ({batch},)")

    x, ld_fwd = layer.forward(z)
    check_shapes("forward", x, ld_fwd)
    z_back, ld_inv = layer.inverse(x)
    check_shapes("inverse", z_back, ld_inv)
    finite = all(bool(torch.isfinite(t).all()) for t in (x, ld_fwd, z_back, ld_inv))
    require(finite, "non-finite output (NaN or inf) from forward or inverse")
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
        require(p.grad is not None and bool(p.grad.abs().sum() > 0), f"no gradient reaches {name}")
    report["parameters reached by gradients"] = float(len(params))

    buffer = io.BytesIO()
    torch.save(flow.state_dict(), buffer)
    restored = copy.deepcopy(flow)
    _perturb(restored, seed + 2, scale, buffers=True)  # scramble, then load: the load must restore everything
    buffer.seek(0)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    with torch.no_grad():
        expect("state_dict save/load keeps log_prob", (restored.log_prob(x_data) - flow.log_prob(x_data)).abs().max(), 0.0)
    return report
