r"""Checker for notebook 08 (the playground): the loss's floor, the entropy H(p) = -E_p[log p(x)], by Monte Carlo
with its standard error.

Graded on random 2-D Gaussian mixtures (a sampler and its log-density, both handed to the student's function);
the checker seeds torch before calling it and again before computing the reference, so both see the same draws
as long as the samples come from the ``sample`` given.
"""

from __future__ import annotations

import math

import torch

from ..grading import (
    NO_WEIGHTS,
    NOT_A_TENSOR,
    WRONG,
    call,
    compare,
    exercise,
    fail,
    generator,
    max_error,
    passed,
    scalar,
)

__all__ = ["entropy_estimate"]

ENTROPY_SIGN = "mean log p for -mean log p"     # E[log p] is minus the entropy
STD_NOT_SE = "standard deviation for standard error"
SEED = 8


def _mixture(seed: int, modes: int):
    """(sample(n) -> (n, 2), log_prob(x) -> (n,)): a random mixture of ``modes`` isotropic Gaussians in 2-D."""
    g = generator(seed)
    centres = 3 * torch.randn(modes, 2, generator=g, dtype=torch.float64)
    stds = torch.empty(modes, dtype=torch.float64).uniform_(0.2, 1.0, generator=g)

    def sample(n: int) -> torch.Tensor:
        k = torch.randint(modes, (int(n),))
        return centres[k] + stds[k, None] * torch.randn(int(n), 2, dtype=torch.float64)

    def log_prob(x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != 2:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"log_prob expects points of shape (n, 2), got {got}")
        sq = (x[:, None, :] - centres[None]).pow(2).sum(-1)  # (n, K)
        log_component = -sq / (2 * stds**2) - torch.log(2 * math.pi * stds**2)
        return torch.logsumexp(log_component, 1) - math.log(modes)
    return sample, log_prob



def _estimate(entropy_fn, sample, log_prob, n: int):
    torch.manual_seed(SEED)
    value = call(entropy_fn, sample, log_prob, n, signature="entropy_estimate(sample, log_prob, n)")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(NOT_A_TENSOR, "entropy_estimate should return a pair (h, se).", "end it with `return h, se`.")
    return tuple(scalar(v, name).detach().double() for v, name in zip(value, ("h", "se")))


@exercise(ENTROPY_SIGN, STD_NOT_SE, NO_WEIGHTS)
def entropy_estimate(entropy_fn):
    r"""The floor of the playground's loss: ``entropy_fn(sample, log_prob, n) -> (h, se)``, both numbers:

        x = sample(n);  t = -log_prob(x);  h = mean(t) (an estimate of H(p) = -E_p[log p(x)]);  se = std(t)/√n.

    Graded on random 2-D Gaussian mixtures for three n, against the same computation on the same seeded draws."""
    draws = [(500, 80, 3), (37, 81, 2), (8, 82, 5)]
    first = None
    for k, (n, seed, modes) in enumerate(draws):
        sample, log_prob = _mixture(seed, modes)
        torch.manual_seed(SEED)  # the reference first, on the draw the student's code will see
        terms = -log_prob(sample(n))
        want_h, want_se = terms.mean(), terms.std() / math.sqrt(n)
        h, se = _estimate(entropy_fn, sample, log_prob, n)
        if k == 0:
            other = _estimate(entropy_fn, *_mixture(seed + 10, modes + 1), n)
            if max_error(h, other[0]) < 1e-12:
                fail(NO_WEIGHTS, "h is the same for two different distributions: it does not use the sample and log_prob "
                     "it is given.", "x = sample(n), then log_prob(x): the arguments, not a distribution of the notebook.")
            first = n
        where = "" if k == 0 else f" for n = {n} (right for n = {first})"
        compare(h, want_h, "h" + where, (
            (ENTROPY_SIGN, -want_h, "h is E_p[log p(x)]: the entropy is its negative, H(p) = -E_p[log p(x)].",
             "h = (-log_prob(x)).mean()."),
        ), hint="x = sample(n) (the n given); h = -log_prob(x).mean().")
        if min(max_error(se, sd / math.sqrt(n)) for sd in (terms.std(), terms.std(unbiased=False))) > 1e-10:
            compare(se, want_se, "se" + where, (
                (STD_NOT_SE, terms.std(), "se is the standard deviation of the terms, not the standard error of their "
                 "mean.", "divide by √n: the mean of n terms varies √n times less than one term."),
                (STD_NOT_SE, terms.std(unbiased=False), "se is the standard deviation of the terms, not the standard "
                 "error of their mean.", "divide by √n: the mean of n terms varies √n times less than one term."),
            ), hint="se = t.std() / √n, with t the n terms -log p(x).")
    if not math.isfinite(float(h)):
        fail(WRONG, "h is not finite.")
    return passed("H(p) = -E_p[log p(x)] by Monte Carlo on p's own samples, with its standard error std/√n; equal to the "
                  "reference on random Gaussian mixtures, for three n.")
