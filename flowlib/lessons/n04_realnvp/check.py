r"""Checkers for notebook 04 (RealNVP): the affine coupling's forward and inverse, and an alternating stack.

The student's coupling receives ``mu_alpha`` (the network z_{1:d} ↦ (μ_θ, α_θ)) as an argument, so it is
graded on random weights against ``flowlib.AffineCoupling`` holding the same weights; the log-determinant
is compared with ``slogdet`` of the autograd Jacobian of the student's own map.
"""

from __future__ import annotations

import torch

from ...checks import _perturb, check_layer, jacobian
from ...distributions import StandardNormal
from ...flow import Flow
from ...realnvp import AffineCoupling
from ..grading import (
    DIRECTION,
    EXP_ALPHA,
    KEPT_CHANGED,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    NOT_A_TENSOR,
    SHAPE,
    SHAPE_B1,
    WRONG,
    call,
    check_kept,
    check_uses_weights,
    compare,
    exercise,
    fail,
    generator,
    output,
    pair,
    passed,
)

__all__ = ["affine_forward", "affine_inverse", "alternating_stack"]

SCALE_SHIFT_ORDER = "shift and scale in the wrong order"
SAME_HALF = "the same half kept by every layer"


def _affine_net(n: int, d: int, seed: int):
    """(μ_θ, α_θ): R^d -> R^{n-d} x R^{n-d}, read off a perturbed ``AffineCoupling(n)`` (whose mask keeps z_{1:d})."""
    layer = AffineCoupling(n, hidden=(16,)).double()
    _perturb(layer, seed, 0.5)

    def mu_alpha(z1: torch.Tensor):
        if not isinstance(z1, torch.Tensor) or z1.dim() != 2 or z1.shape[1] != d:  # m_θ reads z_{1:d} only
            got = tuple(z1.shape) if isinstance(z1, torch.Tensor) else type(z1).__name__
            raise ValueError(f"mu_alpha expects the kept half z_{{1:d}}, shape (B, {d}), got {got}")
        mu, alpha = layer.mu_alpha(torch.cat([z1, z1.new_zeros(len(z1), n - d)], 1))  # each (B, n), 0 on z_{1:d}
        return mu[:, d:], alpha[:, d:]
    return layer, mu_alpha


def _grade_coupling(fn, sign: float):
    n, d, batch = 6, 3, 5
    name = "forward" if sign > 0 else "inverse"
    signature = f"{name}({'z' if sign > 0 else 'x'}, mu_alpha, d)"
    v = torch.randn(batch, n, generator=generator(6), dtype=torch.float64)
    layers, nets = zip(*(_affine_net(n, d, seed) for seed in (1, 2)))
    outs, log_dets = [], []
    for net in nets:
        out, log_det = pair(call(fn, v, net, d, signature=signature), signature)
        outs.append(output(out, f"{name}'s first output", (batch, n), like=v))
        log_dets.append(output(log_det, f"{name}'s log_det", (batch,), like=v,
                               hint="one log-det per sample: sum α over the changed coordinates, α.sum(-1)."))
    out, log_det = outs[0], log_dets[0]
    check_kept(out, v, d, name)
    check_uses_weights(outs, name, "mu_alpha")
    with torch.no_grad():
        want, want_ld = (layers[0] if sign > 0 else layers[0].inverse)(v)
        v1, v2 = v[:, :d], v[:, d:]
        mu, alpha = nets[0](v1)
        what = "z_{d+1:n} ⊙ exp(α) + μ" if sign > 0 else "(x_{d+1:n} - μ) ⊙ exp(-α)"
        compare(out, want, f"{name}'s changed half", (
            (DIRECTION, torch.cat([v1, (v2 - mu) * (-alpha).exp() if sign > 0 else v2 * alpha.exp() + mu], 1),
             f"{name} computes the other direction: {'(z - μ) ⊙ exp(-α) is x ↦ z' if sign > 0 else 'x ⊙ exp(α) + μ is z ↦ x'}.",
             f"{name} is {what}."),
            (SCALE_SHIFT_ORDER, torch.cat([v1, (v2 + mu) * alpha.exp() if sign > 0 else v2 * (-alpha).exp() - mu], 1),
             f"{name} {'shifts before it scales' if sign > 0 else 'scales before it subtracts μ'}: the order matters.",
             f"{name} is {what}; the inverse undoes the forward's last step (the shift) first."),
        ), hint=f"{name} is {what}, with μ, α = mu_alpha({'z' if sign > 0 else 'x'}[:, :d]).")
    # Against autograd: log|det| of the Jacobian of the student's own map, sample by sample.
    try:
        by_autograd = torch.linalg.slogdet(jacobian(lambda u: fn(u, nets[0], d), v)).logabsdet.detach()
    except Exception:  # noqa: BLE001 -- a map autograd cannot follow (numpy inside): flowlib's value then
        by_autograd = want_ld
    compare(log_det, by_autograd, f"{name}'s log_det", (
        (LOG_DET_SIGN, -by_autograd, f"{name}'s log_det has the wrong sign: log|det ∂{'x/∂z' if sign > 0 else 'z/∂x'}| = "
         f"{'' if sign > 0 else '-'}Σ_i α_i.", "the inverse's log-det is minus the forward's; check which one you wrote."),
        (EXP_ALPHA, sign * alpha.exp().sum(-1), f"{name}'s log_det sums exp(α): the Jacobian's diagonal is exp(α), so its "
         "log-determinant is Σ α, no exp.", "log|det J| = Σ_i log exp(α_i) = Σ_i α_i."),
        (SHAPE, sign * alpha.sum(), f"{name}'s log_det sums α over the whole batch: one log-det per sample.", "α.sum(-1)."),
    ), hint=f"log_det = {'' if sign > 0 else '-'}Σ_i α_i over the changed coordinates, α.sum(-1).")
    return passed(f"affine coupling {name}: {what} with the kept half unchanged, log_det = {'' if sign > 0 else '-'}Σ α of shape "
                  "(B,); equal to flowlib's AffineCoupling on random weights, and the log-det to autograd's slogdet.")


@exercise(LOG_DET_SIGN, DIRECTION, KEPT_CHANGED, EXP_ALPHA, SCALE_SHIFT_ORDER, SHAPE_B1, NO_WEIGHTS)
def affine_forward(forward):
    r"""RealNVP's affine coupling, z ↦ x: ``forward(z, mu_alpha, d) -> (x, log_det)``;

        x_{1:d} = z_{1:d},  x_{d+1:n} = z_{d+1:n} ⊙ exp(α) + μ,  (μ, α) = mu_alpha(z_{1:d}),  log_det = Σ_i α_i.
    """
    return _grade_coupling(forward, 1.0)


@exercise(LOG_DET_SIGN, DIRECTION, KEPT_CHANGED, EXP_ALPHA, SCALE_SHIFT_ORDER, SHAPE_B1, NO_WEIGHTS)
def affine_inverse(inverse):
    r"""RealNVP's affine coupling, x ↦ z: ``inverse(x, mu_alpha, d) -> (z, log_det)``;

        z_{1:d} = x_{1:d},  z_{d+1:n} = (x_{d+1:n} - μ) ⊙ exp(-α),  (μ, α) = mu_alpha(x_{1:d}),  log_det = -Σ_i α_i.
    """
    return _grade_coupling(inverse, -1.0)


@exercise(SAME_HALF)
def alternating_stack(make_layers):
    r"""A RealNVP stack: ``make_layers(dim, k)`` returns k ``AffineCoupling`` layers whose kept halves alternate,
    so that every coordinate is changed by some layer. Checked for dim = 2, 5, 6 and with ``check_layer`` on the stack."""
    for dim, k in ((2, 2), (5, 4), (6, 3)):
        layers = call(make_layers, dim, k, signature=f"make_layers({dim}, {k})")
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, AffineCoupling) for layer in layers):
            fail(NOT_A_TENSOR, f"make_layers({dim}, {k}) should return a list of AffineCoupling layers.",
                 f"[AffineCoupling({dim}, parity=i % 2) for i in range(k)].")
        if len(layers) != k:
            fail(SHAPE, f"make_layers({dim}, {k}) returned a list of {len(layers)}, expected {k} layers.")
        if any(layer.dim != dim for layer in layers):
            fail(SHAPE, f"make_layers({dim}, {k}) returned layers of another dim than {dim}.")
        masks = torch.stack([layer.mask for layer in layers])  # (k, dim), 1 = kept
        if bool((masks[1:] == masks[:-1]).all(-1).any()):
            fail(SAME_HALF, f"in make_layers({dim}, {k}) two consecutive layers keep the same half: the second one could be "
                 "merged into the first, and a coordinate kept by both never changes between them.",
                 "alternate the parity, AffineCoupling(dim, parity=i % 2).")
        if bool((masks == 1).all(0).any()):
            fail(SAME_HALF, f"in make_layers({dim}, {k}) some coordinate is kept by every layer: the stack never changes it.",
                 "alternate the parity, AffineCoupling(dim, parity=i % 2).")
    try:
        check_layer(Flow(StandardNormal(6), layers))
    except AssertionError as error:
        fail(WRONG, f"the stack of make_layers(6, 3) fails flowlib's check_layer: {error}")
    return passed("alternating stack: k AffineCoupling layers whose kept halves alternate, so every coordinate changes, "
                  "for dim 2, 5 and 6; the stack passes check_layer.")
