"""flowlib.standardize (FixedAffine, standardized) and flowlib.snapshots (Snapshots): what notebooks 03, 04 and 07 train with."""

from __future__ import annotations

import math

import pytest
import torch

from flowlib import (
    FixedAffine,
    Snapshots,
    check_layer,
    fit,
    fit_reverse_kl,
    make_iaf,
    make_nice,
    make_realnvp,
    randomize,
    standardized,
)
from flowlib.lessons.course import TOY_BOUNDS


def _moved(layer, seed=0, std=0.4):
    return randomize(layer, std, generator=torch.Generator().manual_seed(seed))


def test_fixed_affine_passes_the_layer_check():
    layer = FixedAffine(torch.tensor([0.5, -1.0, 2.0]), torch.tensor([0.1, 1.0, 3.0]))
    report = check_layer(layer)
    assert report["forward log_det = slogdet(∂x/∂z)"] < 1e-7


@pytest.mark.parametrize("loc, scale, match", [
    (torch.zeros(3), torch.tensor([1.0, 0.0, 1.0]), "scale finite and > 0"),
    (torch.zeros(3), torch.ones(2), "shape"),
    (torch.zeros(2, 2), torch.ones(2, 2), "shape"),
    (torch.zeros(0), torch.ones(0), "D >= 1"),
    (torch.tensor([0.0, math.nan]), torch.ones(2), "finite"),
])
def test_fixed_affine_rejects_bad_parameters(loc, scale, match):
    with pytest.raises(ValueError, match=match):
        FixedAffine(loc, scale)


def test_fixed_affine_keeps_a_floating_dtype_and_converts_integers():
    assert FixedAffine(torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)).scale.dtype == torch.float64
    layer = FixedAffine([1, 2], [3, 4])
    assert layer.loc.dtype == layer.scale.dtype == torch.float32


def test_standardized_keeps_the_data_units():
    g = torch.Generator().manual_seed(0)
    data = 3.0 + 0.2 * torch.randn(400, 4, generator=g)
    inner = _moved(make_nice(4, layers=2, hidden=(8,)))
    flow = standardized(inner, data)
    mean, std = data.mean(0), data.std(0)
    x = 3.0 + 0.2 * torch.randn(10, 4, generator=g)
    expected = inner.log_prob((x - mean) / std) - std.log().sum()  # the change of variables by hand
    with torch.no_grad():
        assert torch.allclose(flow.log_prob(x), expected, atol=1e-5)
        # An untrained flowlib flow is the identity, so sampling gives back mean + std ⊙ z.
        samples = standardized(make_nice(4, layers=2), data).sample(20_000)
    assert torch.allclose(samples.mean(0), mean, atol=0.01)
    assert torch.allclose(samples.std(0), std, rtol=0.03)
    assert list(flow.layers)[:-1] == list(inner.layers)  # shares the layers: training one trains the other


def test_standardized_rejects_a_single_row():
    with pytest.raises(ValueError, match="at least 2 rows"):
        standardized(make_nice(2, layers=2), torch.zeros(1, 2))


def test_snapshots_record_the_right_steps_and_do_not_change_training():
    data = torch.randn(500, 2, generator=torch.Generator().manual_seed(0)) * torch.tensor([1.0, 0.3])
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))

    def train(with_recorder):
        torch.manual_seed(0)
        flow = make_realnvp(2, layers=2, hidden=(8,))
        recorder = Snapshots(flow, z, every=10, bounds=TOY_BOUNDS, n=12) if with_recorder else None
        losses = fit(flow, data, steps=30, batch_size=64, lr=1e-2, callback=recorder, progress=False)
        return flow, recorder, losses

    flow_a, recorder, losses_a = train(True)
    flow_b, _, losses_b = train(False)
    assert losses_a == losses_b
    for p, q in zip(flow_a.parameters(), flow_b.parameters()):
        assert torch.equal(p, q)
    assert [s for s, _, _ in recorder.snapshots] == [0, 10, 20, 30]
    step, density, samples = recorder.snapshots[-1]
    assert density.shape == (12, 12) and samples.shape == (50, 2)
    with torch.no_grad():
        assert torch.allclose(torch.as_tensor(samples), flow_a(z)[0])
    # the untrained snapshot is the identity flow: the samples are z itself
    assert torch.allclose(torch.as_tensor(recorder.snapshots[0][2]), z)


def test_snapshots_reject_bad_arguments():
    flow = make_nice(2, layers=2)
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        Snapshots(flow, torch.zeros(3, 2), every=0)
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        Snapshots(flow, torch.zeros(3, 3), every=1)


def test_snapshots_record_the_fixed_batch_without_drawing_random_numbers():
    torch.manual_seed(0)
    student = make_iaf(2, layers=2, hidden=(8,))
    z = torch.randn(50, 2)
    with torch.no_grad():
        before = student(z)[0]
    snapshots = Snapshots(student, z, every=4)
    state = torch.get_rng_state()
    snapshots(0, student)  # after 1 step: not a multiple of 4
    assert torch.equal(torch.get_rng_state(), state)
    assert [s.step for s in snapshots.snapshots] == [0] and snapshots.snapshots[0].density is None  # no bounds
    fit_reverse_kl(student, lambda x: -0.5 * x.pow(2).sum(-1), steps=8, progress=False, callback=snapshots)
    steps = [s.step for s in snapshots.snapshots]
    assert steps == [0, 4, 8]
    assert torch.equal(torch.as_tensor(snapshots.snapshots[0].samples), before)
    assert not torch.allclose(torch.as_tensor(snapshots.snapshots[-1].samples), before)  # it trained
    with torch.no_grad():
        assert torch.allclose(torch.as_tensor(snapshots.snapshots[-1].samples), student(z)[0])
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        Snapshots(student, z, every=0)
    with pytest.raises(ValueError, match=r"expected z of shape \(B, 2\)"):
        Snapshots(student, torch.randn(5, 3), every=1)
