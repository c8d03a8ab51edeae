r"""Deliberately wrong answers to the exercises of notebook 02, one per mistake a checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import (
    DIRECTION,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    SHAPE_B1,
)
from flowlib.lessons.n02_jacobians import check as jac

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


WRONG = {
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
        (jac.DENSE_DET, _TRI.format("L.slogdet().logabsdet")),
        (jac.PRODUCT_OVERFLOW, _TRI.format("L.diagonal(dim1=-2, dim2=-1).prod(-1).abs().log()")),
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
}


# --- wrong answers of the kinds issue 24 lists (see n01's wrong_answers.py) --------------------------------

def _log_det(body: str) -> str:
    return f"import numpy as np\ndef triangular_log_det(L):\n    return {body}\ncheck.triangular_log_det(triangular_log_det)"


WRONG_KINDS = {
    "triangular_log_det": [
        ("dense determinant: Tensor.det()", ('DENSE_DET',), _log_det("L.det().abs().log()")),
        ("dense determinant: Tensor.slogdet()", ('DENSE_DET',), _log_det("L.slogdet()[1]")),
        ("dense determinant: NumPy", ('DENSE_DET',), _log_det("torch.as_tensor(np.linalg.slogdet(L.detach().numpy())[1])")),
        ("dense determinant: eigenvalues", ('DENSE_DET',), _log_det("torch.linalg.eigvals(L).abs().log().sum(-1)")),
        ("dense determinant: singular values", ('DENSE_DET',), _log_det("torch.linalg.svdvals(L).log().sum(-1)")),
        ("dense determinant: LU", ('DENSE_DET',),
         _log_det("torch.linalg.lu_factor(L)[0].diagonal(dim1=-2, dim2=-1).abs().log().sum(-1)")),
        ("product of the diagonal (overflows at large n)", ('PRODUCT_OVERFLOW',),
         _log_det("L.diagonal(dim1=-2, dim2=-1).prod(-1).abs().log()")),
        ("gradient cut: .detach()", ('NO_GRADIENT',), _log_det("L.detach().diagonal(dim1=-2, dim2=-1).abs().log().sum(-1)")),
    ],
    "composition": [
        ("argument ignored: the number of layers hard-coded", ('WRONG', 'NO_WEIGHTS'), """
def stack_forward(layers, z):
    log_det = z.new_zeros(len(z))
    for layer in layers[:3]:
        z, ld = layer(z)
        log_det = log_det + ld
    return z, log_det
check.composition(stack_forward)"""),
        ("input mutated in place", ('INPUT_CHANGED',), """
def stack_forward(layers, z):
    log_det = z.new_zeros(len(z))
    for layer in layers:
        out, ld = layer(z)
        z.copy_(out)
        log_det = log_det + ld
    return z, log_det
check.composition(stack_forward)"""),
        ("gradient cut: torch.no_grad()", ('NO_GRADIENT',), """
def stack_forward(layers, z):
    with torch.no_grad():
        log_det = z.new_zeros(len(z))
        for layer in layers:
            z, ld = layer(z)
            log_det = log_det + ld
    return z, log_det
check.composition(stack_forward)"""),
        ("global state: anomaly mode", ('GLOBAL_STATE',), """
def stack_forward(layers, z):
    torch.autograd.set_detect_anomaly(True)
    log_det = z.new_zeros(len(z))
    for layer in layers:
        z, ld = layer(z)
        log_det = log_det + ld
    return z, log_det
check.composition(stack_forward)"""),
    ],
    "bend_jacobian": [
        ("error inside a @torch.no_grad()-decorated function", ('RAISED',), """
@torch.no_grad()
def bend_jacobian(z, theta):
    a, s, b, phi = theta
    return z @ torch.ones(3, 2, dtype=z.dtype)     # a shape error, on line 4 of the function
check.bend_jacobian(bend_jacobian)"""),
        ("argument ignored: θ hard-coded", ('WRONG', 'NO_WEIGHTS'), """
def bend_jacobian(z, theta):
    a, s, b, phi = torch.tensor([0.3, 0.4, 0.6, 0.3], dtype=z.dtype)
    dy_dz = torch.stack([torch.stack([torch.exp(a), torch.zeros_like(a)]),
                         torch.stack([s * torch.exp(s * z[0]) * z[1] + 2 * b * z[0], torch.exp(s * z[0])])])
    rotation = torch.stack([torch.stack([torch.cos(phi), -torch.sin(phi)]), torch.stack([torch.sin(phi), torch.cos(phi)])])
    return rotation @ dy_dz
check.bend_jacobian(bend_jacobian)"""),
    ],
}
