r"""Deliberately wrong answers to the exercises of notebook 03, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    BASE_FORGOTTEN,
    DIRECTION,
    EXP_ALPHA,
    KEPT_CHANGED,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    SHAPE_B1,
)
from flowlib.lessons.n03_nice import check as nice

# --- notebook 03 ---------------------------------------------------------------------------------------

_ADD = """
def additive_forward(z, m, d):
    z1, z2 = z[:, :d], z[:, d:]
    return {forward}

def additive_inverse(x, m, d):
    x1, x2 = x[:, :d], x[:, d:]
    return {inverse}
check.additive_coupling(additive_forward, additive_inverse)"""


def _add(forward="torch.cat([z1, z2 + m(z1)], 1), z.new_zeros(len(z))",
         inverse="torch.cat([x1, x2 - m(x1)], 1), x.new_zeros(len(x))"):
    return _ADD.format(forward=forward, inverse=inverse)


_SCALE = """
def scaling_forward(z, s):
    return {forward}

def scaling_inverse(x, s):
    return {inverse}
check.scaling(scaling_forward, scaling_inverse)"""


def _scale(forward="z * torch.exp(s), s.sum().expand(len(z))", inverse="x * torch.exp(-s), (-s.sum()).expand(len(x))"):
    return _SCALE.format(forward=forward, inverse=inverse)


_LOGP = """
def stack_log_prob(x, layers):
    z, log_det = x, x.new_zeros(len(x))
    for layer in {order}:
        z, ld = layer.{method}(z)
        log_det = log_det + ld
    log_p_z = -0.5 * (z**2).sum(-1) - {constant}
    return {result}
check.log_prob(stack_log_prob)"""


def _logp(order="reversed(layers)", method="inverse", result="log_p_z + log_det",
          constant="0.5 * z.shape[1] * math.log(2 * math.pi)"):
    return _LOGP.format(order=order, method=method, result=result, constant=constant)


WRONG = {
    "additive_coupling": [
        (DIRECTION, _add(forward="torch.cat([z1, z2 - m(z1)], 1), z.new_zeros(len(z))")),
        (KEPT_CHANGED, _add(forward="torch.cat([z1 + 1, z2 + m(z1)], 1), z.new_zeros(len(z))")),
        (nice.M_READS_CHANGED, _add(inverse="torch.cat([x1, x2 - m(x2)], 1), x.new_zeros(len(x))")),
        (nice.LOG_DET_NOT_ZERO, _add(forward="torch.cat([z1, z2 + m(z1)], 1), m(z1).sum(-1)")),
        (SHAPE_B1, _add(forward="torch.cat([z1, z2 + m(z1)], 1), z.new_zeros(len(z), 1)")),
        (NO_WEIGHTS, _add(forward="torch.cat([z1, z2 + z1.sin()], 1), z.new_zeros(len(z))")),
    ],
    "scaling": [
        (LOG_DET_SIGN, _scale(inverse="x * torch.exp(-s), s.sum().expand(len(x))")),
        (DIRECTION, _scale(forward="z * torch.exp(-s), s.sum().expand(len(z))")),
        (EXP_ALPHA, _scale(forward="z * torch.exp(s), s.exp().sum().expand(len(z))")),
        (nice.DET_NOT_LOG, _scale(forward="z * torch.exp(s), s.sum().exp().expand(len(z))")),
        (SHAPE_B1, _scale(forward="z * torch.exp(s), s.sum()")),
        (NO_WEIGHTS, _scale(forward="z * 2.0, z.new_full((len(z),), 4 * math.log(2.0))")),
    ],
    "log_prob": [
        (BASE_FORGOTTEN, _logp(result="log_det")),
        (LOG_DET_SIGN, _logp(result="log_p_z - log_det")),
        (DIRECTION, _logp(order="layers", method="forward")),
        (nice.LAYER_ORDER, _logp(order="layers")),
        (nice.CONSTANT_FORGOTTEN, _logp(constant="0")),
        (SHAPE_B1, _logp(result="(log_p_z + log_det).sum()")),
        (NO_WEIGHTS, _logp(order="[]")),
    ],
}


# --- wrong answers of the kinds issue 24 lists (see n01's wrong_answers.py) --------------------------------

WRONG_KINDS = {
    "additive_coupling": [
        ("argument ignored: d hard-coded", ('WRONG', 'SHAPE', 'RAISED', 'NO_WEIGHTS', 'KEPT_CHANGED'),
         _add().replace("z[:, :d], z[:, d:]", "z[:, :3], z[:, 3:]")
         .replace("x[:, :d], x[:, d:]", "x[:, :3], x[:, 3:]")),
        ("argument ignored: the batch size hard-coded", ('SHAPE', 'WRONG', 'NO_WEIGHTS'),
         _add(forward="torch.cat([z1, z2 + m(z1)], 1), z.new_zeros(5)",
                                                             inverse="torch.cat([x1, x2 - m(x1)], 1), x.new_zeros(5)")),
        ("gradient cut: m(z1).detach()", ('NO_GRADIENT', 'GRADIENT'),
         _add(forward="torch.cat([z1, z2 + m(z1).detach()], 1), z.new_zeros(len(z))")),
        ("input mutated in place", ('INPUT_CHANGED',), _add(forward="torch.cat([z1, z2.add_(m(z1))], 1), z.new_zeros(len(z))")),
        ("input mutated in place (inverse)", ('INPUT_CHANGED',),
         _add(inverse="torch.cat([x1, x2.sub_(m(x1))], 1), x.new_zeros(len(x))")),
    ],
    "scaling": [
        ("gradient cut: through NumPy", ('GRADIENT', 'NO_GRADIENT'), "import numpy as np\n" + _scale(
            forward="z * torch.as_tensor(np.exp(s.detach().numpy())), s.sum().expand(len(z))")),
        ("gradient cut: the log-det detached", ('GRADIENT', 'NO_GRADIENT'),
         _scale(forward="z * torch.exp(s), s.sum().detach().expand(len(z))")),
        ("argument ignored: the batch size hard-coded", ('SHAPE', 'WRONG', 'NO_WEIGHTS'),
         _scale(forward="z * torch.exp(s), s.sum().expand(5)",
                                                               inverse="x * torch.exp(-s), (-s.sum()).expand(5)")),
        ("global state: set_grad_enabled(False)", ('GLOBAL_STATE',), _scale().replace(
            "def scaling_forward(z, s):\n", "def scaling_forward(z, s):\n    torch.set_grad_enabled(False)\n")),
    ],
    "log_prob": [
        ("argument ignored: the dimension hard-coded", ('WRONG', 'NO_WEIGHTS'),
         _logp(constant="0.5 * 4 * math.log(2 * math.pi)")),
        ("argument ignored: the number of layers hard-coded", ('WRONG', 'NO_WEIGHTS'), _logp(order="reversed(layers[:3])")),
        ("gradient cut: torch.no_grad() around the inverse passes", ('NO_GRADIENT',), _logp().replace(
            "        z, ld = layer.inverse(z)\n", "        with torch.no_grad():\n            z, ld = layer.inverse(z)\n")),
        ("global state: deterministic algorithms", ('GLOBAL_STATE',), _logp().replace(
            "    z, log_det = x, x.new_zeros(len(x))\n",
            "    torch.use_deterministic_algorithms(True)\n    z, log_det = x, x.new_zeros(len(x))\n")),
        ("escape: sys.exit()", ('ESCAPED',), "import sys\n" + _logp(result="sys.exit(0)")),
        ("error inside a @torch.no_grad()-decorated function", ('RAISED',), "@torch.no_grad()\n" + _logp(
            result="log_p_z + log_det[:, None] @ log_det").lstrip("\n").replace("@torch.no_grad()\n\n", "@torch.no_grad()\n")),
    ],
}
