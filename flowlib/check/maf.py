r"""Checkers for notebook 05 (MAF): MADE's masks for a variable order, MAF's one-pass inverse, its D-pass forward.

The student's MAF functions receive the conditioner ``mu_alpha(v) -> (μ, α)`` (one MADE pass, each (B, D),
output i reading v_{<i} only) as an argument: the checker hands over a random MADE's, counts its passes, and
compares with ``flowlib.MAF`` built on the same weights. ``conditioner`` and ``sequential`` are shared with
the IAF checkers (notebook 06), whose layers are MAF's with z and x interchanged.
"""

from __future__ import annotations

import torch

from ..autoregressive import MAF
from ..checks import _perturb
from ._grading import (
    DIRECTION,
    EXP_ALPHA,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    NOT_A_TENSOR,
    SEES_ITSELF,
    SHAPE,
    SHAPE_B1,
    call,
    compare,
    exercise,
    fail,
    generator,
    max_error,
    output,
    pair,
    passed,
)

__all__ = ["made_masks", "maf_inverse", "maf_forward"]

TRANSPOSED = "masks transposed"            # (in, out) where (out, in) is the convention of nn.Linear
ORDER_IGNORED = "order ignored"            # the masks of the natural order 1..D
ORDER_INVERTED = "order inverted"          # degree order[j] given to x_j, where x_{order[k]} comes k-th
MISSING_PATHS = "connections missing"      # a strict > inside the hidden layers: some x_j, j < i, never reach i
SEQUENTIAL = "D passes where one suffices"
ONE_PASS = "one pass where D are needed"   # the conditioner fed the input itself: the other flow's parallel pass
SCALE_SIGN = "exp(α) where exp(-α)"


# --- notebook 05: MADE ----------------------------------------------------------------------------------

def _allowed(order: list[int]) -> torch.Tensor:
    """(D, D) bool: output i may read input j iff x_j comes before x_i in ``order``."""
    rank = torch.empty(len(order), dtype=torch.long)
    rank[torch.tensor(order)] = torch.arange(len(order))
    return rank[None, :] < rank[:, None]


@exercise(SEES_ITSELF, TRANSPOSED, ORDER_IGNORED, ORDER_INVERTED, MISSING_PATHS)
def made_masks(masks_fn):
    r"""MADE's masks for a variable order: ``masks_fn(D, hidden, order) -> [M_1, ..., M_L]``, each (out, in).

    ``order`` is a permutation of 0..D-1: x_{order[0]} comes first, x_{order[1]} second, ... The masks of
    the hidden layers are (h_1, D), (h_2, h_1), ...; the last one (2D, h_L) has the μ rows, then the α rows,
    both in the coordinates' own index order. Graded by the paths the masks leave: from x_j to μ_i and α_i
    exactly when x_j comes before x_i in ``order``, all of them (hidden widths at least D - 1).
    """
    cases = [(4, (10, 10), [0, 1, 2, 3]), (5, (8,), [3, 0, 4, 1, 2]), (4, (6, 5), [2, 3, 1, 0])]
    for dim, hidden, order in cases:
        signature = f"masks_fn({dim}, {hidden}, {order})"
        masks = call(masks_fn, dim, hidden, list(order), signature=signature)
        if not isinstance(masks, (list, tuple)) or not all(isinstance(m, torch.Tensor) for m in masks):
            fail(NOT_A_TENSOR, f"{signature} should return a list of tensors (one mask per layer), got {type(masks).__name__}.")
        widths = [dim, *hidden, 2 * dim]
        shapes = [(w_out, w_in) for w_in, w_out in zip(widths[:-1], widths[1:])]
        got = [tuple(m.shape) for m in masks]
        if got == [s[::-1] for s in shapes]:
            fail(TRANSPOSED, f"{signature} returned masks of shapes {got}: each should be (out, in), {shapes}.",
                 "like nn.Linear's weight: row = output unit, column = input unit; transpose them.")
        if got != shapes:
            fail(SHAPE, f"{signature} returned masks of shapes {got}, expected {shapes} (the last has 2D rows: μ, then α).")
        if not all(bool(((m == 0) | (m == 1)).all()) for m in masks):
            fail(SHAPE, f"{signature}: a mask must hold only 0 and 1.")
        paths = masks[0].double()
        for m in masks[1:]:
            paths = m.double() @ paths  # (out, D): the number of paths from each input
        reach = paths > 0
        allowed = _allowed(order)
        natural = _allowed(list(range(dim)))
        inverse = _allowed(torch.argsort(torch.tensor(order)).tolist())
        for half, rows in (("μ", reach[:dim]), ("α", reach[dim:])):
            if torch.equal(rows, allowed):
                continue
            if rows.diagonal().any():
                i = int(rows.diagonal().nonzero()[0])
                fail(SEES_ITSELF, f"{half}_{i + 1} can see x_{i + 1} itself: an output must read only the coordinates "
                     "before its own.", "the output mask compares degrees with a strict >, the hidden masks with >=.")
            if not torch.equal(allowed, natural) and torch.equal(rows, natural):
                fail(ORDER_IGNORED, f"for order {order} the masks connect x_j to output i when j < i: the order is ignored.",
                     "give input j the degree 1 + (its position in order), and the outputs of coordinate j the same.")
            if not torch.equal(allowed, inverse) and torch.equal(rows, inverse):
                fail(ORDER_INVERTED, f"for order {order} you gave x_j the degree order[j] + 1: that is the inverse order.",
                     "x_{order[k]} comes k-th: the degree of x_j is 1 + k where order[k] = j (torch.argsort(order)).")
            if (rows & ~allowed).any():
                i, j = (int(t) for t in (rows & ~allowed).nonzero()[0])
                fail(SEES_ITSELF, f"{half}_{i + 1} can see x_{j + 1}, which comes after x_{i + 1} in order {order}.",
                     "an output of degree k may read only inputs of degree < k.")
            i, j = (int(t) for t in (allowed & ~rows).nonzero()[0])
            fail(MISSING_PATHS, f"no path from x_{j + 1} to {half}_{i + 1}, though x_{j + 1} comes first in order {order}: "
                 "the masks cut more than they must.", "a hidden unit of degree k may read units of degree <= k (>=, not >).")
    return passed("MADE masks: shapes (out, in), and paths from x_j to μ_i and α_i exactly when x_j comes before x_i, "
                  "for three orders and widths.")


# --- the conditioner: shared by the MAF and IAF checkers -----------------------------------------------

class Conditioner:
    r"""``mu_alpha(v) -> (μ, α)``, each (B, D), of a random MADE (a perturbed ``flowlib.MAF``'s, α soft-clamped);
    counts its passes. ``layer`` is that MAF; its weights load into an IAF for notebook 06."""

    def __init__(self, dim: int, seed: int, layer: MAF | None = None):
        if layer is None:
            layer = MAF(dim, hidden=(16, 16)).double()
            _perturb(layer, seed, 0.4)
        self.layer = layer
        self.passes = 0

    def __call__(self, v: torch.Tensor):
        if not isinstance(v, torch.Tensor) or v.dim() != 2 or v.shape[1] != self.layer.dim:
            shape = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"mu_alpha expects a batch of shape (B, {self.layer.dim}), got {shape}")
        self.passes += 1
        with torch.no_grad():
            return self.layer.mu_alpha(v)


def sequential(v: torch.Tensor, mu_alpha, step) -> tuple[torch.Tensor, torch.Tensor]:
    """A D-pass loop: pass i computes out_i = step(v_i, μ_i, α_i) from out_{<i}; returns (out, Σ α_i)."""
    out = torch.zeros_like(v)
    total = v.new_zeros(len(v))
    for i in range(v.shape[1]):
        mu, alpha = mu_alpha(out)
        out[:, i] = step(v[:, i], mu[:, i], alpha[:, i])
        total = total + alpha[:, i]
    return out, total


def grade_autoregressive(fn, name: str, parallel: bool, reads_input: bool, want, seed: int, flow: str):
    r"""The shared grading of MAF's and IAF's two directions: ``fn(v, mu_alpha) -> (out, log_det)``.

    ``parallel``: one pass is the answer (MAF's inverse, IAF's forward), else D. ``reads_input``: μ, α
    read the method's input (the parallel directions) or its output (the sequential ones). ``want(v,
    conditioner)`` returns flowlib's (out, log_det). The forward directions add μ after scaling by e^α,
    the inverse ones subtract μ and scale by e^{-α}.
    """
    dim, batch = 4, 6
    v = torch.randn(batch, dim, generator=generator(seed), dtype=torch.float64)
    forward = name.endswith("forward")
    letter_in, letter_out = ("z", "x") if forward else ("x", "z")
    signature = f"{name}({letter_in}, mu_alpha)"
    conditioners = [Conditioner(dim, seed + 1), Conditioner(dim, seed + 2)]
    outs, log_dets = [], []
    with torch.no_grad():
        for conditioner in conditioners:
            out, log_det = pair(call(fn, v.clone(), conditioner, signature=signature), signature, f"({letter_out}, log_det)")
            outs.append(output(out, f"{name}'s {letter_out}", (batch, dim), like=v))
            log_dets.append(output(log_det, f"{name}'s log_det", (batch,), like=v))
        if max_error(outs[0], outs[1]) < 1e-12:
            fail(NO_WEIGHTS, f"{name} gives the same {letter_out} for two different networks: it does not use the "
                 "mu_alpha it is given.", "call the argument mu_alpha, not a layer of the notebook.")
        conditioner = conditioners[0]
        passes = conditioner.passes
        want_out, want_ld = want(v, conditioner.layer)
        sign = 1.0 if forward else -1.0
        step_right = (lambda u, m, a: u * a.exp() + m) if forward else (lambda u, m, a: (u - m) * (-a).exp())
        step_other = (lambda u, m, a: (u - m) * (-a).exp()) if forward else (lambda u, m, a: u * a.exp() + m)
        step_scale = (lambda u, m, a: u * (-a).exp() + m) if forward else (lambda u, m, a: (u - m) * a.exp())
        probe = Conditioner(dim, seed, layer=conditioner.layer)  # the same weights, its own pass counter

        def one_pass(step):
            mu, alpha = probe(v)
            return step(v, mu, alpha)

        if parallel:
            other_reading = sequential(v, probe, step_right)[0]      # μ, α from the output: the other flow
            other_direction = one_pass(step_other)
            wrong_scale = one_pass(step_scale)
        else:
            other_reading = one_pass(step_right)                     # μ, α from the input, in one pass
            other_direction = sequential(v, probe, step_other)[0]
            wrong_scale = sequential(v, probe, step_scale)[0]
        other_flow = "IAF" if flow == "MAF" else "MAF"
        direction = "forward" if forward else "inverse"
        if parallel:
            reading = (SEQUENTIAL,
                       f"{name}'s μ, α read {letter_out}, coordinate by coordinate: that is {other_flow}'s {direction}.",
                       f"in {flow}'s {direction}, μ_i and α_i read {letter_in}, known in full: one pass, mu_alpha({letter_in}).")
        else:
            reading = (ONE_PASS, f"{name}'s μ, α read the input {letter_in} in one pass: that is {other_flow}'s {direction}.",
                       f"in {flow}'s {direction}, μ_i and α_i read {letter_out}_{{<i}}, computed in the passes before: "
                       f"a loop of D passes, mu_alpha({letter_out}) each time.")
        formula = "x_i = z_i exp(α_i) + μ_i" if forward else "z_i = (x_i - μ_i) exp(-α_i)"
        compare(outs[0], want_out, f"{name}'s {letter_out}", (
            (reading[0], other_reading, reading[1], reading[2]),
            (DIRECTION, other_direction, f"{name} computes the other direction's formula.",
             "forward (z ↦ x): x_i = z_i exp(α_i) + μ_i; inverse (x ↦ z): z_i = (x_i - μ_i) exp(-α_i)."),
            (SCALE_SIGN, wrong_scale,
             f"{name} scales by exp({'-' if forward else ''}α): the sign of α is flipped in the scale.",
             "forward multiplies by exp(α), inverse by exp(-α)."),
        ), hint=f"{formula}, with μ_i, α_i from {letter_in if reads_input else letter_out + '_{<i}'}.")
        if parallel and passes != 1:
            fail(SEQUENTIAL, f"{name} is right but makes {passes} passes of mu_alpha: {flow}'s {direction} "
                 f"needs one, since every μ_i, α_i reads {letter_in}, known in full.", f"call mu_alpha({letter_in}) once.")
        compare(log_dets[0], want_ld, f"{name}'s log_det", (
            (LOG_DET_SIGN, -want_ld, f"{name}'s log_det has the wrong sign: log|det ∂{letter_out}/∂{letter_in}| is "
             f"{'+' if forward else '-'}Σ α_i.", "the inverse's log-det is minus the forward's."),
            (EXP_ALPHA, sign * conditioner.layer.mu_alpha(want_out if not reads_input else v)[1].exp().sum(-1),
             f"{name}'s log_det sums exp(α_i): the log of Π exp(α_i) is Σ α_i.", "no exp in the log-det."),
        ), hint=f"log_det = {'+' if forward else '-'}Σ_i α_i, summed over the last dimension: shape (B,).")
    how = "one pass" if parallel else f"{dim} sequential passes"
    return passed(f"{flow}'s {direction} ({letter_in} ↦ {letter_out}) in {how}, log_det "
                  f"{'+' if forward else '-'}Σ α of shape (B,): equal to flowlib's {flow} on random weights.")


@exercise(SEQUENTIAL, DIRECTION, SCALE_SIGN, LOG_DET_SIGN, EXP_ALPHA, SHAPE_B1, NO_WEIGHTS)
def maf_inverse(inverse):
    r"""MAF's inverse (density, x ↦ z) in ONE pass: ``inverse(x, mu_alpha) -> (z, log_det)``.

        μ, α = mu_alpha(x);  z = (x - μ) ⊙ exp(-α);  log|det ∂z/∂x| = -Σ_i α_i.
    """
    return grade_autoregressive(inverse, "inverse", parallel=True, reads_input=True, seed=50, flow="MAF",
                                want=lambda v, layer: layer.inverse(v))


@exercise(ONE_PASS, DIRECTION, SCALE_SIGN, LOG_DET_SIGN, EXP_ALPHA, SHAPE_B1, NO_WEIGHTS)
def maf_forward(forward):
    r"""MAF's forward (sampling, z ↦ x) in D passes: ``forward(z, mu_alpha) -> (x, log_det)``.

        for i = 1..D:  μ, α = mu_alpha(x) (x_{<i} final, the rest anything);  x_i = z_i exp(α_i) + μ_i;
        log|det ∂x/∂z| = Σ_i α_i.
    """
    return grade_autoregressive(forward, "forward", parallel=False, reads_input=False, seed=60, flow="MAF",
                                want=lambda v, layer: layer(v))
