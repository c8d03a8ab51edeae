r"""Correct answers to notebook 07's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "distillation_loss": [
        ("the student's layers one by one, two means", """
def my_distillation_loss(student, teacher, n):
    z = student.base.sample(n)
    log_q = student.base.log_prob(z)
    x = z
    for layer in student.layers:
        x, log_det = layer(x)
        log_q = log_q - log_det
    return torch.mean(log_q) - torch.mean(teacher.log_prob(x))
check.distillation_loss(my_distillation_loss)"""),
        ("the student's own sample_with_log_prob, a sum over n", """
def my_distillation_loss(student, teacher, n):
    x, log_q = student.sample_with_log_prob(n)
    return (log_q - teacher.log_prob(x)).sum() / n
check.distillation_loss(my_distillation_loss)"""),
    ],
    "kl_estimate": [
        ("the variance, then a square root", """
def kl_with_error(q, p, n):
    x, log_q = q.sample_with_log_prob(n)
    terms = log_q - p.log_prob(x)
    return terms.mean(), (terms.var() / n).sqrt()
check.kl_estimate(kl_with_error)"""),
        ("torch.std_mean, n ** 0.5", """
def kl_with_error(q, p, n):
    x, log_q = q.sample_with_log_prob(n)
    std, mean = torch.std_mean(log_q - p.log_prob(x))
    return mean, std / n ** 0.5
check.kl_estimate(kl_with_error)"""),
    ],
    "forward_kl": [
        ("two means", """
def forward_kl_estimate(student, teacher, n):
    x, log_p = teacher.sample_with_log_prob(n)
    return log_p.mean() - student.log_prob(x).mean()
check.forward_kl(forward_kl_estimate)"""),
        ("torch.mean of the negated difference", """
def forward_kl_estimate(student, teacher, n):
    x, log_p = teacher.sample_with_log_prob(n)
    return -torch.mean(student.log_prob(x) - log_p)
check.forward_kl(forward_kl_estimate)"""),
    ],
}
