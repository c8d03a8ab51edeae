r"""Areas in the plane, measured without a determinant: what |det J| is compared against.

- ``shoelace_area(vertices)``: the signed area of a polygon.
- ``square_boundary(z0, eps, n)``: points around squares of side ε centred at z₀.
- ``image_area(f, z0, eps, n)``: area(f(square)), the shoelace formula on the mapped boundary; it
  tends to |det J_f(z₀)| ε² as ε shrinks (notebook 02), and equals ∫ |det J| over the square (04).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["shoelace_area", "square_boundary", "image_area"]


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
