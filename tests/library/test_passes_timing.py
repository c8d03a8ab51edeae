"""flowlib's counting of network passes, direction timing, ``randomize`` and the MADE/digit drawing helpers."""

from __future__ import annotations

import time
from functools import partial

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from flowlib import (
    IAF,
    MADE,
    MAF,
    TARGETS,
    digit_grid,
    direction_times,
    interleaved_seconds,
    made_masks,
    make_iaf,
    make_maf,
    make_nice,
    make_realnvp,
    network_passes,
    plot_direction_times,
    plot_made_masks,
    randomize,
    record_made_passes,
)
from flowlib.lessons.n05_maf.views import RASTER_SAMPLING, TRAINING, RasterSamplingView
from flowlib.lessons.n06_iaf.views import REVERSE_KL, ReverseKLView


def _hooks(module):
    return sum(len(m._forward_hooks) for m in module.modules() if isinstance(m, MADE))


@pytest.mark.parametrize("dim", [2, 5, 16])
def test_pass_counts_of_maf_and_iaf(dim):
    v = torch.randn(3, dim)
    maf, iaf = MAF(dim, hidden=(8,)), IAF(dim, hidden=(8,))
    assert len(record_made_passes(maf, lambda: maf.inverse(v))[1]) == 1
    assert len(record_made_passes(maf, lambda: maf(v))[1]) == dim
    assert len(record_made_passes(iaf, lambda: iaf(v))[1]) == 1
    assert len(record_made_passes(iaf, lambda: iaf.inverse(v))[1]) == dim


def test_pass_counts_of_a_flow_and_the_result_is_returned():
    flow = make_maf(4, layers=3, hidden=(8,))
    x = torch.randn(2, 4)
    (z, log_det), inputs = record_made_passes(flow, lambda: flow.inverse(x))
    assert len(inputs) == 3
    assert torch.equal(z, flow.inverse(x)[0]) and log_det.shape == (2,)
    assert len(record_made_passes(flow, lambda: flow(x))[1]) == 3 * 4
    iaf_flow = make_iaf(4, layers=2, hidden=(8,))
    assert len(record_made_passes(iaf_flow, lambda: iaf_flow.sample_with_log_prob(5))[1]) == 2
    assert len(record_made_passes(iaf_flow, lambda: iaf_flow.log_prob(x))[1]) == 2 * 4


def test_hooks_are_removed_even_when_the_call_raises():
    layer = MAF(3, hidden=(8,))
    record_made_passes(layer, lambda: layer(torch.randn(2, 3)))
    assert _hooks(layer) == 0
    with pytest.raises(ValueError, match="MAF.forward"):
        record_made_passes(layer, lambda: layer(torch.randn(2, 4)))
    assert _hooks(layer) == 0


def test_record_made_passes_rejects_bad_input():
    with pytest.raises(ValueError, match="holds no MADE"):
        record_made_passes(torch.nn.Linear(2, 2), lambda: None)
    with pytest.raises(TypeError, match="function of no arguments"):
        record_made_passes(MAF(2), torch.randn(2, 2))


def test_direction_times_rows():
    maf_rows = direction_times(MAF, (2, 5), batch=8, hidden=(8,), repeats=1)
    iaf_rows = direction_times(IAF, (3,), batch=8, hidden=(8,), repeats=1)
    assert [r["D"] for r in maf_rows] == [2, 5]
    assert [(r["inverse passes"], r["forward passes"]) for r in maf_rows] == [(1, 2), (1, 5)]
    assert [(r["inverse passes"], r["forward passes"]) for r in iaf_rows] == [(3, 1)]
    assert all(r["forward s"] > 0 and r["inverse s"] > 0 for r in maf_rows + iaf_rows)
    fig = plot_direction_times({"MAF": maf_rows, "IAF": iaf_rows})
    assert len(fig.axes[0].lines) == 4
    plt.close(fig)


def test_interleaved_seconds_takes_turns_and_keeps_the_fastest():
    order = []
    seconds = interleaved_seconds({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats=3, warmup=1)
    assert order == ["a", "b"] + ["a", "b"] * 3  # warm-up of each, then rounds in turns
    assert set(seconds) == {"a", "b"} and all(0 <= s < 0.1 for s in seconds.values())
    delays = iter([0.0, 0.2, 0.0, 0.2])  # warm-up, then one slow round (a burst of load) among fast ones
    assert interleaved_seconds({"c": lambda: time.sleep(next(delays))}, repeats=3)["c"] < 0.1
    threads, seen = torch.get_num_threads(), []
    interleaved_seconds({"d": lambda: seen.append(torch.get_num_threads())}, repeats=2)
    assert seen == [1, 1, 1] and torch.get_num_threads() == threads  # timed on one thread, the setting restored
    with pytest.raises(ValueError, match="repeats"):
        interleaved_seconds({"a": lambda: None}, repeats=0)
    with pytest.raises(TypeError, match="dict"):
        interleaved_seconds([lambda: None])


def test_randomize_moves_every_parameter_repeatably():
    a, b = MAF(3, hidden=(8,)), MAF(3, hidden=(8,))
    b.load_state_dict(a.state_dict())
    before = [p.clone() for p in a.parameters()]
    assert randomize(a, 0.1, generator=torch.Generator().manual_seed(1)) is a
    randomize(b, 0.1, generator=torch.Generator().manual_seed(1))
    assert all(not torch.equal(p, q) for p, q in zip(a.parameters(), before))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(ValueError, match="std"):
        randomize(a, -1.0)
    with pytest.raises(TypeError, match="nn.Module"):
        randomize(torch.zeros(2))


def test_drawing_helpers_edge_cases():
    states = torch.rand(65, 3, 64)
    for k in (-5, 0, 64, 100):  # clipped to 0..64
        assert isinstance(RASTER_SAMPLING.draw(states, k=k), matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="square images"):
        RasterSamplingView(torch.rand(11, 2, 10))
    fits = {name: [(0, torch.randn(50, 2))] for name in TARGETS}
    assert isinstance(REVERSE_KL.draw(fits, target="wavy", index=99), matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="no fit for target"):
        ReverseKLView({"two_arcs": fits["two_arcs"]}).update(target="banana")
    with pytest.raises(ValueError, match="expected one of"):
        ReverseKLView(fits).update(target="moons")
    snapshots = [(1, torch.rand(10, 10).numpy(), torch.randn(20, 2))]
    assert isinstance(TRAINING.draw(snapshots, torch.randn(30, 2), (-4, 4, -4, 4), index=7), matplotlib.figure.Figure)


def test_plot_made_masks_and_digit_grid_in_one_row():
    masks = made_masks(4, hidden=(6, 6))
    fig = plot_made_masks(masks)
    assert len(fig.axes) == len(masks) + 1
    plt.close(fig)
    images = torch.rand(3, 64)
    images[1, 5] = float("nan")  # a pixel not computed yet (RASTER_SAMPLING) stays NaN
    mosaic = digit_grid(images, nrow=1)
    assert mosaic.shape == (8, 3 * 9 - 1)
    assert (mosaic[:, 8] == 1).all() and abs(mosaic[0, 0] - (1 - float(images[0, 0]))) < 1e-7  # white gaps, ink dark
    assert np.isnan(mosaic).sum() == 1 and np.isnan(mosaic[0, 9 + 5])


@pytest.mark.parametrize("dim", [2, 5, 16])
@pytest.mark.parametrize("layers", [1, 3])
def test_network_passes_of_every_builder(dim, layers):
    x = torch.randn(4, dim)
    expected = {  # (density of data, sampling): the slides' costs, K = layers
        make_nice: (layers, layers), make_realnvp: (layers, layers),
        make_maf: (layers, layers * dim), make_iaf: (layers * dim, layers),
    }
    for build, (density, sampling) in expected.items():
        flow = build(dim, layers=layers, hidden=(8,))
        log_p, passes = network_passes(flow, partial(flow.log_prob, x))
        assert torch.equal(log_p, flow.log_prob(x)) and passes == density, build.__name__
        assert network_passes(flow, partial(flow.sample, 3))[1] == sampling, build.__name__
        assert network_passes(flow, partial(flow.sample_with_log_prob, 3))[1] == sampling, build.__name__


def test_network_passes_removes_its_hooks_even_when_the_call_raises():
    flow = make_iaf(3, layers=2, hidden=(8,))

    def sample_then_fail():
        flow.sample(2)
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        network_passes(flow, sample_then_fail)
    assert sum(len(m._forward_hooks) for m in flow.modules()) == 0
    assert network_passes(flow, lambda: flow.sample(2))[1] == 2  # and it counts afresh next time


def test_network_passes_bad_input():
    with pytest.raises(TypeError, match="call must be a function of no arguments"):
        network_passes(make_maf(2, layers=1), 3)
    with pytest.raises(ValueError, match="holds no MAF, IAF or coupling layer"):
        network_passes(torch.nn.Linear(2, 2), lambda: None)


def test_network_passes_counts_each_made_call():
    flow = make_maf(4, layers=2, hidden=(8,))
    calls = []
    hooks = [m.register_forward_hook(lambda *a: calls.append(1)) for m in flow.modules() if isinstance(m, MADE)]
    passes = network_passes(flow, lambda: flow.sample(5))[1]
    for h in hooks:
        h.remove()
    assert passes == len(calls) == 8
