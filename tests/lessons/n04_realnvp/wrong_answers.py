r"""Deliberately wrong answers to the exercises of notebook 04, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    DIRECTION,
    EXP_ALPHA,
    KEPT_CHANGED,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    SHAPE_B1,
)
from flowlib.lessons.n04_realnvp import check as rnvp

# --- notebook 04 ---------------------------------------------------------------------------------------

_AFF = """
def {name}(v, mu_alpha, d):
    v1, v2 = v[:, :d], v[:, d:]
    mu, alpha = {net}(v1)
    return torch.cat([{kept}, {changed}], 1), {log_det}
check.{name}({name})"""


def _aff(name, changed, log_det, kept="v1", net="mu_alpha"):
    return _AFF.format(name=name, changed=changed, log_det=log_det, kept=kept, net=net)


_FIXED_NET = "(lambda v1: (v1.new_zeros(len(v1), v1.shape[1]) + 0.1, v1.new_zeros(len(v1), v1.shape[1]) + 0.2))"

WRONG = {
    "affine_forward": [
        (LOG_DET_SIGN, _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "-alpha.sum(-1)")),
        (DIRECTION, _aff("affine_forward", "(v2 - mu) * torch.exp(-alpha)", "alpha.sum(-1)")),
        (KEPT_CHANGED, _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.sum(-1)", kept="v1 * 2")),
        (EXP_ALPHA, _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "torch.exp(alpha).sum(-1)")),
        (rnvp.SCALE_SHIFT_ORDER, _aff("affine_forward", "(v2 + mu) * torch.exp(alpha)", "alpha.sum(-1)")),
        (SHAPE_B1, _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.sum(-1, keepdim=True)")),
        (NO_WEIGHTS, _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.sum(-1)", net=_FIXED_NET)),
    ],
    "affine_inverse": [
        (LOG_DET_SIGN, _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "alpha.sum(-1)")),
        (DIRECTION, _aff("affine_inverse", "v2 * torch.exp(alpha) + mu", "-alpha.sum(-1)")),
        (KEPT_CHANGED, _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-alpha.sum(-1)", kept="v1 - mu")),
        (EXP_ALPHA, _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-torch.exp(alpha).sum(-1)")),
        (rnvp.SCALE_SHIFT_ORDER, _aff("affine_inverse", "v2 * torch.exp(-alpha) - mu", "-alpha.sum(-1)")),
        (SHAPE_B1, _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-alpha.sum(-1)[:, None]")),
        (NO_WEIGHTS, _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-alpha.sum(-1)", net=_FIXED_NET)),
    ],
    "alternating_stack": [
        (rnvp.SAME_HALF, "from flowlib import AffineCoupling\n"
                         "def make_layers(dim, k):\n    return [AffineCoupling(dim) for _ in range(k)]\n"
                         "check.alternating_stack(make_layers)"),
    ],
}
