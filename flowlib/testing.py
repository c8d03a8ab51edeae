r"""Testing a flow layer against measurements that need no log-det of its own.

- ``check_layer``: the one check every flow layer must pass, in float64, against autograd. Round trips
  alone do not catch a flipped log-det sign (the commonest bug in this field), so the log-determinant
  is compared with ``slogdet`` of the Jacobian that autograd computes (``jacobian``).
- ``randomize``: move a module's parameters away from where they start. flowlib's couplings, MADE and
  MLP start with a zero last layer, so a new layer is the identity map: right for training, useless for
  showing a Jacobian's structure or a sign error in a log-det (``check_layer`` perturbs its copy).
- Areas in the plane, measured without a determinant, what |det J| is compared against:
  ``shoelace_area`` (a polygon's signed area), ``square_boundary`` (points around squares of side ε at
  z₀) and ``image_area`` (area(f(square)), which tends to |det J_f(z₀)| ε² as ε shrinks, notebook 02,
  and equals ∫ |det J| over the square, notebook 04).
"""

from __future__ import annotations

import copy
import io

import numpy as np
import torch

from ._validate import FlowlibError, check_int, check_module, check_number, check_seed
from .distributions import StandardNormal
from .flow import Flow

__all__ = ["check_layer", "jacobian", "randomize", "shoelace_area", "square_boundary", "image_area"]


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




@torch.no_grad()
def randomize(module: torch.nn.Module, std: float = 0.3, generator: torch.Generator | None = None,
              buffers: bool = False, seed: int | None = None) -> torch.nn.Module:
    r"""Add N(0, std²) noise to every parameter of ``module`` (with ``buffers``, to its floating-point
    buffers too), in place; returns ``module``.

    The noise is drawn on the CPU in the tensor's dtype, from ``generator`` (default: torch's global
    one, so seed torch for repeatable noise; with ``seed``, a new generator seeded with it), then moved:
    the same numbers on any device.

    >>> from flowlib import MAF
    >>> layer = randomize(MAF(3, hidden=(8,)), std=0.1, generator=torch.Generator().manual_seed(0))
    >>> bool(layer(torch.ones(1, 3))[0].ne(1).any())  # no longer the identity
    True
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"randomize: expected a torch.nn.Module, got {type(module).__name__}")
    if not std >= 0:
        raise ValueError(f"randomize: std must be >= 0, got {std}")
    if seed is not None:
        generator = torch.Generator().manual_seed(check_seed(seed, "randomize"))
    tensors = list(module.parameters())
    if buffers:
        tensors += [b for b in module.buffers() if b.is_floating_point()]
    for t in tensors:
        noise = torch.randn(t.shape, generator=generator, dtype=t.dtype)
        t.add_(std * noise.to(t.device))
    return module


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
    randomize(layer, scale, seed=seed)
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
    randomize(restored, scale, seed=seed + 2, buffers=True)  # scramble, then load: the load must restore everything
    buffer.seek(0)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    with torch.no_grad():
        expect("state_dict save/load keeps log_prob", (restored.log_prob(x_data) - flow.log_prob(x_data)).abs().max(), 0.0)
    return report


def shoelace_area(vertices):
    r"""The signed area of a polygon, ½ Σᵢ (xᵢ yᵢ₊₁ - xᵢ₊₁ yᵢ): positive when the corners run counter-clockwise.

    ``vertices``: array-like of shape (K, 2), K ≥ 3, in order around the polygon; returns a float.
    A batch of polygons (..., K, 2) gives an array of areas of shape (...).

    >>> shoelace_area([[0, 0], [2, 0], [3, 1], [1, 1]])  # the image of the unit square under (2 1; 0 1)
    2.0
    >>> shoelace_area([[0, 0], [0, 1], [1, 1], [1, 0]])  # clockwise
    -1.0
    """
    v = np.asarray(vertices.detach().cpu() if isinstance(vertices, torch.Tensor) else vertices, dtype=np.float64)
    if v.ndim < 2 or v.shape[-1] != 2 or v.shape[-2] < 3:
        raise ValueError(f"shoelace_area: expected vertices of shape (K, 2) with K >= 3 (or a batch (..., K, 2)), "
                         f"got shape {v.shape}")
    x, y = v[..., 0], v[..., 1]
    area = 0.5 * np.sum(x * np.roll(y, -1, axis=-1) - np.roll(x, -1, axis=-1) * y, axis=-1)
    return float(area) if v.ndim == 2 else area


def square_boundary(z0, eps, n: int = 64) -> torch.Tensor:
    r"""Points around the squares of side ε centred at z₀, counter-clockwise from the lower left corner,
    n per side: shape (E, 4n, 2) for a vector of E sizes ``eps`` (float64).

    >>> square_boundary((0.0, 0.0), [2.0], n=1)[0].tolist()
    [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
    """
    z0 = torch.as_tensor(z0, dtype=torch.float64).reshape(1, 1, 2)
    eps = torch.as_tensor(eps, dtype=torch.float64).reshape(-1, 1, 1)
    t = torch.linspace(-0.5, 0.5, n + 1, dtype=torch.float64)[:-1]
    half = torch.full_like(t, 0.5)
    sides = [torch.stack(p, 1) for p in ((t, -half), (half, t), (-t, half), (-half, -t))]  # bottom, right, top, left
    return z0 + eps * torch.cat(sides)[None]


def image_area(f, z0, eps, n: int = 64) -> np.ndarray:
    r"""area(f(square of side ε around z₀)), one per entry of ``eps``: the shoelace formula on the image of
    the boundary (4n points) under ``f``, a map of batches (B, 2) -> (B, 2) in float64. f(z₀) is
    subtracted first, so that tiny areas keep their digits.

    >>> float(image_area(lambda z: 3 * z, (1.0, 2.0), [0.5])[0])  # (3 · 0.5)²
    2.25
    """
    boundary = square_boundary(z0, eps, n)  # (E, 4n, 2)
    x = f(boundary.reshape(-1, 2)).reshape(boundary.shape)
    centre = f(torch.as_tensor(z0, dtype=torch.float64).reshape(1, 2))
    return np.atleast_1d(shoelace_area((x - centre).detach().cpu().numpy()))
