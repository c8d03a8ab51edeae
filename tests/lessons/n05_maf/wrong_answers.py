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


# --- wrong answers of the kinds issue 24 lists (see n01's wrong_answers.py) --------------------------------

_MASKS = """
def made_masks_for(D, hidden, order):
    position = {position}
    degrees = [position + 1] + [{hidden_degrees} for h in hidden]
    masks = [(d_out[:, None] >= d_in[None, :]).float() for d_in, d_out in zip(degrees, degrees[1:])]
    d_last = (position + 1).repeat(2)
    return masks + [(d_last[:, None] > degrees[-1][None, :]).float()]
check.made_masks(made_masks_for)"""


def _masks(position="torch.argsort(torch.tensor(order))", hidden_degrees="(torch.arange(h) % (D - 1) + 1).sort().values"):
    return _MASKS.format(position=position, hidden_degrees=hidden_degrees)


_MAF_FORWARD = """
def maf_forward(z, mu_alpha):
    x = {buffer}
    log_det = z.new_zeros(len(z))
    for i in range({passes}):
        mu, alpha = mu_alpha(x)
        x[:, i] = z[:, i] * torch.exp(alpha[:, i]) + mu[:, i]
        log_det = log_det + alpha[:, i]
    return x, log_det
check.maf_forward(maf_forward)"""

_MAF_INVERSE = """
def maf_inverse(x, mu_alpha):
    mu, alpha = mu_alpha(x)
    return {z}, {log_det}
check.maf_inverse(maf_inverse)"""

WRONG_KINDS = {
    "made_masks": [
        ("random hidden degrees (right under one seed only)", None, _masks(hidden_degrees="torch.randint(1, D, (h,))")),
        ("argument ignored: order", None, _masks(position="torch.arange(D)")),
        ("argument ignored: hidden widths hard-coded", None, _masks().replace("for h in hidden]", "for h in [8, 8]]")),
    ],
    "maf_inverse": [
        ("input mutated in place", ('INPUT_CHANGED',),
         _MAF_INVERSE.format(z="x.sub_(mu).mul_(torch.exp(-alpha))", log_det="-alpha.sum(-1)")),
        ("gradient cut: α detached", ('GRADIENT', 'NO_GRADIENT'),
         _MAF_INVERSE.format(z="(x - mu) * torch.exp(-alpha)", log_det="-alpha.detach().sum(-1)")),
        ("gradient cut: through NumPy", ('GRADIENT', 'NO_GRADIENT'), "import numpy as np\n" + _MAF_INVERSE.format(
            z="torch.as_tensor(((x - mu) * torch.exp(-alpha)).detach().numpy())", log_det="-alpha.sum(-1)")),
        ("global state: set_num_threads", ('GLOBAL_STATE',),
         _MAF_INVERSE.format(z="(x - mu) * torch.exp(-alpha)", log_det="-alpha.sum(-1)")
         .replace("    mu, alpha = mu_alpha(x)\n", "    torch.set_num_threads(1)\n    mu, alpha = mu_alpha(x)\n")),
    ],
    "maf_forward": [
        ("input mutated in place: x is z itself", ('INPUT_CHANGED',), _MAF_FORWARD.format(buffer="z", passes="z.shape[1]")),
        ("argument ignored: the dimension hard-coded", ('WRONG', 'SHAPE', 'RAISED', 'NO_WEIGHTS'),
         _MAF_FORWARD.format(buffer="torch.zeros_like(z)", passes="4")),
        ("infinite loop: the counter never moves", ('OUT_OF_TIME',), """
def maf_forward(z, mu_alpha):
    x = torch.zeros_like(z)
    log_det = z.new_zeros(len(z))
    i = 0
    while i < z.shape[1]:
        mu, alpha = mu_alpha(x)
        x[:, i] = z[:, i] * torch.exp(alpha[:, i]) + mu[:, i]
        log_det = log_det + alpha[:, i]
    return x, log_det
check.maf_forward(maf_forward)"""),
        ("escape: KeyboardInterrupt", ('ESCAPED',), _MAF_FORWARD.format(buffer="torch.zeros_like(z)", passes="z.shape[1]")
         .replace("        log_det = log_det + alpha[:, i]\n", "        raise KeyboardInterrupt\n")),
    ],
}
