r"""Deliberately wrong answers to the exercises of notebook 06, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    BASE_FORGOTTEN,
    DIRECTION,
    EXP_ALPHA,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    ONE_PASS,
    SCALE_SIGN,
    SEQUENTIAL,
    SHAPE_B1,
)
from flowlib.lessons.n06_iaf import check as iaf

from ..autoregressive_answers import FORWARD, FORWARD_I, GLOBAL_NET, INVERSE, INVERSE_I, loop, one

# --- notebook 06: sampling with the cached log-density -------------------------------------------------

_SAMPLE = """
def sample_and_log_q(flow, n):
    z = flow.base.sample(n)
    x, log_det = flow(z)
    return x, {log_q}
check.sample_with_log_prob(sample_and_log_q)"""

_SAMPLE_GLOBAL = """
from flowlib.lessons.n06_iaf import check as iaf
_other = iaf._flow(5)
def sample_and_log_q(flow, n):
    z = _other.base.sample(n)
    x, log_det = _other(z)                # a flow of the notebook, not the argument
    return x, _other.base.log_prob(z) - log_det
check.sample_with_log_prob(sample_and_log_q)"""

WRONG = {
    "iaf_forward": [
        (SEQUENTIAL, loop("iaf_forward", FORWARD_I)),                            # μ, α read x: MAF's forward
        (DIRECTION, one("iaf_forward", INVERSE, "alpha.sum(-1)")),
        (SCALE_SIGN, one("iaf_forward", "v * torch.exp(-alpha) + mu", "alpha.sum(-1)")),
        (LOG_DET_SIGN, one("iaf_forward", FORWARD, "-alpha.sum(-1)")),
        (EXP_ALPHA, one("iaf_forward", FORWARD, "alpha.exp().sum(-1)")),
        (SHAPE_B1, one("iaf_forward", FORWARD, "alpha.sum(-1, keepdim=True)")),
        (NO_WEIGHTS, GLOBAL_NET.format(checker="iaf_forward", out=FORWARD, log_det="alpha.sum(-1)")),
    ],
    "iaf_inverse": [
        (ONE_PASS, one("iaf_inverse", INVERSE, "-alpha.sum(-1)")),              # μ, α read x: MAF's inverse
        (DIRECTION, loop("iaf_inverse", FORWARD_I, sign="-")),
        (SCALE_SIGN, loop("iaf_inverse", "(v[:, i] - mu[:, i]) * torch.exp(alpha[:, i])", sign="-")),
        (LOG_DET_SIGN, loop("iaf_inverse", INVERSE_I)),
        (EXP_ALPHA, loop("iaf_inverse", INVERSE_I, sign="-").replace("log_det + alpha[:, i]", "log_det + alpha[:, i].exp()")),
        (SHAPE_B1, loop("iaf_inverse", INVERSE_I, sign="-").replace("return out, -log_det", "return out, -log_det[:, None]")),
        (NO_WEIGHTS, GLOBAL_NET.format(checker="iaf_inverse", out=INVERSE, log_det="-alpha.sum(-1)")),
    ],
    "sample_with_log_prob": [
        (iaf.INVERSE_USED, _SAMPLE.format(log_q="flow.log_prob(x)")),
        (LOG_DET_SIGN, _SAMPLE.format(log_q="flow.base.log_prob(z) + log_det")),
        (BASE_FORGOTTEN, _SAMPLE.format(log_q="-log_det")),
        (SHAPE_B1, _SAMPLE.format(log_q="(flow.base.log_prob(z) - log_det)[:, None]")),
        (NO_WEIGHTS, _SAMPLE_GLOBAL),
    ],
}


# --- wrong answers of the kinds issue 24 lists (see n01's wrong_answers.py) --------------------------------

_IAF_FORWARD = """
def iaf_forward(z, mu_alpha):
    mu, alpha = mu_alpha(z)
    return {x}, {log_det}
check.iaf_forward(iaf_forward)"""

_IAF_INVERSE = """
def iaf_inverse(x, mu_alpha):
    z = {buffer}
    log_det = x.new_zeros(len(x))
    for i in range({passes}):
        mu, alpha = mu_alpha(z)
        z[:, i] = (x[:, i] - mu[:, i]) * torch.exp(-alpha[:, i])
        log_det = log_det - alpha[:, i]
    return z, log_det
check.iaf_inverse(iaf_inverse)"""

_SAMPLE = """
def sample_and_log_q(flow, n):
    z = flow.base.sample({n})
    x, log_det = flow(z)
    return x, {log_q}
check.sample_with_log_prob(sample_and_log_q)"""

WRONG_KINDS = {
    "iaf_forward": [
        ("gradient cut: through NumPy", ('GRADIENT', 'NO_GRADIENT'), "import numpy as np\n" + _IAF_FORWARD.format(
            x="z * torch.as_tensor(np.exp(alpha.detach().numpy())) + mu", log_det="alpha.sum(-1)")),
        ("gradient cut: μ detached", ('GRADIENT', 'NO_GRADIENT'),
         _IAF_FORWARD.format(x="z * torch.exp(alpha) + mu.detach()", log_det="alpha.sum(-1)")),
        ("input mutated in place", ('INPUT_CHANGED',),
         _IAF_FORWARD.format(x="z.mul_(torch.exp(alpha)).add_(mu)", log_det="alpha.sum(-1)")),
        ("global state: set_grad_enabled(False)", ('GLOBAL_STATE',),
         _IAF_FORWARD.format(x="z * torch.exp(alpha) + mu", log_det="alpha.sum(-1)")
         .replace("    mu, alpha = mu_alpha(z)\n", "    torch.set_grad_enabled(False)\n    mu, alpha = mu_alpha(z)\n")),
    ],
    "iaf_inverse": [
        ("input mutated in place: z is x itself", ('INPUT_CHANGED',), _IAF_INVERSE.format(buffer="x", passes="x.shape[1]")),
        ("argument ignored: the dimension hard-coded", ('WRONG', 'SHAPE', 'RAISED', 'NO_WEIGHTS'),
         _IAF_INVERSE.format(buffer="torch.zeros_like(x)", passes="4")),
        ("error inside a @torch.no_grad()-decorated function", ('RAISED',), "@torch.no_grad()" + _IAF_INVERSE.format(
            buffer="torch.zeros_like(x)", passes="x.shape[1]").replace("mu_alpha(z)", "mu_alpha(z[:, :i])")),
    ],
    "sample_with_log_prob": [
        ("argument ignored: n hard-coded", ('SHAPE', 'WRONG', 'NO_WEIGHTS'),
         _SAMPLE.format(n="500", log_q="flow.base.log_prob(z) - log_det")),
        ("gradient cut: the log-det detached", ('GRADIENT', 'NO_GRADIENT'),
         _SAMPLE.format(n="n", log_q="flow.base.log_prob(z) - log_det.detach()")),
        ("gradient cut: sampled under torch.no_grad()", ('NO_GRADIENT',),
         _SAMPLE.format(n="n", log_q="flow.base.log_prob(z) - log_det")
         .replace("    x, log_det = flow(z)\n", "    with torch.no_grad():\n        x, log_det = flow(z)\n")),
        ("escape: sys.exit()", ('ESCAPED',), "import sys\n" + _SAMPLE.format(n="n", log_q="sys.exit(1)")),
    ],
}
