r"""Checkers for notebook 03 (NICE): the additive coupling, the scaling layer, log p_X of a stack.

The student's functions receive the network (``m``) or the parameters (``s``) as arguments, so each is
graded on random weights: the reference is flowlib's own layer with the same, perturbed, weights.
"""

from __future__ import annotations

import math

import torch

from ... import randomize
from ...nets import MLP
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
    compare_gradients,
    exercise,
    fail,
    generator,
    leaf,
    log_p_z,
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
    """m_θ: R^d -> R^{n-d}, a random MLP (its parameters require gradients); returns (its parameters, m)."""
    net = randomize(MLP(d, n - d, hidden=(16,), activation=torch.nn.Tanh).double(), 0.5, generator(seed))

    def m(z1: torch.Tensor) -> torch.Tensor:
        if not isinstance(z1, torch.Tensor) or z1.dim() != 2 or z1.shape[1] != d:  # m_θ reads z_{1:d} only
            got = tuple(z1.shape) if isinstance(z1, torch.Tensor) else type(z1).__name__
            raise ValueError(f"m expects the kept half z_{{1:d}}, shape (B, {d}), got {got}")
        return net(z1)
    return list(net.parameters()), m


SPLITS = ((6, 3, 5), (5, 2, 7), (4, 1, 4), (7, 5, 2))  # (n, d, B): the first is graded with its named mistakes


@exercise(DIRECTION, KEPT_CHANGED, M_READS_CHANGED, LOG_DET_NOT_ZERO, SHAPE_B1, NO_WEIGHTS)
def additive_coupling(forward, inverse):
    r"""NICE's additive coupling: ``forward(z, m, d) -> (x, log_det)`` and ``inverse(x, m, d) -> (z, log_det)``.

        x_{1:d} = z_{1:d},  x_{d+1:n} = z_{d+1:n} + m(z_{1:d});   z_{d+1:n} = x_{d+1:n} - m(x_{1:d});  log|det J| = 0.

    ``m`` maps a batch (B, d) to (B, n - d). Graded on random networks m, values and gradients (with respect to the
    input and m's parameters), at four splits (n, d) and batch sizes, and the two directions must invert each other.
    """
    g = generator(3)
    for fn, name, sign in ((forward, "forward", 1.0), (inverse, "inverse", -1.0)):
        letter = "z" if sign > 0 else "x"
        signature = f"{name}({letter}, m, d)"
        for k, (n, d, batch) in enumerate(SPLITS):
            v = leaf(torch.randn(batch, n, generator=g, dtype=torch.float64))
            nets = [_shift_net(n, d, 10 * k + seed) for seed in (1, 2)]
            params, m = nets[0]
            v1, v2 = v[:, :d], v[:, d:]
            want = torch.cat([v1, v2 + sign * m(v1)], 1)  # the reference first, with gradients
            outs = []
            for _, m_j in (nets if k == 0 else nets[:1]):
                out, log_det = pair(call(fn, v, m_j, d, signature=signature), signature)
                outs.append(output(out, f"{name}'s first output", (batch, n), like=v))
                output(log_det, f"{name}'s log_det", (batch,), like=v)
                if len(outs) == 1:
                    first_log_det = log_det
            out, log_det = outs[0], first_log_det
            check_kept(out, v, d, name)
            if k == 0:
                check_uses_weights(outs, name)
            where = "" if k == 0 else f" (right for n = 6, d = 3; wrong for n = {n}, d = {d}, B = {batch})"
            with torch.no_grad():
                mistakes = (
                    (DIRECTION, torch.cat([v1, v2 - sign * m(v1)], 1),
                     f"{name} computes the other direction ({'z + m' if sign < 0 else 'z - m'}(·)): it "
                     f"{'adds' if sign < 0 else 'subtracts'} m.",
                     "forward (z ↦ x) adds m(z_{1:d}); inverse (x ↦ z) subtracts m(x_{1:d})."),
                ) + ((
                    (M_READS_CHANGED, torch.cat([v1, v2 + sign * m(v2)], 1),
                     f"{name} feeds m the changed half: m must read only the kept half v_{{1:d}}.",
                     "m(v[:, :d]), so that the inverse can recompute it from what it keeps."),
                ) if n - d == d else ())
            compare(out, want.detach(), f"{name}'s changed half" + where, mistakes,
                    hint="v_{d+1:n} ± m(v_{1:d}), with + going z ↦ x; use the d given (v[:, :d]), not a number.")
            if max_error(log_det, torch.zeros_like(log_det)) > 0:
                fail(LOG_DET_NOT_ZERO, f"{name}'s log_det is not zero: an additive coupling preserves volume, "
                     "log|det J| = 0.", "return v.new_zeros(len(v)).")
            compare_gradients(out, want, f"{name}'s output", [(letter, [v]), ("the parameters of m", params)], seed=k)
    return passed("additive coupling: forward adds m(z_{1:d}) and inverse subtracts it, the kept half passes unchanged, "
                  "log_det = 0 of shape (B,); values and gradients right on random networks m, for four splits (n, d).")


@exercise(LOG_DET_SIGN, DIRECTION, EXP_ALPHA, DET_NOT_LOG, SHAPE_B1, NO_WEIGHTS)
def scaling(forward, inverse):
    r"""NICE's diagonal scaling: ``forward(z, s) -> (z ⊙ exp(s), Σ_i s_i)``, ``inverse(x, s) -> (x ⊙ exp(-s), -Σ_i s_i)``.

    ``s`` has shape (n,); log_det has shape (B,). Graded against ``flowlib.Scaling`` with random s.
    """
    g = generator(4)
    for k, (n, batch) in enumerate(((4, 5), (3, 2), (6, 7))):
        v = leaf(torch.randn(batch, n, generator=g, dtype=torch.float64))
        ss = [leaf(0.5 * torch.randn(n, generator=g, dtype=torch.float64)) for _ in range(2)]
        s = ss[0]
        for fn, name, sign in ((forward, "forward", 1.0), (inverse, "inverse", -1.0)):
            signature = f"{name}({'z' if sign > 0 else 'x'}, s)"
            want_grad, want_ld_grad = v * (sign * s).exp(), (sign * s.sum()).expand(batch)  # the reference first
            results = [pair(call(fn, v, s_, signature=signature), signature) for s_ in (ss if k == 0 else ss[:1])]
            outs = [output(out, f"{name}'s first output", (batch, n), like=v) for out, _ in results]
            if k == 0:
                check_uses_weights(outs, name, "s")
            want, want_ld = want_grad.detach(), want_ld_grad.detach()
            sd = s.detach()
            where = "" if k == 0 else f" (right for n = 4; wrong for n = {n}, B = {batch})"
            compare(outs[0], want, f"{name}'s output" + where, (
                (DIRECTION, v.detach() * (-sign * sd).exp(), f"{name} scales by exp({'-' if sign > 0 else ''}s): that is the "
                 "other direction.", "forward (z ↦ x) multiplies by exp(s), inverse (x ↦ z) by exp(-s)."),
            ), hint="v ⊙ exp(±s), element by element.")
            log_det = output(results[0][1], f"{name}'s log_det", (batch,), like=v)
            b = f"{'' if sign > 0 else '-'}Σ_i s_i"
            compare(log_det, want_ld, f"{name}'s log_det" + where, (
                (LOG_DET_SIGN, -want_ld, f"{name}'s log_det has the wrong sign: log|det ∂out/∂in| of this direction is {b}.",
                 "the inverse's log-det is minus the forward's."),
                (EXP_ALPHA, sign * sd.exp().sum().expand(batch),
                 f"{name}'s log_det is Σ exp(±s_i): the log of det = Π exp(s_i) is Σ s_i.",
                 "log|det diag(exp s)| = Σ_i s_i, no exp."),
                (DET_NOT_LOG, want_ld.exp(), f"{name} returns det J = exp({b}), not its log.",
                 "the log-det is the sum itself."),
            ), hint=f"log_det = {b}, the same for every sample: (s.sum()).expand(len(v)).")
            compare_gradients([outs[0], log_det], [want_grad, want_ld_grad], name,
                              [("s", [s]), ("z" if sign > 0 else "x", [v])], seed=k)
    return passed("scaling: x = z ⊙ exp(s) and back, log_det = ±Σ s_i of shape (B,); values and gradients right for random "
                  "s of three sizes.")


def _stack(n: int, seed: int, couplings: int = 3):
    layers = [AdditiveCoupling(n, hidden=(16,), parity=k % 2).double() for k in range(couplings)] + [Scaling(n).double()]
    for k, layer in enumerate(layers):
        randomize(layer, 0.5, seed=seed + k)
    return layers


@exercise(BASE_FORGOTTEN, LOG_DET_SIGN, DIRECTION, LAYER_ORDER, CONSTANT_FORGOTTEN, SHAPE_B1, NO_WEIGHTS)
def log_prob(log_prob_fn):
    r"""log p_X(x) of a stack: ``log_prob_fn(x, layers) -> (B,)``, with p_Z = N(0, I):

        log p_X(x) = log p_Z(f^{-1}(x)) + Σ_k log|det ∂f_k^{-1}/∂(·)|,  the layers inverted last to first.

    Each layer has ``inverse(v) -> (v', log_det)``. Graded against ``flowlib.Flow.log_prob`` on random layers.
    """
    n, batch = 4, 6
    g = generator(5)
    x = torch.randn(batch, n, generator=g, dtype=torch.float64)
    stacks = [_stack(n, 10), _stack(n, 20)]
    got = [output(call(log_prob_fn, x, layers, signature="log_prob(x, layers)"), "log_prob's result", (batch,), like=x)
           for layers in stacks]
    check_uses_weights(got, "log_prob", "layers")
    draws = [(stacks[0], x)] + [(_stack(n_k, 30 + n_k, couplings), torch.randn(batch_k, n_k, generator=g, dtype=torch.float64))
                                for n_k, batch_k, couplings in ((3, 2, 1), (5, 7, 4))]
    for k, (layers, x_k) in enumerate(draws):
        batch_k, n_k = x_k.shape
        x_k = leaf(x_k)
        own = list(layers)  # the reference's own list: the student's code gets a copy, which it may reverse
        v, total = x_k, x_k.new_zeros(batch_k)
        for layer in reversed(own):
            v, ld = layer.inverse(v)
            total = total + ld
        want_grad = log_p_z(v) + total
        got_k = output(call(log_prob_fn, x_k, layers, signature="log_prob(x, layers)"), "log_prob's result", (batch_k,),
                       like=x_k)
        with torch.no_grad():
            def through(order, method, x_k=x_k):
                v, total = x_k, x_k.new_zeros(len(x_k))
                for layer in order:
                    v, ld = getattr(layer, method)(v)
                    total = total + ld
                return v, total
            z, ld = through(reversed(own), "inverse")
            z_fwd, ld_fwd = through(own, "forward")
            z_order, ld_order = through(own, "inverse")
            where = "" if k == 0 else f" (right for 4 layers of dim 4; wrong for {len(own)} of dim {n_k}, batch {batch_k})"
            compare(got_k, log_p_z(z) + ld, "log p_X(x)" + where, (
                (BASE_FORGOTTEN, ld, "log_prob returns only the log-determinants: the base density log p_Z(z) is "
                 "forgotten.", "add log p_Z(z) = -½‖z‖² - (n/2) log 2π at z = f⁻¹(x)."),
                (LOG_DET_SIGN, log_p_z(z) - ld, "log_prob subtracts the inverse layers' log-dets: their sign is flipped.",
                 "inverse(x) already returns log|det ∂z/∂x|: add it."),
                (DIRECTION, log_p_z(z_fwd) - ld_fwd, "log_prob sends x through the layers' forward (z ↦ x): the direction "
                 "is swapped.", "x ↦ z is layer.inverse, applied from the last layer to the first."),
                (DIRECTION, log_p_z(z_fwd) + ld_fwd, "log_prob sends x through the layers' forward (z ↦ x): the direction "
                 "is swapped.", "x ↦ z is layer.inverse, applied from the last layer to the first."),
                (LAYER_ORDER, log_p_z(z_order) + ld_order, "log_prob inverts the layers first to last: the inverse of "
                 "f_K ∘ … ∘ f_1 undoes f_K first.", "loop over reversed(layers)."),
                (CONSTANT_FORGOTTEN, log_p_z(z) + ld + 0.5 * n_k * math.log(2 * math.pi), "log_prob forgets the "
                 "normalising constant -(n/2) log 2π of N(0, I).", "log p_Z(z) = -½‖z‖² - (n/2) log 2π."),
            ), hint="z, log_det = layer.inverse(z) for each layer from the last; then log p_Z(z) + the sum of the log-dets"
                    " (n = x.shape[1], not a number).")
        params = [p for layer in own for p in layer.parameters()]
        compare_gradients(got_k, want_grad, "log p_X(x)", [("x", [x_k]), ("the layers' parameters", params)], seed=k)
    return passed("log p_X(x) = log p_Z(f⁻¹(x)) + Σ inverse log-dets, shape (B,): values and gradients (x and the layers' "
                  "parameters) right on random NICE stacks of 2 to 5 layers in dim 3 to 5.")
