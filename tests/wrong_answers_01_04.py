r"""Deliberately wrong answers to the exercises of notebooks 01-04, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/test_exercises.py`` collects
every ``tests/wrong_answers_*.py``.
"""

from flowlib.check import change_of_variables as cov
from flowlib.check import jacobians as jac
from flowlib.check import nice
from flowlib.check import realnvp as rnvp
from flowlib.check._grading import BASE_FORGOTTEN, DIRECTION, EXP_ALPHA, KEPT_CHANGED, LOG_DET_SIGN, NO_WEIGHTS, SHAPE_B1

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


# --- notebook 02 ---------------------------------------------------------------------------------------

_JAC = """
def bend_jacobian(z, theta):
    a, s, b, phi = {theta}
    dy_dz = torch.stack([torch.stack([torch.exp(a), torch.zeros_like(a)]),
                         torch.stack([s * torch.exp(s * z[0]) * z[1] + 2 * b * z[0], torch.exp(s * z[0])])])
    rotation = torch.stack([torch.stack([torch.cos(phi), -torch.sin(phi)]), torch.stack([torch.sin(phi), torch.cos(phi)])])
    return {result}
check.bend_jacobian(bend_jacobian)"""


def _jac(result="rotation @ dy_dz", theta="theta"):
    return _JAC.format(result=result, theta=theta)


_TRI = "def triangular_log_det(L):\n    return {}\ncheck.triangular_log_det(triangular_log_det)"

_STACK = """
def stack_forward(layers, z):
    log_det = z.new_zeros(len(z)){init}
    for layer in {order}:
        z, ld = layer.{method}(z)
        log_det = {update}
    return z, log_det
check.composition(stack_forward)"""


def _stack(order="layers", method="forward", update="log_det + ld", init=""):
    return _STACK.format(order=order, method=method, update=update, init=init)


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
    "bend_jacobian": [
        (jac.TRANSPOSED, _jac("(rotation @ dy_dz).T")),
        (jac.ROTATION_FORGOTTEN, _jac("dy_dz")),
        (jac.CHAIN_ORDER, _jac("dy_dz @ rotation")),
        (NO_WEIGHTS, _jac(theta="torch.tensor([0.3, 0.4, 0.6, 0.3], dtype=z.dtype)")),
    ],
    "triangular_log_det": [
        (jac.NO_ABS, _TRI.format("L.diagonal(dim1=-2, dim2=-1).log().sum(-1)")),
        (jac.DET_NOT_LOG, _TRI.format("L.diagonal(dim1=-2, dim2=-1).prod(-1)")),
        (jac.NO_LOG, _TRI.format("L.diagonal(dim1=-2, dim2=-1).sum(-1)")),
        (jac.FULL_MATRIX, _TRI.format("torch.where(L != 0, L.abs(), torch.ones_like(L)).log().sum((-2, -1))")),
        (SHAPE_B1, _TRI.format("L.diagonal(dim1=-2, dim2=-1).abs().log().sum(-1, keepdim=True)")),
        (jac.DENSE_DET, _TRI.format("torch.linalg.slogdet(L).logabsdet")),
        (jac.DENSE_DET, _TRI.format("torch.det(L).abs().log()")),
    ],
    "composition": [
        (jac.LAYER_ORDER, _stack(order="reversed(layers)")),
        (jac.LAST_ONLY, _stack(update="ld")),
        (jac.PRODUCT, _stack(update="log_det * ld", init=" + 1")),
        (LOG_DET_SIGN, _stack(update="log_det - ld")),
        (DIRECTION, _stack(method="inverse")),
        (SHAPE_B1, _stack(update="log_det + ld[:, None]", init="[:, None]")),
        (NO_WEIGHTS, _stack(order="[]")),
    ],
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
