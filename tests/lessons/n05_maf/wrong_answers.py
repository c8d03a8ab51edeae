r"""Deliberately wrong answers to the exercises of notebook 05, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    DIRECTION,
    EXP_ALPHA,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    ONE_PASS,
    SCALE_SIGN,
    SEES_ITSELF,
    SEQUENTIAL,
    SHAPE_B1,
)
from flowlib.lessons.n05_maf import check as maf

from ..autoregressive_answers import FORWARD, FORWARD_I, GLOBAL_LOOP, GLOBAL_NET, INVERSE, INVERSE_I, loop, one

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


WRONG = {
    "made_masks": [
        (SEES_ITSELF, _masks(out_cmp=">=")),
        (maf.TRANSPOSED, _masks(result="[m.T for m in masks]")),
        (maf.ORDER_IGNORED, _masks(position="torch.arange(D)")),
        (maf.ORDER_INVERTED, _masks(position="torch.tensor(order)")),
        (maf.MISSING_PATHS, _masks(hidden_cmp=">")),
    ],
    "maf_inverse": [
        (SEQUENTIAL, loop("maf_inverse", INVERSE_I, sign="-")),                 # μ, α read z: IAF's inverse
        (SEQUENTIAL, loop("maf_inverse", INVERSE_I, reads="v", sign="-")),      # right, but D passes
        (DIRECTION, one("maf_inverse", FORWARD, "-alpha.sum(-1)")),
        (SCALE_SIGN, one("maf_inverse", "(v - mu) * torch.exp(alpha)", "-alpha.sum(-1)")),
        (LOG_DET_SIGN, one("maf_inverse", INVERSE, "alpha.sum(-1)")),
        (EXP_ALPHA, one("maf_inverse", INVERSE, "-alpha.exp().sum(-1)")),
        (SHAPE_B1, one("maf_inverse", INVERSE, "-alpha.sum(-1, keepdim=True)")),
        (NO_WEIGHTS, GLOBAL_NET.format(checker="maf_inverse", out=INVERSE, log_det="-alpha.sum(-1)")),
    ],
    "maf_forward": [
        (ONE_PASS, one("maf_forward", FORWARD, "alpha.sum(-1)")),               # μ, α read z: IAF's forward
        (DIRECTION, loop("maf_forward", INVERSE_I)),
        (SCALE_SIGN, loop("maf_forward", "v[:, i] * torch.exp(-alpha[:, i]) + mu[:, i]")),
        (LOG_DET_SIGN, loop("maf_forward", FORWARD_I, sign="-")),
        (EXP_ALPHA, loop("maf_forward", FORWARD_I).replace("log_det + alpha[:, i]", "log_det + alpha[:, i].exp()")),
        (SHAPE_B1, loop("maf_forward", FORWARD_I).replace("return out, log_det", "return out, log_det[:, None]")),
        (NO_WEIGHTS, GLOBAL_LOOP),
    ],
}
