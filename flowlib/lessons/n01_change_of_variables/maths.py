r"""Notebook 01's maths that the notebook uses but does not show.

The 1-D target p* and its monotone maps, the 2x2 linear map's areas and density, and ``Bend``, a hand-made
invertible 2-D flow layer.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ... import StandardNormal, check_points

__all__ = [
    "BASES", "target_pdf", "target_cdf", "target_icdf", "base_pdf", "base_cdf", "monotone_map",
    "monotone_map_inverse", "parallelogram", "monte_carlo_area", "is_singular", "linear_density",
    "THETA_TRUE", "Bend",
]


BASES = ("uniform", "gaussian")


_WEIGHTS, _MEANS, _STDS = (0.4, 0.6), (-1.6, 1.2), (0.45, 0.7)  # the target p*: two Gaussians


_BRACKET = 12.0  # bisection searches [-12, 12]: p* and N(0, 1) have no mass to speak of outside


def _normal_pdf(x, mean=0.0, std=1.0):
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def _normal_cdf(x, mean=0.0, std=1.0):
    return 0.5 * (1 + torch.erf((x - mean) / (std * math.sqrt(2))))


def target_pdf(x: torch.Tensor) -> torch.Tensor:
    r"""p*(x) = 0.4 N(x; -1.6, 0.45²) + 0.6 N(x; 1.2, 0.7²), elementwise: the 1-D target.

    >>> round(float(target_pdf(torch.tensor(1.2))), 4)
    0.342
    """
    return sum(w * _normal_pdf(x, m, s) for w, m, s in zip(_WEIGHTS, _MEANS, _STDS))


def target_cdf(x: torch.Tensor) -> torch.Tensor:
    r"""F*(x) = P(X ≤ x) under the target p*, elementwise."""
    return sum(w * _normal_cdf(x, m, s) for w, m, s in zip(_WEIGHTS, _MEANS, _STDS))


def _bisect(increasing, y: torch.Tensor, low: float, high: float, iterations: int = 60) -> torch.Tensor:
    """Solve increasing(v) = y elementwise by bisection on [low, high] (60 halvings: float64 exact)."""
    lo, hi = torch.full_like(y, low), torch.full_like(y, high)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        above = increasing(mid) > y
        lo, hi = torch.where(above, lo, mid), torch.where(above, mid, hi)
    return (lo + hi) / 2


def target_icdf(u: torch.Tensor) -> torch.Tensor:
    r"""F*⁻¹(u), the inverse CDF of the target (by bisection): x = F*⁻¹(u) has density p* when u ~ U(0, 1).

    >>> x = target_icdf(torch.tensor([0.25, 0.5], dtype=torch.float64))
    >>> target_cdf(x)
    tensor([0.2500, 0.5000], dtype=torch.float64)
    """
    u = torch.as_tensor(u)
    if not u.is_floating_point():
        raise TypeError(f"target_icdf: expected a floating-point tensor of probabilities, got dtype {u.dtype}")
    # A table of F* brackets each root in a cell of width 0.006; three Newton steps x -= (F*(x) - u) / p*(x),
    # kept inside the cell, then reach machine precision. Much cheaper than bisection on big batches.
    grid = torch.linspace(-_BRACKET, _BRACKET, 4097, dtype=u.dtype, device=u.device)
    table = target_cdf(grid)
    k = torch.searchsorted(table, u.contiguous()).clamp(1, len(grid) - 1)
    lo, hi = grid[k - 1], grid[k]
    x = lo + (u - table[k - 1]) / (table[k] - table[k - 1]).clamp_min(1e-300) * (hi - lo)
    for _ in range(3):
        x = torch.minimum(torch.maximum(x - (target_cdf(x) - u) / target_pdf(x).clamp_min(1e-300), lo), hi)
    return x


def check_base(base: str, who: str) -> None:
    if base not in BASES:
        raise ValueError(f"{who}: base must be one of {BASES}, got {base!r}")


def base_pdf(v: torch.Tensor, base: str) -> torch.Tensor:
    r"""p_V(v) of the base: ``"uniform"`` on [0, 1] or ``"gaussian"`` N(0, 1), elementwise."""
    check_base(base, "base_pdf")
    if base == "uniform":
        return ((v >= 0) & (v <= 1)).to(v.dtype)
    return _normal_pdf(v)


def base_cdf(v: torch.Tensor, base: str) -> torch.Tensor:
    r"""F_V(v) of the base, elementwise: v clipped to [0, 1] (uniform) or Φ(v) (Gaussian)."""
    check_base(base, "base_cdf")
    return v.clamp(0, 1) if base == "uniform" else _normal_cdf(v)


def check_t(t) -> float:
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"monotone_map: t must lie in [0, 1] (0: identity, 1: the exact map to p*), got {t}")
    return t


def monotone_map(v: torch.Tensor, base: str, t: float, transported: torch.Tensor | None = None):
    r"""x = f_t(v) = (1 - t) v + t T(v) and its derivative f_t'(v) = (1 - t) + t T'(v), elementwise.

    T = F*⁻¹ ∘ F_V is the increasing map that sends the base p_V exactly to the target p*, with
    T'(v) = p_V(v) / p*(T(v)). A mix of two increasing maps is increasing, so every f_t is invertible:
    t = 0 is the identity, t = 1 is T. ``transported``: T(v) if already computed (it costs a bisection).

    Returns ``(x, dx_dv)``, both shaped like ``v``.
    """
    check_base(base, "monotone_map")
    t = check_t(t)
    big_t = target_icdf(base_cdf(v, base)) if transported is None else transported
    # T' = p_V / p*(T): at the very ends of the support p* underflows to 0 and T' is infinite
    # (the density there is 0 anyway); clamping keeps a finite number.
    dt = base_pdf(v, base) / target_pdf(big_t).clamp_min(1e-300)
    return (1 - t) * v + t * big_t, (1 - t) + t * dt


def monotone_map_inverse(x: torch.Tensor, base: str, t: float) -> torch.Tensor:
    r"""v = f_t⁻¹(x) by bisection over the base's support ([0, 1] or [-12, 12]).

    Points outside the image of f_t come back clipped to the support's ends.
    """
    check_base(base, "monotone_map_inverse")
    low, high = (0.0, 1.0) if base == "uniform" else (-_BRACKET, _BRACKET)
    return _bisect(lambda v: monotone_map(v, base, t)[0], x, low, high)


_SINGULAR_TOL = 1e-9  # |det A| below this (relative to the entries' scale) counts as det A = 0


def parallelogram(a: float, b: float, c: float, d: float) -> np.ndarray:
    r"""The image of the unit square under A = (a c; b d): the corners 0, Ae₁, A(e₁+e₂), Ae₂, shape (4, 2).

    >>> parallelogram(2, 0, 1, 1).tolist()
    [[0.0, 0.0], [2.0, 0.0], [3.0, 1.0], [1.0, 1.0]]
    """
    return np.array([[0.0, 0.0], [a, b], [a + c, b + d], [c, d]], dtype=np.float64)


def monte_carlo_area(vertices, unit_points) -> tuple[float, float]:
    r"""Area of a convex polygon by Monte Carlo, measured without any determinant: ``(area, standard error)``.

    The points ``unit_points`` (N, 2), uniform on [0, 1]², are stretched over the polygon's bounding box;
    a point is inside when it lies on the same side of every edge (the signs of the cross products
    agree, whichever way the corners run). area = box area × fraction inside.
    """
    v = np.asarray(vertices, dtype=np.float64)
    p = torch.as_tensor(unit_points).detach().cpu().double().numpy()
    low, high = v.min(0), v.max(0)
    box = float(np.prod(high - low))
    if box == 0.0:
        return 0.0, 0.0
    p = low + p * (high - low)
    edges = np.roll(v, -1, axis=0) - v  # (K, 2)
    rel = p[:, None, :] - v[None]  # (N, K, 2)
    cross = edges[None, :, 0] * rel[..., 1] - edges[None, :, 1] * rel[..., 0]  # (N, K)
    inside = (cross >= 0).all(1) | (cross <= 0).all(1)
    frac = float(inside.mean())
    return box * frac, box * math.sqrt(frac * (1 - frac) / len(p))


def is_singular(a: float, b: float, c: float, d: float) -> bool:
    r"""True when det A = ad - bc is zero up to rounding (relative to the size of A's entries)."""
    scale = max(1.0, a * a + b * b + c * c + d * d)
    return abs(a * d - b * c) <= _SINGULAR_TOL * scale


def linear_density(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r"""p_X(x) = p_Z(Wx) |det W|, W = A⁻¹, for z uniform on the unit square and x = Az; shape (B,).

    Raises ``ValueError`` for a singular A: then x lies on a line (or a point), a set of area 0,
    and p_X does not exist.

    >>> linear_density(torch.tensor([[2.0, 1.0], [0.0, 1.0]]), torch.tensor([[1.5, 0.5], [0.0, 2.0]]))
    tensor([0.5000, 0.0000])
    """
    matrix = torch.as_tensor(matrix)
    if matrix.shape != (2, 2):
        raise ValueError(f"linear_density: expected A of shape (2, 2), got {tuple(matrix.shape)}")
    check_points(x, 2, "linear_density", "x")
    (a, c), (b, d) = matrix.tolist()
    if is_singular(a, b, c, d):
        raise ValueError(f"linear_density: A is singular (det A = ad - bc = {a * d - b * c:.3g}): x = Az lies on "
                         "a line or a point, a set of area 0, so p_X has no density and W = A⁻¹ does not exist")
    w = torch.linalg.inv(matrix.to(x))
    z = x @ w.T  # Wx, row by row
    inside = ((z >= 0) & (z <= 1)).all(-1)
    return inside.to(x.dtype) * torch.linalg.det(w).abs()


THETA_TRUE = (0.3, 0.4, 0.6, 0.3)  # (a, s, b, φ) of the notebook's data


class Bend(nn.Module):
    r"""A hand-made non-linear invertible 2-D flow layer with four parameters θ = (a, s, b, φ).

    Forward (generative, z ↦ x): stretch z₁, bend z₂ (a scale and a parabola that depend on z₁), rotate:
        y₁ = e^a z₁,   y₂ = e^{s z₁} z₂ + b z₁²,   x = R(φ) y
    Inverse (x ↦ z):
        y = R(-φ) x,   z₁ = e^{-a} y₁,   z₂ = (y₂ - b z₁²) e^{-s z₁}
    log|det ∂x/∂z| = a + s z₁ (the rotation has det 1); the inverse returns minus that, shape (B,).

    It follows flowlib's contract, so ``Flow(StandardNormal(2), [Bend(...)])`` has ``log_prob``,
    ``sample`` and trains with ``fit``. θ starts at 0: the identity.

    >>> bend = Bend(0.3, 0.5, 0.6, 0.8)
    >>> z = torch.randn(4, 2)
    >>> x, log_det = bend(z)
    >>> torch.allclose(bend.inverse(x)[0], z, atol=1e-5), torch.allclose(log_det, 0.3 + 0.5 * z[:, 0])
    (True, True)
    """

    def __init__(self, a: float = 0.0, s: float = 0.0, b: float = 0.0, phi: float = 0.0):
        super().__init__()
        self.dim = 2
        self.theta = nn.Parameter(torch.tensor([a, s, b, phi], dtype=torch.float32))

    def _rotation(self, x: torch.Tensor, sign: float):
        phi = sign * self.theta[3]
        cos, sin = torch.cos(phi), torch.sin(phi)
        return torch.stack([cos * x[:, 0] - sin * x[:, 1], sin * x[:, 0] + cos * x[:, 1]], 1)

    def forward(self, z: torch.Tensor):
        check_points(z, 2, "Bend.forward", "z")
        a, s, b, _ = self.theta
        y1 = torch.exp(a) * z[:, 0]
        y2 = torch.exp(s * z[:, 0]) * z[:, 1] + b * z[:, 0] ** 2
        return self._rotation(torch.stack([y1, y2], 1), 1.0), a + s * z[:, 0]

    def inverse(self, x: torch.Tensor):
        check_points(x, 2, "Bend.inverse", "x")
        a, s, b, _ = self.theta
        y = self._rotation(x, -1.0)
        z1 = torch.exp(-a) * y[:, 0]
        z2 = (y[:, 1] - b * z1**2) * torch.exp(-s * z1)
        return torch.stack([z1, z2], 1), -(a + s * z1)

    def extra_repr(self) -> str:
        a, s, b, phi = self.theta.tolist()
        return f"a={a:.3f}, s={s:.3f}, b={b:.3f}, phi={phi:.3f}"


def bend_log_density(bend: Bend, x: torch.Tensor) -> torch.Tensor:
    """log p_X(x) = log N(f⁻¹(x); 0, I) + log|det ∂f⁻¹/∂x| (the generalized formula), shape (B,)."""
    z, log_det = bend.inverse(x)
    return StandardNormal(2).log_prob(z) + log_det
