r"""Correct answers to notebook 02's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "bend_jacobian": [
        ("each entry written out", """
def bend_jacobian(z, theta):
    a, s, b, phi = theta
    c, t = torch.cos(phi), torch.sin(phi)
    d21 = s * torch.exp(s * z[0]) * z[1] + 2 * b * z[0]     # ∂y₂/∂z₁
    d22 = torch.exp(s * z[0])                                # ∂y₂/∂z₂
    return torch.stack([torch.stack([c * torch.exp(a) - t * d21, -t * d22]),
                        torch.stack([t * torch.exp(a) + c * d21, c * d22])])
check.bend_jacobian(bend_jacobian)"""),
        ("by autograd, from the map itself", """
def bend_jacobian(z, theta):
    a, s, b, phi = theta

    def bend(v):
        y = torch.stack([torch.exp(a) * v[0], torch.exp(s * v[0]) * v[1] + b * v[0] ** 2])
        rotation = torch.stack([torch.stack([torch.cos(phi), -torch.sin(phi)]), torch.stack([torch.sin(phi), torch.cos(phi)])])
        return rotation @ y
    return torch.autograd.functional.jacobian(bend, z)
check.bend_jacobian(bend_jacobian)"""),
    ],
    "triangular_log_det": [
        ("torch.diagonal, then log of abs, summed over dim 1", """
def triangular_log_det(L):
    return torch.log(torch.abs(torch.diagonal(L, dim1=1, dim2=2))).sum(dim=1)
check.triangular_log_det(triangular_log_det)"""),
        ("a loop over the diagonal", """
def triangular_log_det(L):
    total = L.new_zeros(L.shape[0])
    for i in range(L.shape[-1]):
        total = total + L[:, i, i].abs().log()
    return total
check.triangular_log_det(triangular_log_det)"""),
        ("torch.linalg.diagonal", """
def triangular_log_det(L):
    return torch.linalg.diagonal(L).abs().log().sum(-1)
check.triangular_log_det(triangular_log_det)"""),
    ],
    "composition": [
        ("the log-dets stacked and summed", """
def stack_forward(layers, z):
    log_dets = [z.new_zeros(z.shape[0])]
    for layer in layers:
        z, log_det = layer.forward(z)
        log_dets.append(log_det)
    return z, torch.stack(log_dets).sum(0)
check.composition(stack_forward)"""),
        ("in-place sums on a buffer of its own, an index loop", """
def stack_forward(layers, z):
    x = z
    total = torch.zeros(len(z), dtype=z.dtype)
    for k in range(len(layers)):
        x, ld = layers[k](x)
        total += ld
    return x, total
check.composition(stack_forward)"""),
    ],
}
