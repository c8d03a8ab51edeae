r"""Checkers for notebook 01 (change of variables): sampling by inverse CDF, the density of a pushed-forward
variable (notebook 01's ``Bend``), and the maximum-likelihood training loop written by hand."""

from __future__ import annotations

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from ...distributions import StandardNormal
from ...flow import Flow
from ...nice import Scaling
from ..grading import (
    BASE_FORGOTTEN,
    DIRECTION,
    LOG_DET_SIGN,
    NO_GRADIENT,
    NO_WEIGHTS,
    NOT_A_TENSOR,
    SHAPE,
    SHAPE_B1,
    WRONG,
    call,
    compare,
    compare_gradients,
    exercise,
    fail,
    generator,
    leaf,
    log_p_z,
    max_error,
    output,
    passed,
    untimed,
)
from .maths import Bend

__all__ = ["sample_exponential", "bend_log_prob", "training_loop"]

CDF_NOT_INVERSE = "the CDF instead of its inverse"
NEGATIVE = "negative samples"
RATE_INVERTED = "multiplied by the rate"
LOG_DET_FORGOTTEN = "log-det forgotten"
DENSITY_NOT_LOG = "density instead of log-density"
ROTATION_SIGN = "rotated the wrong way"
LOSS_SIGN = "likelihood maximised the wrong way"
SUM_NOT_MEAN = "sum instead of mean"
NO_STEP = "parameters never updated"
NO_ZERO_GRAD = "gradients accumulate"


@exercise(CDF_NOT_INVERSE, NEGATIVE, RATE_INVERTED, SHAPE_B1, NO_WEIGHTS)
def sample_exponential(sample_fn):
    r"""``sample_fn(u, rate) -> (N,)``: samples of Exp(λ) from u ~ U(0, 1) by the inverse CDF,
    F⁻¹(u) = -log(1 - u)/λ (or -log(u)/λ: 1 - u is uniform too). Graded pointwise for two rates."""
    g = generator(1)
    u = torch.rand(1000, generator=g, dtype=torch.float64)
    rates = (2.0, 0.5)
    got = [output(call(sample_fn, u, rate, signature="sample(u, rate)"), "the samples", (len(u),), like=u)
           for rate in rates]
    if max_error(got[0], got[1]) < 1e-12:
        fail(NO_WEIGHTS, "the samples are the same for two different rates λ: they do not use the rate.",
             "F⁻¹(u) = -log(1 - u)/λ.")
    rate = rates[0]
    want = -torch.log1p(-u) / rate
    alternative = max_error(got[0], -torch.log(u) / rate) <= 1e-8  # -log(u)/λ: right too
    compare(got[0], -torch.log(u) / rate if alternative else want, "the samples", (
        (CDF_NOT_INVERSE, 1 - torch.exp(-rate * u), "that is the CDF F(u) = 1 - e^{-λu}: sampling needs its inverse F⁻¹.",
         "solve u = 1 - e^{-λx} for x."),
        (NEGATIVE, torch.log1p(-u) / rate, "the samples are negative: log(1 - u) < 0, so a minus sign is missing.",
         "F⁻¹(u) = -log(1 - u)/λ."),
        (RATE_INVERTED, -torch.log1p(-u) * rate, "the samples are multiplied by λ: the mean of Exp(λ) is 1/λ, so divide.",
         "F⁻¹(u) = -log(1 - u)/λ."),
    ), hint="F(x) = 1 - e^{-λx}; solve u = F(x) for x.")
    for size in (7, 1):  # another size and rate, drawn afresh: nothing may be hard-coded
        u_k = torch.rand(size, generator=g, dtype=torch.float64)
        rate_k = float(torch.empty(()).uniform_(0.3, 3.0, generator=g))
        got_k = output(call(sample_fn, u_k, rate_k, signature="sample(u, rate)"), "the samples", (size,), like=u_k)
        if max_error(got_k, -torch.log1p(-u_k) / rate_k) > 1e-8 and max_error(got_k, -torch.log(u_k) / rate_k) > 1e-8:
            fail(WRONG, f"the samples are right for {len(u)} draws at λ = {rates[0]:g}, but not for {size} at λ = "
                 f"{rate_k:.3g}: something is fixed that should follow u or rate.", "F⁻¹(u) = -log(1 - u)/λ, "
                 "element by element, with the u and rate given.")
    if alternative:
        return passed("-log(u)/λ is an exponential sampler too (u and 1 - u are both uniform), checked for four rates λ "
                      "and three sizes; the inverse CDF itself is -log(1 - u)/λ.")
    return passed("x = -log(1 - u)/λ is the inverse CDF of Exp(λ), checked pointwise for four rates λ and three sizes.")


@exercise(BASE_FORGOTTEN, LOG_DET_SIGN, LOG_DET_FORGOTTEN, DIRECTION, ROTATION_SIGN, DENSITY_NOT_LOG, SHAPE_B1, NO_WEIGHTS)
def bend_log_prob(log_prob_fn):
    r"""``log_prob_fn(x, theta) -> (B,)``: log p_X(x) for x = f(z) = Bend_θ(z), z ~ N(0, I), θ = (a, s, b, φ):

        log p_X(x) = log p_Z(f⁻¹(x)) + log|det ∂f⁻¹/∂x|,   f⁻¹: y = R(-φ)x, z₁ = e^{-a}y₁, z₂ = (y₂ - b z₁²)e^{-s z₁},
        log|det ∂f⁻¹/∂x| = -(a + s z₁).

    Graded against ``Flow(StandardNormal(2), [Bend(*θ)]).log_prob`` for two random θ away from the identity."""
    g = generator(2)
    x = 2 * torch.randn(6, 2, generator=g, dtype=torch.float64)
    thetas = [torch.tensor([0.3, 0.4, 0.6, 0.8], dtype=torch.float64), torch.tensor([-0.2, 0.5, -0.4, 1.1], dtype=torch.float64)]
    got = [output(call(log_prob_fn, x, theta, signature="log_prob(x, theta)"), "log p_X(x)", (len(x),), like=x)
           for theta in thetas]
    if max_error(got[0], got[1]) < 1e-12:
        fail(NO_WEIGHTS, "log p_X(x) is the same for two different θ: it does not use the theta it is given.",
             "a, s, b, phi = theta.")
    # three draws: the first θ above, then θ and batch sizes drawn afresh (a ≠ φ, b ≠ 0, every entry distinct)
    draws = [(x, thetas[0])] + [(2 * torch.randn(batch, 2, generator=g, dtype=torch.float64),
                                torch.randn(4, generator=g, dtype=torch.float64) * 0.6 + torch.tensor([0.1, -0.2, 0.3, 0.5],
                                                                                                     dtype=torch.float64))
                               for batch in (3, 9)]
    for k, (x_k, theta_k) in enumerate(draws):
        bend = Bend().double()
        with torch.no_grad():
            bend.theta.copy_(theta_k)  # exactly θ (Bend(*θ) would round it to float32 first)
        x_k = leaf(x_k)
        want_grad = Flow(StandardNormal(2), [bend]).double().log_prob(x_k)  # the reference first
        got_k = output(call(log_prob_fn, x_k, bend.theta, signature="log_prob(x, theta)"), "log p_X(x)", (len(x_k),),
                       like=x_k)
        with torch.no_grad():
            want = want_grad.detach()
            z, log_det = bend.inverse(x_k)
            x_f, log_det_f = bend(x_k)
            mirrored = Bend().double()  # φ ↦ -φ: the inverse that rotates by +φ first
            mirrored.theta.copy_(theta_k * torch.tensor([1.0, 1.0, 1.0, -1.0], dtype=torch.float64))
            rotated_wrong = Flow(StandardNormal(2), [mirrored]).double().log_prob(x_k)
        compare(got_k, want, "log p_X(x)", (
            (BASE_FORGOTTEN, log_det, "that is only the log-determinant: the base density log p_Z(f⁻¹(x)) is forgotten.",
             "add log N(z; 0, I) = -½‖z‖² - log 2π at z = f⁻¹(x)."),
            (LOG_DET_SIGN, log_p_z(z) - log_det, "the log-determinant has the wrong sign: log|det ∂f⁻¹/∂x| = -(a + s z₁).",
             "the inverse shrinks where the forward stretches: its log-det is minus the forward's."),
            (LOG_DET_FORGOTTEN, log_p_z(z), "that is log p_Z(f⁻¹(x)) alone: the log-determinant term is forgotten (without it "
             "the density does not integrate to 1).", "add log|det ∂f⁻¹/∂x| = -(a + s z₁)."),
            (DIRECTION, log_p_z(x_f) + log_det_f, "that evaluates the forward map f(x): the density needs the inverse, "
             "z = f⁻¹(x).", "y = R(-φ)x, z₁ = e^{-a}y₁, z₂ = (y₂ - b z₁²)e^{-s z₁}."),
            (DIRECTION, log_p_z(x_f) - log_det_f, "that evaluates the forward map f(x): the density needs the inverse, "
             "z = f⁻¹(x).", "y = R(-φ)x, z₁ = e^{-a}y₁, z₂ = (y₂ - b z₁²)e^{-s z₁}."),
            (ROTATION_SIGN, rotated_wrong, "the inverse rotates by +φ: undoing x = R(φ) y needs y = R(-φ) x.",
             "y₁ = cos φ x₁ + sin φ x₂, y₂ = -sin φ x₁ + cos φ x₂."),
            (DENSITY_NOT_LOG, want.exp(), "that is the density p_X(x), not its log.",
             "return log p_Z(z) + log|det|, without exp."),
        ), hint="z = f⁻¹(x) step by step (rotate by -φ first), then log p_Z(z) - (a + s z₁)"
                + ("." if k == 0 else f"; right at the first θ, wrong at θ = {[round(float(t), 3) for t in theta_k]} "
                   f"with {len(x_k)} points: is a value of θ or the batch size fixed somewhere?"))
        compare_gradients(got_k, want_grad, "log p_X(x)", [("θ", [bend.theta]), ("x", [x_k])], seed=k)
    return passed("log p_X(x) = log p_Z(f⁻¹(x)) - (a + s z₁) equals flowlib's Flow([Bend]).log_prob, values and "
                  "gradients (θ and x), for three θ away from the identity and three batch sizes, shape (B,).")


def _scaling_flow(s0):
    flow = Flow(StandardNormal(2), [Scaling(2)]).double()
    with torch.no_grad():
        flow.layers[0].s.copy_(torch.tensor(s0, dtype=torch.float64))
    return flow


def _run(train_fn, flow, data, steps, lr):
    """The student's loop on ``flow`` (which it trains, in place), and for each optimiser step it took whether
    the flow's parameters had a gradient then; returns (the losses as floats, [bool per step])."""
    params = set(flow.parameters())
    opt_steps = []

    def seen(optimizer, args, kwargs):
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p in params]
        opt_steps.append(any(g is not None and bool(g.abs().max() > 0) for g in grads))

    handle = register_optimizer_step_pre_hook(seen)
    try:
        losses = call(train_fn, flow, data, steps, lr, signature="train(flow, data, steps, lr)", mutable=(0,))
    finally:
        handle.remove()
    try:
        losses = [float(v) for v in losses]
    except (TypeError, ValueError, RuntimeError):
        fail(NOT_A_TENSOR, f"train should return the list of losses (floats), got {type(losses).__name__}.",
             "losses.append(loss.item()) at every step, and return losses.")
    if len(losses) != steps:
        fail(SHAPE, f"train returned {len(losses)} losses for steps={steps}: one per step expected.",
             "for step in range(steps): ... (the steps given, not a number of your own).")
    return losses, opt_steps


def _reference_losses(s0, data, steps, lr):
    """The published loop's losses: Adam on -flow.log_prob(data).mean(), one step per iteration."""
    flow = _scaling_flow(s0)
    opt = torch.optim.Adam(flow.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = -flow.log_prob(data).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _same_losses(losses, reference, steps, lr, s0, data, what: str) -> None:
    """The student's losses must follow the reference's step by step; a fixed lr is named once confirmed."""
    gap = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(losses, reference))
    if gap <= 1e-6:
        return
    for fixed in (0.05, 1e-3, 1e-2, 0.1):  # the notebook's lr, and Adam's and usual defaults
        if abs(fixed - lr) > 1e-12:
            other = _reference_losses(s0, data, steps, fixed)
            if max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(losses, other)) <= 1e-6:
                fail(WRONG, f"the losses{what} are those of Adam with lr = {fixed:g}, not with the lr given ({lr:.3g}).",
                     "torch.optim.Adam(flow.parameters(), lr=lr): the argument lr.")
    step = next(i for i, (a, b) in enumerate(zip(losses, reference)) if abs(a - b) / max(1.0, abs(b)) > 1e-6)
    fail(WRONG, f"the losses{what} part from the reference loop's at step {step} (counted from 0): {losses[step]:.6g} "
         f"where Adam on -flow.log_prob(data).mean() gives {reference[step]:.6g}.",
         "each step: loss = -flow.log_prob(data).mean() on the whole data, zero_grad, backward, step; record the loss "
         "before the step; use the flow, data, steps and lr given.")


@exercise(LOSS_SIGN, BASE_FORGOTTEN, LOG_DET_SIGN, DIRECTION, SUM_NOT_MEAN, NO_STEP, NO_ZERO_GRAD)
def training_loop(train_fn):
    r"""``train_fn(flow, data, steps, lr) -> losses``: maximum likelihood with Adam, each step on the whole ``data``,
    loss = -mean log p_X(x); returns the list of the ``steps`` losses (floats).

    Graded on a diagonal Gaussian fit (a ``Scaling`` flow started away from the identity, 512 points, 200
    steps, lr 0.05), whose maximum-likelihood answer is known: s_i = ½ log mean(x_i²)."""
    with untimed():  # the first optimiser a process makes imports torch's machinery: seconds, not the student's
        torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    data = torch.randn(512, 2, generator=generator(3), dtype=torch.float64) * torch.tensor([0.5, 2.0], dtype=torch.float64)
    s0, steps, lr = (0.3, -0.4), 200, 0.05
    flow = _scaling_flow(s0)
    param = flow.layers[0].s
    fresh, accumulated = [], []
    param.register_hook(lambda grad: fresh.append(grad.detach().clone()))
    param.register_post_accumulate_grad_hook(lambda p: accumulated.append(p.grad.detach().clone()))
    losses, opt_steps = _run(train_fn, flow, data, steps, lr)
    with torch.no_grad():
        start = _scaling_flow(s0)
        layer = start.layers[0]
        nll = -start.log_prob(data).mean().item()
        z, ld = layer.inverse(data)
        x_f, ld_f = layer(data)
        candidates = [
            (LOSS_SIGN, -nll, "the loss is +mean log p: the loop maximises the negative log-likelihood.",
             "minimise -flow.log_prob(data).mean()."),
            (SUM_NOT_MEAN, nll * len(data), "the loss sums over the data instead of averaging: lr then depends on the data "
             "size.", "-flow.log_prob(data).mean()."),
            (BASE_FORGOTTEN, -ld.mean().item(), "the loss holds only the log-det: the base density log p_Z(z) is forgotten.",
             "-flow.log_prob(data).mean(), or -(log p_Z(z) + log_det).mean() with z, log_det = flow.inverse(data)."),
            (LOG_DET_SIGN, -(log_p_z(z) - ld).mean().item(), "the loss subtracts the inverse's log-det: its sign is flipped.",
             "log p_X(x) = log p_Z(z) + log_det, with z, log_det = flow.inverse(x)."),
            (DIRECTION, -(log_p_z(x_f) + ld_f).mean().item(), "the loss sends the data through flow.forward (z ↦ x): the "
             "likelihood needs x ↦ z, flow.inverse.", "flow.log_prob(data) does it for you."),
            (DIRECTION, -(log_p_z(x_f) - ld_f).mean().item(), "the loss sends the data through flow.forward (z ↦ x): the "
             "likelihood needs x ↦ z, flow.inverse.", "flow.log_prob(data) does it for you."),
        ]
    if abs(losses[0] - nll) > 1e-6:
        for mistake, value, message, hint in candidates:
            if abs(losses[0] - value) <= 1e-6:
                fail(mistake, message, hint)
        fail(WRONG, f"the first loss is {losses[0]:.4f}, but -mean log p_X(data) before any step is {nll:.4f}.",
             "the loss of each step is -flow.log_prob(data).mean(), on the whole data, recorded before the step.")
    if max_error(param, torch.tensor(s0, dtype=torch.float64)) == 0:
        if not opt_steps:
            fail(NO_STEP, "the parameters never changed: no optimiser step was taken.",
                 "opt = torch.optim.Adam(flow.parameters(), lr=lr), and opt.step() after loss.backward().")
        if not any(opt_steps) and not fresh:
            fail(NO_GRADIENT, f"the parameters never changed: the optimiser's step() ran {len(opt_steps)} times, but no "
                 "backward() ever reached the flow's parameters: the loss is cut from them (a .detach(), .item() made "
                 "into a new tensor, or torch.no_grad() around the loss?).",
                 "loss = -flow.log_prob(data).mean(), kept as a tensor with its graph; loss.backward().")
        if not any(opt_steps):
            fail(NO_STEP, f"the parameters never changed: the optimiser's step() ran {len(opt_steps)} times, but every "
                 "time the gradients of the flow's parameters were empty (None or zero).",
                 "the order in each step: opt.zero_grad(), loss.backward(), opt.step() (zero_grad() between backward() "
                 "and step() throws the gradients away), with the optimiser made from flow.parameters().")
        fail(NO_STEP, f"the parameters never changed, though the optimiser's step() ran {len(opt_steps)} times with "
             "gradients.", "opt = torch.optim.Adam(flow.parameters(), lr=lr): the parameters of the flow given.")
    if any(max_error(a, f) > 1e-12 for a, f in zip(accumulated[1:], fresh[1:])):
        fail(NO_ZERO_GRAD, "the gradients accumulate from step to step: .grad is never reset.",
             "opt.zero_grad() before loss.backward().")
    reference = _reference_losses(s0, data, steps, lr)
    _same_losses(losses, reference, steps, lr, s0, data, what="")
    best = 0.5 * data.pow(2).mean(0).log()
    with torch.no_grad():
        nll_end, nll_best = -flow.log_prob(data).mean().item(), -_scaling_flow(best.tolist()).log_prob(data).mean().item()
    if nll_end > nll_best + 1e-3:
        fail(WRONG, f"after {steps} steps the NLL is {nll_end:.4f}, the maximum-likelihood fit reaches {nll_best:.4f}.",
             "one Adam step per iteration on -flow.log_prob(data).mean(), with the lr given.")
    # Again with everything drawn afresh: the data (size and spread), the start, the number of steps, the lr.
    g = generator(33)
    for size, steps_k in ((96, 23), (200, 31)):
        data_k = torch.randn(size, 2, generator=g, dtype=torch.float64) * torch.empty(2, dtype=torch.float64).uniform_(
            0.3, 3.0, generator=g)
        s0_k = torch.empty(2, dtype=torch.float64).uniform_(-0.8, 0.8, generator=g).tolist()
        lr_k = float(torch.empty(()).uniform_(0.01, 0.2, generator=g))
        reference = _reference_losses(s0_k, data_k, steps_k, lr_k)  # the reference first, on its own copies
        losses_k, _ = _run(train_fn, _scaling_flow(s0_k), data_k, steps_k, lr_k)
        _same_losses(losses_k, reference, steps_k, lr_k, s0_k, data_k, what=f" with {size} points, {steps_k} steps, lr "
                     f"{lr_k:.3g}")
    return passed(f"the loop minimises -mean log p_X with Adam: the loss starts at -mean log p_X(data), the gradients are "
                  f"reset every step, {steps} steps reach the maximum-likelihood fit (NLL {nll_best:.3f}), and the losses follow "
                  "the reference loop's step by step, also for two other data sets, starts, step counts and lr.")
