r"""Checkers for notebook 05 (MAF): MADE's masks for a variable order, MAF's one-pass inverse, its D-pass forward.

The student's MAF functions receive the conditioner ``mu_alpha(v) -> (μ, α)`` (one MADE pass, each (B, D),
output i reading v_{<i} only) as an argument: the checker hands over a random MADE's, counts its passes, and
compares with ``flowlib.MAF`` built on the same weights. ``conditioner`` and ``sequential`` are shared with
the IAF checkers (notebook 06), whose layers are MAF's with z and x interchanged.
"""

from __future__ import annotations

import torch

from ..grading import (
    DIRECTION,
    EXP_ALPHA,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    NOT_A_TENSOR,
    ONE_PASS,
    SCALE_SIGN,
    SEES_ITSELF,
    SEQUENTIAL,
    SHAPE,
    SHAPE_B1,
    call,
    exercise,
    fail,
    generator,
    grade_autoregressive,
    passed,
)

__all__ = ["made_masks", "maf_inverse", "maf_forward"]

TRANSPOSED = "masks transposed"            # (in, out) where (out, in) is the convention of nn.Linear
ORDER_IGNORED = "order ignored"            # the masks of the natural order 1..D
ORDER_INVERTED = "order inverted"          # degree order[j] given to x_j, where x_{order[k]} comes k-th
MISSING_PATHS = "connections missing"      # a strict > inside the hidden layers: some x_j, j < i, never reach i


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
    g = generator(12)
    for dim in (2, 3, 6):  # orders and widths drawn afresh
        cases.append((dim, tuple(int(w) for w in torch.randint(dim - 1, dim + 6, (int(torch.randint(1, 4, (), generator=g)),),
                                                                 generator=g)), torch.randperm(dim, generator=g).tolist()))
    for (dim, hidden, order), seed in [(case, seed) for case in cases for seed in (0, 1, 2)]:
        signature = f"masks_fn({dim}, {hidden}, {order})"
        torch.manual_seed(seed)  # random hidden degrees must work under every seed, not only one
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
            fail(MISSING_PATHS, f"no path from x_{j + 1} to {half}_{i + 1}, though x_{j + 1} comes before x_{i + 1} in order "
                 f"{order}"
                 f"{f' (hidden widths {hidden}, with torch seeded {seed}: other seeds gave all the paths)' if seed else ''}: "
                 "the masks cut more than they must.", "a hidden unit of degree k may read units of degree <= k (>=, not >).")
    return passed("MADE masks: shapes (out, in), and paths from x_j to μ_i and α_i exactly when x_j comes before x_i, "
                  f"for {len(cases)} orders and widths, each under three random seeds.")


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
