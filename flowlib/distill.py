r"""Probability density distillation (van den Oord et al., 2018, Parallel WaveNet): a fast sampler
learns from a fast density.

A *teacher* p (a MAF trained by maximum likelihood: one parallel pass for log p(x), D sequential
passes to sample) and a *student* q_θ (an IAF: one parallel pass to sample, with the log-density of
its own samples for free). The student minimises the reverse KL

    KL(q_θ ‖ p) = E_{x ~ q_θ}[log q_θ(x) - log p(x)],   x = f_θ(z), z ~ p_Z,

which needs exactly the two fast directions: ``student.sample_with_log_prob`` (one parallel pass,
reparameterised so gradients reach θ through x) and ``teacher.log_prob`` (one parallel pass). No
data, no sequential pass. The teacher is normalized, so the loss is the KL itself: it goes to 0.

- ``distil(student, teacher, ...)``: the training loop, ``fit_reverse_kl`` with the teacher frozen.
- ``estimate_kl(q, p, n)``: the Monte Carlo estimate of KL(q ‖ p) and its standard error.
"""

from __future__ import annotations

import math

import torch

from ._validate import FlowlibError, check_int, check_module, reference_tensor
from .train import fit_reverse_kl

__all__ = ["distil", "estimate_kl"]


def _check_pair(student, teacher, who: str, names=("the student", "the teacher")) -> None:
    """Both are flows of the same dimension, with parameters of the same dtype on the same device."""
    for role, flow, method in zip(names, (student, teacher), ("sample_with_log_prob", "log_prob")):
        check_module(flow, who, role, needs=(method,))
    if student.dim != teacher.dim:
        raise FlowlibError(f"{who}: {names[0]} has dim {student.dim} but {names[1]} has dim {teacher.dim}; "
                           "they must model the same space")
    a, b = reference_tensor(student), reference_tensor(teacher)
    if a is not None and b is not None and (a.dtype, a.device) != (b.dtype, b.device):
        raise FlowlibError(f"{who}: {names[0]}'s parameters are {a.dtype} on {a.device} but {names[1]}'s are "
                           f"{b.dtype} on {b.device}; move one to the other, e.g. "
                           f"{names[1]}.to(dtype={a.dtype}, device='{a.device}')")


def distil(student, teacher, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
           callback=None, progress: bool = True) -> list[float]:
    r"""Train ``student`` = q_θ to imitate ``teacher`` = p by minimising KL(q_θ ‖ p).

    Each step: x, log q_θ(x) = ``student.sample_with_log_prob(batch_size)``; loss = mean of
    log q_θ(x) - ``teacher.log_prob(x)``; one Adam step on the student (cosine learning-rate decay,
    as ``fit``). The teacher's parameters are frozen during the run (``requires_grad`` off, so no
    gradient is stored for them; gradients still flow through the teacher *to x*), and restored after.

    Args:
        student: a ``Flow`` whose sampling direction is fast (an IAF): the flow that learns.
        teacher: a ``Flow`` whose density direction is fast (a MAF), on the same device and dimension.
        steps, batch_size, lr: the optimisation budget.
        callback: ``callback(step, student)`` after every step (snapshots for sliders).
        progress: show a tqdm bar.

    Returns:
        the loss of every step: a one-batch estimate of KL(q_θ ‖ p) in nats, before that step's update.

    Raises:
        TypeError / ValueError: the student or teacher is not a flow, or their dimensions differ.
        FloatingPointError: the loss became NaN or inf (see ``fit``).

    >>> from flowlib import make_iaf, make_maf
    >>> _ = torch.manual_seed(0)
    >>> teacher, student = make_maf(2, layers=2, hidden=(8,)), make_iaf(2, layers=2, hidden=(8,))
    >>> losses = distil(student, teacher, steps=3, progress=False)
    >>> len(losses), all(p.requires_grad for p in teacher.parameters())
    (3, True)
    """
    _check_pair(student, teacher, "distil")
    if any(a is b for a in student.parameters() for b in teacher.parameters()):
        raise FlowlibError("distil: the student and the teacher share parameters; the teacher must be a separate, fixed flow")
    frozen = [(p, p.requires_grad) for p in teacher.parameters()]
    for p, _ in frozen:
        p.requires_grad_(False)
    try:
        return fit_reverse_kl(student, teacher.log_prob, steps=steps, batch_size=batch_size, lr=lr,
                              callback=callback, progress=progress)
    finally:
        for p, flag in frozen:
            p.requires_grad_(flag)


@torch.no_grad()
def estimate_kl(q, p, n: int = 20_000, batch_size: int = 5_000) -> tuple[float, float]:
    r"""Monte Carlo estimate of KL(q ‖ p) = E_{x ~ q}[log q(x) - log p(x)] in nats, and its standard error.

    Draws ``n`` samples of ``q`` with their log-density (``q.sample_with_log_prob``: fast for an IAF,
    sequential for a MAF) in batches of ``batch_size``, and evaluates log p on them. The standard
    error is std / √n: the estimate lies within ±2 of them of the true KL about 95% of the time.

    Args:
        q: a ``Flow`` (the distribution the samples come from).
        p: a ``Flow``, or a function mapping points (B, D) to a *normalized* log-density (B,), such
            as ``functools.partial(toy_log_prob, "banana")``.
        n, batch_size: the number of samples, and how many are drawn at once.

    >>> from flowlib import make_maf
    >>> flow = make_maf(2, layers=1, hidden=(8,))
    >>> kl, se = estimate_kl(flow, flow, n=1000)
    >>> abs(kl) < 1e-6, se < 1e-6
    (True, True)
    """
    check_module(q, "estimate_kl", "q", needs=("sample_with_log_prob",))
    if callable(getattr(p, "log_prob", None)):
        _check_pair(q, p, "estimate_kl", names=("q", "p"))
        log_p = p.log_prob
    elif callable(p) and not isinstance(p, torch.nn.Module):
        log_p = p
    else:
        raise FlowlibError(f"estimate_kl: p must be a Flow or a function x -> log p(x), got {type(p).__name__}")
    n = check_int(n, "estimate_kl", "n", least=2)
    batch_size = check_int(batch_size, "estimate_kl", "batch_size", least=2)
    gaps = []
    for start in range(0, n, batch_size):
        x, log_q = q.sample_with_log_prob(min(batch_size, n - start))
        value = log_p(x)
        if not isinstance(value, torch.Tensor) or value.shape != log_q.shape or value.device != log_q.device:
            shape = f"{tuple(value.shape)} on {value.device}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise FlowlibError(f"estimate_kl: log p must return one value per point, shape {tuple(log_q.shape)} on "
                               f"{log_q.device}, got {shape}")
        gaps.append(log_q - value)
    gaps = torch.cat(gaps).double()
    return float(gaps.mean()), float(gaps.std() / math.sqrt(n))
