r"""Checkers for notebook 02 (Jacobians): a Jacobian by hand (notebook 01's ``Bend``), the log-determinant of a triangular matrix,
and the log-determinant of a composition (a sum over the layers)."""

from __future__ import annotations

import math

import torch

from ... import randomize
from ...realnvp import AffineCoupling
from ..grading import (
    DIRECTION,
    LOG_DET_SIGN,
    NO_WEIGHTS,
    SHAPE_B1,
    WRONG,
    call,
    compare,
    compare_gradients,
    exercise,
    fail,
    generator,
    leaf,
    max_error,
    output,
    pair,
    passed,
)

__all__ = ["bend_jacobian", "triangular_log_det", "composition"]

TRANSPOSED = "rows and columns swapped"
ROTATION_FORGOTTEN = "the rotation forgotten"
CHAIN_ORDER = "chain rule in the wrong order"
NO_ABS = "log of a negative diagonal"
DET_NOT_LOG = "det instead of log-det"
NO_LOG = "diagonal summed without log"
FULL_MATRIX = "all entries, not the diagonal"
DENSE_DET = "a dense determinant"
LAYER_ORDER = "layers in the wrong order"
LAST_ONLY = "only one layer's log-det"
PRODUCT = "log-dets multiplied"
PRODUCT_OVERFLOW = "log of the product"


def _bend(z: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Notebook 01's ``Bend`` for one point z (2,): y = (e^a z₁, e^{s z₁} z₂ + b z₁²), x = R(φ) y."""
    a, s, b, phi = theta
    y = torch.stack([torch.exp(a) * z[0], torch.exp(s * z[0]) * z[1] + b * z[0] ** 2])
    return torch.stack([torch.cos(phi) * y[0] - torch.sin(phi) * y[1], torch.sin(phi) * y[0] + torch.cos(phi) * y[1]])


@exercise(TRANSPOSED, ROTATION_FORGOTTEN, CHAIN_ORDER, NO_WEIGHTS)
def bend_jacobian(jacobian_fn):
    r"""``jacobian_fn(z, theta) -> (2, 2)``: ∂x/∂z of notebook 01's ``Bend`` at one point z (2,), θ = (a, s, b, φ):
    x = R(φ) y with y = (e^a z₁, e^{s z₁} z₂ + b z₁²), so J = R(φ) ∂y/∂z (the chain rule); row i = output x_i,
    column j = input z_j. Graded against autograd at random points for two random θ."""
    g = generator(7)
    points = torch.randn(4, 2, generator=g, dtype=torch.float64)
    thetas = [torch.tensor([0.3, 0.4, 0.6, 0.8], dtype=torch.float64), torch.tensor([-0.2, 0.5, -0.4, 1.1], dtype=torch.float64)]
    for z in points:
        got = [output(call(jacobian_fn, z.clone(), theta.clone(), signature="jacobian(z, theta)"), "the Jacobian", (2, 2), like=z,
                      hint="torch.stack of two rows: torch.stack([torch.stack([J11, J12]), torch.stack([J21, J22])]).")
               for theta in thetas]
        if max_error(got[0], got[1]) < 1e-12:
            fail(NO_WEIGHTS, "the Jacobian is the same for two different θ: it does not use the theta it is given.",
                 "a, s, b, phi = theta.")
        want = torch.autograd.functional.jacobian(lambda u: _bend(u, thetas[0]), z)
        a, s, b, phi = thetas[0]
        inner = torch.stack([torch.stack([torch.exp(a), z.new_zeros(())]),
                             torch.stack([s * torch.exp(s * z[0]) * z[1] + 2 * b * z[0], torch.exp(s * z[0])])])  # ∂y/∂z
        rotation = torch.stack([torch.stack([torch.cos(phi), -torch.sin(phi)]), torch.stack([torch.sin(phi), torch.cos(phi)])])
        compare(got[0], want, "the Jacobian", (
            (TRANSPOSED, want.T, "the Jacobian is transposed: row i must hold the derivatives of the output x_i.",
             "J[i, j] = ∂x_i/∂z_j."),
            (ROTATION_FORGOTTEN, inner, "that is ∂y/∂z, the Jacobian before the rotation: x = R(φ) y multiplies it by R(φ).",
             "the chain rule: J = R(φ) @ ∂y/∂z."),
            (CHAIN_ORDER, inner @ rotation, "the chain rule's product is in the wrong order: the rotation comes last in f, so "
             "first (leftmost) in J.", "J = R(φ) @ ∂y/∂z, not ∂y/∂z @ R(φ)."),
        ), hint="J = R(φ) @ ∂y/∂z with ∂y/∂z = [[e^a, 0], [s e^{s z₁} z₂ + 2 b z₁, e^{s z₁}]].")
    for z in torch.randn(3, 2, generator=g, dtype=torch.float64):  # θ drawn afresh at each point
        theta = torch.randn(4, generator=g, dtype=torch.float64) * 0.7
        want = torch.autograd.functional.jacobian(lambda u, theta=theta: _bend(u, theta), z)
        got = output(call(jacobian_fn, z, theta, signature="jacobian(z, theta)"), "the Jacobian", (2, 2), like=z)
        compare(got, want, "the Jacobian", hint=f"right at the first θ, wrong at θ = {[round(float(t), 3) for t in theta]}, "
                f"z = {[round(float(t), 3) for t in z]}: is a value of θ or z fixed somewhere?")
    return passed("the Jacobian by hand equals autograd's at 7 random points for five θ; its determinant is e^{a + s z₁}.")


@exercise(NO_ABS, DET_NOT_LOG, NO_LOG, FULL_MATRIX, DENSE_DET, PRODUCT_OVERFLOW, SHAPE_B1)
def triangular_log_det(log_det_fn):
    r"""``log_det_fn(L) -> (B,)``: log|det L| of a batch of triangular matrices L (B, n, n), in O(n): Σ_i log|L_ii|.
    Graded against ``torch.linalg.slogdet`` on lower and upper triangular matrices with negative diagonal entries,
    values and gradients, at several n and batch sizes, then at n = 400, where the product of the diagonal
    overflows (and underflows) float64."""
    g = generator(8)
    batch, n = 4, 5
    diag = torch.randn(batch, n, generator=g, dtype=torch.float64).exp() * torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0],
                                                                                         dtype=torch.float64)
    below = torch.randn(batch, n, n, generator=g, dtype=torch.float64).tril(-1)
    cases = [below + torch.diag_embed(diag), below.transpose(1, 2) + torch.diag_embed(diag)]
    for batch_k, n_k in ((2, 1), (3, 8)):  # other sizes, drawn afresh
        diag_k = torch.randn(batch_k, n_k, generator=g, dtype=torch.float64).exp() * torch.randn(
            batch_k, n_k, generator=g, dtype=torch.float64).sign()
        cases.append(torch.randn(batch_k, n_k, n_k, generator=g, dtype=torch.float64).tril(-1) + torch.diag_embed(diag_k))
    for L in cases:
        batch, n = L.shape[:2]
        L = leaf(L)
        d = L.diagonal(dim1=1, dim2=2)
        want_grad = d.abs().log().sum(-1)  # the reference first (its gradient is the diagonal's alone)
        value = _no_dense_det(log_det_fn, L)
        d = d.detach()
        if isinstance(value, torch.Tensor) and value.shape == (batch,) and not bool(torch.isfinite(value).all()):
            fail(NO_ABS, "the log-det is NaN: some diagonal entries are negative, and their log is undefined.",
                 "log|det L| = Σ_i log|L_ii|: take the absolute value first, L.diagonal(dim1=-2, dim2=-1).abs().log().")
        value = output(value, "log_det(L)", (batch,), like=L)
        want = torch.linalg.slogdet(L.detach()).logabsdet
        Ld = L.detach()
        compare(value, want, "log|det L|", (
            (DET_NOT_LOG, d.prod(-1), "that is det L, the product of the diagonal, not its log.", "Σ_i log|L_ii|."),
            (DET_NOT_LOG, d.prod(-1).abs(), "that is |det L|, the product of the diagonal, not its log.", "Σ_i log|L_ii|."),
            (NO_LOG, d.sum(-1), "that sums the diagonal itself (the trace): the log is missing.", "Σ_i log|L_ii|."),
            (NO_LOG, d.abs().sum(-1), "that sums |L_ii| (the log is missing).", "Σ_i log|L_ii|."),
            (FULL_MATRIX, Ld.abs().clamp_min(1e-300).log().where(Ld != 0, Ld.new_zeros(())).sum((-2, -1)),
             "that sums log|L_ij| over all the entries: only the diagonal counts.", "L.diagonal(dim1=-2, dim2=-1)."),
        ), hint=f"Σ_i log|L_ii|: the diagonal of each matrix, L.diagonal(dim1=-2, dim2=-1) (here n = {n}, B = {batch}).")
        compare_gradients(value, want_grad, "log_det(L)", [("L", [L])])
    # n = 400: Σ log|L_ii| about ±800, beyond float64's range (e^709): the product itself overflows or underflows.
    n = 400
    logs = torch.randn(2, n, generator=g, dtype=torch.float64) * 0.3 + torch.tensor([[2.0], [-2.0]], dtype=torch.float64)
    signs = torch.randn(2, n, generator=g, dtype=torch.float64).sign()
    L = torch.diag_embed(logs.exp() * signs) + 0.1 * torch.randn(2, n, n, generator=g, dtype=torch.float64).tril(-1)
    value = _no_dense_det(log_det_fn, L)
    want = logs.sum(-1)
    if isinstance(value, torch.Tensor) and value.shape == (2,) and not bool(torch.isfinite(value).all()):
        product = L.diagonal(dim1=1, dim2=2).prod(-1).abs().log()
        if not bool(torch.isfinite(product).all()):
            fail(PRODUCT_OVERFLOW, f"right for small matrices, but at n = {n} log_det is {value.tolist()}: the product of "
                 f"the diagonal, about e^{float(want[0]):.0f} (and e^{float(want[1]):.0f}), is beyond float64's range "
                 "(e^±709) before the log is taken.", "a sum of logs never overflows: L.diagonal(...).abs().log().sum(-1).")
    value = output(value, f"log_det(L) at n = {n}", (2,), like=L)
    compare(value, want, f"log|det L| at n = {n}", hint="Σ_i log|L_ii|, a sum of logs: no product of n numbers.",
            atol=1e-8 * n)
    return passed("Σ_i log|L_ii| equals slogdet on lower and upper triangular batches with negative diagonal entries, "
                  "values and gradients, for n from 1 to 8 and at n = 400 (where the product itself overflows), shape (B,).")


def _no_dense_det(log_det_fn, L):
    """The student's log_det(L), refused if it took a dense determinant (torch, a Tensor method or NumPy)."""
    with _Calls() as calls, _numpy_calls() as numpy_seen:
        value = call(log_det_fn, L, signature="log_det(L)")
    dense = sorted({_DENSE[f] for f in calls.seen if f in _DENSE} | numpy_seen)
    if dense:
        fail(DENSE_DET, f"triangular_log_det calls {', '.join(dense)}: a dense factorisation, O(n³), which is what a "
             "triangular Jacobian lets a flow avoid.", "the diagonal alone: Σ_i log|L_ii|, O(n).")
    return value


def _dense():
    """{function: its name in the message}: every torch function or Tensor method that factorises a dense matrix."""
    names = {
        torch: ["det", "logdet", "slogdet", "svd", "inverse", "lu", "qr", "eig", "symeig", "pinverse", "cholesky"],
        torch.linalg: ["det", "slogdet", "lu", "lu_factor", "lu_factor_ex", "eig", "eigvals", "eigh", "eigvalsh", "svd",
                       "svdvals", "inv", "inv_ex", "qr", "pinv", "matrix_rank", "cond", "solve", "cholesky", "cholesky_ex",
                       "matrix_power", "ldl_factor", "ldl_factor_ex"],
        torch.Tensor: ["det", "logdet", "slogdet", "svd", "inverse", "lu", "qr", "eig", "cholesky", "pinverse"],
    }
    prefix = {torch: "torch.", torch.linalg: "torch.linalg.", torch.Tensor: "Tensor."}
    found = {}
    for module, members in names.items():
        for member in members:
            f = getattr(module, member, None)
            if f is not None:
                found[f] = prefix[module] + member + ("()" if module is not torch.Tensor else "()")
    return found


_DENSE = _dense()
_NUMPY_DENSE = ("det", "slogdet", "eig", "eigvals", "eigh", "eigvalsh", "svd", "inv", "qr", "cholesky", "pinv", "solve")


class _numpy_calls:
    """Records the dense factorisations of ``numpy.linalg`` (and ``scipy.linalg``, if imported) called inside it."""

    def __enter__(self):
        self.seen, self.saved = set(), []
        import sys
        modules = [(sys.modules.get("numpy.linalg"), "np.linalg."), (sys.modules.get("scipy.linalg"), "scipy.linalg.")]
        for module, prefix in modules:
            if module is None:
                continue
            for member in _NUMPY_DENSE + (("lu", "lu_factor") if prefix.startswith("scipy") else ()):
                f = getattr(module, member, None)
                if f is None:
                    continue
                self.saved.append((module, member, f))
                setattr(module, member, self._recording(f, prefix + member + "()"))
        return self.seen

    def _recording(self, f, label):
        def recorded(*args, **kwargs):
            self.seen.add(label)
            return f(*args, **kwargs)
        return recorded

    def __exit__(self, *exc):
        for module, member, f in self.saved:
            setattr(module, member, f)
        return False


class _Calls(torch.overrides.TorchFunctionMode):
    """Records the torch functions (and Tensor methods) called inside it (to see a dense determinant where O(n)
    was asked)."""

    def __init__(self):
        super().__init__()
        self.seen = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.seen.add(func)
        return func(*args, **(kwargs or {}))


def _layers(dim: int, seed: int, count: int = 3):
    layers = [AffineCoupling(dim, hidden=(16,), parity=k % 2).double() for k in range(count)]
    for k, layer in enumerate(layers):
        randomize(layer, 0.5, seed=seed + k)
    return layers


@exercise(LAYER_ORDER, LAST_ONLY, PRODUCT, LOG_DET_SIGN, DIRECTION, SHAPE_B1, NO_WEIGHTS)
def composition(forward_fn):
    r"""``forward_fn(layers, z) -> (x, log_det)``: x = f_K ∘ … ∘ f_1(z), the layers applied first to last, and
    log|det ∂x/∂z| = Σ_k log|det J_{f_k}| (the chain rule: determinants multiply, log-dets add).
    Graded against ``Flow.forward`` and autograd's ``slogdet`` on random couplings."""
    dim, batch = 4, 5
    z = torch.randn(batch, dim, generator=generator(9), dtype=torch.float64)
    stacks = [_layers(dim, 30), _layers(dim, 40)]
    results = [pair(call(forward_fn, layers, z, signature="forward(layers, z)"), "forward(layers, z)") for layers in stacks]
    xs = [output(x, "x", (batch, dim), like=z) for x, _ in results]
    output(results[0][1], "log_det", (batch,), like=z, hint="one log-det per sample, a sum over the layers.")
    if max_error(xs[0], xs[1]) < 1e-12:
        fail(NO_WEIGHTS, "x is the same for two different lists of layers: it does not use the layers it is given.",
             "loop over the argument layers.")
    g = generator(10)
    draws = [(stacks[0], z)] + [(_layers(dim_k, 50 + dim_k, count), torch.randn(batch_k, dim_k, generator=g, dtype=torch.float64))
                                for dim_k, batch_k, count in ((3, 2, 1), (5, 7, 4))]
    for k, (layers, z_k) in enumerate(draws):
        batch_k, dim_k = z_k.shape
        z_k = leaf(z_k)
        want_x, want_ld = z_k, z_k.new_zeros(batch_k)  # the reference first, with gradients
        for layer in layers:
            want_x, ld = layer(want_x)
            want_ld = want_ld + ld
        x, log_det = pair(call(forward_fn, layers, z_k, signature="forward(layers, z)"), "forward(layers, z)")
        x = output(x, "x", (batch_k, dim_k), like=z_k)
        log_det = output(log_det, "log_det", (batch_k,), like=z_k, hint="one log-det per sample, a sum over the layers.")
        with torch.no_grad():
            steps, lds = [z_k], []
            for layer in layers:
                v, ld = layer(steps[-1])
                steps.append(v)
                lds.append(ld)
            back, back_lds = z_k, []
            for layer in reversed(layers):
                back, ld = layer(back)
                back_lds.append(ld)
            inv, inv_lds = z_k, []
            for layer in layers:
                inv, ld = layer.inverse(inv)
                inv_lds.append(ld)
        where = "" if k == 0 else f" (right for 3 layers of dim 4; wrong for {len(layers)} of dim {dim_k}, batch {batch_k})"
        compare(x, steps[-1], "x" + where, (
            (LAYER_ORDER, back, "x applies the layers last to first: f_1 acts first on z.", "for layer in layers: ..."),
            (DIRECTION, inv, "x goes through the layers' inverse: z ↦ x is their forward.", "layer(z) or layer.forward(z)."),
        ), hint="z, ld = layer(z) for each layer in order; x is the last z.")
        total = sum(lds)
        compare(log_det, total, "log_det" + where, (
            (LAST_ONLY, lds[-1], "log_det is only the last layer's: the log-dets of all the layers add up.",
             "sum them as you go."),
            (LAST_ONLY, lds[0], "log_det is only the first layer's: the log-dets of all the layers add up.",
             "sum them as you go."),
            (LOG_DET_SIGN, -total, "log_det has the wrong sign: the forward log-dets add, with a plus.",
             "log_det = log_det + ld."),
            (PRODUCT, math.prod(lds), "log_det multiplies the log-dets: determinants multiply, so log-dets add.",
             "log_det = log_det + ld."),
        ) if len(lds) > 1 else (), hint="log_det = Σ_k of the log-dets the layers return, one per sample.")
        params = [p for layer in layers for p in layer.parameters()]
        compare_gradients([x, log_det], [want_x, want_ld], "forward(layers, z)",
                          [("z", [z_k]), ("the layers' parameters", params)], seed=k)
        if k == 0:
            by_autograd = torch.linalg.slogdet(torch.stack([torch.autograd.functional.jacobian(
                lambda u, layers=layers: _forward_one(layers, u), row) for row in z_k.detach()])).logabsdet
            if max_error(log_det, by_autograd) > 1e-8:  # cannot happen once log_det equals Flow.forward's: the definition
                fail(WRONG, "log_det differs from slogdet of autograd's Jacobian.")
    return passed("x = f_K ∘ … ∘ f_1(z) and log_det = Σ_k log|det J_k| of shape (B,): equal to Flow.forward and to "
                  "slogdet of autograd's Jacobian, values and gradients, for 1, 3 and 4 random couplings of dim 3 to 5.")


def _forward_one(layers, u):
    v = u[None]
    for layer in layers:
        v = layer(v)[0]
    return v[0]

