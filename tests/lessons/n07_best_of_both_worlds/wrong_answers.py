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


# --- wrong answers of the kinds issue 24 lists (see n01's wrong_answers.py) --------------------------------

_DISTIL = """
def my_distillation_loss(student, teacher, n):
    z = student.base.sample(n)
    x, log_det = student(z)
    log_q = student.base.log_prob(z) - log_det
    return {result}
check.distillation_loss(my_distillation_loss)"""

WRONG_KINDS = {
    "distillation_loss": [
        ("gradient cut: the teacher's input detached", ('GRADIENT', 'NO_GRADIENT'),
         _DISTIL.format(result="(log_q - teacher.log_prob(x.detach())).mean()")),
        ("gradient cut: the student's log-density detached", ('GRADIENT', 'NO_GRADIENT'),
         _DISTIL.format(result="(log_q.detach() - teacher.log_prob(x)).mean()")),
        ("gradient cut: under torch.no_grad()", ('NO_GRADIENT',), _DISTIL.format(result="(log_q - teacher.log_prob(x)).mean()")
         .replace("    z = student.base.sample(n)\n    x, log_det = student(z)\n",
                  "    z = student.base.sample(n)\n    with torch.no_grad():\n        x, log_det = student(z)\n")),
        ("gradient cut: through NumPy", ('NO_GRADIENT',), "import numpy as np\n" + _DISTIL.format(
            result="torch.as_tensor(np.mean((log_q - teacher.log_prob(x)).detach().numpy()))")),
        ("argument ignored: n hard-coded", ('WRONG', 'NO_WEIGHTS'), _DISTIL.format(result="(log_q - teacher.log_prob(x)).mean()")
         .replace("student.base.sample(n)", "student.base.sample(256)")),
        ("global state: set_grad_enabled(False) after the loss", ('GLOBAL_STATE',), _DISTIL.format(result="loss").replace(
            "    return loss\n",
            "    loss = (log_q - teacher.log_prob(x)).mean()\n    torch.set_grad_enabled(False)\n    return loss\n")),
    ],
    "kl_estimate": [
        ("argument ignored: n hard-coded", ('WRONG', 'NO_WEIGHTS'),
         _KL.format(terms="log_q - p.log_prob(x)", se="terms.std() / math.sqrt(n)")
         .replace("q.sample_with_log_prob(n)", "q.sample_with_log_prob(1000)")),
        ("escape: KeyboardInterrupt", ('ESCAPED',), _KL.format(terms="log_q - p.log_prob(x)", se="terms.std() / math.sqrt(n)")
         .replace("    x, log_q = q.sample_with_log_prob(n)\n",
                  "    x, log_q = q.sample_with_log_prob(n)\n    raise KeyboardInterrupt\n")),
    ],
    "forward_kl": [
        ("global state: set_grad_enabled(False) to save work, left off", ('GLOBAL_STATE',), _FORWARD_KL.format(
            samples="teacher.sample(n)", difference="teacher.log_prob(x) - student.log_prob(x)")
         .replace("    x = teacher.sample(n)\n", "    torch.set_grad_enabled(False)\n    x = teacher.sample(n)\n")),
        ("argument ignored: n hard-coded", ('WRONG', 'NO_WEIGHTS'), _FORWARD_KL.format(
            samples="teacher.sample(300)", difference="teacher.log_prob(x) - student.log_prob(x)")),
    ],
}
