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
