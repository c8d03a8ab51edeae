r"""Checkers for notebook 03 (NICE): the additive coupling, the scaling layer, log p_X of a stack.

The student's functions receive the network (``m``) or the parameters (``s``) as arguments, so each is
graded on random weights: the reference is flowlib's own layer with the same, perturbed, weights.
"""

from __future__ import annotations

import math

import torch

from ...checks import _perturb
from ...nice import AdditiveCoupling, Scaling
from ..grading import (
    BASE_FORGOTTEN,
    DIRECTION,
    EXP_ALPHA,
    KEPT_CHANGED,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    SHAPE_B1,
    call,
    check_kept,
    check_uses_weights,
    compare,
    exercise,
    fail,
    generator,
    max_error,
    output,
    pair,
    passed,
)

__all__ = ["additive_coupling", "scaling", "log_prob"]

M_READS_CHANGED = "m reads the changed half"
LOG_DET_NOT_ZERO = "log-det not zero"
DET_NOT_LOG = "det instead of log-det"
LAYER_ORDER = "layers in the wrong order"
CONSTANT_FORGOTTEN = "normalising constant forgotten"


def _shift_net(n: int, d: int, seed: int):
    """m_θ: R^d -> R^{n-d}, read off a perturbed ``AdditiveCoupling(n)`` (whose mask keeps z_{1:d})."""
    layer = AdditiveCoupling(n, hidden=(16,)).double()
    _perturb(layer, seed, 0.5)

    def m(z1: torch.Tensor) -> torch.Tensor:
        if not isinstance(z1, torch.Tensor) or z1.dim() != 2 or z1.shape[1] != d:  # m_θ reads z_{1:d} only
            got = tuple(z1.shape) if isinstance(z1, torch.Tensor) else type(z1).__name__
            raise ValueError(f"m expects the kept half z_{{1:d}}, shape (B, {d}), got {got}")
        return layer.shift(torch.cat([z1, z1.new_zeros(len(z1), n - d)], 1))[:, d:]
    return layer, m


@exercise(DIRECTION, KEPT_CHANGED, M_READS_CHANGED, LOG_DET_NOT_ZERO, SHAPE_B1, NO_WEIGHTS)
def additive_coupling(forward, inverse):
    r"""NICE's additive coupling: ``forward(z, m, d) -> (x, log_det)`` and ``inverse(x, m, d) -> (z, log_det)``.

        x_{1:d} = z_{1:d},  x_{d+1:n} = z_{d+1:n} + m(z_{1:d});   z_{d+1:n} = x_{d+1:n} - m(x_{1:d});  log|det J| = 0.

    ``m`` maps a batch (B, d) to (B, n - d). Graded against ``flowlib.AdditiveCoupling`` with random weights.
    """
    n, d, batch = 6, 3, 5
    g = generator(3)
    v = torch.randn(batch, n, generator=g, dtype=torch.float64)
    layers, nets = zip(*(_shift_net(n, d, seed) for seed in (1, 2)))
    for fn, name, sign in ((forward, "forward", 1.0), (inverse, "inverse", -1.0)):
        signature = f"{name}({'z' if sign > 0 else 'x'}, m, d)"
        outs = []
        for m in nets:
            out, log_det = pair(call(fn, v, m, d, signature=signature), signature)
            outs.append(output(out, f"{name}'s first output", (batch, n), like=v))
            output(log_det, f"{name}'s log_det", (batch,), like=v)
        out = outs[0]
        want = (layers[0] if sign > 0 else layers[0].inverse)(v)[0]
        check_kept(out, v, d, name)
        check_uses_weights(outs, name)
        v1, v2 = v[:, :d], v[:, d:]
        other = "z + m" if sign < 0 else "z - m"
        compare(out, want, f"{name}'s changed half", (
            (DIRECTION, torch.cat([v1, v2 - sign * nets[0](v1)], 1),
                        f"{name} computes the other direction ({other}(·)): it {'adds' if sign < 0 else 'subtracts'} m.",
                        "forward (z ↦ x) adds m(z_{1:d}); inverse (x ↦ z) subtracts m(x_{1:d})."),
            (M_READS_CHANGED, torch.cat([v1, v2 + sign * nets[0](v2)], 1),
                              f"{name} feeds m the changed half: m must read only the kept half v_{{1:d}}.",
                              "m(v[:, :d]), so that the inverse can recompute it from what it keeps."),
        ), hint="v_{d+1:n} ± m(v_{1:d}), with + going z ↦ x.")
        if max_error(log_det, torch.zeros_like(log_det)) > 0:
            fail(LOG_DET_NOT_ZERO, f"{name}'s log_det is not zero: an additive coupling preserves volume, log|det J| = 0.",
                 "return v.new_zeros(len(v)).")
    return passed("additive coupling: forward adds m(z_{1:d}) and inverse subtracts it, the kept half passes unchanged, "
                  "log_det = 0 of shape (B,); equal to flowlib's AdditiveCoupling on random weights.")


@exercise(LOG_DET_SIGN, DIRECTION, EXP_ALPHA, DET_NOT_LOG, SHAPE_B1, NO_WEIGHTS)
def scaling(forward, inverse):
    r"""NICE's diagonal scaling: ``forward(z, s) -> (z ⊙ exp(s), Σ_i s_i)``, ``inverse(x, s) -> (x ⊙ exp(-s), -Σ_i s_i)``.

    ``s`` has shape (n,); log_det has shape (B,). Graded against ``flowlib.Scaling`` with random s.
    """
    n, batch = 4, 5
    g = generator(4)
    v = torch.randn(batch, n, generator=g, dtype=torch.float64)
    ss = [0.5 * torch.randn(n, generator=g, dtype=torch.float64) for _ in range(2)]
    layer = Scaling(n).double()
    with torch.no_grad():
        layer.s.copy_(ss[0])
    s = ss[0]
    for fn, name, sign in ((forward, "forward", 1.0), (inverse, "inverse", -1.0)):
        signature = f"{name}({'z' if sign > 0 else 'x'}, s)"
        results = [pair(call(fn, v, s_, signature=signature), signature) for s_ in ss]
        outs = [output(out, f"{name}'s first output", (batch, n), like=v) for out, _ in results]
        check_uses_weights(outs, name, "s")
        want, want_ld = (layer if sign > 0 else layer.inverse)(v)
        want, want_ld = want.detach(), want_ld.detach()
        compare(outs[0], want, f"{name}'s output", (
            (DIRECTION, v * (-sign * s).exp(), f"{name} scales by exp({'-' if sign > 0 else ''}s): that is the other direction.",
                        "forward (z ↦ x) multiplies by exp(s), inverse (x ↦ z) by exp(-s)."),
        ), hint="v ⊙ exp(±s), element by element.")
        log_det = output(results[0][1], f"{name}'s log_det", (batch,), like=v)
        b = f"{'' if sign > 0 else '-'}Σ_i s_i"
        compare(log_det, want_ld, f"{name}'s log_det", (
            (LOG_DET_SIGN, -want_ld, f"{name}'s log_det has the wrong sign: log|det ∂out/∂in| of this direction is {b}.",
                           "the inverse's log-det is minus the forward's."),
            (EXP_ALPHA, sign * s.exp().sum().expand(batch),
             f"{name}'s log_det is Σ exp(±s_i): the log of det = Π exp(s_i) is Σ s_i.",
                        "log|det diag(exp s)| = Σ_i s_i, no exp."),
            (DET_NOT_LOG, want_ld.exp(), f"{name} returns det J = exp({b}), not its log.", "the log-det is the sum itself."),
        ), hint=f"log_det = {b}, the same for every sample: (s.sum()).expand(len(v)).")
    return passed("scaling: x = z ⊙ exp(s) and back, log_det = ±Σ s_i of shape (B,); equal to flowlib's Scaling on random s.")


def _stack(n: int, seed: int):
    layers = [AdditiveCoupling(n, hidden=(16,), parity=k % 2).double() for k in range(3)] + [Scaling(n).double()]
    for k, layer in enumerate(layers):
        _perturb(layer, seed + k, 0.5)
    return layers


def _base(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * z.pow(2).sum(-1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


@exercise(BASE_FORGOTTEN, LOG_DET_SIGN, DIRECTION, LAYER_ORDER, CONSTANT_FORGOTTEN, SHAPE_B1, NO_WEIGHTS)
def log_prob(log_prob_fn):
    r"""log p_X(x) of a stack: ``log_prob_fn(x, layers) -> (B,)``, with p_Z = N(0, I):

        log p_X(x) = log p_Z(f^{-1}(x)) + Σ_k log|det ∂f_k^{-1}/∂(·)|,  the layers inverted last to first.

    Each layer has ``inverse(v) -> (v', log_det)``. Graded against ``flowlib.Flow.log_prob`` on random layers.
    """
    n, batch = 4, 6
    x = torch.randn(batch, n, generator=generator(5), dtype=torch.float64)
    stacks = [_stack(n, 10), _stack(n, 20)]
    got = [output(call(log_prob_fn, x, layers, signature="log_prob(x, layers)"), "log_prob's result", (batch,), like=x)
           for layers in stacks]
    check_uses_weights(got, "log_prob", "layers")
    layers = stacks[0]
    with torch.no_grad():
        def through(order, method):
            v, total = x, x.new_zeros(batch)
            for layer in order:
                v, ld = getattr(layer, method)(v)
                total = total + ld
            return v, total
        z, ld = through(reversed(layers), "inverse")
        z_fwd, ld_fwd = through(layers, "forward")
        z_order, ld_order = through(layers, "inverse")
        compare(got[0], _base(z) + ld, "log p_X(x)", (
            (BASE_FORGOTTEN, ld, "log_prob returns only the log-determinants: the base density log p_Z(z) is forgotten.",
                             "add log p_Z(z) = -½‖z‖² - (n/2) log 2π at z = f⁻¹(x)."),
            (LOG_DET_SIGN, _base(z) - ld, "log_prob subtracts the inverse layers' log-dets: their sign is flipped.",
                           "inverse(x) already returns log|det ∂z/∂x|: add it."),
            (DIRECTION, _base(z_fwd) - ld_fwd, "log_prob sends x through the layers' forward (z ↦ x): the direction is swapped.",
                        "x ↦ z is layer.inverse, applied from the last layer to the first."),
            (DIRECTION, _base(z_fwd) + ld_fwd, "log_prob sends x through the layers' forward (z ↦ x): the direction "
                                      "is swapped.", "x ↦ z is layer.inverse, applied from the last layer to the first."),
            (LAYER_ORDER, _base(z_order) + ld_order, "log_prob inverts the layers first to last: the inverse of f_K ∘ … ∘ f_1 "
                          "undoes f_K first.", "loop over reversed(layers)."),
            (CONSTANT_FORGOTTEN, _base(z) + ld + 0.5 * n * math.log(2 * math.pi), "log_prob forgets the normalising constant "
                                 "-(n/2) log 2π of N(0, I).", "log p_Z(z) = -½‖z‖² - (n/2) log 2π."),
        ), hint="z, log_det = layer.inverse(z) for each layer from the last; then log p_Z(z) + the sum of the log-dets.")
    return passed("log p_X(x) = log p_Z(f⁻¹(x)) + Σ inverse log-dets, shape (B,): equal to flowlib's Flow.log_prob on "
                  "random NICE stacks.")
