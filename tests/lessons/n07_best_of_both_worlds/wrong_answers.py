r"""Deliberately wrong answers to the exercises of notebook 07, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    BASE_FORGOTTEN,
    LOG_DET_SIGN,
    SHAPE,
)
from flowlib.lessons.n07_best_of_both_worlds import check as dist

# --- notebook 07: distillation ---------------------------------------------------------------------------

_LOSS = """
def my_distillation_loss(student, teacher, n):
    z = student.base.sample(n)
    x, log_det = student(z)
    log_q = {log_q}
    return {result}
check.distillation_loss(my_distillation_loss)"""


def _loss(log_q="student.base.log_prob(z) - log_det", result="(log_q - teacher.log_prob(x)).mean()"):
    return _LOSS.format(log_q=log_q, result=result)


_KL = """
def kl_with_error(q, p, n):
    x, log_q = q.sample_with_log_prob(n)
    terms = {terms}
    return terms.mean(), {se}
check.kl_estimate(kl_with_error)"""

_FORWARD_KL = """
def forward_kl_estimate(student, teacher, n):
    x = {samples}
    return ({difference}).mean()
check.forward_kl(forward_kl_estimate)"""

_Q_MINUS_P = "student.log_prob(x) - teacher.log_prob(x)"

WRONG = {
    "distillation_loss": [
        (dist.KL_REVERSED, _loss(result="(teacher.log_prob(x) - log_q).mean()")),
        (LOG_DET_SIGN, _loss(log_q="student.base.log_prob(z) + log_det")),
        (BASE_FORGOTTEN, _loss(log_q="-log_det")),
        (dist.SLOW_STUDENT, _loss(log_q="student.log_prob(x)")),
        (dist.DETACHED, _loss(result="(log_q - teacher.log_prob(x)).mean().item()")),
        (SHAPE, _loss(result="log_q - teacher.log_prob(x)")),
    ],
    "kl_estimate": [
        (dist.KL_REVERSED, _KL.format(terms="p.log_prob(x) - log_q", se="terms.std() / math.sqrt(n)")),
        (dist.STD_NOT_SE, _KL.format(terms="log_q - p.log_prob(x)", se="terms.std()")),
        (dist.WRONG_SAMPLES, _KL.format(terms="q.log_prob(y) - p.log_prob(y)", se="terms.std() / math.sqrt(n)")
         .replace("x, log_q = q.sample_with_log_prob(n)", "y = p.sample(n)")),
    ],
    "forward_kl": [
        (dist.KL_REVERSED, _FORWARD_KL.format(samples="teacher.sample(n)", difference=_Q_MINUS_P)),
        (dist.WRONG_SAMPLES, _FORWARD_KL.format(samples="student.sample(n)", difference=_Q_MINUS_P)),
    ],
}
