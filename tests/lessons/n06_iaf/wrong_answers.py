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
