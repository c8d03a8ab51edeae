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
        (rnvp.TIED, "from flowlib import AffineCoupling\n"
                    "def make_layers(dim, k):\n    pair = [AffineCoupling(dim, parity=0), AffineCoupling(dim, parity=1)]\n"
                    "    return [pair[i % 2] for i in range(k)]\n"
                    "check.alternating_stack(make_layers)"),
    ],
}


# --- wrong answers of the kinds issue 24 lists (see n01's wrong_answers.py) --------------------------------

_STACK = ("from torch import nn\nfrom flowlib import AffineCoupling\n\n"
          "def make_layers(dim, k):\n{body}\ncheck.alternating_stack(make_layers)")

WRONG_KINDS = {
    "affine_forward": [
        ("argument ignored: d hard-coded", ('WRONG', 'SHAPE', 'RAISED', 'NO_WEIGHTS', 'KEPT_CHANGED'),
         _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.sum(-1)")
         .replace("v[:, :d], v[:, d:]", "v[:, :3], v[:, 3:]")),
        ("gradient cut: α detached", ('GRADIENT', 'NO_GRADIENT'),
         _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.detach().sum(-1)")),
        ("gradient cut: the network's output detached", ('NO_GRADIENT', 'GRADIENT'),
         _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.sum(-1)",
                                                             net="(lambda v1: [t.detach() for t in mu_alpha(v1)])")),
        ("input mutated in place", ('INPUT_CHANGED',),
         _aff("affine_forward", "v2.mul_(torch.exp(alpha)).add_(mu)", "alpha.sum(-1)")),
        ("global state: set_grad_enabled(False)", ('GLOBAL_STATE',),
         _aff("affine_forward", "v2 * torch.exp(alpha) + mu", "alpha.sum(-1)")
         .replace("    v1, v2 = ", "    torch.set_grad_enabled(False)\n    v1, v2 = ")),
    ],
    "affine_inverse": [
        ("argument ignored: the batch size hard-coded", ('SHAPE', 'WRONG', 'NO_WEIGHTS'),
         _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)",
                                                             "-alpha.sum(-1)[:5]")),
        ("gradient cut: under torch.no_grad()", ('NO_GRADIENT', 'GRADIENT'),
         _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-alpha.sum(-1)")
         .replace("    mu, alpha = mu_alpha(v1)", "    with torch.no_grad():\n        mu, alpha = mu_alpha(v1)")),
        ("input mutated in place", ('INPUT_CHANGED',),
         _aff("affine_inverse", "v2.sub_(mu).mul_(torch.exp(-alpha))", "-alpha.sum(-1)")),
        ("global state: anomaly mode", ('GLOBAL_STATE',),
         _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-alpha.sum(-1)")
         .replace("    v1, v2 = ", "    torch.autograd.set_detect_anomaly(True)\n    v1, v2 = ")),
        ("infinite loop", ('OUT_OF_TIME',), _aff("affine_inverse", "(v2 - mu) * torch.exp(-alpha)", "-alpha.sum(-1)")
         .replace("    v1, v2 = ", "    while d > 0:\n        alpha = d\n    v1, v2 = ")),
    ],
    "alternating_stack": [
        ("tied weights: the same two layers repeated", ('TIED',), _STACK.format(body=(
            "    pair = [AffineCoupling(dim, parity=0), AffineCoupling(dim, parity=1)]\n"
            "    return [pair[i % 2] for i in range(k)]"))),
        ("argument ignored: the number of layers hard-coded", ('WRONG', 'SHAPE', 'NO_WEIGHTS'), _STACK.format(body=(
            "    return [AffineCoupling(dim, parity=i % 2) for i in range(4)]"))),
        ("argument ignored: the dimension hard-coded", ('WRONG', 'SHAPE', 'NO_WEIGHTS'), _STACK.format(body=(
            "    return [AffineCoupling(2, parity=i % 2) for i in range(k)]"))),
        ("tied weights: one network shared", ('TIED',), _STACK.format(body=(
            "    layers = [AffineCoupling(dim, parity=i % 2) for i in range(k)]\n"
            "    for layer in layers[1:]:\n"
            "        layer.net = layers[0].net\n"
            "    return layers"))),
        ("global state: set_default_dtype", ('GLOBAL_STATE',), _STACK.format(body=(
            "    torch.set_default_dtype(torch.float64)\n"
            "    return nn.ModuleList([AffineCoupling(dim, parity=i % 2) for i in range(k)])"))),
    ],
}
