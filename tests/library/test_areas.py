"""flowlib's areas: the shoelace formula, a square's boundary, and the area of its image under a map."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowlib import shoelace_area, square_boundary

F64 = torch.float64


def test_shoelace_area_signed_and_batched():
    square = [[0, 0], [1, 0], [1, 1], [0, 1]]
    assert shoelace_area(square) == 1.0
    assert shoelace_area(square[::-1]) == -1.0
    batch = np.array([[[0, 0], [2, 0], [2, 3], [0, 3]], [[0, 0], [0, 1], [1, 1], [1, 0]]], dtype=float)  # parallelograms of A
    assert np.allclose(shoelace_area(batch), [6.0, -1.0])
    assert shoelace_area(torch.tensor(square, dtype=F64)) == 1.0
    with pytest.raises(ValueError, match=r"shape \(K, 2\)"):
        shoelace_area([[0, 0], [1, 1]])


def test_square_boundary_runs_counter_clockwise_around_the_square():
    boundary = square_boundary([0.3, -0.2], [0.5, 2.0], n=8)
    assert boundary.shape == (2, 32, 2)
    assert np.allclose(shoelace_area(boundary.numpy()), [0.25, 4.0])
    assert torch.allclose(boundary[1].mean(0), torch.tensor([0.3, -0.2], dtype=F64))
