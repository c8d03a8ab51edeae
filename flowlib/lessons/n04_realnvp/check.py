r"""Checkers for notebook 04 (RealNVP): the affine coupling's forward and inverse, and an alternating stack.

The student's coupling receives ``mu_alpha`` (the network z_{1:d} ↦ (μ_θ, α_θ)) as an argument, so it is
graded on random weights against ``flowlib.AffineCoupling`` holding the same weights; the log-determinant
is compared with ``slogdet`` of the autograd Jacobian of the student's own map.
"""

from __future__ import annotations

import torch

from ... import check_layer, jacobian, randomize
from ...distributions import StandardNormal
from ...flow import Flow
from ...nets import MLP
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
    compare_gradients,
    exercise,
    fail,
    generator,
    leaf,
    max_error,
    output,
    pair,
    passed,
)

__all__ = ["affine_forward", "affine_inverse", "alternating_stack"]

SCALE_SHIFT_ORDER = "shift and scale in the wrong order"
SAME_HALF = "the same half kept by every layer"
TIED = "the same layer repeated"


def _affine_net(n: int, d: int, seed: int):
    """(μ_θ, α_θ): R^d -> R^{n-d} x R^{n-d}, a random MLP (its parameters require gradients); returns (its parameters,
    mu_alpha)."""
    net = randomize(MLP(d, 2 * (n - d), hidden=(16,), activation=torch.nn.Tanh).double(), 0.4, generator(seed))

    def mu_alpha(z1: torch.Tensor):
        if not isinstance(z1, torch.Tensor) or z1.dim() != 2 or z1.shape[1] != d:  # m_θ reads z_{1:d} only
            got = tuple(z1.shape) if isinstance(z1, torch.Tensor) else type(z1).__name__
            raise ValueError(f"mu_alpha expects the kept half z_{{1:d}}, shape (B, {d}), got {got}")
        mu, alpha = net(z1).chunk(2, -1)
        return mu, alpha
    return list(net.parameters()), mu_alpha


SPLITS = ((6, 3, 5), (5, 2, 7), (4, 1, 4), (7, 5, 2))  # (n, d, B): the first is graded with its named mistakes


def _grade_coupling(fn, sign: float):
    name = "forward" if sign > 0 else "inverse"
    letter = "z" if sign > 0 else "x"
    signature = f"{name}({letter}, mu_alpha, d)"
    what = "z_{d+1:n} ⊙ exp(α) + μ" if sign > 0 else "(x_{d+1:n} - μ) ⊙ exp(-α)"
    g = generator(6)
    for k, (n, d, batch) in enumerate(SPLITS):
        v = leaf(torch.randn(batch, n, generator=g, dtype=torch.float64))
        nets = [_affine_net(n, d, 10 * k + seed) for seed in (1, 2)]
        params, net = nets[0]
        v1, v2 = v[:, :d], v[:, d:]
        mu_g, alpha_g = net(v1)  # the reference first, with gradients
        want_grad = torch.cat([v1, v2 * alpha_g.exp() + mu_g if sign > 0 else (v2 - mu_g) * (-alpha_g).exp()], 1)
        want_ld_grad = sign * alpha_g.sum(-1)
        outs, log_dets = [], []
        for _, net_j in (nets if k == 0 else nets[:1]):
            out, log_det = pair(call(fn, v, net_j, d, signature=signature), signature)
            outs.append(output(out, f"{name}'s first output", (batch, n), like=v))
            log_dets.append(output(log_det, f"{name}'s log_det", (batch,), like=v,
                                   hint="one log-det per sample: sum α over the changed coordinates, α.sum(-1)."))
        out, log_det = outs[0], log_dets[0]
        check_kept(out, v, d, name)
        if k == 0:
            check_uses_weights(outs, name, "mu_alpha")
        where = "" if k == 0 else f" (right for n = 6, d = 3; wrong for n = {n}, d = {d}, B = {batch})"
        with torch.no_grad():
            want, want_ld = want_grad.detach(), want_ld_grad.detach()
            v1, v2 = v1.detach(), v2.detach()
            mu, alpha = mu_g.detach(), alpha_g.detach()
            compare(out, want, f"{name}'s changed half" + where, (
                (DIRECTION, torch.cat([v1, (v2 - mu) * (-alpha).exp() if sign > 0 else v2 * alpha.exp() + mu], 1),
                 f"{name} computes the other direction: "
                 f"{'(z - μ) ⊙ exp(-α) is x ↦ z' if sign > 0 else 'x ⊙ exp(α) + μ is z ↦ x'}.",
                 f"{name} is {what}."),
                (SCALE_SHIFT_ORDER, torch.cat([v1, (v2 + mu) * alpha.exp() if sign > 0 else v2 * (-alpha).exp() - mu], 1),
                 f"{name} {'shifts before it scales' if sign > 0 else 'scales before it subtracts μ'}: the order matters.",
                 f"{name} is {what}; the inverse undoes the forward's last step (the shift) first."),
            ), hint=f"{name} is {what}, with μ, α = mu_alpha({letter}[:, :d]), for the d given.")
        by_autograd = want_ld
        if k == 0:  # against autograd: log|det| of the Jacobian of the student's own map, sample by sample
            try:
                own_map = lambda u, net=net, d=d: fn(u.clone(), net, d)  # noqa: E731
                by_autograd = torch.linalg.slogdet(jacobian(own_map, v.detach())).logabsdet.detach()
            except Exception:  # noqa: BLE001 -- a map autograd cannot follow (numpy inside): the formula's value then
                by_autograd = want_ld
            if not bool(torch.isfinite(by_autograd).all()) or max_error(by_autograd, want_ld) > 1e-8:
                by_autograd = want_ld  # the map equals the reference's, so autograd was cut (graded with the gradients)
        compare(log_det, by_autograd, f"{name}'s log_det" + where, (
            (LOG_DET_SIGN, -by_autograd, f"{name}'s log_det has the wrong sign: log|det ∂{'x/∂z' if sign > 0 else 'z/∂x'}| = "
             f"{'' if sign > 0 else '-'}Σ_i α_i.", "the inverse's log-det is minus the forward's; check which one you wrote."),
            (EXP_ALPHA, sign * alpha.exp().sum(-1), f"{name}'s log_det sums exp(α): the Jacobian's diagonal is exp(α), so "
             "its log-determinant is Σ α, no exp.", "log|det J| = Σ_i log exp(α_i) = Σ_i α_i."),
            (SHAPE, sign * alpha.sum(), f"{name}'s log_det sums α over the whole batch: one log-det per sample.",
             "α.sum(-1)."),
        ), hint=f"log_det = {'' if sign > 0 else '-'}Σ_i α_i over the changed coordinates, α.sum(-1).")
        compare_gradients([out, log_det], [want_grad, want_ld_grad], name,
                          [(letter, [v]), ("the parameters of mu_alpha", params)], seed=k)
    return passed(f"affine coupling {name}: {what} with the kept half unchanged, log_det = {'' if sign > 0 else '-'}Σ α of "
                  "shape (B,); values and gradients right on random networks for four splits (n, d), and the log-det "
                  "equal to autograd's slogdet.")


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


@exercise(SAME_HALF, TIED)
def alternating_stack(make_layers):
    r"""A RealNVP stack: ``make_layers(dim, k)`` returns k ``AffineCoupling`` layers (a list, tuple or
    ``nn.ModuleList``) whose kept halves alternate, so that every coordinate is changed by some layer, each layer
    with its own weights. Checked for several dim and k (drawn afresh too) and with ``check_layer`` on a stack."""
    g = generator(11)
    sizes = [(2, 2), (5, 4), (6, 3)] + [(int(torch.randint(2, 9, (), generator=g)), int(torch.randint(1, 7, (), generator=g)))
                                        for _ in range(2)]
    for dim, k in sizes:
        layers = call(make_layers, dim, k, signature=f"make_layers({dim}, {k})")
        if isinstance(layers, torch.nn.ModuleList):
            layers = list(layers)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, AffineCoupling) for layer in layers):
            fail(NOT_A_TENSOR, f"make_layers({dim}, {k}) should return a list of AffineCoupling layers.",
                 f"[AffineCoupling({dim}, parity=i % 2) for i in range(k)].")
        if len(layers) != k:
            fail(SHAPE, f"make_layers({dim}, {k}) returned a list of {len(layers)}, expected {k} layers.",
                 "range(k): the k given.")
        if any(layer.dim != dim for layer in layers):
            fail(SHAPE, f"make_layers({dim}, {k}) returned layers of another dim than {dim}.", "AffineCoupling(dim, ...).")
        owners = {}
        for i, layer in enumerate(layers):
            for p in layer.parameters():
                if id(p) in owners and owners[id(p)] != i:
                    j = owners[id(p)]
                    same = "the same layer object" if layers[i] is layers[j] else "layers sharing their weights"
                    fail(TIED, f"in make_layers({dim}, {k}) layers {j} and {i} (counted from 0) are {same}: a stack "
                         "of k layers needs k sets of weights, or it is a smaller flow applied twice.",
                         "create a new AffineCoupling inside the loop, once per layer.")
                owners[id(p)] = i
        masks = torch.stack([layer.mask for layer in layers])  # (k, dim), 1 = kept
        if bool((masks[1:] == masks[:-1]).all(-1).any()):
            fail(SAME_HALF, f"in make_layers({dim}, {k}) two consecutive layers keep the same half: the second one could be "
                 "merged into the first, and a coordinate kept by both never changes between them.",
                 "alternate the parity, AffineCoupling(dim, parity=i % 2).")
        if k > 1 and bool((masks == 1).all(0).any()):
            fail(SAME_HALF, f"in make_layers({dim}, {k}) some coordinate is kept by every layer: the stack never changes it.",
                 "alternate the parity, AffineCoupling(dim, parity=i % 2).")
        if dim == 6 and k == 3:
            stack = layers
    try:
        check_layer(Flow(StandardNormal(6), stack))
    except AssertionError as error:
        fail(WRONG, f"the stack of make_layers(6, 3) fails flowlib's check_layer: {error}")
    return passed("alternating stack: k AffineCoupling layers, each with its own weights, whose kept halves alternate, so "
                  f"every coordinate changes, for (dim, k) = {', '.join(f'({d}, {k})' for d, k in sizes)}; the stack "
                  "passes check_layer.")
