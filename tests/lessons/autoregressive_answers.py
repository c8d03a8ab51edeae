r"""Wrong-answer templates shared by notebooks 05 and 06: MAF's and IAF's two directions, with the conditioner
as an argument (``tests/lessons/n05_maf/wrong_answers.py`` and ``tests/lessons/n06_iaf/wrong_answers.py``)."""

ONE_PASS_ANSWER = """
def {name}(v, mu_alpha):
    mu, alpha = mu_alpha(v)
    return {out}, {log_det}
check.{checker}({name})"""

LOOP_ANSWER = """
def {name}(v, mu_alpha):
    out = torch.zeros_like(v)
    log_det = v.new_zeros(len(v))
    for i in range(v.shape[1]):
        mu, alpha = mu_alpha({reads})
        out[:, i] = {step}
        log_det = log_det + alpha[:, i]
    return out, {sign}log_det
check.{checker}({name})"""

FORWARD, INVERSE = "v * torch.exp(alpha) + mu", "(v - mu) * torch.exp(-alpha)"
FORWARD_I, INVERSE_I = "v[:, i] * torch.exp(alpha[:, i]) + mu[:, i]", "(v[:, i] - mu[:, i]) * torch.exp(-alpha[:, i])"


def one(checker, out, log_det):
    return ONE_PASS_ANSWER.format(name="answer", checker=checker, out=out, log_det=log_det)


def loop(checker, step, reads="out", sign=""):
    return LOOP_ANSWER.format(name="answer", checker=checker, step=step, reads=reads, sign=sign)


GLOBAL_NET = """
from flowlib.lessons.grading import Conditioner
_fixed = Conditioner(4, 0)
def answer(v, mu_alpha):
    mu, alpha = _fixed(v)                # a network of the notebook, not the argument
    return {out}, {log_det}
check.{checker}(answer)"""

GLOBAL_LOOP = """
from flowlib.lessons.grading import Conditioner
_fixed = Conditioner(4, 0)
def answer(v, mu_alpha):
    out = torch.zeros_like(v)
    log_det = v.new_zeros(len(v))
    for i in range(v.shape[1]):
        mu, alpha = _fixed(out)          # a network of the notebook, not the argument
        out[:, i] = v[:, i] * torch.exp(alpha[:, i]) + mu[:, i]
        log_det = log_det + alpha[:, i]
    return out, log_det
check.maf_forward(answer)"""

