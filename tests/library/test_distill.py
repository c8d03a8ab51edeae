"""flowlib.distill (distil, estimate_kl) and the "banana" toy that notebook 07 distils on."""

from __future__ import annotations

import copy
import math
from functools import partial

import pytest
import torch

from flowlib import (
    Flow,
    Scaling,
    StandardNormal,
    distil,
    estimate_kl,
    grid_points,
    make_iaf,
    make_maf,
    make_realnvp,
    randomize,
    target_log_prob,
    toy_data,
    toy_entropy,
    toy_log_prob,
)


def _gaussian_flow(log_scale) -> Flow:
    """x = z ⊙ e^s: the Gaussian N(0, diag(e^{2s})) as a flow (a single NICE Scaling layer)."""
    layer = Scaling(len(log_scale))
    with torch.no_grad():
        layer.s.copy_(torch.as_tensor(log_scale, dtype=torch.float32))
    return Flow(StandardNormal(len(log_scale)), [layer])


# --- estimate_kl -------------------------------------------------------------------------------


def test_estimate_kl_matches_the_closed_form_for_gaussians():
    # KL(N(0, σ²I) ‖ N(0, I)) = D/2 (σ² - 1 - log σ²) per the closed form, here with D = 2.
    torch.manual_seed(0)
    s = 0.5
    q, p = _gaussian_flow([s, s]), _gaussian_flow([0.0, 0.0])
    exact = math.exp(2 * s) - 1 - 2 * s  # D/2 (σ² - 1 - log σ²) with D = 2, σ² = e^{2s}
    kl, se = estimate_kl(q, p, n=40_000)
    assert 0 < se < 0.05
    assert abs(kl - exact) < 4 * se, (kl, exact, se)


def test_estimate_kl_is_zero_for_a_flow_against_itself_and_positive_otherwise():
    torch.manual_seed(1)
    flow = randomize(make_maf(3, layers=2, hidden=(8,)), 0.2)
    kl, se = estimate_kl(flow, flow, n=2000)
    assert abs(kl) < 1e-5 and se < 1e-5
    other = make_iaf(3, layers=2, hidden=(8,))
    kl, se = estimate_kl(other, flow, n=4000)
    assert kl > 4 * se > 0


def test_estimate_kl_accepts_a_log_density_function_and_uses_batches():
    torch.manual_seed(2)
    q = _gaussian_flow([0.0, 0.0])
    truth = partial(toy_log_prob, "banana")
    kl, _ = estimate_kl(q, truth, n=1000, batch_size=300)  # 4 batches, the last of 100
    torch.manual_seed(2)
    parts = [q.sample_with_log_prob(k) for k in (300, 300, 300, 100)]
    expected = torch.cat([lq - truth(x) for x, lq in parts]).double().mean().item()
    assert kl == pytest.approx(expected, abs=1e-9)


def test_estimate_kl_bad_input():
    flow = make_maf(2, layers=1, hidden=(4,))
    with pytest.raises(TypeError, match="estimate_kl: q must be a Flow"):
        estimate_kl(torch.zeros(3), flow)
    with pytest.raises(TypeError, match="estimate_kl: p must be a Flow or a function"):
        estimate_kl(flow, 3.0)
    with pytest.raises(ValueError, match="estimate_kl: q has dim 2 but p has dim 3"):
        estimate_kl(flow, make_maf(3, layers=1, hidden=(4,)))
    with pytest.raises(ValueError, match="estimate_kl: n must be an int >= 2, got 1"):
        estimate_kl(flow, flow, n=1)
    with pytest.raises(ValueError, match=r"estimate_kl: log p must return one value per point, shape \(10,\) on cpu, "
                                         r"got \(10, 1\) on cpu"):
        estimate_kl(flow, lambda x: x[:, :1], n=10)


# --- distil ------------------------------------------------------------------------------------


def _teacher(dim=2, seed=0):
    torch.manual_seed(seed)
    return randomize(make_maf(dim, layers=2, hidden=(16,)), 0.3)  # away from N(0, I): the student has something to learn


def test_distil_brings_the_student_close_to_the_teacher():
    teacher = _teacher()
    student = make_iaf(2, layers=2, hidden=(16,))
    before, _ = estimate_kl(student, teacher, n=5000)
    losses = distil(student, teacher, steps=300, batch_size=256, lr=1e-2, progress=False)
    after, se = estimate_kl(student, teacher, n=5000)
    assert len(losses) == 300 and all(math.isfinite(v) for v in losses)
    assert before > 0.2, before  # the task is not trivial...
    assert after < 0.2 * before and after < 0.1, (before, after, se)  # ...and distillation solves most of it


def test_distil_first_loss_is_the_reverse_kl_of_one_batch():
    teacher = _teacher(seed=3)
    student = make_iaf(2, layers=2, hidden=(16,))
    torch.manual_seed(7)
    x, log_q = copy.deepcopy(student).sample_with_log_prob(64)
    expected = (log_q - teacher.log_prob(x)).mean().item()
    torch.manual_seed(7)
    first = distil(student, teacher, steps=1, batch_size=64, progress=False)[0]
    assert first == pytest.approx(expected, abs=1e-6)


def test_distil_leaves_the_teacher_alone():
    teacher = _teacher(seed=4)
    teacher.layers[0].made.net[0].weight.requires_grad_(False)  # a parameter the user froze stays frozen
    flags = [p.requires_grad for p in teacher.parameters()]
    state = copy.deepcopy(teacher.state_dict())
    seen = []
    distil(make_iaf(2, layers=2, hidden=(16,)), teacher, steps=20, lr=1e-2, progress=False,
           callback=lambda step, flow: seen.append(any(p.requires_grad for p in teacher.parameters())))
    assert seen == [False] * 20  # frozen during the run: no gradient stored for the teacher
    assert [p.requires_grad for p in teacher.parameters()] == flags  # restored after
    assert all(torch.equal(v, state[k]) for k, v in teacher.state_dict().items())
    assert all(p.grad is None for p in teacher.parameters())


def test_distil_restores_the_teacher_when_training_fails():
    teacher = _teacher(seed=5)

    def boom(step, flow):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        distil(make_iaf(2, layers=1, hidden=(8,)), teacher, steps=5, progress=False, callback=boom)
    assert all(p.requires_grad for p in teacher.parameters())


def test_distil_bad_input():
    teacher, student = make_maf(2, layers=1, hidden=(4,)), make_iaf(2, layers=1, hidden=(4,))
    with pytest.raises(ValueError, match="distil: the student has dim 3 but the teacher has dim 2"):
        distil(make_iaf(3, layers=1, hidden=(4,)), teacher, steps=1, progress=False)
    with pytest.raises(TypeError, match="distil: the teacher must be a Flow"):
        distil(student, lambda x: x.sum(-1), steps=1, progress=False)
    with pytest.raises(TypeError, match="distil: the student must be a Flow"):
        distil(torch.nn.Linear(2, 2), teacher, steps=1, progress=False)
    with pytest.raises(ValueError, match="distil: the student and the teacher share parameters"):
        distil(student, student, steps=1, progress=False)
    with pytest.raises(ValueError, match="steps must be an int >= 0"):
        distil(student, teacher, steps=-1, progress=False)


def test_distil_works_for_coupling_students_and_in_float64():
    teacher = _teacher(seed=6).double()
    student = make_realnvp(2, layers=2, hidden=(8,)).double()
    losses = distil(student, teacher, steps=5, batch_size=32, progress=False)
    assert len(losses) == 5 and all(math.isfinite(v) for v in losses)


# --- the banana toy ----------------------------------------------------------------------------


def test_banana_density_is_the_normalized_target_and_integrates_to_one():
    points, xs, ys = grid_points((-9.0, 9.0, -4.0, 40.0), n=901, dtype=torch.float64)
    log_p = toy_log_prob("banana", points)
    mass = float(log_p.exp().sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))
    assert abs(mass - 1) < 1e-3, mass
    gap = log_p - target_log_prob("banana", points)  # the same shape, normalized: a constant offset
    assert float(gap.max() - gap.min()) < 1e-9
    assert float(gap[0]) == pytest.approx(-math.log(2 * math.pi * 1.5 * 0.5))


def test_banana_samples_follow_its_density():
    x = toy_data("banana", 100_000, seed=5).double()
    assert abs(float(x[:, 0].std()) - 1.5) < 0.02
    residual = x[:, 1] - (x[:, 0] ** 2 / 2 - 1.5)
    assert abs(float(residual.mean())) < 0.01 and abs(float(residual.std()) - 0.5) < 0.01
    # Monte Carlo entropy of the samples against the exact one: toy_data and toy_log_prob agree.
    assert float(-toy_log_prob("banana", x).mean()) == pytest.approx(toy_entropy("banana"), abs=0.01)
    for x0, y0 in ((-0.5, -2.0), (1.0, -1.5), (-2.5, 1.0)):
        box = (x0, x0 + 1, y0, y0 + 1)
        points, _, _ = grid_points(box, n=101, dtype=torch.float64)
        mass = float(toy_log_prob("banana", points).exp().mean())  # the box has area 1
        inside = float(((x[:, 0] >= box[0]) & (x[:, 0] < box[1]) & (x[:, 1] >= box[2]) & (x[:, 1] < box[3])).double().mean())
        assert abs(mass - inside) < 0.005, (box, mass, inside)


def test_banana_entropy_is_exact():
    assert toy_entropy("banana") == pytest.approx(math.log(2 * math.pi * math.e * 0.75))
