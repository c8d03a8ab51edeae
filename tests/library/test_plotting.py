"""Plot helpers: each returns a Figure (or draws into a given panel), draws the right thing, never shows."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import flowlib
from flowlib import (
    grid_points,
    make_maf,
    make_realnvp,
    plot_density,
    plot_digits,
    plot_grid_warp,
    plot_layers,
    plot_loss,
    plot_matrix,
    plot_samples,
    toy_data,
    toy_log_prob,
)

FLOWLIB = Path(flowlib.__file__).parent


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    """A helper that called plt.show() would fail the test."""
    assert matplotlib.get_backend().lower() == "agg"

    def fail(*args, **kwargs):
        raise AssertionError("a flowlib plot helper called plt.show()")

    monkeypatch.setattr(plt, "show", fail)


def right_half(points):
    """log p = 0 on x₁ > 0, -inf elsewhere (density 1 on the right half)."""
    return torch.where(points[:, 0] > 0, 0.0, -torch.inf)


def test_plot_density_draws_p_the_right_way_up():
    fig = plot_density(right_half, bounds=(-1, 1, -2, 2), n=40)
    assert isinstance(fig, Figure)
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (40, 40)
    assert (image[:, :20] == 0).all() and (image[:, 20:] == 1).all()  # columns are x₁, left to right
    assert fig.axes[0].images[0].get_extent() == [-1, 1, -2, 2]
    upper = plot_density(lambda p: torch.where(p[:, 1] > 0, 0.0, -torch.inf), n=40).axes[0].images[0].get_array()
    assert (upper[:20] == 0).all() and (upper[20:] == 1).all()  # rows are x₂, bottom (origin) to top


def test_plot_density_of_a_flow_and_of_a_density_with_minus_infinity():
    flow = make_realnvp(2, layers=2, hidden=(8,)).double()  # float64 points are made for a float64 flow
    assert isinstance(plot_density(flow.log_prob, n=30, title="flow"), Figure)
    board = plot_density(lambda p: toy_log_prob("checkerboard", p), n=30).axes[0].images[0].get_array()
    assert np.isfinite(board).all() and board.min() == 0 and board.max() == pytest.approx(1 / 8)
    with pytest.raises(ValueError, match=r"plot_density: log_prob must map points \(B, 2\) to log-densities \(B,\), "
                                         r"got \(900, 1\)"):
        plot_density(lambda p: p[:, :1], n=30)


def test_plot_samples():
    x = toy_data("moons", 300)
    fig = plot_samples(x, bounds=(-3, 3, -2, 2), title="moons")
    ax = fig.axes[0]
    assert np.allclose(ax.collections[0].get_offsets(), x.numpy())
    assert ax.get_xlim() == (-3, 3) and ax.get_title() == "moons"
    assert isinstance(plot_samples(x.numpy()), Figure)  # arrays work too
    flow = make_maf(2, layers=2, hidden=(8,))
    assert isinstance(plot_samples(flow.sample(50)), Figure)  # tensors that require grad too
    with pytest.raises(ValueError, match=r"plot_samples: expected points of shape \(B, 2\), got shape \(10, 3\)"):
        plot_samples(torch.zeros(10, 3))


def test_plot_grid_warp_draws_the_image_of_the_grid():
    fig = plot_grid_warp(lambda p: 2 * p, bounds=(-1, 1, -1, 1), lines=5)
    lines = fig.axes[0].lines
    assert len(lines) == 2 * 5
    ends = np.concatenate([line.get_xydata() for line in lines])
    assert ends.min() == pytest.approx(-2) and ends.max() == pytest.approx(2)
    flow = make_realnvp(2, layers=2, hidden=(8,))
    assert isinstance(plot_grid_warp(lambda p: flow(p)[0]), Figure)


def test_plot_layers_one_panel_per_step():
    flow = make_maf(2, layers=2, hidden=(8,))
    steps = flow.forward_steps(torch.randn(100, 2))[:3]  # z, after MAF, after Reverse
    fig = plot_layers(steps, titles=[f"after {i}" for i in range(len(steps))], ncols=2)
    assert len(fig.axes) == 4  # 3 steps on a 2x2 grid, the fourth panel switched off
    assert [ax.get_title() for ax in fig.axes[:3]] == ["after 0", "after 1", "after 2"]
    assert not fig.axes[3].axison


def test_plot_digits_lays_out_the_images():
    x = torch.zeros(6, 64)
    x[1] = 1.0  # an all-ink image
    fig = plot_digits(x, nrow=2)
    canvas = fig.axes[0].images[0].get_array()
    assert canvas.shape == (2 * 9 - 1, 3 * 9 - 1)
    assert (canvas[9:17, 0:8] == 0).all() and (canvas[0:8, 0:8] == 1).all()  # image 1 is row 1, column 0
    with pytest.raises(ValueError, match=r"plot_digits: expected points of shape \(B, 64\)"):
        plot_digits(torch.zeros(6, 8, 8))


def test_plot_loss_and_plot_matrix():
    fig = plot_loss([3.0, 2.0, 1.5], label="MAF")
    assert list(fig.axes[0].lines[0].get_ydata()) == [3.0, 2.0, 1.5]
    m = torch.tensor([[1.0, 0.0], [-3.0, 2.0]])
    fig = plot_matrix(m, title="J")
    assert len(fig.axes) == 2  # the matrix and its colour bar
    assert fig.axes[0].images[0].get_clim() == (-3.0, 3.0)  # centred on zero


def test_helpers_draw_into_a_given_panel():
    fig, axes = plt.subplots(1, 5)
    points = toy_data("eight_gaussians", 50)
    assert plot_density(right_half, n=20, ax=axes[0]) is fig
    assert plot_samples(points, ax=axes[1]) is fig
    assert plot_grid_warp(lambda p: p, lines=3, ax=axes[2]) is fig
    assert plot_loss([1.0, 0.5], ax=axes[3]) is fig
    assert plot_matrix(torch.eye(2), ax=axes[4]) is fig
    assert len(fig.axes) == 6  # plus plot_matrix's colour bar: no new figure was opened
    assert plt.get_fignums() == [fig.number]


def test_grid_points():
    points, xs, ys = grid_points((0, 1, 10, 12), n=3)
    assert points.shape == (9, 2)
    assert xs.tolist() == [0.0, 0.5, 1.0] and ys.tolist() == [10.0, 11.0, 12.0]
    assert points[:3].tolist() == [[0.0, 10.0], [0.5, 10.0], [1.0, 10.0]]  # x varies fastest, as in an image row


def test_flowlib_never_calls_plt_show():
    """Only Demo.show (the notebook-facing widget) may show; library helpers return Figures."""
    offenders = []
    for path in sorted(FLOWLIB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "show" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "plt":
                offenders.append(f"{path.relative_to(FLOWLIB)}:{node.lineno}")
    assert [where for where in offenders if not where.startswith("demos/__init__.py:")] == []
