r"""Checkers for notebook 06 (IAF): IAF's one-pass forward, its D-pass inverse, and sampling with the cached log-density.

IAF is MAF with z and x interchanged, so its two directions are graded by notebook 05's shared grading
(``maf.grade_autoregressive``) against ``flowlib.IAF`` with the same random MADE weights.
"""

from __future__ import annotations

import math

import torch

from ... import randomize, record_made_passes
from ...autoregressive import IAF
from ...models import make_iaf
from ..grading import (
    BASE_FORGOTTEN,
    DIRECTION,
    EXP_ALPHA,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    NOT_A_TENSOR,
    ONE_PASS,
    SCALE_SIGN,
    SEQUENTIAL,
    SHAPE_B1,
    call,
    compare,
    compare_gradients,
    exercise,
    fail,
    grade_autoregressive,
    max_error,
    output,
    pair,
    passed,
)

__all__ = ["iaf_forward", "iaf_inverse", "sample_with_log_prob"]

INVERSE_USED = "the slow inverse used"


def _as_iaf(maf_layer) -> IAF:
    """An IAF with the same MADE weights (read as IAF's own μ, α)."""
    layer = IAF(maf_layer.dim, hidden=(16, 16)).double()
    layer.load_state_dict(maf_layer.state_dict())
    return layer


@exercise(SEQUENTIAL, DIRECTION, SCALE_SIGN, LOG_DET_SIGN, EXP_ALPHA, SHAPE_B1, NO_WEIGHTS)
def iaf_forward(forward):
    r"""IAF's forward (sampling, z ↦ x) in ONE pass: ``forward(z, mu_alpha) -> (x, log_det)``.

        μ, α = mu_alpha(z);  x = z ⊙ exp(α) + μ;  log|det ∂x/∂z| = Σ_i α_i.
    """
    return grade_autoregressive(forward, "forward", parallel=True, reads_input=True, seed=70, flow="IAF",
                                want=_iaf_forward)


def _iaf_forward(v, maf_layer):
    """flowlib's IAF forward on the MADE of ``maf_layer``, differentiable with respect to that layer's parameters."""
    mu, alpha = maf_layer.mu_alpha(v)  # IAF's forward: one pass on z (the same MADE, read as IAF's μ, α)
    x, log_det = v * alpha.exp() + mu, alpha.sum(-1)
    with torch.no_grad():  # the definition: equal to flowlib's IAF holding the same weights
        x_iaf, log_det_iaf = _as_iaf(maf_layer)(v)
        assert max_error(x, x_iaf) < 1e-10 and max_error(log_det, log_det_iaf) < 1e-10
    return x, log_det


@exercise(ONE_PASS, DIRECTION, SCALE_SIGN, LOG_DET_SIGN, EXP_ALPHA, SHAPE_B1, NO_WEIGHTS)
def iaf_inverse(inverse):
    r"""IAF's inverse (density, x ↦ z) in D passes: ``inverse(x, mu_alpha) -> (z, log_det)``.

        for i = 1..D:  μ, α = mu_alpha(z) (z_{<i} final);  z_i = (x_i - μ_i) exp(-α_i);  log|det ∂z/∂x| = -Σ_i α_i.
    """
    return grade_autoregressive(inverse, "inverse", parallel=False, reads_input=False, seed=80, flow="IAF",
                                want=lambda v, layer: _as_iaf(layer).inverse(v))


def _flow(seed: int, dim: int = 3, layers: int = 2):
    flow = make_iaf(dim, layers=layers, hidden=(16,)).double()
    randomize(flow, 0.3, seed=seed)
    return flow


@exercise(INVERSE_USED, LOG_DET_SIGN, BASE_FORGOTTEN, SHAPE_B1, NO_WEIGHTS)
def sample_with_log_prob(sample_fn):
    r"""Samples and their log-density from the forward alone: ``sample_fn(flow, n) -> (x, log_q)``.

        z ~ p_Z (flow.base.sample(n));  x, log_det = flow(z);  log q(x) = log p_Z(z) - log_det,

    the slide's "cache z": no inverse, so K MADE passes for a K-layer IAF. Graded on random 3-D IAFs of
    2 layers against their slow density ``flow.log_prob(x)`` (K·D sequential passes).
    """
    n = 7
    flows = [_flow(90), _flow(91)]
    results = []
    for flow in flows:
        torch.manual_seed(0)  # the same draws for both flows: an answer that ignores its flow returns the same twice
        with torch.no_grad():
            value, passes = record_made_passes(flow, lambda flow=flow: call(sample_fn, flow, n, signature="sample_fn(flow, n)"))
        x, log_q = pair(value, "sample_fn(flow, n)", "(x, log_q)")
        if not isinstance(x, torch.Tensor) or not isinstance(log_q, torch.Tensor):
            fail(NOT_A_TENSOR, "sample_fn should return two tensors (x, log_q).")
        x = output(x, "the samples x", (n, 3), like=torch.zeros(0, dtype=torch.float64))
        log_q = output(log_q, "log_q", (n,), like=x)
        results.append((flow, x, log_q, len(passes)))
    flow, x, log_q, passes = results[0]
    made_layers = sum(isinstance(layer, IAF) for layer in flow.layers)  # K: Reverse makes no pass
    with torch.no_grad():
        z, log_det_inverse = flow.inverse(x)  # the slow way, K·D passes: only to grade
        base = flow.base.log_prob(z)
        want = base + log_det_inverse
        other = results[1]
        if max_error(x, other[1]) < 1e-12 and max_error(log_q, other[2]) < 1e-12:
            fail(NO_WEIGHTS, "sample_fn gives the same samples for two different flows: it does not use the flow it is given.",
                 "sample with the argument flow, not a flow of the notebook.")
        compare(log_q, want, "log_q", (
            (LOG_DET_SIGN, base - log_det_inverse, "log_q adds the forward's log-det: log q(x) = log p_Z(z) - log|det ∂x/∂z|.",
                           "the forward's log-det measures how much f stretches: the density thins by as much."),
            (BASE_FORGOTTEN, log_det_inverse, "log_q holds only the log-det: the base density log p_Z(z) is forgotten.",
                             "add flow.base.log_prob(z)."),
            (BASE_FORGOTTEN, base + log_det_inverse + 1.5 * math.log(2 * math.pi),
             "log_q forgets the constant -(D/2) log 2π of p_Z.", "use flow.base.log_prob(z)."),
        ), hint="log q(x) = flow.base.log_prob(z) - log_det, with the z the samples came from.")
        if passes > made_layers:
            fail(INVERSE_USED, f"log_q is right, but sampling took {passes} MADE passes: the inverse (K·D sequential passes) "
                 f"was used. The forward alone needs {made_layers}.",
                 "keep z and the forward's log_det: no flow.log_prob(x).")
    # Other sizes, dimensions and depths, with gradients (a sampler with its density trains a student in notebook 07).
    for n_k, dim, depth, seed in ((3, 2, 1, 95), (11, 4, 3, 96)):
        flow_k = _flow(seed, dim, depth)
        torch.manual_seed(seed)
        z = flow_k.base.sample(n_k)  # the reference first, on the same draw
        want_x, log_det = flow_k(z)
        want_q = flow_k.base.log_prob(z) - log_det
        torch.manual_seed(seed)
        x_k, log_q_k = pair(call(sample_fn, flow_k, n_k, signature="sample_fn(flow, n)"), "sample_fn(flow, n)", "(x, log_q)")
        x_k = output(x_k, "the samples x", (n_k, dim), like=z)
        log_q_k = output(log_q_k, "log_q", (n_k,), like=z)
        where = f" for n = {n_k} samples of a {depth}-layer IAF in dim {dim} (right for n = {n})"
        compare(x_k, want_x.detach(), "the samples x" + where, hint="z = flow.base.sample(n) (the n given), x = flow(z).")
        compare(log_q_k, want_q.detach(), "log_q" + where, hint="log q(x) = flow.base.log_prob(z) - log_det.")
        compare_gradients([x_k, log_q_k], [want_x, want_q], "sample_fn(flow, n)",
                          [("the flow's parameters", list(flow_k.parameters()))], seed=seed)
    return passed(f"samples with log q(x) = log p_Z(z) - log|det ∂x/∂z| in {made_layers} MADE passes (no inverse), "
                  "equal to the flow's slow log_prob on random IAFs, and values and gradients right for other n, "
                  "dimensions and depths.")
