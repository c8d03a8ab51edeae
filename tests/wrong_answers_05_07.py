r"""Deliberately wrong answers to the exercises of notebooks 05-07, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/test_exercises_05_07.py`` runs
them (and ex1's ``tests/test_exercises.py`` collects every ``tests/wrong_answers_*.py`` the same way).
"""

from flowlib.check import distillation as dist
from flowlib.check import iaf, maf
from flowlib.check._grading import BASE_FORGOTTEN, DIRECTION, EXP_ALPHA, LOG_DET_SIGN, NO_WEIGHTS, SEES_ITSELF, SHAPE, SHAPE_B1

# --- notebook 05: MADE's masks -----------------------------------------------------------------------------

_MASKS = """
def made_masks_for(D, hidden, order):
    position = {position}
    degrees = [position + 1] + [(torch.arange(h) % (D - 1) + 1).sort().values for h in hidden]
    masks = [(d_out[:, None] {hidden_cmp} d_in[None, :]).float() for d_in, d_out in zip(degrees, degrees[1:])]
    d_last = (position + 1).repeat(2)
    masks = masks + [(d_last[:, None] {out_cmp} degrees[-1][None, :]).float()]
    return {result}
check.made_masks(made_masks_for)"""


def _masks(position="torch.argsort(torch.tensor(order))", hidden_cmp=">=", out_cmp=">", result="masks"):
    return _MASKS.format(position=position, hidden_cmp=hidden_cmp, out_cmp=out_cmp, result=result)


# --- notebooks 05 and 06: the two directions of MAF and IAF, with the conditioner as an argument --------

_ONE_PASS = """
def {name}(v, mu_alpha):
    mu, alpha = mu_alpha(v)
    return {out}, {log_det}
check.{checker}({name})"""

_LOOP = """
def {name}(v, mu_alpha):
    out = torch.zeros_like(v)
    log_det = v.new_zeros(len(v))
    for i in range(v.shape[1]):
        mu, alpha = mu_alpha({reads})
        out[:, i] = {step}
        log_det = log_det + alpha[:, i]
    return out, {sign}log_det
check.{checker}({name})"""

_FORWARD, _INVERSE = "v * torch.exp(alpha) + mu", "(v - mu) * torch.exp(-alpha)"
_FORWARD_I, _INVERSE_I = "v[:, i] * torch.exp(alpha[:, i]) + mu[:, i]", "(v[:, i] - mu[:, i]) * torch.exp(-alpha[:, i])"


def _one(checker, out, log_det):
    return _ONE_PASS.format(name="answer", checker=checker, out=out, log_det=log_det)


def _loop(checker, step, reads="out", sign=""):
    return _LOOP.format(name="answer", checker=checker, step=step, reads=reads, sign=sign)


_GLOBAL_NET = """
from flowlib.check import maf
_fixed = maf.Conditioner(4, 0)
def answer(v, mu_alpha):
    mu, alpha = _fixed(v)                # a network of the notebook, not the argument
    return {out}, {log_det}
check.{checker}(answer)"""

_GLOBAL_LOOP = """
from flowlib.check import maf
_fixed = maf.Conditioner(4, 0)
def answer(v, mu_alpha):
    out = torch.zeros_like(v)
    log_det = v.new_zeros(len(v))
    for i in range(v.shape[1]):
        mu, alpha = _fixed(out)          # a network of the notebook, not the argument
        out[:, i] = v[:, i] * torch.exp(alpha[:, i]) + mu[:, i]
        log_det = log_det + alpha[:, i]
    return out, log_det
check.maf_forward(answer)"""

# --- notebook 06: sampling with the cached log-density -------------------------------------------------

_SAMPLE = """
def sample_and_log_q(flow, n):
    z = flow.base.sample(n)
    x, log_det = flow(z)
    return x, {log_q}
check.sample_with_log_prob(sample_and_log_q)"""

_SAMPLE_GLOBAL = """
from flowlib.check import iaf
_other = iaf._flow(5)
def sample_and_log_q(flow, n):
    z = _other.base.sample(n)
    x, log_det = _other(z)                # a flow of the notebook, not the argument
    return x, _other.base.log_prob(z) - log_det
check.sample_with_log_prob(sample_and_log_q)"""

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
    "made_masks": [
        (SEES_ITSELF, _masks(out_cmp=">=")),
        (maf.TRANSPOSED, _masks(result="[m.T for m in masks]")),
        (maf.ORDER_IGNORED, _masks(position="torch.arange(D)")),
        (maf.ORDER_INVERTED, _masks(position="torch.tensor(order)")),
        (maf.MISSING_PATHS, _masks(hidden_cmp=">")),
    ],
    "maf_inverse": [
        (maf.SEQUENTIAL, _loop("maf_inverse", _INVERSE_I, sign="-")),                 # μ, α read z: IAF's inverse
        (maf.SEQUENTIAL, _loop("maf_inverse", _INVERSE_I, reads="v", sign="-")),      # right, but D passes
        (DIRECTION, _one("maf_inverse", _FORWARD, "-alpha.sum(-1)")),
        (maf.SCALE_SIGN, _one("maf_inverse", "(v - mu) * torch.exp(alpha)", "-alpha.sum(-1)")),
        (LOG_DET_SIGN, _one("maf_inverse", _INVERSE, "alpha.sum(-1)")),
        (EXP_ALPHA, _one("maf_inverse", _INVERSE, "-alpha.exp().sum(-1)")),
        (SHAPE_B1, _one("maf_inverse", _INVERSE, "-alpha.sum(-1, keepdim=True)")),
        (NO_WEIGHTS, _GLOBAL_NET.format(checker="maf_inverse", out=_INVERSE, log_det="-alpha.sum(-1)")),
    ],
    "maf_forward": [
        (maf.ONE_PASS, _one("maf_forward", _FORWARD, "alpha.sum(-1)")),               # μ, α read z: IAF's forward
        (DIRECTION, _loop("maf_forward", _INVERSE_I)),
        (maf.SCALE_SIGN, _loop("maf_forward", "v[:, i] * torch.exp(-alpha[:, i]) + mu[:, i]")),
        (LOG_DET_SIGN, _loop("maf_forward", _FORWARD_I, sign="-")),
        (EXP_ALPHA, _loop("maf_forward", _FORWARD_I).replace("log_det + alpha[:, i]", "log_det + alpha[:, i].exp()")),
        (SHAPE_B1, _loop("maf_forward", _FORWARD_I).replace("return out, log_det", "return out, log_det[:, None]")),
        (NO_WEIGHTS, _GLOBAL_LOOP),
    ],
    "iaf_forward": [
        (maf.SEQUENTIAL, _loop("iaf_forward", _FORWARD_I)),                            # μ, α read x: MAF's forward
        (DIRECTION, _one("iaf_forward", _INVERSE, "alpha.sum(-1)")),
        (maf.SCALE_SIGN, _one("iaf_forward", "v * torch.exp(-alpha) + mu", "alpha.sum(-1)")),
        (LOG_DET_SIGN, _one("iaf_forward", _FORWARD, "-alpha.sum(-1)")),
        (EXP_ALPHA, _one("iaf_forward", _FORWARD, "alpha.exp().sum(-1)")),
        (SHAPE_B1, _one("iaf_forward", _FORWARD, "alpha.sum(-1, keepdim=True)")),
        (NO_WEIGHTS, _GLOBAL_NET.format(checker="iaf_forward", out=_FORWARD, log_det="alpha.sum(-1)")),
    ],
    "iaf_inverse": [
        (maf.ONE_PASS, _one("iaf_inverse", _INVERSE, "-alpha.sum(-1)")),              # μ, α read x: MAF's inverse
        (DIRECTION, _loop("iaf_inverse", _FORWARD_I, sign="-")),
        (maf.SCALE_SIGN, _loop("iaf_inverse", "(v[:, i] - mu[:, i]) * torch.exp(alpha[:, i])", sign="-")),
        (LOG_DET_SIGN, _loop("iaf_inverse", _INVERSE_I)),
        (EXP_ALPHA, _loop("iaf_inverse", _INVERSE_I, sign="-").replace("log_det + alpha[:, i]", "log_det + alpha[:, i].exp()")),
        (SHAPE_B1, _loop("iaf_inverse", _INVERSE_I, sign="-").replace("return out, -log_det", "return out, -log_det[:, None]")),
        (NO_WEIGHTS, _GLOBAL_NET.format(checker="iaf_inverse", out=_INVERSE, log_det="-alpha.sum(-1)")),
    ],
    "sample_with_log_prob": [
        (iaf.INVERSE_USED, _SAMPLE.format(log_q="flow.log_prob(x)")),
        (LOG_DET_SIGN, _SAMPLE.format(log_q="flow.base.log_prob(z) + log_det")),
        (BASE_FORGOTTEN, _SAMPLE.format(log_q="-log_det")),
        (SHAPE_B1, _SAMPLE.format(log_q="(flow.base.log_prob(z) - log_det)[:, None]")),
        (NO_WEIGHTS, _SAMPLE_GLOBAL),
    ],
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
