r"""Deliberately wrong answers to the exercises of notebook 01, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    BASE_FORGOTTEN,
    DIRECTION,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    SHAPE_B1,
)
from flowlib.lessons.n01_change_of_variables import check as cov

# --- notebook 01 ---------------------------------------------------------------------------------------

_EXP = "def sample_exponential(u, rate):\n    return {}\ncheck.sample_exponential(sample_exponential)"

_BEND = """
def bend_log_prob(x, theta):
    a, s, b, phi = {theta}
    y1 = torch.cos({phi}) * x[:, 0] + torch.sin({phi}) * x[:, 1]
    y2 = -torch.sin({phi}) * x[:, 0] + torch.cos({phi}) * x[:, 1]
    z1 = torch.exp(-a) * y1
    z2 = (y2 - b * z1**2) * torch.exp(-s * z1)
    log_p_z = -0.5 * (z1**2 + z2**2) - math.log(2 * math.pi)
    return {result}
check.bend_log_prob(bend_log_prob)"""


def _bend(result="log_p_z - (a + s * z1)", theta="theta", phi="phi"):
    return _BEND.format(result=result, theta=theta, phi=phi)


_BEND_FORWARD = """
def bend_log_prob(x, theta):
    a, s, b, phi = theta
    y1, y2 = torch.exp(a) * x[:, 0], torch.exp(s * x[:, 0]) * x[:, 1] + b * x[:, 0] ** 2
    z1 = torch.cos(phi) * y1 - torch.sin(phi) * y2
    z2 = torch.sin(phi) * y1 + torch.cos(phi) * y2
    return -0.5 * (z1**2 + z2**2) - math.log(2 * math.pi) + (a + s * x[:, 0])
check.bend_log_prob(bend_log_prob)"""

_TRAIN = """
def train(flow, data, steps, lr):
    optimizer = torch.optim.Adam(flow.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        z, log_det = flow.{method}(data)
        log_p_z = -0.5 * (z**2).sum(-1) - math.log(2 * math.pi)
        loss = {loss}
        {zero}
        loss.backward()
        {step}
        losses.append(loss.item())
    return losses
check.training_loop(train)"""


def _train(loss="-(log_p_z + log_det).mean()", method="inverse", zero="optimizer.zero_grad()", step="optimizer.step()"):
    return _TRAIN.format(loss=loss, method=method, zero=zero, step=step)


WRONG = {
    "sample_exponential": [
        (cov.CDF_NOT_INVERSE, _EXP.format("1 - torch.exp(-rate * u)")),
        (cov.NEGATIVE, _EXP.format("torch.log(1 - u) / rate")),
        (cov.RATE_INVERTED, _EXP.format("-torch.log(1 - u) * rate")),
        (SHAPE_B1, _EXP.format("(-torch.log(1 - u) / rate)[:, None]")),
        (NO_WEIGHTS, _EXP.format("-torch.log(1 - u) / 2.0")),
    ],
    "bend_log_prob": [
        (BASE_FORGOTTEN, _bend("-(a + s * z1)")),
        (LOG_DET_SIGN, _bend("log_p_z + (a + s * z1)")),
        (cov.LOG_DET_FORGOTTEN, _bend("log_p_z")),
        (DIRECTION, _BEND_FORWARD),
        (cov.ROTATION_SIGN, _bend(phi="(-phi)")),
        (cov.DENSITY_NOT_LOG, _bend("torch.exp(log_p_z - (a + s * z1))")),
        (SHAPE_B1, _bend("(log_p_z - (a + s * z1))[:, None]")),
        (NO_WEIGHTS, _bend(theta="torch.tensor([0.3, 0.4, 0.6, 0.3], dtype=x.dtype)", phi="phi")),
    ],
    "training_loop": [
        (cov.LOSS_SIGN, _train(loss="(log_p_z + log_det).mean()")),
        (BASE_FORGOTTEN, _train(loss="-log_det.mean()")),
        (LOG_DET_SIGN, _train(loss="-(log_p_z - log_det).mean()")),
        (DIRECTION, _train(method="forward")),
        (cov.SUM_NOT_MEAN, _train(loss="-(log_p_z + log_det).sum()")),
        (cov.NO_STEP, _train(step="pass")),
        (cov.NO_ZERO_GRAD, _train(zero="pass")),
    ],
}


# --- wrong answers of the kinds issue 24 lists ------------------------------------------------------------
# ``WRONG_KINDS[checker] = [(kind, mistakes, source), ...]``: each must get ✗, leave torch's global state as it
# was and return within the time budget; ``mistakes`` names the constants (of ``flowlib.lessons.grading`` or of
# the lesson's ``check`` module) of which the checker's ``Result.mistake`` must be one (None: any ✗ with a
# sentence). Several are allowed where the same bug shows as one or another (a hard-coded d raises in m at one
# split, gives wrong values at another; a cut gradient is NO_GRADIENT where nothing reaches one of the arguments'
# parameters, GRADIENT where a part still does: the checkers name it per argument, so a partial cut may be either).
# ``tests/lessons/test_answers.py`` runs them.

WRONG_KINDS = {
    "sample_exponential": [
        ("argument ignored: rate hard-coded", ('WRONG', 'NO_WEIGHTS'), """
def sample_exponential(u, rate):
    return -torch.log1p(-u) / 2.0
check.sample_exponential(sample_exponential)"""),
        ("input mutated in place", ('INPUT_CHANGED',), """
def sample_exponential(u, rate):
    u.neg_().log1p_().neg_().div_(rate)
    return u
check.sample_exponential(sample_exponential)"""),
        ("escape: sys.exit()", ('ESCAPED',), """
import sys
def sample_exponential(u, rate):
    sys.exit("done")
check.sample_exponential(sample_exponential)"""),
    ],
    "bend_log_prob": [
        ("argument ignored: φ read as a", ('WRONG', 'NO_WEIGHTS'), _bend(phi="a")),
        ("gradient cut: through NumPy", ('NO_GRADIENT',),
         _bend(result="torch.as_tensor((log_p_z - (a + s * z1)).detach().numpy())")),
        ("input mutated in place", ('INPUT_CHANGED',), _bend(result="x.mul_(0).sum(-1) + log_p_z - (a + s * z1)")),
        ("global state: set_default_dtype", ('GLOBAL_STATE',), _bend().replace(
            "    a, s, b, phi = theta\n", "    a, s, b, phi = theta\n    torch.set_default_dtype(torch.float64)\n")),
    ],
    "training_loop": [
        ("argument ignored: lr hard-coded", ('WRONG', 'NO_WEIGHTS'), _train().replace("lr=lr", "lr=0.05")),
        ("argument ignored: steps hard-coded", ('WRONG', 'SHAPE', 'NO_WEIGHTS'), _train().replace("range(steps)", "range(200)")),
        ("input mutated in place: data standardised", ('INPUT_CHANGED',), _train().replace(
            "    losses = []\n", "    losses = []\n    data -= data.mean(0)\n    data /= data.std(0)\n")),
        ("zero_grad between backward and step (no update at all; the message must not say no step was taken)", None,
         _train(zero="", step="optimizer.zero_grad()\n        optimizer.step()")),
        ("gradient cut: the loss detached and re-wrapped", ('NO_GRADIENT', 'WRONG'), _train(
            loss="torch.tensor((-(log_p_z + log_det).mean()).item(), requires_grad=True)")),
        ("global state: set_num_threads", ('GLOBAL_STATE',),
         _train().replace("    losses = []\n", "    losses = []\n    torch.set_num_threads(1)\n")),
        ("infinite loop", ('OUT_OF_TIME',), _train().replace("for _ in range(steps):", "while True:")),
        ("escape: KeyboardInterrupt", ('ESCAPED',), _train().replace("    losses = []\n", "    raise KeyboardInterrupt\n")),
    ],
}
