r"""Checkers for notebook 07 (distillation): the distillation loss, the KL estimate with its standard error, the forward KL.

Graded on a random 2-D IAF student and MAF teacher in float64. The student's code draws its own random
numbers; the checker seeds torch before calling it and again before computing the reference, so both see
the same z as long as z is drawn with ``student.base.sample(n)`` (or ``sample``/``sample_with_log_prob``).
"""

from __future__ import annotations

import math

import torch

from ... import randomize, record_made_passes
from ...autoregressive import IAF, MAF
from ...models import make_iaf, make_maf
from ..grading import (
    BASE_FORGOTTEN,
    LOG_DET_SIGN,
    NO_GRADIENT,
    NOT_A_TENSOR,
    SHAPE,
    WRONG,
    call,
    compare,
    compare_gradients,
    exercise,
    fail,
    max_error,
    passed,
    scalar,
)

__all__ = ["distillation_loss", "kl_estimate", "forward_kl"]

KL_REVERSED = "KL direction reversed"     # E[log p - log q]: the two densities swapped
SLOW_STUDENT = "the student's slow inverse used"
DETACHED = NO_GRADIENT                   # no gradient to the student (the grading core's name for it)
STD_NOT_SE = "standard deviation for standard error"
WRONG_SAMPLES = "samples of the wrong model"

SEED = 7


def _pair(seed: int):
    student = make_iaf(2, layers=2, hidden=(16,)).double()
    teacher = make_maf(2, layers=2, hidden=(16,)).double()
    randomize(student, 0.3, seed=seed)
    randomize(teacher, 0.3, seed=seed + 1)
    return student, teacher


def _seeded(fn, *args, **kwargs):
    torch.manual_seed(SEED)
    return fn(*args, **kwargs)



def _made_passes(module) -> int:
    return sum(isinstance(m, (IAF, MAF)) for m in module.layers)


@exercise(KL_REVERSED, LOG_DET_SIGN, BASE_FORGOTTEN, SLOW_STUDENT, DETACHED, SHAPE)
def distillation_loss(loss_fn):
    r"""The distillation loss ``loss_fn(student, teacher, n) -> loss``, one number with a gradient:

        z ~ p_Z;  x, log_det = student(z);  log q = log p_Z(z) - log_det;  loss = mean(log q - teacher.log_prob(x)),

    a Monte Carlo estimate of KL(q_student ‖ p_teacher), in K + K parallel passes (no inverse of the student).
    """
    n = 64
    student, teacher = _pair(20)
    loss, inputs = record_made_passes(student, lambda: _seeded(call, loss_fn, student, teacher, n,
                                                                         signature="loss_fn(student, teacher, n)"))
    loss, student_passes = scalar(loss, "the loss"), len(inputs)
    with torch.no_grad():
        torch.manual_seed(SEED)
        z = student.base.sample(n)
        x, log_det = student(z)
        base, log_p = student.base.log_prob(z), teacher.log_prob(x)
        want = (base - log_det - log_p).mean()
        compare(loss.detach(), want, "the loss", (
            (KL_REVERSED, -want, "the loss is log p_teacher - log q: the KL is reversed, and the student would run away "
                                 "from the teacher.", "KL(q ‖ p) = E_q[log q(x) - log p(x)]: the student's density first."),
            (LOG_DET_SIGN, (base + log_det - log_p).mean(), "log q adds the student's log-det: log q(x) = log p_Z(z) - "
                           "log|det ∂x/∂z|.", "where the student stretches space its density thins."),
            (BASE_FORGOTTEN, (-log_det - log_p).mean(), "log q forgets the base density log p_Z(z).",
                             "log q = student.base.log_prob(z) - log_det."),
            (KL_REVERSED, _forward_kl(student, teacher, n), "the loss is the KL reversed: KL(p_teacher ‖ q), the "
             "forward KL, on the teacher's samples. Distillation minimises KL(q ‖ p_teacher), on the student's own samples, "
             "which needs no inverse of the student.", "z = student.base.sample(n); x, log_det = student(z); "
             "loss = (log q - teacher.log_prob(x)).mean()."),
        ), hint="draw z with student.base.sample(n); loss = (log q - teacher.log_prob(x)).mean().")
    if student_passes > _made_passes(student):
        fail(SLOW_STUDENT, f"the loss is right, but the student made {student_passes} MADE passes: its slow inverse "
             f"(student.log_prob) was used. Its own samples need {_made_passes(student)}: cache z.",
             "log q = log p_Z(z) - log_det from x, log_det = student(z).")
    _grade_gradient(loss, lambda: _distillation(student, teacher, n), student, "the loss")
    for n_k, seed in ((9, 21), (40, 22)):  # other sizes and flows
        student_k, teacher_k = _pair(seed)
        want_k = _distillation(student_k, teacher_k, n_k)  # the reference first
        loss_k = scalar(_seeded(call, loss_fn, student_k, teacher_k, n_k, signature="loss_fn(student, teacher, n)"),
                         "the loss")
        compare(loss_k.detach(), want_k.detach(), f"the loss for n = {n_k} (right for n = {n})",
                hint="student.base.sample(n): the n given.")
        _grade_gradient(loss_k, lambda s=student_k, t=teacher_k, m=n_k: _distillation(s, t, m), student_k, "the loss")
    return passed(f"distillation loss = mean(log q - log p_teacher) on the student's own samples, in {student_passes} "
                  "student passes (no inverse), with the reference's gradient for the student; equal to the reference on "
                  "random flows, for three n.")


def _distillation(student, teacher, n):
    """The reference loss, on the checker's seeded draw, with its gradient."""
    torch.manual_seed(SEED)
    z = student.base.sample(n)
    x, log_det = student(z)
    return (student.base.log_prob(z) - log_det - teacher.log_prob(x)).mean()


def _forward_kl(student, teacher, n):
    """KL(p_teacher ‖ q) on the teacher's samples, drawn under the checker's seed (what notebook 07's last exercise
    asks; here the KL reversed)."""
    torch.manual_seed(SEED)
    x, log_p = teacher.sample_with_log_prob(n)
    return (log_p - student.log_prob(x)).mean()


def _grade_gradient(value, reference, student, name: str) -> None:
    """The student's number must carry the reference's gradient with respect to the student's parameters."""
    if not value.requires_grad:
        fail(DETACHED, f"{name} carries no gradient: the student could not learn from it.",
             "no .item(), .detach() or torch.no_grad() inside the loss.")
    params = list(student.parameters())
    grads = torch.autograd.grad(value, params, allow_unused=True, retain_graph=True)
    if all(g is None or not bool(g.abs().sum() > 0) for g in grads):
        fail(DETACHED, f"{name} does not depend on the student's parameters: its gradient for them is zero.",
             "x must come from student(z), and log q from the same z and log_det.")
    compare_gradients(value, reference(), name, [("the student's parameters", params)])


@exercise(KL_REVERSED, STD_NOT_SE, WRONG_SAMPLES)
def kl_estimate(kl_fn):
    r"""Monte Carlo KL(q ‖ p) and its standard error: ``kl_fn(q, p, n) -> (kl, se)``, both numbers.

        x, log q = q.sample_with_log_prob(n);  d = log q - p.log_prob(x);  kl = mean(d);  se = std(d) / √n.
    """
    n = 500
    q, p = _pair(30)
    with torch.no_grad():
        value = _seeded(call, kl_fn, q, p, n, signature="kl_fn(q, p, n)")
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            fail(NOT_A_TENSOR, "kl_fn should return a pair (kl, se).", "end it with `return kl, se`.")
        kl, se = (scalar(v, name) for v, name in zip(value, ("kl", "se")))
        torch.manual_seed(SEED)
        x, log_q = q.sample_with_log_prob(n)
        d = log_q - p.log_prob(x)
        torch.manual_seed(SEED)
        x_p = p.sample(n)
        from_p = (q.log_prob(x_p) - p.log_prob(x_p)).mean()
        compare(kl, d.mean(), "kl", (
            (KL_REVERSED, -d.mean(), "kl is E_q[log p - log q]: the sign (the order of the densities) is reversed.",
                          "KL(q ‖ p) = E_q[log q - log p]."),
            (WRONG_SAMPLES, from_p, "kl averages over samples of p: KL(q ‖ p) averages over samples of q.",
                            "x, log_q = q.sample_with_log_prob(n)."),
            (KL_REVERSED, -from_p, "kl is the KL reversed: KL(p ‖ q) = E_p[log p - log q], on samples of p. KL(q ‖ p) "
                          "averages log q - log p over samples of q.", "x, log_q = q.sample_with_log_prob(n)."),
        ), atol=1e-8, hint="kl = (log_q - p.log_prob(x)).mean() over x, log_q = q.sample_with_log_prob(n).")
        for std in (d.std(), d.std(unbiased=False)):
            if max_error(se, std / math.sqrt(n)) < 1e-6 * float(std):
                for n_k, seed in ((37, 31), (8, 32)):  # other sizes and flows
                    q_k, p_k = _pair(seed)
                    torch.manual_seed(SEED)  # the reference first
                    x_k, log_q_k = q_k.sample_with_log_prob(n_k)
                    d_k = log_q_k - p_k.log_prob(x_k)
                    value = _seeded(call, kl_fn, q_k, p_k, n_k, signature="kl_fn(q, p, n)")
                    if not isinstance(value, (tuple, list)) or len(value) != 2:
                        fail(NOT_A_TENSOR, "kl_fn should return a pair (kl, se).", "end it with `return kl, se`.")
                    kl_k, se_k = (scalar(v, name) for v, name in zip(value, ("kl", "se")))
                    compare(kl_k, d_k.mean(), f"kl for n = {n_k} (right for n = {n})", hint="q.sample_with_log_prob(n): "
                            "the n given.")
                    if min(max_error(se_k, sd / math.sqrt(n_k)) for sd in (d_k.std(), d_k.std(unbiased=False))) > 1e-8:
                        compare(se_k, d_k.std() / math.sqrt(n_k), f"se for n = {n_k} (right for n = {n})",
                                hint="se = d.std() / √n, with the n given.")
                return passed("KL(q ‖ p) by Monte Carlo on q's own samples, and its standard error std/√n; equal to the "
                              "reference on random flows, for three n.")
        compare(se, d.std() / math.sqrt(n), "se", (
            (STD_NOT_SE, d.std(), "se is the standard deviation of the terms, not the standard error of their mean.",
                         "divide by √n: the mean of n terms varies √n times less than one term."),
            (STD_NOT_SE, d.std(unbiased=False), "se is the standard deviation of the terms, not the standard error of "
                         "their mean.", "divide by √n: the mean of n terms varies √n times less than one term."),
        ), atol=1e-8, hint="se = d.std() / √n, with d the n terms log q - log p.")
    fail(WRONG, "se could not be checked.")


@exercise(KL_REVERSED, WRONG_SAMPLES)
def forward_kl(kl_fn):
    r"""The forward KL(teacher ‖ student), ``kl_fn(student, teacher, n) -> kl``, a number:

        x ~ teacher (x, log p = teacher.sample_with_log_prob(n));  kl = mean(log p(x) - student.log_prob(x)),

    the direction maximum likelihood minimises; the student's density of the teacher's samples needs its
    slow inverse (K·D passes), paid here once.
    """
    n = 100
    draws = [(n, 40), (23, 41)]
    for k, (n_k, seed) in enumerate(draws):
        student, teacher = _pair(seed)
        want_grad = _forward_kl(student, teacher, n_k)  # the reference first, with its gradient
        kl = scalar(_seeded(call, kl_fn, student, teacher, n_k, signature="kl_fn(student, teacher, n)"), "kl")
        if k > 0:
            compare(kl.detach(), want_grad.detach(), f"kl for n = {n_k} (right for n = {n})", atol=1e-8,
                    hint="teacher.sample(n): the n given.")
        else:
            with torch.no_grad():
                torch.manual_seed(SEED)
                x = teacher.sample(n_k)
                log_p, log_q = teacher.log_prob(x), student.log_prob(x)
                torch.manual_seed(SEED)
                x_q, log_q_own = student.sample_with_log_prob(n_k)
                reverse = (log_q_own - teacher.log_prob(x_q)).mean()
                compare(kl.detach(), want_grad.detach(), "kl", (
                    (KL_REVERSED, (log_q - log_p).mean(), "kl is E_teacher[log q - log p]: the densities are swapped.",
                                  "KL(p ‖ q) = E_p[log p - log q], with p the teacher."),
                    (WRONG_SAMPLES, reverse, "kl is the reverse KL, on the student's samples: the forward KL averages over the "
                                    "teacher's.", "x = teacher.sample(n), then the student's density of those x."),
                ), atol=1e-8, hint="x = teacher.sample(n); kl = (teacher.log_prob(x) - student.log_prob(x)).mean().")
    return passed("forward KL(teacher ‖ student) = E_teacher[log p - log q] on the teacher's samples; equal to the "
                  "reference on random flows for two n (a measure, paid once: no gradient needed).")
